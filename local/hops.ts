/**
 * The path to the first mitigating call, read from the engine's event log of the real definition:
 * how many state transitions it took, and how many Lambda invocations had to run one after the
 * other (a deployed medic sees incidents rarely, so each of those is a cold start).
 *
 * Counting rules, as Step Functions runs the definition:
 * - a Task whose Resource is a Lambda (`Fn::GetAtt` of a serverless.yml function, an
 *   `arn:aws:lambda:` ARN or `arn:aws:states:::lambda:invoke…`) is one hop; a direct service
 *   integration (`arn:aws:states:::sns:publish`, …) and Wait/Choice/Pass states are none;
 * - the branches of a Parallel (and the iterations of a Map) run side by side: together they cost
 *   the longest of them, and once the first action has started only the branch or iteration that
 *   made it is on the way;
 * - a retried Task is the same hop (the retry's time is part of it, its transition is counted).
 * Nothing here names a state: the definition says which states are Lambdas and where they sit.
 */
import { readFileSync } from 'node:fs';
import { READ_ONLY_COMMAND_COMMENT } from '../shared/domain/host-output.ts';
import { DEFINITION_PATH, handlersFromServerless } from './engine.ts';

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

export function isMitigating(call: { action: string; params: Record<string, unknown> }): boolean {
  // The evidence branch's read-only Run Command (df, free, …) is not an action.
  if (call.action === 'SendCommand' && call.params.Comment === READ_ONLY_COMMAND_COMMENT) return false;
  return MITIGATING_ACTIONS.has(call.action) && String(call.params.DryRun ?? '').toLowerCase() !== 'true';
}

/** One event of aws-local-stepfunctions' log, as far as this module reads it. */
export interface HopEvent {
  type: string;
  timestamp: number;
  /** Inside a Map: the iteration's index (also on states nested deeper, e.g. in a Parallel). */
  index?: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
}

interface AslState {
  Type?: string;
  Resource?: unknown;
  Parameters?: { FunctionName?: unknown };
  Branches?: AslMachine[];
  ItemProcessor?: AslMachine;
  Iterator?: AslMachine;
}
interface AslMachine {
  States?: Record<string, AslState>;
}

export interface StatePlace {
  type: string;
  /** A Lambda invocation (one hop), as opposed to a direct service integration or a flow state. */
  lambda: boolean;
  /** Enclosing Parallel branches and Map processors, outermost first. */
  within: { container: string; kind: 'Parallel' | 'Map'; branch: number }[];
}

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

function invokesLambda(state: AslState, lambdaLogicalIds: Set<string> | null): boolean {
  const resource = state.Resource;
  const getAtt = (r: unknown) => (r as { 'Fn::GetAtt'?: [string, string] } | null)?.['Fn::GetAtt']?.[0];
  if (typeof resource === 'string') {
    if (resource.startsWith(LAMBDA_INVOKE)) return true;
    return resource.startsWith('arn:aws:lambda:');
  }
  const logicalId = getAtt(resource);
  if (logicalId === undefined) return false;
  return lambdaLogicalIds === null || lambdaLogicalIds.has(logicalId);
}

/**
 * Where every state of the definition sits and whether it invokes a Lambda. `lambdaLogicalIds`
 * (from serverless.yml) limits which `Fn::GetAtt` resources are functions; null accepts any.
 * State names are unique across a whole definition (Step Functions requires it), so a name
 * identifies its place.
 */
export function statePlaces(definition: unknown, lambdaLogicalIds: Set<string> | null = null) {
  const places = new Map<string, StatePlace>();
  const walk = (machine: AslMachine, within: StatePlace['within']) => {
    for (const [name, state] of Object.entries(machine.States ?? {})) {
      places.set(name, {
        type: state.Type ?? '',
        lambda: state.Type === 'Task' && invokesLambda(state, lambdaLogicalIds),
        within,
      });
      (state.Branches ?? []).forEach((branch, i) => {
        walk(branch, [...within, { container: name, kind: 'Parallel', branch: i }]);
      });
      const processor = state.ItemProcessor ?? state.Iterator;
      if (processor) walk(processor, [...within, { container: name, kind: 'Map', branch: 0 }]);
    }
  };
  walk(definition as AslMachine, []);
  return places;
}

