/**
 * The cold path: incidents are rare, so deployed every Lambda invocation on the way to the first
 * mitigating call is a cold start (a fresh sandbox: runtime start, module load, handler init, first
 * call). The warm bench runs every handler in one process; this section runs the same incident
 * twice in a row on the same moto and local Jira:
 *
 * - warm: the engine with the in-process handlers;
 * - cold: the engine again, but each Lambda Task before the first mitigating call runs in a fresh
 *   Node process that imports the bundle `osls package` built and invokes its handler with the
 *   input the engine gave it; its result (or error, by name) goes back to the engine. After the
 *   first action the rest of the run is in-process (it is not on the way).
 *
 * Why a second run rather than replaying the warm run's inputs afterwards: the warm run already
 * wrote what those inputs would meet again (the dedupe record, the locks, the action claim), so a
 * replay would take the "duplicate" and "already acted" paths and never reach the reboot.
 *
 * cold = Σ over the hops of the fresh-process time (a Parallel: its slowest branch; the acting Task:
 * spawn → the mitigating call at moto) + the warm run's time outside the Lambdas (engine, Waits,
 * state passing). The fresh processes run one at a time, so the branches of a Parallel, which
 * deployed run in sandboxes of their own, do not compete for this machine's cores.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { handlersFromServerless, type loadLocalMachine, type TaskCall } from '../local/engine.ts';
import { type Hop, type Invocation, invocationsOf, isMitigating, pathTime } from '../local/hops.ts';
import type { FunctionBuild } from './coldstart.ts';
import { type IncidentMeasure, runOn } from './incident.ts';
import type { BenchSubstrate } from './substrate.ts';
import { runChild } from './util.ts';

type Machine = Awaited<ReturnType<typeof loadLocalMachine>>;

/** One Task invocation run in a fresh process. */
export interface FreshRun {
  state: string;
  spawnedAt: number;
  ms: number;
  /** The first mitigating call at moto, if this process made it. */
  callAt: number | null;
}

export interface ColdHop {
  /** The Task, or the Parallel/Map and its branch count. */
  label: string;
  warmMs: number;
  coldMs: number;
}

export interface ColdPair {
  warm: IncidentMeasure;
  cold: IncidentMeasure;
  /** Alarm → first mitigating call, in-process handlers. */
  warmMs: number;
  /** The same with every Lambda on the way cold (see the file comment for the sum). */
  coldMs: number;
  /** Time outside the Lambdas on the way, from the warm run. */
  outsideLambdaMs: number;
  hops: ColdHop[];
  /** The cold run's fresh processes, in the order they ran. */
  freshRuns: FreshRun[];
  /** Why a figure is missing or suspect (the two runs took different ways, a Task had no bundle, …). */
  problems: string[];
}

/** An invocation's time on the way: to its exit, or for the acting Task to the mitigating call. */
function warmTimeOf(m: IncidentMeasure) {
  const actor = invocationsOf(m.pathToFirstAction).at(-1);
  return (i: Invocation) =>
    i === actor && m.firstAction ? m.firstAction.at - i.enteredAt : (i.exitedAt ?? Number.NaN) - i.enteredAt;
}

/** The fresh-process time of an invocation: its processes (a retry is another attempt) inside its span. */
function coldTimeOf(m: IncidentMeasure, runs: FreshRun[]) {
  return (i: Invocation) => {
    const mine = runs.filter(
      (r) => r.state === i.state && r.spawnedAt >= i.enteredAt && r.spawnedAt <= (i.exitedAt ?? Infinity),
    );
    if (mine.length === 0) return Number.NaN;
    return mine.reduce(
      (sum, r) => sum + (r.callAt !== null && m.firstAction ? r.callAt - r.spawnedAt : r.ms),
      0,
    );
  };
}

function hopLabel(hop: Hop): string {
  return hop.kind === 'lambda' ? hop.invocation.state : `${hop.state} (${hop.branches.size} branches)`;
}

