/**
 * `medic serve`: the HTTP intake on this machine, so a real Alertmanager (or a `curl`) can page a
 * local medic. Each request goes to the deployed intake handler itself (functions/intake-http.ts:
 * the same body bound, authentication and validation, the secret read from SSM as deployed), and
 * each execution it starts runs the real workflow in this process (`simulate`'s engine) against
 * moto and a local Jira, its own or those AWS_ENDPOINT_URL / JIRA_BASE_URL name.
 *
 * Loopback only: it refuses to listen anywhere else (an unauthenticated-looking laptop port on a
 * shared network is how a test tool becomes an incident). Runs are bounded: a few at a time, a
 * short queue, and a full queue answers 503 so the sender retries later (Alertmanager does).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { type Environment, withEnvironment } from '../shared/config.ts';
import { isLoopbackHost, isLoopbackUrl } from '../shared/domain/net.ts';
import { secretsIn } from '../shared/domain/webhook-auth.ts';
import { ConfigError, UnsafeEndpointError, UnsafeListenAddressError } from '../shared/errors.ts';
import { scopeAwsClientsToRuns } from './aws-scope.ts';
import { startJiraServer } from './jira-server.ts';
import { startMoto } from './moto.ts';
import { type SimulationResult, simulate } from './simulate.ts';
import { ensureTables } from './tables.ts';

export const DEFAULT_SERVE_PORT = 9095;
/** Executions run at once (the machine and moto are shared) and waiting beyond those. */
export const SERVE_CONCURRENCY = 2;
export const SERVE_QUEUE = 20;
/** On SIGINT/SIGTERM, how long the runs under way may take to finish before the process exits. */
export const SERVE_DRAIN_MS = 30_000;

const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:medic-local-serve';
const SECRET_PARAMETER = '/medic/local/webhook-secret';
const MAX_BODY_BYTES = 262_144;

export interface ServeOptions {
  host?: string;
  port?: number;
  env?: Environment;
  /** One line per request, and the startup/shutdown lines. */
  say?: (line: string) => void;
}

export interface Serving {
  url: string;
  port: number;
  /** Stops listening, lets the runs under way finish (bounded), stops what it started. */
  close(): Promise<void>;
}

/** The listen address, or the named refusal: only this machine's loopback is ever bound. */
export function listenAddress(host: string): string {
  const h = host.trim();
  if (h === 'localhost') return '127.0.0.1';
  if (!isLoopbackHost(h)) {
    throw new UnsafeListenAddressError(
      `medic serve listens on loopback only (127.0.0.1 or ::1), not ${host}: it runs the workflow against a local AWS and Jira and is not meant to be reachable from another machine`,
    );
  }
  return h.replace(/^\[|\]$/g, '');
}

interface Execution {
  name: string;
  input: unknown;
  /** The run's result, or why it did not run (an instance medic cannot find, a bad setting). */
  done: Promise<SimulationResult | { failure: string }>;
}

/**
 * Step Functions' StartExecution and DescribeExecution (AWS JSON 1.0) on loopback, for the intake
 * handler's real SDK client: a started execution is queued for an in-process run. A name already
 * started is "already exists" as in AWS, so a repeated delivery joins instead of starting twice.
 */
