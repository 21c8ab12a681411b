/**
 * Chaos runs: the real definition and the real handlers on moto + the local Jira, with one Task
 * invocation made to fail the way AWS makes it fail, then the invariants an operator relies on
 * checked against what AWS, Jira and the stakeholders actually got.
 *
 * Crash kinds, as Step Functions sees them:
 * - `entry`: the function throws before any AWS call (an unhandled error: `Error`).
 * - `timeout`: the function's calls reach AWS but its answer never comes back. Step Functions
 *   reports `States.Timeout` when the state's TimeoutSeconds is not longer than the function's
 *   timeout (the state gives up first), otherwise the Lambda timeout, `Sandbox.Timedout`.
 * - `duplicate`: at-least-once delivery: the same Task runs twice with the same input and the
 *   second answer is the one used.
 * The definition's own Retry/Catch then decide what happens, as they would in AWS.
 *
 * One moto and one local Jira serve every run; each run gets a fresh scenario (a new instance,
 * so a new episode), so runs do not see each other's locks, tickets or budgets.
 */
import { readFileSync } from 'node:fs';
import { devNull } from 'node:os';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { parse as parseYaml } from 'yaml';
import type { IncidentState, TimelineEntry } from '../shared/domain/model.ts';
import { normalise } from '../shared/domain/normalise.ts';
import { labelFor } from '../shared/domain/report.ts';
import { merge } from '../shared/domain/timeline.ts';
import {
  DEFINITION_PATH,
  loadLocalMachine,
  logicalIdOf,
  prepareDefinition,
  SERVERLESS_PATH,
  type TaskCall,
} from './engine.ts';
import { type LocalJira, startJiraServer } from './jira-server.ts';
import { type LocalMoto, type RecordedAwsCall, startMoto } from './moto.ts';
import { setupScenario } from './scenarios.ts';
import { configureEnvironment, ensureTopic } from './simulate.ts';
import { ensureTables } from './tables.ts';

export const CRASH_KINDS = ['entry', 'timeout', 'duplicate'] as const;
export type CrashKind = (typeof CRASH_KINDS)[number];

/**
 * The common path (alarm → reboot fixes it) first, then one scenario per ladder rung; each
 * scenario contributes the Task states the earlier ones did not reach.
 */
export const CHAOS_SCENARIOS = [
  'unreachable',
  'app-restart-fixes',
  'reboot-fails-stopstart-fixes',
  'failover-target-group',
  'nothing-works',
] as const;

export interface CrashPoint {
  scenario: string;
  state: string;
  kind: CrashKind;
}

export interface Violation {
  point: CrashPoint;
  invariant:
    | 'record'
    | 'notification'
    | 'lock'
    | 'mutation'
    | 'stopped'
    | 'failover'
    | 'timeline'
    | 'reached'
    | 'harness';
  detail: string;
}

export interface PointResult {
  point: CrashPoint;
  violations: Violation[];
  ms: number;
  /** One line: run status, outcome, the injected error. */
  summary: string;
}

/** An AWS error name as the definition's Retry/Catch see it. */
export interface InjectedError {
  name: string;
  cause: string;
}

