/**
 * One incident through the real state machine (local engine, real handlers, moto, local Jira),
 * measured from the engine's own event log and moto's call record — nothing hand-counted.
 * Used by `npm run bench` and by the transition-budget unit test.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EventLog, LocalRunOptions, LocalRunResult, loadLocalMachine } from '../local/engine.ts';
import {
  definitionPlaces,
  firstActionFigures,
  type Hop,
  isMitigating,
  type StatePlace,
} from '../local/hops.ts';
import type { LocalMoto, RecordedAwsCall } from '../local/moto.ts';
import { setupScenario } from '../local/scenarios.ts';

export { isMitigating, MITIGATING_ACTIONS } from '../local/hops.ts';

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
  /** Sequential Lambda invocations up to and including that Task (a Parallel's branches count once). */
  lambdaHopsToFirstAction: number | null;
  /** Those invocations, with the inputs the engine gave them (the cold bench replays the path). */
  pathToFirstAction: Hop[];
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
  /** Stands between the engine and every Task's handler (the cold bench runs some in fresh processes). */
  interceptTask?: LocalRunOptions['interceptTask'];
  /** Runs while the scenario's world (fake hosts) is still up, after the execution ended. */
  beforeTeardown?: (measure: IncidentMeasure) => Promise<void>;
}

let executionCounter = 0;

/** One incident on the bench substrate's moto and EC2 client. */
export function runOn(
  s: { moto: RunIncidentOptions['moto']; ec2: EC2Client },
  machine: Machine,
  scenario: string,
  waitMs: number,
  extra: Pick<RunIncidentOptions, 'retryMs' | 'interceptTask' | 'beforeTeardown'> = {},
): Promise<IncidentMeasure> {
  return runIncident({ machine, moto: s.moto, ec2: s.ec2, scenario, waitMs, ...extra });
}

export async function runIncident(options: RunIncidentOptions): Promise<IncidentMeasure> {
  const { machine, moto, scenario } = options;
  const taskNames = new Set(machine.tasks.map((t) => t.stateName));
  const places = definitionPlaces();
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
      ...(options.interceptTask ? { interceptTask: options.interceptTask } : {}),
    });
    const endedAt = Date.now();
    const calls = (await moto.calls()).filter((c) => c.seq > lastSeq);
    const measure = measureEvents(scenario, events, taskNames, calls, startedAt, endedAt, run, places);
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
  places: Map<string, StatePlace> = definitionPlaces(),
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
  const figures = firstActionFigures(events, places, firstAt);
  const actor = figures.actor;

  let transitions = 0;
  let invocations = 0;
  let invocationsToFirstAction: number | null = null;
  for (const e of events) {
    if (!e.state || (e.type !== 'StateEntered' && e.type !== 'StateRetried')) continue;
    transitions++;
    if (taskNames.has(e.state.name)) invocations++;
    if (e === actor) invocationsToFirstAction = invocations;
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
    transitionsToFirstAction: figures.transitionsToFirstAction,
    lambdaHopsToFirstAction: figures.lambdaHopsToFirstAction,
    pathToFirstAction: figures.path,
    invocations,
    invocationsToFirstAction,
    firstAction:
      first && firstAt !== null
        ? { action: first.action, at: firstAt, state: actor?.state?.name ?? null }
        : null,
    firstSpan,
    taskSpans,
    events,
  };
}