function startStepFunctions(enqueue: (name: string, input: unknown) => Execution | null) {
  const executions = new Map<string, Execution>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: Record<string, unknown>) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify(body));
      };
      const target = String(req.headers['x-amz-target'] ?? '');
      let body: { executionArn?: string; name?: string; input?: string };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        return reply(400, { __type: 'InvalidInput', message: 'body is not JSON' });
      }
      if (target.endsWith('.DescribeExecution')) {
        const name = String(body.executionArn ?? '')
          .split(':')
          .at(-1);
        const known = name ? executions.get(name) : undefined;
        if (!known)
          return reply(400, { __type: 'ExecutionDoesNotExist', message: 'Execution Does Not Exist' });
        return reply(200, {
          executionArn: body.executionArn,
          name,
          status: 'RUNNING',
          startDate: Date.now() / 1000,
          stateMachineArn: STATE_MACHINE_ARN,
        });
      }
      if (target.endsWith('.StartExecution')) {
        const name = body.name ?? randomUUID();
        const executionArn = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`;
        if (executions.has(name))
          return reply(400, {
            __type: 'ExecutionAlreadyExists',
            message: `Execution Already Exists: '${executionArn}'`,
          });
        let input: unknown;
        try {
          input = JSON.parse(body.input ?? '{}');
        } catch {
          return reply(400, { __type: 'InvalidExecutionInput', message: 'input is not JSON' });
        }
        const execution = enqueue(name, input);
        // A full queue is Step Functions throttling: the intake answers 5xx and the sender retries.
        if (!execution) return reply(400, { __type: 'ThrottlingException', message: 'medic serve is busy' });
        executions.set(name, execution);
        return reply(200, { executionArn, startDate: Date.now() / 1000 });
      }
      return reply(400, { __type: 'UnknownOperationException', message: target });
    });
  });
  return { server, executions };
}

/** A function URL request (payload format 2.0), as the Lambda service hands it to the handler. */
function functionUrlEvent(req: IncomingMessage, body: Buffer, host: string) {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  }
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    requestContext: {
      accountId: 'anonymous',
      apiId: 'medic-serve',
      domainName: host,
      domainPrefix: 'medic-serve',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.toString('utf8'),
    isBase64Encoded: false,
  };
}

/** Reads at most `limit` bytes: a larger body is cut there (the handler then answers 413). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      if (size > limit) return;
      chunks.push(c);
      size += c.byteLength;
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function serve(options: ServeOptions = {}): Promise<Serving> {
  const base = options.env ?? process.env;
  const say = options.say ?? ((line: string) => console.log(line));
  const host = listenAddress(options.host ?? '127.0.0.1');
  const port = options.port ?? DEFAULT_SERVE_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new ConfigError(`--port must be a port number (0 to 65535), not ${options.port}`);
  const secret = base.MEDIC_WEBHOOK_SECRET ?? '';
  if (secretsIn(secret).length === 0)
    throw new ConfigError(
      'MEDIC_WEBHOOK_SECRET must hold the webhook secret (at least 16 characters; one per line to accept several): senders authenticate with Authorization: Bearer <secret>, X-Medic-Token or X-Medic-Signature',
    );
  for (const name of ['AWS_ENDPOINT_URL', 'JIRA_BASE_URL'] as const) {
    const url = base[name];
    if (url && !isLoopbackUrl(url))
      throw new UnsafeEndpointError(
        `${name}=${url} is not a loopback address: medic serve only talks to this machine`,
      );
  }

  const cleanups: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const moto = base.AWS_ENDPOINT_URL ? null : await startMoto();
    if (moto) cleanups.push(() => moto.stop());
    const awsEndpoint = (base.AWS_ENDPOINT_URL ?? moto?.endpoint ?? '').replace(/\/$/, '');
    const jiraLocal = base.JIRA_BASE_URL
      ? null
      : await startJiraServer({
          email: base.JIRA_EMAIL ?? 'medic@example.com',
          apiToken: base.JIRA_API_TOKEN ?? 'local-token',
          projectKey: base.JIRA_PROJECT_KEY ?? 'OPS',
        });
    if (jiraLocal) cleanups.push(() => jiraLocal.close());
    const jiraUrl = base.JIRA_BASE_URL ?? jiraLocal?.baseUrl ?? '';
    const region = base.AWS_REGION ?? 'us-east-1';
    const clientConfig = {
      endpoint: awsEndpoint,
      region,
      credentials: { accessKeyId: 'medic-local', secretAccessKey: 'medic-local' },
    };
    // The intake reads its secret from SSM as deployed; the incidents table records closes.
    await new SSMClient(clientConfig).send(
      new PutParameterCommand({
        Name: SECRET_PARAMETER,
        Value: secret,
        Type: 'SecureString',
        Overwrite: true,
      }),
    );
    const tables = await ensureTables(new DynamoDBClient(clientConfig));

    // Every run reuses this moto and Jira, as `medic demo` does: tickets number on (OPS-1, OPS-2, …).
    const runEnv: Environment = {
      ...base,
      AWS_ENDPOINT_URL: awsEndpoint,
      JIRA_BASE_URL: jiraUrl,
      AWS_REGION: region,
    };
    let running = 0;
    const waiting: (() => void)[] = [];
    const inFlight = new Set<Promise<unknown>>();
    const enqueue = (name: string, input: unknown): Execution | null => {
      if (running + waiting.length >= SERVE_CONCURRENCY + SERVE_QUEUE) return null;
      const done = (async () => {
        if (running >= SERVE_CONCURRENCY) await new Promise<void>((r) => waiting.push(r));
        running++;
        try {
          return await simulate({ event: input, env: runEnv });
        } catch (error) {
          const e = error as Error;
          return { failure: `${e.name === 'NotForMedicError' ? 'not for medic' : e.name}: ${e.message}` };
        } finally {
          running--;
          waiting.shift()?.();
        }
      })();
      inFlight.add(done);
      void done.finally(() => inFlight.delete(done));
      return { name, input, done };
    };
    const sfn = startStepFunctions(enqueue);
    const sfnPort = await new Promise<number>((resolve, reject) => {
      sfn.server.once('error', reject);
      sfn.server.listen({ host: '127.0.0.1', port: 0 }, () =>
        resolve((sfn.server.address() as AddressInfo).port),
      );
    });
    cleanups.push(() => new Promise((r) => sfn.server.close(r)));

    const intakeEnv: Environment = Object.freeze({
      ...base,
      AWS_ENDPOINT_URL: awsEndpoint,
      AWS_ENDPOINT_URL_SFN: `http://127.0.0.1:${sfnPort}`,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: 'medic-local',
      AWS_SECRET_ACCESS_KEY: 'medic-local',
      AWS_EC2_METADATA_DISABLED: 'true',
      MEDIC_STATE_MACHINE_ARN: STATE_MACHINE_ARN,
      MEDIC_INCIDENTS_TABLE: tables.get('IncidentsTable') ?? '',
      MEDIC_WEBHOOK_SECRET_PARAMETER: SECRET_PARAMETER,
      MEDIC_WEBHOOK_MAX_BYTES: String(MAX_BODY_BYTES),
      // A rotated secret (a new MEDIC_WEBHOOK_SECRET) applies after a restart.
      MEDIC_SECRET_MAX_AGE_SECONDS: '3600',
    });
    scopeAwsClientsToRuns();
    const { handler } = await import('../functions/intake-http.ts');
    const context = {
      functionName: 'medic-local-intakeHttp',
      awsRequestId: 'local',
      getRemainingTimeInMillis: () => 10_000,
    };

    const handle = async (req: IncomingMessage, res: ServerResponse) => {
      const started = Date.now();
      const body = await readBody(req, MAX_BODY_BYTES);
      const event = functionUrlEvent(req, body, `${host}:${port}`);
      let status: number;
      let answer: { statusCode: number; headers?: Record<string, string>; body: string };
      try {
        answer = (await withEnvironment(intakeEnv, () => handler(event, context as never))) as typeof answer;
        status = answer.statusCode;
      } catch (error) {
        // What a function URL does with a failed invocation; a throttled start is worth a retry.
        const e = error as Error;
        status = e.name === 'AwsTransientError' ? 503 : 502;
        answer = { statusCode: status, body: JSON.stringify({ error: e.name, reason: e.message }) };
      }
      res.writeHead(status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body);
      const prefix = `${new Date(started).toISOString()} ${req.method} ${req.url} ${status}`;
      let parsed: {
        started?: { episodeKey: string }[];
        joined?: { episodeKey: string }[];
        error?: string;
        reason?: string;
      } = {};
      try {
        parsed = JSON.parse(answer.body);
      } catch {
        parsed = {};
      }
      if (status !== 202) {
        say(`${prefix} ${parsed.error ?? 'error'}${parsed.reason ? `: ${parsed.reason}` : ''}`);
        return;
      }
      const joined = (parsed.joined ?? []).map((j) => `${j.episodeKey} joined`);
      const runs = (parsed.started ?? []).map((s) => ({
        key: s.episodeKey,
        run: sfn.executions.get(s.episodeKey),
      }));
      const results = await Promise.all(
        runs.map((r) => r.run?.done ?? Promise.resolve({ failure: 'the execution was not queued' })),
      );
      const parts = runs.map((r, i) => {
        const result = results[i];
        if (!result || 'failure' in result)
          return `episode ${r.key} outcome none (${result?.failure}) ticket none`;
        return `episode ${r.key} outcome ${result.outcome} ticket ${result.ticket?.key ?? 'none'}`;
      });
      say(`${prefix} ${[...parts, ...joined].join('; ') || 'nothing started'}`);
    };

    const server = createServer((req, res) => {
      handle(req, res).catch((error: Error) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'InternalError' }));
        }
        say(`${new Date().toISOString()} ${req.method} ${req.url} 500 ${error.name}: ${error.message}`);
      });
    });
    server.requestTimeout = 30_000;
    const bound = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => resolve((server.address() as AddressInfo).port));
    });
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
    say(
      `medic serve: listening on ${url} (AWS ${awsEndpoint}, Jira ${jiraUrl}); POST alerts with Authorization: Bearer $MEDIC_WEBHOOK_SECRET`,
    );
    return {
      url,
      port: bound,
      async close() {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        const left = [...inFlight];
        if (left.length > 0) {
          say(
            `medic serve: waiting for ${left.length} run(s) to finish (at most ${SERVE_DRAIN_MS / 1000} s)`,
          );
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            Promise.allSettled(left),
            new Promise((r) => {
              timer = setTimeout(r, SERVE_DRAIN_MS);
            }),
          ]);
          clearTimeout(timer);
        }
        server.closeAllConnections();
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