/** What AWS reports when a state's function never answers: the shorter of the two timeouts wins. */
export function lostAnswerError(
  stateTimeoutSeconds: number | undefined,
  functionTimeoutSeconds: number,
): InjectedError {
  if (stateTimeoutSeconds !== undefined && stateTimeoutSeconds <= functionTimeoutSeconds)
    return { name: 'States.Timeout', cause: `the state's TimeoutSeconds (${stateTimeoutSeconds}) elapsed` };
  return {
    name: 'Sandbox.Timedout',
    cause: `Task timed out after ${functionTimeoutSeconds.toFixed(2)} seconds`,
  };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type StateDef = { Type?: string; TimeoutSeconds?: number; States?: Record<string, StateDef> } & Record<
  string,
  Json
>;

/** state name → its TimeoutSeconds and its function's timeout, from the definition and serverless.yml. */
export function taskTimeouts(): Map<string, InjectedError> {
  const raw = JSON.parse(readFileSync(DEFINITION_PATH, 'utf8')) as Json;
  const { tasks } = prepareDefinition(raw);
  const doc = parseYaml(readFileSync(SERVERLESS_PATH, 'utf8'), { logLevel: 'silent' }) as {
    provider?: { timeout?: number };
    functions?: Record<string, { timeout?: number }>;
  };
  const fnTimeout = new Map<string, number>();
  for (const [name, fn] of Object.entries(doc.functions ?? {})) {
    // Lambda's own default is 3 s when neither the function nor the provider sets one.
    fnTimeout.set(logicalIdOf(name), fn.timeout ?? doc.provider?.timeout ?? 3);
  }
  const stateTimeout = new Map<string, number | undefined>();
  const walk = (machine: { States?: Record<string, StateDef> }) => {
    for (const [name, state] of Object.entries(machine.States ?? {})) {
      if (state.Type === 'Task') stateTimeout.set(name, state.TimeoutSeconds);
      for (const branch of (state.Branches as StateDef[] | undefined) ?? []) walk(branch);
      const processor = (state.ItemProcessor ?? state.Iterator) as StateDef | undefined;
      if (processor) walk(processor);
    }
  };
  walk(raw as StateDef);
  return new Map(
    tasks.map((t) => [
      t.stateName,
      lostAnswerError(stateTimeout.get(t.stateName), fnTimeout.get(t.logicalId) ?? 3),
    ]),
  );
}

/** AWS calls that change something; the same one twice in one episode is an action taken twice. */
export function mutatingCall(call: RecordedAwsCall): boolean {
  if (call.params.DryRun === 'true' || call.params.DryRun === true) return false;
  switch (call.action) {
    case 'RebootInstances':
    case 'StopInstances':
    case 'StartInstances':
    case 'TerminateInstances':
    case 'RegisterTargets':
    case 'DeregisterTargets':
    case 'ChangeResourceRecordSets':
    case 'AssociateAddress':
    case 'SetInstanceHealth':
      return true;
    case 'SendCommand':
      // Evidence runs read-only commands too; only the restart rung changes the host.
      return JSON.stringify(call.params.Parameters ?? {}).includes('systemctl restart');
    default:
      return false;
  }
}

const FINAL_SUBJECT = /^\[medic\] (RESOLVED|SELF-RECOVERED|DRY-RUN|ESCALATED|HELD|FAILED):/;

/** What one run left behind, read back from moto, the safety table and the local Jira. */
export interface RunEvidence {
  incidentId: string;
  instanceIds: string[];
  status: 'SUCCEEDED' | 'FAILED';
  state: IncidentState | undefined;
  tickets: number;
  outbox: number;
  finalNotifications: { subject: string; body: string }[];
  locksHeld: string[];
  mutating: RecordedAwsCall[];
  /** Instances the run left stopped (every scenario starts them running). */
  leftStopped: string[];
  /**
   * Each instance tagged for a target-group failover, with its group's targets as
   * DescribeTargetHealth shows them after the run and whether this run registered the standby.
   */
  targetGroups?: {
    instanceId: string;
    standby: string;
    targetGroupArn: string;
    health: Record<string, string>;
    standbyRegistered: boolean;
  }[];
}

/** A registered target: a deregistered one shows `draining`, then drops out of DescribeTargetHealth. */
const serving = (state: string | undefined) => state !== undefined && state !== 'draining';

/** The invariants, pure: what must hold after any crash at any Task boundary. */
export function checkInvariants(
  point: CrashPoint,
  run: RunEvidence,
  injected: { error: InjectedError | null; invocations: number },
): Violation[] {
  const out: Violation[] = [];
  const v = (invariant: Violation['invariant'], detail: string) => out.push({ point, invariant, detail });
  if (injected.invocations === 0) v('reached', `${point.state} was never invoked: nothing was injected`);
  if (run.tickets > 1) v('record', `${run.tickets} Jira tickets for episode ${run.incidentId}`);
  if (run.tickets + run.outbox === 0)
    v('record', `no Jira ticket and no outbox entry for episode ${run.incidentId}`);
  // A ticket and an outbox entry together are fine: the drainer finds the ticket by its label.
  if (run.finalNotifications.length === 0) v('notification', 'no final notification was published');
  if (run.finalNotifications.length > 1)
    v(
      'notification',
      `${run.finalNotifications.length} final notifications: ${run.finalNotifications.map((n) => n.subject).join(' | ')}`,
    );
  for (const id of run.locksHeld) v('lock', `the lock on ${id} is still held`);
  const seen = new Map<string, number>();
  for (const call of run.mutating) {
    const key = `${call.action} ${JSON.stringify(call.params)}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  for (const [key, count] of seen)
    if (count > 1)
      v('mutation', `${key.split(' ')[0]} issued ${count} times: ${key.slice(key.indexOf(' ') + 1, 200)}`);
  for (const id of run.leftStopped)
    v('stopped', `${id} was left stopped: medic stopped it and never started it again`);
  // medic registers the standby first and deregisters the sick instance once the standby is
  // healthy: a run that registered the standby and left both serving stopped half way.
  for (const tg of run.targetGroups ?? [])
    if (tg.standbyRegistered && serving(tg.health[tg.standby]) && serving(tg.health[tg.instanceId]))
      v(
        'failover',
        `failover of ${tg.instanceId} half done: standby ${tg.standby} registered in ${tg.targetGroupArn} (${tg.health[tg.standby]}) while ${tg.instanceId} is still a target (${tg.health[tg.instanceId]})`,
      );
  if (injected.error) {
    if (!run.state) v('timeline', 'the run left no final state to read a timeline from');
    else {
      const text = timelineOf(run.state)
        .map((e) => e.summary)
        .join('\n');
      const named = injected.error.name === 'Error' ? injected.error.cause : injected.error.name;
      if (!text.includes(named))
        v('timeline', `the timeline does not say that ${point.state} failed (no "${named}" in it)`);
    }
  }
  return out;
}

function timelineOf(state: IncidentState): TimelineEntry[] {
  return merge(state.timeline ?? [], ...(state.cases ?? []).map((c) => c.timeline ?? []));
}

export interface ChaosHarness {
  moto: LocalMoto;
  jira: LocalJira;
  /** One clean run per scenario; the Task states each reaches first become crash points. */
  plan(
    scenarios?: readonly string[],
    kinds?: readonly CrashKind[],
  ): Promise<{ points: CrashPoint[]; baseline: PointResult[] }>;
  runPoint(point: CrashPoint): Promise<PointResult>;
  stop(): Promise<void>;
}

export async function startChaos(): Promise<ChaosHarness> {
  const [moto, jira] = await Promise.all([
    startMoto(),
    startJiraServer({ email: 'medic@example.com', apiToken: 'local-token', projectKey: 'OPS' }),
  ]);
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    MEDIC_LOG_LEVEL: process.env.MEDIC_LOG_LEVEL ?? 'SILENT',
    // Every run alarms a new instance in the same table within minutes: that is a sequence of
    // unrelated episodes here, not a storm, so the fleet guard is set out of the way.
    MEDIC_FLEET_MAX_INSTANCES: '100000',
    // The crash points are the actions' own boundaries: every rung runs without an approval pause
    // (which the harness does not model), so stop/start and failover are reached as in mode auto.
    MEDIC_AUTONOMY: 'restart-service=auto,reboot=auto,stop-start=auto,failover=auto',
    // Record's EMF lines would drown the report; the metrics are not what is checked here.
    MEDIC_METRICS_FILE: process.env.MEDIC_METRICS_FILE ?? devNull,
  });
  configureEnvironment(moto.endpoint, {
    baseUrl: jira.baseUrl,
    email: 'medic@example.com',
    token: 'local-token',
    project: 'OPS',
  });
  const clientConfig = {
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'medic-local', secretAccessKey: 'medic-local' },
  };
  const ec2 = new EC2Client(clientConfig);
  // moto answers DescribeImages with its whole AMI catalogue (seconds per call) and the catalogue
  // never changes: each scenario's launch asks once per run, so the harness asks once in all.
  let images: unknown;
  ec2.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'DescribeImagesCommand') return next(args);
      images ??= await next(args);
      return images as Awaited<ReturnType<typeof next>>;
    },
    { step: 'initialize', name: 'chaosReuseImageCatalogue' },
  );
  const elb = new ElasticLoadBalancingV2Client(clientConfig);
  const dynamo = new DynamoDBClient(clientConfig);
  process.env.MEDIC_STAKEHOLDER_TOPIC_ARN = await ensureTopic(
    new SNSClient(clientConfig),
    new SQSClient(clientConfig),
  );
  const table = (await ensureTables(dynamo)).get('SafetyTable') ?? '';
  process.env.MEDIC_SAFETY_TABLE = table;
  const machine = await loadLocalMachine();
  const timeouts = taskTimeouts();

  const hasItem = async (pk: string, sk: string) =>
    Boolean(
      (await dynamo.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { S: sk } } })))
        .Item,
    );

  /** Runs one scenario; `crash` (if any) is injected into the first invocation of its state. */
  async function runOnce(
    scenario: string,
    crash: { state: string; kind: CrashKind } | null,
  ): Promise<{ evidence: RunEvidence; invoked: Map<string, number>; injected: InjectedError | null }> {
    await moto.clearCalls();
    const world = await setupScenario(scenario, { ec2, moto, now: new Date() });
    const invoked = new Map<string, number>();
    let injected: InjectedError | null = null;
    const interceptTask = async ({ stateName, input, invoke }: TaskCall) => {
      const n = (invoked.get(stateName) ?? 0) + 1;
      invoked.set(stateName, n);
      if (!crash || crash.state !== stateName || n !== 1) return invoke(input);
      if (crash.kind === 'duplicate') {
        await invoke(input);
        return invoke(input);
      }
      if (crash.kind === 'timeout') {
        await invoke(input);
        injected = timeouts.get(stateName) ?? lostAnswerError(undefined, 3);
      } else {
        injected = { name: 'Error', cause: `chaos: ${stateName} failed before its first AWS call` };
      }
      const error = new Error(injected.cause);
      error.name = injected.name;
      throw error;
    };
    try {
      const incidentId = normalise(world.event).episodeKey;
      const result = await machine.run(world.event, {
        executionName: incidentId,
        waitMs: 150,
        retryMs: 100,
        interceptTask,
      });
      const state = (
        result.status === 'SUCCEEDED' ? result.output : result.lastOutputs.get('CloseAfterFailure')
      ) as IncidentState | undefined;
      const calls = await moto.calls();
      const label = labelFor(incidentId);
      const locksHeld: string[] = [];
      for (const id of world.instanceIds) if (await hasItem(`LOCK#${id}`, 'lock')) locksHeld.push(id);
      const finalNotifications = calls
        .filter((c) => c.action === 'Publish')
        .map((c) => ({ subject: String(c.params.Subject ?? ''), body: String(c.params.Message ?? '') }))
        .filter((m) => FINAL_SUBJECT.test(m.subject) && m.body.includes(`Incident ${incidentId}`));
      const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: world.instanceIds }));
      const instances = (described.Reservations ?? []).flatMap((r) => r.Instances ?? []);
      const targetGroups = [];
      for (const i of instances) {
        const tag = (key: string) => i.Tags?.find((t) => t.Key === key)?.Value ?? '';
        const [arn, standby, id] = [tag('medic:target-group'), tag('medic:standby'), i.InstanceId ?? ''];
        if (!arn || !standby) continue;
        const read = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
        const health: Record<string, string> = {};
        for (const d of read.TargetHealthDescriptions ?? [])
          if (d.Target?.Id) health[d.Target.Id] = d.TargetHealth?.State ?? 'unknown';
        const standbyRegistered = calls.some(
          (c) =>
            c.action === 'RegisterTargets' &&
            Object.entries(c.params).some(([k, value]) => k.startsWith('Targets') && value === standby),
        );
        targetGroups.push({ instanceId: id, standby, targetGroupArn: arn, health, standbyRegistered });
      }
      const leftStopped = instances
        .filter((i) => i.State?.Name === 'stopped' || i.State?.Name === 'stopping')
        .map((i) => i.InstanceId ?? '?');
      return {
        evidence: {
          incidentId,
          instanceIds: world.instanceIds,
          status: result.status,
          state,
          tickets: jira.issues().filter((i) => i.fields.labels.includes(label)).length,
          outbox: (await hasItem('OUTBOX', incidentId)) ? 1 : 0,
          finalNotifications,
          locksHeld,
          mutating: calls.filter(mutatingCall),
          leftStopped,
          targetGroups,
        },
        invoked,
        injected,
      };
    } finally {
      await world.teardown();
    }
  }

  const describe = (evidence: RunEvidence, injected: InjectedError | null) =>
    `${evidence.status} ${evidence.state?.outcome ?? '-'}${injected ? ` after ${injected.name}` : ''}; ticket ${evidence.tickets}, outbox ${evidence.outbox}, mutating ${evidence.mutating.map((c) => c.action).join('+') || 'none'}`;

  return {
    moto,
    jira,
    async plan(scenarios = CHAOS_SCENARIOS, kinds = CRASH_KINDS) {
      const points: CrashPoint[] = [];
      const baseline: PointResult[] = [];
      const covered = new Set<string>();
      for (const scenario of scenarios) {
        const started = Date.now();
        const point: CrashPoint = { scenario, state: '(none)', kind: 'entry' };
        const { evidence, invoked } = await runOnce(scenario, null);
        baseline.push({
          point,
          violations: checkInvariants(point, evidence, { error: null, invocations: 1 }),
          ms: Date.now() - started,
          summary: `${describe(evidence, null)}; reached ${[...invoked.keys()].join(', ')}`,
        });
        for (const state of invoked.keys()) {
          if (covered.has(state)) continue;
          covered.add(state);
          for (const kind of kinds) points.push({ scenario, state, kind });
        }
      }
      return { points, baseline };
    },
    async runPoint(point) {
      const started = Date.now();
      try {
        const { evidence, invoked, injected } = await runOnce(point.scenario, point);
        return {
          point,
          violations: checkInvariants(point, evidence, {
            error: injected,
            invocations: invoked.get(point.state) ?? 0,
          }),
          ms: Date.now() - started,
          summary: describe(evidence, injected),
        };
      } catch (error) {
        return {
          point,
          violations: [
            {
              point,
              invariant: 'harness',
              detail: `the run itself failed: ${(error as Error).stack ?? error}`,
            },
          ],
          ms: Date.now() - started,
          summary: 'harness error',
        };
      }
    },
    async stop() {
      await Promise.all([moto.stop(), jira.close()]);
    },
  };
}

/** One report line per crash point. */
export function formatResult(r: PointResult): string {
  const where = `${r.point.scenario} ${r.point.state} ${r.point.kind}`;
  const verdict = r.violations.length === 0 ? 'ok' : `${r.violations.length} VIOLATION(S)`;
  const lines = [`${verdict.padEnd(15)} ${where.padEnd(58)} ${String(r.ms).padStart(6)} ms  ${r.summary}`];
  for (const v of r.violations) lines.push(`    ✗ [${v.invariant}] ${v.detail}`);
  return lines.join('\n');
}