/** One Lambda invocation on the path (retries included). */
export interface Invocation {
  state: string;
  index?: number;
  input: unknown;
  enteredAt: number;
  /** Null while it is still running at the cut (the Task that made the first action). */
  exitedAt: number | null;
  attempts: number;
}

/** A step of the path: one Lambda invocation, or a Parallel/Map whose branches ran side by side. */
export type Hop =
  | { kind: 'lambda'; invocation: Invocation }
  | { kind: 'fan-out'; state: string; branches: Map<string, Hop[]> };

/** Sequential Lambda invocations of a path: a fan-out costs its longest branch. */
export function hopCount(path: Hop[]): number {
  return path.reduce(
    (sum, hop) =>
      sum + (hop.kind === 'lambda' ? 1 : Math.max(0, ...[...hop.branches.values()].map((b) => hopCount(b)))),
    0,
  );
}

/** Time of a path given each invocation's time: a fan-out costs its slowest branch. */
export function pathTime(path: Hop[], timeOf: (invocation: Invocation) => number): number {
  return path.reduce(
    (sum, hop) =>
      sum +
      (hop.kind === 'lambda'
        ? timeOf(hop.invocation)
        : Math.max(0, ...[...hop.branches.values()].map((b) => pathTime(b, timeOf)))),
    0,
  );
}

/** Every Lambda invocation of a path, in the order they started. */
export function invocationsOf(path: Hop[]): Invocation[] {
  return path
    .flatMap((hop) =>
      hop.kind === 'lambda' ? [hop.invocation] : [...hop.branches.values()].flatMap(invocationsOf),
    )
    .sort((a, b) => a.enteredAt - b.enteredAt);
}

/**
 * The Lambda path from the start of the run up to and including the StateEntered event `cut`
 * (e.g. the entry of the Task that made the first action). Fan-outs still running at the cut
 * contribute only the branch that leads to it.
 */
export function pathTo(events: HopEvent[], places: Map<string, StatePlace>, cut: HopEvent): Hop[] {
  const root: Hop[] = [];
  // A container's branches by the scope the container runs in, replaced on each entry (loops).
  const fanOuts = new Map<string, Map<string, Hop[]>>();
  const running = new Map<string, Invocation>();
  /** The sequence an event's state runs in, and that sequence's scope key. */
  const locate = (e: HopEvent, place: StatePlace) => {
    let scope = '';
    let seq = root;
    const chain: { seq: Hop[] }[] = [{ seq }];
    for (const w of place.within) {
      const branches = fanOuts.get(`${scope}>${w.container}`);
      const key = w.kind === 'Map' ? String(e.index ?? 0) : String(w.branch);
      scope = `${scope}>${w.container}:${key}`;
      if (!branches) return null;
      let branch = branches.get(key);
      if (!branch) {
        branch = [];
        branches.set(key, branch);
      }
      seq = branch;
      chain.push({ seq });
    }
    return { scope, seq, chain };
  };
  for (const e of events) {
    const name = e.state?.name;
    const place = name === undefined ? undefined : places.get(name);
    if (!name || !place) continue;
    const at = locate(e, place);
    if (!at) continue;
    const key = `${at.scope}>${name}`;
    if (e.type === 'StateEntered') {
      if (place.type === 'Parallel' || place.type === 'Map') {
        const branches = new Map<string, Hop[]>();
        fanOuts.set(key, branches);
        at.seq.push({ kind: 'fan-out', state: name, branches });
      } else if (place.lambda) {
        const invocation: Invocation = {
          state: name,
          ...(e.index === undefined ? {} : { index: e.index }),
          input: e.state?.input,
          enteredAt: e.timestamp,
          exitedAt: null,
          attempts: 1,
        };
        running.set(key, invocation);
        at.seq.push({ kind: 'lambda', invocation });
      }
    }
    // The engine logs a failed attempt as StateFailed, then StateRetried (no new StateEntered)
    // before the next attempt: the invocation ends at its last exit, failure or catch.
    const invocation = running.get(key);
    if (invocation && e.type === 'StateFailed') invocation.exitedAt = e.timestamp;
    if (invocation && e.type === 'StateRetried') {
      invocation.attempts++;
      invocation.exitedAt = null;
    }
    if (invocation && (e.type === 'StateExited' || e.type === 'StateCaught')) {
      invocation.exitedAt = e.timestamp;
      running.delete(key);
    }
    if (e === cut) {
      // Each enclosing sequence is blocked on the fan-out that holds the cut (its last step):
      // the way to the cut is each sequence up to that fan-out, then the branch inside it.
      return at.chain.flatMap(({ seq }, i) => (i < at.chain.length - 1 ? seq.slice(0, -1) : seq));
    }
  }
  throw new Error('the cut event is not in the event log');
}