/** Runs the Lambda Tasks before the first mitigating call in fresh processes, one at a time. */
function freshProcessTasks(options: {
  machine: Machine;
  substrate: BenchSubstrate;
  bundles: Map<string, FunctionBuild>;
  work: string;
  runs: FreshRun[];
  problems: string[];
}) {
  const { substrate, bundles, work, runs, problems } = options;
  const bindings = handlersFromServerless();
  const bindingOf = new Map(options.machine.tasks.map((t) => [t.stateName, bindings.get(t.logicalId)]));
  // A task-token Task pauses for a callback the engine's in-process wrapper stands in for: it
  // stays in-process (not on the `unreachable` path; an approve-mode cold path would need it).
  const callbacks = new Set(options.machine.tasks.filter((t) => t.callback).map((t) => t.stateName));
  let acted = false;
  let firstSeq: number | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  let n = 0;
  const freshRun = async ({ stateName, input }: TaskCall): Promise<unknown> => {
    const binding = bindingOf.get(stateName);
    const build = binding ? bundles.get(binding.functionName) : undefined;
    if (!binding || !build) throw new Error(`no bundle for the Task ${stateName}`);
    const id = ++n;
    const inputFile = join(work, `cold-${id}-in.json`);
    const outputFile = join(work, `cold-${id}-out.json`);
    writeFileSync(inputFile, JSON.stringify(input));
    const spawnedAt = Date.now();
    const child = await runChild([build.bundle, inputFile, outputFile, binding.exportName], substrate.env);
    const ms = Date.now() - spawnedAt;
    const call = (await substrate.moto.calls()).find((c) => c.seq > (firstSeq ?? 0) && isMitigating(c));
    if (call) acted = true;
    runs.push({ state: stateName, spawnedAt, ms, callAt: call ? Date.parse(call.at) : null });
    let out: { result?: unknown; error?: { name: string; message: string } };
    try {
      out = JSON.parse(readFileSync(outputFile, 'utf8'));
    } catch {
      problems.push(`${stateName}: the fresh process wrote no result (${child.error ?? 'no error'})`);
      throw new Error(`${stateName}: no result from the fresh process`);
    }
    if (out.error) {
      const error = new Error(out.error.message);
      // The definition's Retry/Catch match the error's name, as they match a Lambda's errorType.
      error.name = out.error.name;
      throw error;
    }
    return out.result;
  };
  return {
    /** Counts moto's calls from here on (call before the run starts). */
    async start() {
      firstSeq = (await substrate.moto.calls()).at(-1)?.seq ?? 0;
      acted = false;
    },
    intercept(call: TaskCall): Promise<unknown> {
      if (acted || callbacks.has(call.stateName)) return call.invoke(call.input);
      const turn = queue.then(() => (acted ? call.invoke(call.input) : freshRun(call)));
      queue = turn.catch(() => undefined);
      return turn;
    },
  };
}

/** One warm run and one cold run of `unreachable`, back to back. */
export async function coldPair(options: {
  machine: Machine;
  substrate: BenchSubstrate;
  bundles: Map<string, FunctionBuild>;
  work: string;
  waitMs: number;
}): Promise<ColdPair> {
  const { machine, substrate: s } = options;
  const problems: string[] = [];
  await s.reset();
  const warm = await runOn(s, machine, 'unreachable', options.waitMs);

  await s.reset();
  const runs: FreshRun[] = [];
  const fresh = freshProcessTasks({ ...options, runs, problems });
  await fresh.start();
  const cold = await runOn(s, machine, 'unreachable', options.waitMs, {
    interceptTask: (call) => fresh.intercept(call),
  });

  if (!warm.firstAction || !cold.firstAction) {
    problems.push(
      `no first action (warm ${warm.status} ${warm.outcome}, cold ${cold.status} ${cold.outcome})`,
    );
    return {
      warm,
      cold,
      warmMs: Number.NaN,
      coldMs: Number.NaN,
      outsideLambdaMs: Number.NaN,
      hops: [],
      freshRuns: runs,
      problems,
    };
  }
  const way = (m: IncidentMeasure) =>
    invocationsOf(m.pathToFirstAction)
      .map((i) => i.state)
      .join(' → ');
  if (way(warm) !== way(cold))
    problems.push(`the runs took different ways: warm ${way(warm)}; cold ${way(cold)}`);

  const warmTime = warmTimeOf(warm);
  const coldTime = coldTimeOf(cold, runs);
  const warmMs = warm.firstAction.at - warm.startedAt;
  const outsideLambdaMs = warmMs - pathTime(warm.pathToFirstAction, warmTime);
  const coldMs = outsideLambdaMs + pathTime(cold.pathToFirstAction, coldTime);
  const hops = warm.pathToFirstAction.map((hop, i) => {
    const coldHop = cold.pathToFirstAction[i];
    return {
      label: hopLabel(hop),
      warmMs: pathTime([hop], warmTime),
      coldMs: coldHop ? pathTime([coldHop], coldTime) : Number.NaN,
    };
  });
  return { warm, cold, warmMs, coldMs, outsideLambdaMs, hops, freshRuns: runs, problems };
}
