/**
 * The bench's cold path on one pair of runs: the Lambda Tasks before the first mitigating call run
 * in fresh Node processes and the engine continues from their results, so the reboot itself comes
 * from a fresh process and the cold run takes the same way as the warm one. The bench runs the
 * bundles `osls package` builds; packaging takes minutes, so each fresh process here imports the
 * handler's source instead (the mechanism is the same). No time is asserted: timings belong to
 * `npm run bench -- --only cold`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coldPair } from '../bench/cold.ts';
import { type FunctionBuild, serverlessFunctions } from '../bench/coldstart.ts';
import { type BenchSubstrate, startBenchSubstrate } from '../bench/substrate.ts';
import { invocationsOf } from '../local/hops.ts';

let s: BenchSubstrate;
let work: string;

beforeAll(async () => {
  s = await startBenchSubstrate();
  work = mkdtempSync(join(tmpdir(), 'medic-cold-test-'));
});
afterAll(async () => {
  await s?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('bench cold path', () => {
  it('runs each Lambda before the first action in a fresh process and reports cold against warm', async () => {
    const { loadLocalMachine } = await import('../local/engine.ts');
    const machine = await loadLocalMachine();
    // Prepare: each function's "bundle" is its source file
    const bundles = new Map<string, FunctionBuild>(
      serverlessFunctions().map((f) => [
        f.name,
        { name: f.name, source: f.source, bundle: f.source, bundleBytes: 0, zipBytes: 0, zipEntries: [] },
      ]),
    );

    // Act
    const pair = await coldPair({ machine, substrate: s, bundles, work, waitMs: 20 });

    // Assess: both runs acted, the same way
    expect(pair.problems).toEqual([]);
    expect(pair.warm.firstAction?.action).toBe('RebootInstances');
    expect(pair.cold.firstAction?.action).toBe('RebootInstances');
    const way = invocationsOf(pair.cold.pathToFirstAction).map((i) => i.state);
    expect(way).toEqual(invocationsOf(pair.warm.pathToFirstAction).map((i) => i.state));
    // Assess: every invocation on the way ran in a fresh process, the last one made the call
    expect(pair.freshRuns.map((r) => r.state)).toEqual(expect.arrayContaining(way));
    expect(pair.freshRuns.at(-1)?.state).toBe(way.at(-1));
    expect(pair.freshRuns.at(-1)?.callAt).not.toBeNull();
    expect(pair.freshRuns.slice(0, -1).every((r) => r.callAt === null)).toBe(true);
    // Assess: one figure per hop, and a finite ratio
    expect(pair.hops).toHaveLength(pair.warm.lambdaHopsToFirstAction ?? -1);
    expect(pair.hops.every((h) => Number.isFinite(h.coldMs) && Number.isFinite(h.warmMs))).toBe(true);
    expect(Number.isFinite(pair.coldMs / pair.warmMs)).toBe(true);
  }, 240_000);
});