/**
 * The first mitigating call's Task: the latest-entered Lambda invocation whose span contains the
 * call's time (moto and the engine share this machine's millisecond clock).
 */
export function actorEntry(
  events: HopEvent[],
  places: Map<string, StatePlace>,
  callAt: number,
): HopEvent | null {
  const spans = new Map<string, { entered: HopEvent; exitedAt: number | null }>();
  const all: { entered: HopEvent; exitedAt: number | null }[] = [];
  for (const e of events) {
    const name = e.state?.name;
    if (!name || !places.get(name)?.lambda) continue;
    const key = `${name}#${e.index ?? ''}`;
    if (e.type === 'StateEntered') {
      const span: { entered: HopEvent; exitedAt: number | null } = { entered: e, exitedAt: null };
      spans.set(key, span);
      all.push(span);
    }
    const span = spans.get(key);
    if (!span) continue;
    // A failed attempt that is retried does not end the invocation (see pathTo).
    if (e.type === 'StateFailed') span.exitedAt = e.timestamp;
    if (e.type === 'StateRetried') span.exitedAt = null;
    if (e.type === 'StateExited' || e.type === 'StateCaught') {
      span.exitedAt = e.timestamp;
      spans.delete(key);
    }
  }
  let actor: HopEvent | null = null;
  // A span still open when the log ends (a run that failed while acting) contains every later time.
  for (const { entered, exitedAt } of all)
    if (entered.timestamp <= callAt && (exitedAt === null || exitedAt >= callAt))
      if (!actor || entered.timestamp >= actor.timestamp) actor = entered;
  return actor;
}

export interface FirstActionFigures {
  /** Billable transitions (states entered, plus retries) up to and including the acting Task's entry. */
  transitionsToFirstAction: number | null;
  /** Sequential Lambda invocations up to and including the acting Task. */
  lambdaHopsToFirstAction: number | null;
  /** The acting Task's entry, and the Lambda path that led to it. */
  actor: HopEvent | null;
  path: Hop[];
}

/** The figures of one run: its event log, the definition's places and the first mitigating call's time. */
export function firstActionFigures(
  events: HopEvent[],
  places: Map<string, StatePlace>,
  firstCallAt: number | null,
): FirstActionFigures {
  const actor = firstCallAt === null ? null : actorEntry(events, places, firstCallAt);
  if (!actor) return { transitionsToFirstAction: null, lambdaHopsToFirstAction: null, actor: null, path: [] };
  let transitions = 0;
  for (const e of events) {
    if (!e.state || (e.type !== 'StateEntered' && e.type !== 'StateRetried')) continue;
    transitions++;
    if (e === actor) break;
  }
  const path = pathTo(events, places, actor);
  return {
    transitionsToFirstAction: transitions,
    lambdaHopsToFirstAction: hopCount(path),
    actor,
    path,
  };
}

/** The places of the real definition, with the functions serverless.yml declares. */
export function definitionPlaces(): Map<string, StatePlace> {
  const definition = JSON.parse(readFileSync(DEFINITION_PATH, 'utf8')) as unknown;
  return statePlaces(definition, new Set(handlersFromServerless().keys()));
}
