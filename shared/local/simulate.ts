/**
 * `medic simulate`: the real state machine with the real handlers against moto and a local Jira.
 * Refuses any non-loopback endpoint (it must never act on a real account), validates the input
 * before anything starts, and reports one result document.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { caseStore } from '../adapters/incident-store.ts';
import { autonomyConfig } from '../config.ts';
import { rehydrate } from '../domain/case-size.ts';
import { renderHtmlReport } from '../domain/html-report.ts';
import type { IncidentState, TimelineEntry } from '../domain/model.ts';
import { isLoopbackUrl } from '../domain/net.ts';
import { normalise } from '../domain/normalise.ts';
import { episodeOutcome, ticketDocument, who } from '../domain/report.ts';
import { ConfigError, InvalidTriggerError, LocalSubstrateError, UnsafeEndpointError } from '../errors.ts';
import { asFunction } from './aws-recorder.ts';
import { type EventLog, startCallbackServer } from './engine.ts';
import { startJiraServer } from './jira-server.ts';
import { type LocalMoto, startMoto } from './moto.ts';
import { startLocalCanary } from './probe-servers.ts';
import { type ApprovalChoice, SCENARIOS, type ScenarioWorld, setupScenario } from './scenarios.ts';
import { ensureTables } from './tables.ts';

export const LOCAL_TOPIC = 'medic-local-stakeholders';
export const LOCAL_INBOX = 'medic-local-inbox';

export interface SimulateOptions {
  scenario?: string;
  eventFile?: string;
  /** Issue #5: how many instances a storm scenario alarms. */
  instances?: number;
  /** Progress lines (human form); omitted for --json. */
  progress?: (line: string) => void;
  /** Where the HTML incident report goes (default reports/<incident>.html under the cwd). */
  reportPath?: string;
  /** Tests: awaited before each Task runs (e.g. to pause medic between two rungs, deterministically). */
  beforeTask?: (stateName: string, input: unknown) => Promise<void>;
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
  /** The largest input or output of any state in the run, in UTF-8 bytes (Step Functions allows 256 KiB). */
  maxStateBytes: number;
  endpoints: { aws: string; jira: string };
  /** Issue #5: a storm scenario's figures (one execution per alarm event). */
  storm?: StormReport;
  /** The HTML incident report written for this run (null when the run produced no incident). */
  report: string | null;
  /** The EMF documents Record emitted (once per run). */
  metrics: Record<string, unknown>[];
}

export interface StormReport {
  instances: number;
  executions: number;
  /** From the first execution's start until every execution had passed Admit (dedupe, lock, guard). */
  intakeMs: number;
  totalMs: number;
  dispositions: Record<string, number>;
  mutatingCalls: number;
  failed: number;
}

/** Writes the self-contained HTML report of a finished run; returns its path. */
export function writeReport(state: IncidentState, path: string): string {
  const outcome = episodeOutcome(state);
  const html = renderHtmlReport({
    title: `medic incident ${state.incidentId}`,
    subtitle: `${who(state)} — ${state.trigger.alarmName ?? `manual: ${state.trigger.reason}`}`,
    outcome: state.outcome ?? outcome,
    ticket: state.ticket ? { key: state.ticket.key, url: state.ticket.url } : null,
    timeline: state.timeline,
    document: ticketDocument(state, state.timeline, outcome),
  });
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, html);
  return path;
}

