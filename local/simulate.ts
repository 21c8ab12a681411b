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
import { caseStore } from '../shared/adapters/incident-store.ts';
import { autonomyConfig, type Environment, withEnvironment } from '../shared/config.ts';
import { rehydrate } from '../shared/domain/case-size.ts';
import { renderHtmlReport } from '../shared/domain/html-report.ts';
import type { IncidentState, InstanceCase, TimelineEntry } from '../shared/domain/model.ts';
import { isLoopbackUrl } from '../shared/domain/net.ts';
import { normalise } from '../shared/domain/normalise.ts';
import { episodeOutcome, ticketDocument, whereText, who } from '../shared/domain/report.ts';
import {
  ConfigError,
  InvalidTriggerError,
  LocalSubstrateError,
  NotForMedicError,
  UnsafeEndpointError,
} from '../shared/errors.ts';
import { isNotForMedic, type NotForMedic } from '../shared/usecases/intake.ts';
import { asFunction } from './aws-recorder.ts';
import { scopeAwsClientsToRuns } from './aws-scope.ts';
import { confluenceForRun } from './confluence-local.ts';
import { type EventLog, startCallbackServer } from './engine.ts';
import { definitionPlaces, firstActionFigures, type HopEvent, isMitigating } from './hops.ts';
import { startJiraServer } from './jira-server.ts';
import { type LocalMoto, startMoto } from './moto.ts';
import { startLocalCanary } from './probe-servers.ts';
import {
  type ApprovalChoice,
  SCENARIOS,
  type ScenarioWorld,
  scenarioServices,
  setupScenario,
} from './scenarios.ts';
import { type LocalStatusPage, startStatusPageServer } from './statuspage-server.ts';
import { ensureTables } from './tables.ts';

export const LOCAL_TOPIC = 'medic-local-stakeholders';
export const LOCAL_INBOX = 'medic-local-inbox';
/** moto's default account: the central deployment's, locally. */
export const LOCAL_CENTRAL_ACCOUNT = '123456789012';
export const LOCAL_EXTERNAL_ID = 'medic-local-external-id';

export interface SimulateOptions {
  scenario?: string;
  eventFile?: string;
  /** The event itself (what `medic serve`'s local Step Functions was asked to start). */
  event?: unknown;
  /** How many instances a storm scenario alarms. */
  instances?: number;
  /** Progress lines (human form); omitted for --json. */
  progress?: (line: string) => void;
  /** Where the HTML incident report goes (default reports/<incident>.html under the cwd). */
  reportPath?: string;
  /** Tests: awaited before each Task runs (e.g. to pause medic between two rungs, deterministically). */
  beforeTask?: (stateName: string, input: unknown) => Promise<void>;
  /**
   * The settings the run starts from (default: this process's environment). The run adds its own
   * endpoints, topic, tables and files and hands the result to every handler it invokes; neither
   * is ever written back, so runs in one process do not see each other's settings.
   */
  env?: Environment;
}

export interface SimulationResult {
  incidentId: string | null;
  /** The account and region the alarm came from, where medic looked and acted (the central ones by default). */
  account: string;
  region: string;
  targets: string[];
  classification: string | null;
  actions: { kind: string; instanceId: string; outcome: string; at: string; detail: string }[];
  outcome: string;
  ticket: { key: string; url: string | null } | null;
  timeline: Pick<TimelineEntry, 'at' | 'step' | 'kind' | 'summary' | 'instanceId'>[];
  status: 'SUCCEEDED' | 'FAILED';
  error: { Error: string; Cause: string } | null;
  transitions: number;
  /**
   * The way to the first mitigating call, from the engine's event log: transitions (states entered
   * and retries, up to and including the acting Task) and sequential Lambda invocations (each a
   * cold start deployed; a Parallel's branches count once). Null when nothing was done.
   */
  transitionsToFirstAction: number | null;
  lambdaHopsToFirstAction: number | null;
  /** The largest input or output of any state in the run, in UTF-8 bytes (Step Functions allows 256 KiB). */
  maxStateBytes: number;
  endpoints: { aws: string; jira: string };
  /** A storm scenario's figures (one execution per alarm event). */
  storm?: StormReport;
  /** The organization scenario: each incident where it acted, and the storm over accounts. */
  org?: OrgReport;
  /** The HTML incident report written for this run (null when the run produced no incident). */
  report: string | null;
  /** The EMF documents Record emitted (once per run). */
  metrics: Record<string, unknown>[];
  /** Present when the run published on the status page (or queued for it): the incident and its status. */
  statusPage?: { incidentId: string | null; status: string };
  /** The post-incident review page, when the run wrote to a Confluence (null: it waits in the outbox). */
  review?: { id: string; url: string } | null;
}

