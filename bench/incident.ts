/**
 * One incident through the real state machine (local engine, real handlers, moto, local Jira),
 * measured from the engine's own event log and moto's call record — nothing hand-counted.
 * Used by `npm run bench` and by the transition-budget unit test.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { READ_ONLY_COMMAND_COMMENT } from '../shared/domain/host-output.ts';
import type { EventLog, LocalRunResult, loadLocalMachine } from '../shared/local/engine.ts';
import type { LocalMoto, RecordedAwsCall } from '../shared/local/moto.ts';
import { setupScenario } from '../shared/local/scenarios.ts';

/** API actions that change something to mitigate (a DryRun call is not an action). */
export const MITIGATING_ACTIONS = new Set([
  'RebootInstances',
  'StopInstances',
  'StartInstances',
  'SendCommand',
  'RegisterTargets',
  'DeregisterTargets',
  'ChangeResourceRecordSets',
  'AssociateAddress',
  'SetInstanceHealth',
  'TerminateInstanceInAutoScalingGroup',
  'SetDesiredCapacity',
]);

export function isMitigating(call: RecordedAwsCall): boolean {
  // issue 3: the evidence branch's read-only Run Command (df, free, …) is not an action.
  if (call.action === 'SendCommand' && call.params.Comment === READ_ONLY_COMMAND_COMMENT) return false;
  return MITIGATING_ACTIONS.has(call.action) && String(call.params.DryRun ?? '').toLowerCase() !== 'true';
}

/** aws-local-stepfunctions' events carry a timestamp (ms) and, inside a Map, the iteration index. */
export type TimedEvent = EventLog & { timestamp: number; index?: number; retry?: unknown };

export interface TaskSpan {
  state: string;
  enteredAt: number;
  exitedAt: number;
}

export interface IncidentMeasure {
  scenario: string;
  status: LocalRunResult['status'];
  outcome: string | null;
  /** Wall clock (ms since epoch) when the alarm event was handed to the state machine. */
  startedAt: number;
  endedAt: number;
  /** Billable Step Functions transitions: every state entered, plus every retry. */
  transitions: number;
  /** Transitions up to and including the entry of the Task that made the first mitigating call. */
  transitionsToFirstAction: number | null;
  /** Lambda invocations: Task states entered plus Task retries. */
  invocations: number;
  invocationsToFirstAction: number | null;
  firstAction: { action: string; at: number; state: string | null } | null;
  /** First entry → exit of each state, by name (split of the time to first action). */
  firstSpan: Map<string, { enteredAt: number; exitedAt: number }>;
  taskSpans: TaskSpan[];
  events: TimedEvent[];
}

type Machine = Awaited<ReturnType<typeof loadLocalMachine>>;

export interface RunIncidentOptions {
  machine: Machine;
  moto: Pick<LocalMoto, 'calls' | 'endpoint'>;
  ec2: EC2Client;
  scenario: string;
  waitMs: number;
  retryMs?: number;
  /** Runs while the scenario's world (fake hosts) is still up, after the execution ended. */
  beforeTeardown?: (measure: IncidentMeasure) => Promise<void>;
}

let executionCounter = 0;

export async function runIncident(options: RunIncidentOptions): Promise<IncidentMeasure> {
  const { machine, moto, scenario } = options;
  const taskNames = new Set(machine.tasks.map((t) => t.stateName));
  const world = await setupScenario(scenario, { ec2: options.ec2, moto, now: new Date() });
  try {
    const before = await moto.calls();
    const lastSeq = before.length > 0 ? (before[before.length - 1]?.seq ?? 0) : 0;
    const events: TimedEvent[] = [];
    const startedAt = Date.now();
    const run = await machine.run(world.event, {
      executionName: `bench-${scenario}-${process.pid}-${++executionCounter}`,
      waitMs: options.waitMs,
      retryMs: options.retryMs ?? 50,
      onEvent: (e) => events.push(e as TimedEvent),
    });
    const endedAt = Date.now();
    const calls = (await moto.calls()).filter((c) => c.seq > lastSeq);
    const measure = measureEvents(scenario, events, taskNames, calls, startedAt, endedAt, run);
    await options.beforeTeardown?.(measure);
    return measure;
  } finally {
    await world.teardown();
  }
}

export function measureEvents(
  scenario: string,
  events: TimedEvent[],
  taskNames: Set<string>,
  calls: RecordedAwsCall[],
  startedAt: number,
  endedAt: number,
  run: Pick<LocalRunResult, 'status' | 'output' | 'lastOutputs'>,
): IncidentMeasure {
  const open = new Map<string, number>();
  const firstSpan = new Map<string, { enteredAt: number; exitedAt: number }>();
  const taskSpans: TaskSpan[] = [];
  for (const e of events) {
    if (!e.state) continue;
    const key = `${e.state.name}#${e.index ?? ''}`;
    if (e.type === 'StateEntered') open.set(key, e.timestamp);
    if (e.type === 'StateExited' || e.type === 'StateFailed' || e.type === 'StateCaught') {
      const enteredAt = open.get(key);
      if (enteredAt === undefined) continue;
      open.delete(key);
      if (!firstSpan.has(e.state.name)) firstSpan.set(e.state.name, { enteredAt, exitedAt: e.timestamp });
      if (taskNames.has(e.state.name))
        taskSpans.push({ state: e.state.name, enteredAt, exitedAt: e.timestamp });
    }
  }

  const first = calls.find(isMitigating);
  const firstAt = first ? Date.parse(first.at) : null;
  // The Task that made the call: the latest-entered Task whose span contains the call (ms clocks).
  const actor =
    firstAt === null
      ? undefined
      : taskSpans
          .filter((s) => s.enteredAt <= firstAt && s.exitedAt >= firstAt)
          .sort((a, b) => b.enteredAt - a.enteredAt)[0];

  let transitions = 0;
  let invocations = 0;
  let transitionsToFirstAction: number | null = null;
  let invocationsToFirstAction: number | null = null;
  for (const e of events) {
    if (!e.state || (e.type !== 'StateEntered' && e.type !== 'StateRetried')) continue;
    transitions++;
    if (taskNames.has(e.state.name)) invocations++;
    if (
      transitionsToFirstAction === null &&
      actor &&
      e.type === 'StateEntered' &&
      e.state.name === actor.state &&
      e.timestamp === actor.enteredAt
    ) {
      transitionsToFirstAction = transitions;
      invocationsToFirstAction = invocations;
    }
  }
  const finalState = (run.status === 'SUCCEEDED' ? run.output : run.lastOutputs.get('CloseAfterFailure')) as {
    outcome?: string;
  } | null;
  return {
    scenario,
    status: run.status,
    outcome: finalState?.outcome ?? null,
    startedAt,
    endedAt,
    transitions,
    transitionsToFirstAction,
    invocations,
    invocationsToFirstAction,
    firstAction:
      first && firstAt !== null ? { action: first.action, at: firstAt, state: actor?.state ?? null } : null,
    firstSpan,
    taskSpans,
    events,
  };
}
