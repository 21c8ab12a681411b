/**
 * `medic simulate`: the real state machine with the real handlers against moto and a local Jira.
 * Refuses any non-loopback endpoint (it must never act on a real account), validates the input
 * before anything starts, and reports one result document.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { IncidentState, TimelineEntry } from '../domain/model.ts';
import { isLoopbackUrl } from '../domain/net.ts';
import { normalise } from '../domain/normalise.ts';
import { ConfigError, InvalidTriggerError, LocalSubstrateError, UnsafeEndpointError } from '../errors.ts';
import { type EventLog, startCallbackServer } from './engine.ts';
import { startJiraServer } from './jira-server.ts';
import { type LocalMoto, startMoto } from './moto.ts';
import { type ApprovalChoice, SCENARIOS, type ScenarioWorld, setupScenario } from './scenarios.ts';

export const LOCAL_TOPIC = 'medic-local-stakeholders';
export const LOCAL_INBOX = 'medic-local-inbox';

export interface SimulateOptions {
  scenario?: string;
  eventFile?: string;
  /** Progress lines (human form); omitted for --json. */
  progress?: (line: string) => void;
}

export interface SimulationResult {
  incidentId: string | null;
  targets: string[];
  classification: string | null;
  actions: { kind: string; instanceId: string; outcome: string; at: string; detail: string }[];
  outcome: string;
  ticket: { key: string; url: string | null } | null;
  timeline: Pick<TimelineEntry, 'at' | 'step' | 'kind' | 'summary' | 'instanceId'>[];
  status: 'SUCCEEDED' | 'FAILED';
  error: { Error: string; Cause: string } | null;
  transitions: number;
  endpoints: { aws: string; jira: string };
}

function readEventFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidTriggerError(
      `cannot read event file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidTriggerError(`event file ${path} is not JSON: ${(error as Error).message}`);
  }
}

function requireLoopback(name: string, url: string): void {
  if (!isLoopbackUrl(url)) {
    throw new UnsafeEndpointError(
      `${name}=${url} is not a loopback address: medic simulate only talks to this machine (127.0.0.1, localhost, ::1)`,
    );
  }
}

/** Sets the process env medic's handlers read; simulate owns the process, so this is its config. */
function configureEnvironment(
  awsEndpoint: string,
  jira: { baseUrl: string; email: string; token: string; project: string },
) {
  const env = process.env;
  env.AWS_ENDPOINT_URL = awsEndpoint;
  env.AWS_REGION = env.AWS_REGION ?? 'us-east-1';
  env.AWS_ACCESS_KEY_ID = 'medic-local';
  env.AWS_SECRET_ACCESS_KEY = 'medic-local';
  env.AWS_SESSION_TOKEN = '';
  env.AWS_PROFILE = '';
  env.AWS_EC2_METADATA_DISABLED = 'true';
  env.JIRA_BASE_URL = jira.baseUrl;
  env.JIRA_EMAIL = jira.email;
  env.JIRA_API_TOKEN = jira.token;
  env.JIRA_PROJECT_KEY = jira.project;
  env.MEDIC_PROBES_LOOPBACK_ONLY = 'true';
  env.MEDIC_PROBE_TIMEOUT_MS = env.MEDIC_PROBE_TIMEOUT_MS ?? '500';
  env.POWERTOOLS_LOG_LEVEL = env.MEDIC_LOG_LEVEL ?? 'SILENT';
  // Issue #4: approve mode locally — links signed with a per-run secret; a short approval timeout.
  env.MEDIC_APPROVAL_SECRET = randomBytes(24).toString('base64url');
  env.MEDIC_APPROVAL_TIMEOUT_SECONDS = env.MEDIC_APPROVAL_TIMEOUT_SECONDS ?? '2';
}

/**
 * The person who receives the approval request (issue #4): "clicks" the approve or reject link
 * from the request by handing the real approval function the POST its confirmation page sends;
 * `ignore` never answers, so the state's own timeout decides.
 */
function localApprover(choice: ApprovalChoice, say: (line: string) => void) {
  return async ({ result }: { result: unknown }) => {
    const links = result as { approveUrl?: string; rejectUrl?: string };
    if (choice === 'ignore') {
      say('  … approval requested; nobody answers (the approval timeout will decide)');
      return;
    }
    const link = new URL((choice === 'approve' ? links.approveUrl : links.rejectUrl) ?? '');
    const { handler } = await import('../../functions/approval.ts');
    const response = (await handler(
      {
        rawPath: link.pathname,
        rawQueryString: '',
        isBase64Encoded: false,
        body: link.searchParams.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        requestContext: { http: { method: 'POST', path: link.pathname, sourceIp: '127.0.0.1' } },
      },
      {
        functionName: 'medic-local-approval',
        awsRequestId: 'local',
        getRemainingTimeInMillis: () => 30_000,
      } as never,
    )) as { statusCode: number; body: string };
    say(`  … approval link "${choice}" answered ${response.statusCode}`);
    if (response.statusCode !== 200)
      throw new LocalSubstrateError(`the approval function refused the ${choice} link: ${response.body}`);
  };
}

async function ensureTopic(sns: SNSClient, sqs: SQSClient): Promise<string> {
  const topic = await sns.send(new CreateTopicCommand({ Name: LOCAL_TOPIC }));
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: LOCAL_INBOX }));
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const queueArn = attrs.Attributes?.QueueArn;
  if (!topic.TopicArn || !queueArn)
    throw new LocalSubstrateError('moto did not create the local topic and inbox');
  await sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: 'sqs', Endpoint: queueArn }));
  return topic.TopicArn;
}

function describeEvent(event: EventLog): string | null {
  if (event.type !== 'StateEntered' || !event.state) return null;
  const input = event.state.input as { target?: { instanceId?: string } } | null;
  const who = input?.target?.instanceId ? ` [${input.target.instanceId}]` : '';
  return `  → ${event.state.name}${who}`;
}

export async function simulate(options: SimulateOptions): Promise<SimulationResult> {
  if (!options.scenario === !options.eventFile) {
    throw new InvalidTriggerError('give exactly one of --scenario NAME or --event FILE');
  }
  if (options.scenario && !SCENARIOS[options.scenario]) {
    throw new InvalidTriggerError(
      `unknown scenario "${options.scenario}"; known: ${Object.keys(SCENARIOS).join(', ')}`,
    );
  }
  const simApproval = process.env.MEDIC_SIM_APPROVAL || 'approve';
  if (!['approve', 'reject', 'ignore'].includes(simApproval)) {
    throw new ConfigError(`MEDIC_SIM_APPROVAL must be approve, reject or ignore (got "${simApproval}")`);
  }
  const fileEvent = options.eventFile ? readEventFile(options.eventFile) : undefined;
  // Shape errors need no endpoint: report them before starting anything.
  if (fileEvent !== undefined) normalise(fileEvent);
  if (process.env.AWS_ENDPOINT_URL) requireLoopback('AWS_ENDPOINT_URL', process.env.AWS_ENDPOINT_URL);
  if (process.env.JIRA_BASE_URL) requireLoopback('JIRA_BASE_URL', process.env.JIRA_BASE_URL);

  const say = options.progress ?? (() => undefined);
  const cleanups: (() => Promise<void>)[] = [];
  try {
    let moto: Pick<LocalMoto, 'calls' | 'endpoint'>;
    if (process.env.AWS_ENDPOINT_URL) {
      const endpoint = process.env.AWS_ENDPOINT_URL.replace(/\/$/, '');
      moto = {
        endpoint,
        async calls() {
          const response = await fetch(`${endpoint}/_medic/calls`, { signal: AbortSignal.timeout(5_000) });
          return response.ok ? ((await response.json()) as { calls: never[] }).calls : [];
        },
      };
    } else {
      say('starting moto (local AWS) …');
      const started = await startMoto();
      cleanups.push(() => started.stop());
      moto = started;
    }
    let jira = {
      baseUrl: process.env.JIRA_BASE_URL ?? '',
      email: process.env.JIRA_EMAIL ?? 'medic@example.com',
      token: process.env.JIRA_API_TOKEN ?? 'local-token',
      project: process.env.JIRA_PROJECT_KEY ?? 'OPS',
    };
    if (!jira.baseUrl) {
      const local = await startJiraServer({
        email: jira.email,
        apiToken: jira.token,
        projectKey: jira.project,
      });
      cleanups.push(() => local.close());
      jira = { ...jira, baseUrl: local.baseUrl };
    }
    configureEnvironment(moto.endpoint, jira);
    const callbacks = await startCallbackServer();
    cleanups.push(() => callbacks.close());
    process.env.AWS_ENDPOINT_URL_SFN = callbacks.endpoint;
    process.env.MEDIC_APPROVAL_URL = `${callbacks.endpoint}/approval`;

    const clientConfig = { endpoint: moto.endpoint, region: process.env.AWS_REGION };
    const ec2 = new EC2Client(clientConfig);
    const topicArn = await ensureTopic(new SNSClient(clientConfig), new SQSClient(clientConfig));
    process.env.MEDIC_STAKEHOLDER_TOPIC_ARN = topicArn;

    let world: ScenarioWorld | null = null;
    if (options.scenario) {
      say(`seeding scenario "${options.scenario}": ${SCENARIOS[options.scenario]?.description}`);
      world = await setupScenario(options.scenario, {
        ec2,
        moto,
        now: new Date(),
        clientConfig: { endpoint: moto.endpoint, region: process.env.AWS_REGION },
      });
      cleanups.push(() => (world ? world.teardown() : Promise.resolve()));
    }
    const event = world ? world.event : fileEvent;

    // Pre-flight with the real intake (read-only): bad input fails here, before anything starts.
    const { handler: intakeHandler } = await import('../../functions/intake.ts');
    const preflight = (await intakeHandler({ event, execution: {} }, {} as never)) as IncidentState;
    say(`incident ${preflight.incidentId} for ${preflight.targets.map((t) => t.instanceId).join(', ')}`);

    const { loadLocalMachine } = await import('./engine.ts');
    const machine = await loadLocalMachine();
    const waitMs = Number(process.env.MEDIC_SIM_WAIT_MS ?? 300);
    const run = await machine.run(event, {
      executionName: preflight.incidentId,
      waitMs,
      retryMs: Number(process.env.MEDIC_SIM_RETRY_MS ?? 100),
      callbacks,
      approver: localApprover(
        (options.scenario ? SCENARIOS[options.scenario]?.approval : undefined) ??
          (simApproval as ApprovalChoice),
        say,
      ),
      onEvent: (e) => {
        const line = describeEvent(e);
        if (line) say(line);
      },
    });

    const finalState = (run.status === 'SUCCEEDED' ? run.output : run.lastOutputs.get('RecordFailure')) as
      | IncidentState
      | undefined;
    const cases = finalState?.cases ?? [];
    return {
      incidentId: finalState?.incidentId ?? preflight.incidentId,
      targets: (finalState?.targets ?? preflight.targets).map((t) => t.instanceId),
      classification: cases[0]?.assessment?.classification ?? null,
      actions: cases.flatMap((c) =>
        c.actions.map((a) => ({
          kind: a.kind,
          instanceId: a.instanceId,
          outcome: a.outcome,
          at: a.at,
          detail: a.detail,
        })),
      ),
      outcome: finalState?.outcome ?? 'failed',
      ticket: finalState?.ticket ? { key: finalState.ticket.key, url: finalState.ticket.url } : null,
      timeline: (finalState?.timeline ?? []).map(({ at, step, kind, summary, instanceId }) => ({
        at,
        step,
        kind,
        summary,
        ...(instanceId ? { instanceId } : {}),
      })),
      status: run.status,
      error: run.error ? { Error: run.error.Error, Cause: String(run.error.Cause) } : null,
      transitions: run.transitions,
      endpoints: { aws: moto.endpoint, jira: jira.baseUrl },
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}