/** The run's output with its compact cases replaced by the whole ones FileCase stored (for the report). */
async function withWholeCases(
  state: IncidentState | undefined,
  dynamodb: DynamoDBClient,
): Promise<IncidentState | undefined> {
  const table = process.env.MEDIC_INCIDENTS_TABLE;
  if (!state || !table || !(state.cases ?? []).some((c) => c.storedAs)) return state;
  const stored = await caseStore(dynamodb, table)
    .casesFor(state.incidentId)
    .catch(() => []);
  return { ...state, cases: rehydrate(state.cases ?? [], stored) };
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

/**
 * The vantage proof's control target for local runs: a loopback server of this process, unless
 * MEDIC_PROBE_CANARY names one already (a test pointing it at a closed port proves a blind vantage).
 */
export async function ensureLocalCanary(): Promise<void> {
  process.env.MEDIC_PROBE_CANARY ??= await startLocalCanary();
}

/** Sets the process env medic's handlers read; simulate owns the process, so this is its config. */
export function configureEnvironment(
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
  // The kill switch of stage dev, as `medic pause` (stage dev) writes it against the same endpoint.
  // Locally every Wait lasts milliseconds, so the switch's cache (5 s deployed, shorter than the
  // Wait between two rungs) shrinks with them: a pause must still reach the very next rung.
  env.MEDIC_PAUSE_PARAMETER = env.MEDIC_PAUSE_PARAMETER ?? '/medic/dev/pause';
  env.MEDIC_PAUSE_CACHE_SECONDS = env.MEDIC_PAUSE_CACHE_SECONDS ?? '0';
}

/**
 * The person who receives the approval request (issue #4): "clicks" the approve or reject link
 * from the request by handing the real approval function the POST its confirmation page sends;
 * `ignore` never answers, so the state's own timeout decides.
 */
export function localApprover(choice: ApprovalChoice, say: (line: string) => void) {
  return async ({ result }: { result: unknown }) => {
    const links = result as { approveUrl?: string; rejectUrl?: string };
    if (choice === 'ignore') {
      say('  … approval requested; nobody answers (the approval timeout will decide)');
      return;
    }
    const link = new URL((choice === 'approve' ? links.approveUrl : links.rejectUrl) ?? '');
    const { handler } = await import('../../functions/approval.ts');
    // The click is an invocation of the deployed approval function (its AWS calls are its own).
    const response = (await asFunction('approval', () =>
      handler(
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
      ),
    )) as { statusCode: number; body: string };
    say(`  … approval link "${choice}" answered ${response.statusCode}`);
    if (response.statusCode !== 200)
      throw new LocalSubstrateError(`the approval function refused the ${choice} link: ${response.body}`);
  };
}

export async function ensureTopic(sns: SNSClient, sqs: SQSClient): Promise<string> {
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
  // MEDIC_MODE and MEDIC_AUTONOMY mean here what they mean deployed; a bad value starts nothing.
  autonomyConfig();
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
    await ensureLocalCanary();
    const callbacks = await startCallbackServer();
    cleanups.push(() => callbacks.close());
    process.env.AWS_ENDPOINT_URL_SFN = callbacks.endpoint;
    process.env.MEDIC_APPROVAL_URL = `${callbacks.endpoint}/approval`;
    // EMF goes to a file, not stdout: `--json` prints exactly one JSON document.
    const metricsDir = mkdtempSync(join(tmpdir(), 'medic-metrics-'));
    cleanups.push(async () => rmSync(metricsDir, { recursive: true, force: true }));
    const metricsFile = join(metricsDir, 'emf.jsonl');
    process.env.MEDIC_METRICS_FILE = metricsFile;

    const clientConfig = { endpoint: moto.endpoint, region: process.env.AWS_REGION };
    const ec2 = new EC2Client(clientConfig);
    const topicArn = await ensureTopic(new SNSClient(clientConfig), new SQSClient(clientConfig));
    process.env.MEDIC_STAKEHOLDER_TOPIC_ARN = topicArn;
    // issue #5: the safety store, with the key schema serverless.yml declares
    const tables = await ensureTables(new DynamoDBClient(clientConfig));
    process.env.MEDIC_SAFETY_TABLE = tables.get('SafetyTable') ?? '';
    // The finished cases go there whole (FileCase); the state carries their compact forms.
    process.env.MEDIC_INCIDENTS_TABLE = tables.get('IncidentsTable') ?? '';

    let world: ScenarioWorld | null = null;
    if (options.scenario) {
      say(`seeding scenario "${options.scenario}": ${SCENARIOS[options.scenario]?.description}`);
      world = await setupScenario(
        options.scenario,
        {
          ec2,
          moto,
          now: new Date(),
          clientConfig: { endpoint: moto.endpoint, region: process.env.AWS_REGION },
        },
        options.instances ? { instances: options.instances } : {},
      );
      cleanups.push(() => (world ? world.teardown() : Promise.resolve()));
    }
    if (world?.events) return await runStorm(world.events, moto, jira.baseUrl, say);
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
      ...(options.beforeTask ? { beforeTask: options.beforeTask } : {}),
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

    const finalState = await withWholeCases(
      (run.status === 'SUCCEEDED' ? run.output : run.lastOutputs.get('CloseAfterFailure')) as
        | IncidentState
        | undefined,
      new DynamoDBClient(clientConfig),
    );
    const cases = finalState?.cases ?? [];
    let metrics: Record<string, unknown>[] = [];
    try {
      metrics = readFileSync(metricsFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    } catch {
      metrics = [];
    }
    const report = finalState
      ? writeReport(
          finalState,
          resolve(options.reportPath ?? join('reports', `${finalState.incidentId}.html`)),
        )
      : null;
    if (report) say(`incident report: ${report}`);
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
      maxStateBytes: run.maxStateBytes,
      endpoints: { aws: moto.endpoint, jira: jira.baseUrl },
      report,
      metrics,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

// ---- issue #5: alarm storm — every event its own execution, all at once ----
const MUTATING_ACTIONS =
  /^(RebootInstances|StopInstances|StartInstances|TerminateInstances|RegisterTargets|DeregisterTargets|ChangeResourceRecordSets|AssociateAddress|SetInstanceHealth|SendCommand)$/;

async function runStorm(
  events: unknown[],
  moto: Pick<LocalMoto, 'calls' | 'endpoint'>,
  jiraBaseUrl: string,
  say: (line: string) => void,
): Promise<SimulationResult> {
  const { loadLocalMachine } = await import('./engine.ts');
  const machine = await loadLocalMachine();
  const concurrency = Number(process.env.MEDIC_SIM_CONCURRENCY ?? 50);
  const waitMs = Number(process.env.MEDIC_SIM_WAIT_MS ?? 300);
  say(`storm: ${events.length} alarm events, ${concurrency} executions at a time`);
  const started = performance.now();
  let admitted = 0;
  let lastAdmit = started;
  const outputs: (IncidentState | undefined)[] = [];
  let failed = 0;
  let next = 0;
  let transitions = 0;
  let maxStateBytes = 0;
  const worker = async () => {
    while (next < events.length) {
      const event = events[next++];
      const name = normalise(event).episodeKey;
      const run = await machine.run(event, {
        executionName: name,
        waitMs,
        retryMs: Number(process.env.MEDIC_SIM_RETRY_MS ?? 100),
        onEvent: (e) => {
          if (e.type === 'StateExited' && e.state?.name === 'Admit') {
            admitted++;
            lastAdmit = performance.now();
          }
        },
      });
      transitions += run.transitions;
      maxStateBytes = Math.max(maxStateBytes, run.maxStateBytes);
      if (run.status !== 'SUCCEEDED') failed++;
      outputs.push(
        (run.status === 'SUCCEEDED' ? run.output : run.lastOutputs.get('CloseAfterFailure')) as IncidentState,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, events.length) }, worker));
  const totalMs = performance.now() - started;
  // Deployed, the outbox drainer runs every 2 minutes and files the storm's summary ticket.
  const { handler: drain } = await import('../../functions/drain-outbox.ts');
  const drained = (await asFunction('drainOutbox', () =>
    drain({}, {
      functionName: 'medic-local-drainOutbox',
      awsRequestId: 'local',
      getRemainingTimeInMillis: () => 120_000,
    } as never),
  )) as { filed?: { key: string }[] };
  say(
    `storm: the scheduled outbox drain filed ${drained.filed?.map((f) => f.key).join(', ') || 'no ticket'}`,
  );
  const dispositions: Record<string, number> = {};
  for (const o of outputs) {
    const d = o?.admission?.disposition ?? 'failed';
    dispositions[d] = (dispositions[d] ?? 0) + 1;
  }
  const mutatingCalls = (await moto.calls()).filter(
    (c) => MUTATING_ACTIONS.test(c.action) && c.params.DryRun !== 'true',
  ).length;
  const storm: StormReport = {
    instances: events.length,
    executions: outputs.length,
    intakeMs: Math.round(lastAdmit - started),
    totalMs: Math.round(totalMs),
    dispositions,
    mutatingCalls,
    failed,
  };
  say(
    `storm: ${admitted} executions admitted/held in ${storm.intakeMs} ms; dispositions ${JSON.stringify(dispositions)}; ${mutatingCalls} mutating calls`,
  );
  const cases = outputs.flatMap((o) => o?.cases ?? []);
  const held = dispositions.storm ?? 0;
  return {
    incidentId: null,
    targets: outputs.flatMap((o) => (o?.targets ?? []).map((t) => t.instanceId)),
    classification: null,
    actions: cases.flatMap((c) =>
      c.actions.map((a) => ({
        kind: a.kind,
        instanceId: a.instanceId,
        outcome: a.outcome,
        at: a.at,
        detail: a.detail,
      })),
    ),
    outcome: held > 0 ? 'held' : 'failed',
    report: null,
    metrics: [],
    ticket: null,
    timeline: outputs
      .flatMap((o) => o?.timeline ?? [])
      .filter((e) => e.step === 'Admit' && e.kind === 'escalation')
      .slice(0, 20)
      .map(({ at, step, kind, summary }) => ({ at, step, kind, summary })),
    status: failed === 0 ? 'SUCCEEDED' : 'FAILED',
    error: null,
    transitions,
    maxStateBytes,
    endpoints: { aws: moto.endpoint, jira: jiraBaseUrl },
    storm,
  };
}