/** The components the local Statuspage knows; scenario hosts name them in medic:statuspage-component. */
export const LOCAL_STATUSPAGE_COMPONENTS: Readonly<Record<string, string>> = {
  simwebsite01: 'Website',
  simdatabase1: 'Database',
};

/** The page's story for the progress lines: each component change and each incident update. */
export function statusPageStory(page: LocalStatusPage, since: number): string[] {
  const names = LOCAL_STATUSPAGE_COMPONENTS;
  const lines = page
    .componentHistory()
    .filter((h) => Date.parse(h.at) >= since)
    .map((h) => `  status page: ${names[h.componentId] ?? h.componentId} → ${h.status}`);
  for (const incident of page.incidents().filter((i) => Date.parse(i.updated_at) >= since)) {
    const updates = [...incident.incident_updates].reverse().map((u) => u.status);
    lines.push(`  status page: incident "${incident.name}" ${updates.join(' → ')}`);
  }
  return lines;
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

/** One incident of the organization scenario: where its alarm came from and what medic did there. */
export interface OrgIncident {
  account: string;
  region: string;
  instanceId: string;
  incidentId: string | null;
  status: 'SUCCEEDED' | 'FAILED';
  outcome: string;
  actions: SimulationResult['actions'];
  /** The accounts each mutating EC2 call of this run was answered in (moto's call log). */
  actedIn: { action: string; account: string; region: string | null }[];
}

export interface OrgReport {
  incidents: OrgIncident[];
  storm: StormReport & {
    /** Account → instances alarmed in the storm. */
    alarmed: Record<string, string[]>;
    /** Subjects of the storm pages published (SNS Publish calls of event storm). */
    pages: string[];
    /** The storm summary tickets in Jira: key, summary, labels. */
    tickets: { key: string; summary: string; labels: string[] }[];
  };
}

/** Writes the self-contained HTML report of a finished run; returns its path. */
export function writeReport(state: IncidentState, path: string): string {
  const outcome = episodeOutcome(state);
  const html = renderHtmlReport({
    title: `medic incident ${state.incidentId}`,
    subtitle: `${who(state)}${whereText(state.trigger)} — ${state.trigger.alarmName ?? `manual: ${state.trigger.reason}`}`,
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
  table: string | undefined,
): Promise<IncidentState | undefined> {
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
export async function localCanary(base: Environment): Promise<string> {
  return base.MEDIC_PROBE_CANARY ?? (await startLocalCanary());
}

/** For harnesses that own their process and call handlers directly (no `withEnvironment`). */
export async function ensureLocalCanary(): Promise<void> {
  process.env.MEDIC_PROBE_CANARY = await localCanary(process.env);
}

/**
 * The settings a local run adds to `base` so medic's handlers talk to moto and the local Jira:
 * loopback endpoints, local keys, loopback-only probes, a per-run approval secret.
 */
export function localEnvironment(
  base: Environment,
  awsEndpoint: string,
  jira: { baseUrl: string; email: string; token: string; project: string },
): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: awsEndpoint,
    AWS_REGION: base.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: 'medic-local',
    AWS_SECRET_ACCESS_KEY: 'medic-local',
    AWS_SESSION_TOKEN: '',
    AWS_PROFILE: '',
    AWS_EC2_METADATA_DISABLED: 'true',
    JIRA_BASE_URL: jira.baseUrl,
    JIRA_EMAIL: jira.email,
    JIRA_API_TOKEN: jira.token,
    JIRA_PROJECT_KEY: jira.project,
    MEDIC_PROBES_LOOPBACK_ONLY: 'true',
    MEDIC_PROBE_TIMEOUT_MS: base.MEDIC_PROBE_TIMEOUT_MS ?? '500',
    POWERTOOLS_LOG_LEVEL: base.MEDIC_LOG_LEVEL ?? 'SILENT',
    // Approve mode locally — links signed with a per-run secret; a short approval timeout.
    MEDIC_APPROVAL_SECRET: randomBytes(24).toString('base64url'),
    MEDIC_APPROVAL_TIMEOUT_SECONDS: base.MEDIC_APPROVAL_TIMEOUT_SECONDS ?? '2',
    // The kill switch of stage dev, as `medic pause` (stage dev) writes it against the same endpoint.
    // Locally every Wait lasts milliseconds, so the switch's cache (5 s deployed, shorter than the
    // Wait between two rungs) shrinks with them: a pause must still reach the very next rung.
    MEDIC_PAUSE_PARAMETER: base.MEDIC_PAUSE_PARAMETER ?? '/medic/dev/pause',
    MEDIC_PAUSE_CACHE_SECONDS: base.MEDIC_PAUSE_CACHE_SECONDS ?? '0',
    // moto's default account is the central one; an event from any other account is acted on
    // through that account's member role, assumed on the same endpoint (moto binds the keys to it).
    MEDIC_CENTRAL_ACCOUNT: base.MEDIC_CENTRAL_ACCOUNT ?? LOCAL_CENTRAL_ACCOUNT,
    MEDIC_MEMBER_EXTERNAL_ID: base.MEDIC_MEMBER_EXTERNAL_ID ?? LOCAL_EXTERNAL_ID,
  };
}

/**
 * For harnesses that own their process and call handlers directly: the same settings, written into
 * `process.env` (the in-process simulator never does this; it scopes them to the run).
 */
export function configureEnvironment(
  awsEndpoint: string,
  jira: { baseUrl: string; email: string; token: string; project: string },
) {
  Object.assign(process.env, localEnvironment(process.env, awsEndpoint, jira));
}

/**
 * The person who receives the approval request: "clicks" the approve or reject link
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
    const { handler } = await import('../functions/approval.ts');
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
  const base = options.env ?? process.env;
  if (!options.scenario === !(options.eventFile || options.event !== undefined)) {
    throw new InvalidTriggerError('give exactly one of --scenario NAME or --event FILE');
  }
  if (options.scenario && !SCENARIOS[options.scenario]) {
    throw new InvalidTriggerError(
      `unknown scenario "${options.scenario}"; known: ${Object.keys(SCENARIOS).join(', ')}`,
    );
  }
  const simApproval = base.MEDIC_SIM_APPROVAL || 'approve';
  if (!['approve', 'reject', 'ignore'].includes(simApproval)) {
    throw new ConfigError(`MEDIC_SIM_APPROVAL must be approve, reject or ignore (got "${simApproval}")`);
  }
  // MEDIC_MODE and MEDIC_AUTONOMY mean here what they mean deployed; a bad value starts nothing.
  withEnvironment(base, () => autonomyConfig());
  const fileEvent = options.eventFile ? readEventFile(options.eventFile) : options.event;
  // Shape errors need no endpoint: report them before starting anything.
  if (fileEvent !== undefined) {
    try {
      normalise(fileEvent);
    } catch (error) {
      // An OK transition is well-formed: Admit notes it on the open incident, if any, or does nothing.
      if ((error as Error).name !== 'NotAnAlarmTransitionError') throw error;
    }
  }
  if (base.AWS_ENDPOINT_URL) requireLoopback('AWS_ENDPOINT_URL', base.AWS_ENDPOINT_URL);
  if (base.JIRA_BASE_URL) requireLoopback('JIRA_BASE_URL', base.JIRA_BASE_URL);
  if (base.MEDIC_STATUSPAGE_URL) requireLoopback('MEDIC_STATUSPAGE_URL', base.MEDIC_STATUSPAGE_URL);

  const say = options.progress ?? (() => undefined);
  const cleanups: (() => Promise<void>)[] = [];
  try {
    let moto: Pick<LocalMoto, 'calls' | 'endpoint'>;
    if (base.AWS_ENDPOINT_URL) {
      const endpoint = base.AWS_ENDPOINT_URL.replace(/\/$/, '');
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
      baseUrl: base.JIRA_BASE_URL ?? '',
      email: base.JIRA_EMAIL ?? 'medic@example.com',
      token: base.JIRA_API_TOKEN ?? 'local-token',
      project: base.JIRA_PROJECT_KEY ?? 'OPS',
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
    // A local Statuspage beside the local Jira, unless one was given (loopback only, checked above).
    let statusPage: LocalStatusPage | null = null;
    if (!base.MEDIC_STATUSPAGE_URL) {
      statusPage = await startStatusPageServer({ components: { ...LOCAL_STATUSPAGE_COMPONENTS } });
      const started = statusPage;
      cleanups.push(() => started.close());
    }
    const statusPageStarted = Date.now();
    // The review page goes to a local Confluence beside the local Jira (MEDIC_CONFLUENCE_URL=off: none).
    const confluence = await confluenceForRun(base);
    if (confluence) cleanups.push(() => confluence.close());
    // The run's own settings: every handler it invokes reads these, and only these.
    const now = new Date();
    const env: Record<string, string | undefined> = {
      ...base,
      ...localEnvironment(base, moto.endpoint, jira),
      ...(statusPage
        ? {
            MEDIC_STATUSPAGE_URL: statusPage.baseUrl,
            MEDIC_STATUSPAGE_PAGE_ID: statusPage.pageId,
            MEDIC_STATUSPAGE_KEY: statusPage.apiKey,
          }
        : {}),
      ...confluence?.env,
      MEDIC_PROBE_CANARY: await localCanary(base),
    };
    // A scenario's own settings (e.g. a planned-work window around its clock), unless the caller set them.
    for (const [key, value] of Object.entries(
      (options.scenario ? SCENARIOS[options.scenario]?.env?.(now) : undefined) ?? {},
    ))
      env[key] = base[key] ?? value;
    const callbacks = await startCallbackServer();
    cleanups.push(() => callbacks.close());
    env.AWS_ENDPOINT_URL_SFN = callbacks.endpoint;
    env.MEDIC_APPROVAL_URL = `${callbacks.endpoint}/approval`;
    // EMF goes to a file, not stdout: `--json` prints exactly one JSON document.
    const metricsDir = mkdtempSync(join(tmpdir(), 'medic-metrics-'));
    cleanups.push(async () => rmSync(metricsDir, { recursive: true, force: true }));
    const metricsFile = join(metricsDir, 'emf.jsonl');
    env.MEDIC_METRICS_FILE = metricsFile;

    const clientConfig = {
      endpoint: moto.endpoint,
      region: env.AWS_REGION,
      credentials: { accessKeyId: 'medic-local', secretAccessKey: 'medic-local' },
    };
    const ec2 = new EC2Client(clientConfig);
    env.MEDIC_STAKEHOLDER_TOPIC_ARN = await ensureTopic(
      new SNSClient(clientConfig),
      new SQSClient(clientConfig),
    );
    // The safety store, with the key schema serverless.yml declares
    const tables = await ensureTables(new DynamoDBClient(clientConfig));
    env.MEDIC_SAFETY_TABLE = tables.get('SafetyTable') ?? '';
    // The finished cases go there whole (FileCase); the state carries their compact forms.
    env.MEDIC_INCIDENTS_TABLE = tables.get('IncidentsTable') ?? '';
    // Services the scenario's world brings (a local Prometheus): their addresses are settings too.
    const services = options.scenario ? await scenarioServices(options.scenario) : null;
    if (services) {
      cleanups.push(() => services.close());
      Object.assign(env, services.env);
    }
    const runEnv: Environment = Object.freeze(env);
    scopeAwsClientsToRuns();

    return await withEnvironment(runEnv, async () => {
      let world: ScenarioWorld | null = null;
      if (options.scenario) {
        say(`seeding scenario "${options.scenario}": ${SCENARIOS[options.scenario]?.description}`);
        world = await setupScenario(
          options.scenario,
          {
            ec2,
            moto,
            now,
            clientConfig,
            org: {
              centralAccount: runEnv.MEDIC_CENTRAL_ACCOUNT ?? LOCAL_CENTRAL_ACCOUNT,
              externalId: runEnv.MEDIC_MEMBER_EXTERNAL_ID ?? LOCAL_EXTERNAL_ID,
              memberRoleName: runEnv.MEDIC_MEMBER_ROLE_NAME || 'medic-member',
            },
          },
          options.instances ? { instances: options.instances } : {},
        );
        cleanups.push(() => (world ? world.teardown() : Promise.resolve()));
      }
      if (world?.events) return await runStorm(world.events, moto, jira.baseUrl, say, runEnv);
      if (world?.org) return await runOrg(world.org, moto, jira, callbacks, say, runEnv);
      const event = world ? world.event : fileEvent;

      // Pre-flight with Admit's read-only half: bad input fails here, before anything starts.
      const { preflight: intakeOnly } = await import('../functions/admit.ts');
      const checked = (await intakeOnly(event)) as IncidentState | NotForMedic;
      // The workflow would end quietly at NotForMedic: say why instead of running it for nothing.
      if (isNotForMedic(checked))
        throw new NotForMedicError(checked.notForMedic.reason, checked.notForMedic.kind);
      const preflight = checked;
      say(`incident ${preflight.incidentId} for ${preflight.targets.map((t) => t.instanceId).join(', ')}`);

      const { loadLocalMachine } = await import('./engine.ts');
      const machine = await loadLocalMachine();
      const waitMs = Number(runEnv.MEDIC_SIM_WAIT_MS ?? 300);
      // What AWS said before the alarm (an AWS Health issue): one run each, in order, to its end.
      for (const before of world?.prelude ?? []) {
        const seen = (await intakeOnly(before)) as IncidentState;
        say(`delivering ${seen.trigger.alarmName ?? 'an event'} first (${seen.incidentId})`);
        await machine.run(before, {
          executionName: seen.incidentId,
          waitMs,
          retryMs: Number(runEnv.MEDIC_SIM_RETRY_MS ?? 100),
          callbacks,
        });
      }
      await world?.afterPrelude?.();
      let duringDelivered = false;
      const events: HopEvent[] = [];
      const callsBefore = (await moto.calls()).at(-1)?.seq ?? 0;
      const run = await machine.run(event, {
        executionName: preflight.incidentId,
        waitMs,
        retryMs: Number(runEnv.MEDIC_SIM_RETRY_MS ?? 100),
        callbacks,
        ...{
          beforeTask: async (stateName: string, input: unknown) => {
            // Deployed, the outbox drainer runs every 2 minutes: during a wait for the
            // planned-work window it files the ticket Decide queued before the wait.
            if (stateName === 'Decide' && (input as { move?: { kind?: string } })?.move?.kind === 'wait') {
              const filed = await scheduledDrain();
              say(`the scheduled outbox drain filed ${filed.join(', ') || 'no ticket'} during the wait`);
            }
            const during = world?.during;
            if (during && !duringDelivered && during.when(stateName, input)) {
              duringDelivered = true;
              await during.before?.();
              const event = during.event?.();
              if (event !== undefined) {
                const seen = (await intakeOnly(event)) as IncidentState;
                say(`delivering ${seen.trigger.alarmName ?? 'an event'} during the run (${seen.incidentId})`);
                await machine.run(event, {
                  executionName: seen.incidentId,
                  waitMs,
                  retryMs: Number(runEnv.MEDIC_SIM_RETRY_MS ?? 100),
                  callbacks,
                });
              }
            }
            await options.beforeTask?.(stateName, input);
          },
        },
        approver: localApprover(
          (options.scenario ? SCENARIOS[options.scenario]?.approval : undefined) ??
            (simApproval as ApprovalChoice),
          say,
        ),
        onEvent: (e) => {
          events.push(e as HopEvent);
          const line = describeEvent(e);
          if (line) say(line);
        },
      });

      const firstCall = (await moto.calls()).find((c) => c.seq > callsBefore && isMitigating(c));
      const figures = firstActionFigures(
        events,
        definitionPlaces(),
        firstCall ? Date.parse(firstCall.at) : null,
      );

      const finalState = await withWholeCases(
        (run.status === 'SUCCEEDED' ? run.output : run.lastOutputs.get('CloseAfterFailure')) as
          | IncidentState
          | undefined,
        new DynamoDBClient(clientConfig),
        runEnv.MEDIC_INCIDENTS_TABLE,
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
      if (statusPage) for (const line of statusPageStory(statusPage, statusPageStarted)) say(line);
      const trigger = finalState?.trigger ?? preflight.trigger;
      return {
        incidentId: finalState?.incidentId ?? preflight.incidentId,
        account: trigger?.account ?? runEnv.MEDIC_CENTRAL_ACCOUNT ?? LOCAL_CENTRAL_ACCOUNT,
        region: trigger?.region ?? runEnv.AWS_REGION ?? 'us-east-1',
        targets: (finalState?.targets ?? preflight.targets).map((t) => t.instanceId),
        classification: cases[0]?.assessment?.classification ?? null,
        actions: actionRows(cases),
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
        transitionsToFirstAction: figures.transitionsToFirstAction,
        lambdaHopsToFirstAction: figures.lambdaHopsToFirstAction,
        maxStateBytes: run.maxStateBytes,
        endpoints: { aws: moto.endpoint, jira: jira.baseUrl },
        report,
        metrics,
        ...(finalState?.statusPage ? { statusPage: finalState.statusPage } : {}),
        ...(confluence ? { review: finalState?.review ?? null } : {}),
      } satisfies SimulationResult;
    });
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

// ---- alarm storm — every event its own execution, all at once ----
const MUTATING_ACTIONS =
  /^(RebootInstances|StopInstances|StartInstances|TerminateInstances|RegisterTargets|DeregisterTargets|ChangeResourceRecordSets|AssociateAddress|SetInstanceHealth|SendCommand)$/;

async function runStorm(
  events: unknown[],
  moto: Pick<LocalMoto, 'calls' | 'endpoint'>,
  jiraBaseUrl: string,
  say: (line: string) => void,
  env: Environment,
): Promise<SimulationResult> {
  const { loadLocalMachine } = await import('./engine.ts');
  const machine = await loadLocalMachine();
  const concurrency = Number(env.MEDIC_SIM_CONCURRENCY ?? 50);
  const waitMs = Number(env.MEDIC_SIM_WAIT_MS ?? 300);
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
        retryMs: Number(env.MEDIC_SIM_RETRY_MS ?? 100),
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
  say(`storm: the scheduled outbox drain filed ${(await scheduledDrain()).join(', ') || 'no ticket'}`);
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
    account: env.MEDIC_CENTRAL_ACCOUNT ?? LOCAL_CENTRAL_ACCOUNT,
    region: env.AWS_REGION ?? 'us-east-1',
    targets: outputs.flatMap((o) => (o?.targets ?? []).map((t) => t.instanceId)),
    classification: null,
    actions: actionRows(cases),
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
    // Many executions at once: no single way to a first action.
    transitionsToFirstAction: null,
    lambdaHopsToFirstAction: null,
    maxStateBytes,
    endpoints: { aws: moto.endpoint, jira: jiraBaseUrl },
    storm,
  };
}

/** The actions of every case, as `--json` lists them. */
function actionRows(cases: InstanceCase[]): SimulationResult['actions'] {
  return cases.flatMap((c) =>
    c.actions.map((a) => ({
      kind: a.kind,
      instanceId: a.instanceId,
      outcome: a.outcome,
      at: a.at,
      detail: a.detail,
    })),
  );
}

// ---- one medic for the organization: one incident per account and region, then a storm ----
const MUTATING_EC2 = /^(RebootInstances|StopInstances|StartInstances|TerminateInstances)$/;

async function runOrg(
  org: NonNullable<ScenarioWorld['org']>,
  moto: Pick<LocalMoto, 'calls' | 'endpoint'>,
  jira: { baseUrl: string; email: string; token: string; project: string },
  callbacks: Awaited<ReturnType<typeof startCallbackServer>>,
  say: (line: string) => void,
  env: Environment,
): Promise<SimulationResult> {
  const { loadLocalMachine } = await import('./engine.ts');
  const machine = await loadLocalMachine();
  const waitMs = Number(env.MEDIC_SIM_WAIT_MS ?? 300);
  const incidents: OrgIncident[] = [];
  let transitions = 0;
  let maxStateBytes = 0;
  // One after the other: each incident's calls are the ones moto logged while it ran.
  for (const target of org.incidents) {
    const name = normalise(target.event).episodeKey;
    say(`org: incident for ${target.instanceId} in account ${target.account} (${target.region})`);
    const before = (await moto.calls()).at(-1)?.seq ?? 0;
    const run = await machine.run(target.event, {
      executionName: name,
      waitMs,
      retryMs: Number(env.MEDIC_SIM_RETRY_MS ?? 100),
      callbacks,
      approver: localApprover('approve', say),
    });
    transitions += run.transitions;
    maxStateBytes = Math.max(maxStateBytes, run.maxStateBytes);
    const state = (run.status === 'SUCCEEDED' ? run.output : run.lastOutputs.get('CloseAfterFailure')) as
      | IncidentState
      | undefined;
    const actedIn = (await moto.calls())
      .filter((c) => c.seq > before && MUTATING_EC2.test(c.action) && c.params.DryRun !== 'true')
      .map((c) => ({ action: c.action, account: c.account ?? '', region: c.region ?? null }));
    incidents.push({
      account: target.account,
      region: target.region,
      instanceId: target.instanceId,
      incidentId: state?.incidentId ?? null,
      status: run.status,
      outcome: state?.outcome ?? 'failed',
      actions: actionRows(state?.cases ?? []),
      actedIn,
    });
    say(
      `org:   ${state?.outcome ?? 'failed'}; acted in ${actedIn.map((a) => a.account).join(', ') || 'no account'}`,
    );
  }
  const before = (await moto.calls()).at(-1)?.seq ?? 0;
  const storm = await runStorm(
    org.storm.map((t) => t.event),
    moto,
    jira.baseUrl,
    say,
    env,
  );
  const calls = (await moto.calls()).filter((c) => c.seq > before);
  const pages = calls
    .filter((c) => c.service === 'sns' && c.action === 'Publish')
    .map((c) => String(c.params.Subject ?? ''))
    .filter((subject) => subject.includes('fleet guard tripped'));
  const alarmed: Record<string, string[]> = {};
  for (const t of org.storm) alarmed[t.account] = [...(alarmed[t.account] ?? []), t.instanceId];
  const tickets = await stormTickets(jira);
  say(`org: storm paged ${pages.length} time(s); summary tickets ${tickets.map((t) => t.key).join(', ')}`);
  const mutatingInStorm = calls.filter(
    (c) => MUTATING_ACTIONS.test(c.action) && c.params.DryRun !== 'true',
  ).length;
  const failed = incidents.filter((i) => i.status !== 'SUCCEEDED').length + (storm.storm?.failed ?? 0);
  return {
    ...storm,
    account: env.MEDIC_CENTRAL_ACCOUNT ?? LOCAL_CENTRAL_ACCOUNT,
    region: env.AWS_REGION ?? 'us-east-1',
    targets: [...incidents.map((i) => i.instanceId), ...storm.targets],
    actions: [...incidents.flatMap((i) => i.actions), ...storm.actions],
    outcome: incidents.every((i) => i.outcome === 'resolved') && pages.length === 1 ? 'resolved' : 'failed',
    status: failed === 0 ? 'SUCCEEDED' : 'FAILED',
    transitions: transitions + storm.transitions,
    maxStateBytes: Math.max(maxStateBytes, storm.maxStateBytes),
    org: {
      incidents,
      storm: {
        ...(storm.storm as StormReport),
        mutatingCalls: mutatingInStorm,
        alarmed,
        pages,
        tickets,
      },
    },
  };
}

/** The storm summary tickets in the run's Jira (label medic-storm), as the tests and people read them. */
async function stormTickets(jira: {
  baseUrl: string;
  email: string;
  token: string;
  project: string;
}): Promise<{ key: string; summary: string; labels: string[] }[]> {
  requireLoopback('JIRA_BASE_URL', jira.baseUrl);
  const jql = `project = ${jira.project} AND labels = medic-storm`;
  const response = await fetch(
    `${jira.baseUrl}/rest/api/3/search/jql?jql=${encodeURIComponent(jql)}&fields=summary,labels&maxResults=50`,
    {
      headers: {
        authorization: `Basic ${Buffer.from(`${jira.email}:${jira.token}`).toString('base64')}`,
        accept: 'application/json',
      },
      signal: AbortSignal.timeout(10_000),
    },
  );
  if (!response.ok) return [];
  const body = (await response.json()) as {
    issues?: { key: string; fields?: { summary?: string; labels?: string[] } }[];
  };
  return (body.issues ?? []).map((i) => ({
    key: i.key,
    summary: i.fields?.summary ?? '',
    labels: i.fields?.labels ?? [],
  }));
}

/** One run of the scheduled Jira outbox drainer, as the schedule rule invokes it: the keys it filed. */
async function scheduledDrain(): Promise<string[]> {
  const { handler: drain } = await import('../functions/drain-outbox.ts');
  const drained = (await asFunction('drainOutbox', () =>
    drain(
      {
        // What the schedule rule sends: the handler validates the envelope as AWS shapes it.
        version: '0',
        id: `medic-local-${Date.now()}`,
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: '123456789012',
        time: `${new Date().toISOString().slice(0, 19)}Z`,
        region: 'us-east-1',
        resources: [],
        detail: {},
      },
      {
        functionName: 'medic-local-drainOutbox',
        awsRequestId: 'local',
        getRemainingTimeInMillis: () => 120_000,
      } as never,
    ),
  )) as { filed?: { key: string }[] };
  return drained.filed?.map((f) => f.key) ?? [];
}
