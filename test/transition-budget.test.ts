/**
 * Cost budget, asserted where it is deterministic: Step Functions Standard bills per state
 * transition, so the count of transitions an incident takes is the cost. Counted from the engine's
 * own event log on the real definition and handlers (moto + local Jira), never hand-kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IncidentMeasure, runIncident } from '../bench/incident.ts';
import { type BenchSubstrate, startBenchSubstrate } from '../bench/substrate.ts';
import { runMedic } from './support/substrate.ts';

let s: BenchSubstrate;
let machine: Awaited<ReturnType<typeof import('../local/engine.ts').loadLocalMachine>>;

beforeAll(async () => {
  s = await startBenchSubstrate();
  const { loadLocalMachine } = await import('../local/engine.ts');
  machine = await loadLocalMachine();
});
afterAll(async () => {
  await s?.stop();
});

async function measure(scenario: string): Promise<IncidentMeasure> {
  await s.reset();
  // Waits long enough for the scenario's host to be back at the first verification, even on a
  // loaded machine: the count then follows the definition, not the scheduler.
  return runIncident({ machine, moto: s.moto, ec2: s.ec2, scenario, waitMs: 1_000 });
}

describe('state transitions per incident (Step Functions Standard bills each one)', () => {
  it('the common path (unreachable, a reboot fixes it) acts after at most 4 Lambda hops and 12 transitions, and ends within 20', async () => {
    // Act
    const m = await measure('unreachable');

    // Assess
    expect(m.status).toBe('SUCCEEDED');
    expect(m.firstAction?.action).toBe('RebootInstances');
    expect(m.outcome).toBe('resolved');
    // Incidents are rare, so deployed every Lambda on the way is a cold start.
    expect(m.lambdaHopsToFirstAction).not.toBeNull();
    expect(m.lambdaHopsToFirstAction).toBeLessThanOrEqual(4);
    expect(m.transitionsToFirstAction).not.toBeNull();
    expect(m.transitionsToFirstAction).toBeLessThanOrEqual(12);
    expect(m.transitions).toBeLessThanOrEqual(20);
    // Every transition is counted, including the Task that acted.
    expect(m.transitions).toBeGreaterThan(m.transitionsToFirstAction ?? 0);
  }, 180_000);

  it('`medic simulate --json` reports the same way to the first action as the bench measures', async () => {
    // Prepare
    const m = await measure('unreachable');
    await s.reset();

    // Act
    const run = await runMedic(['simulate', '--scenario', 'unreachable', '--json'], s.env, 150_000);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as {
      transitionsToFirstAction: number | null;
      lambdaHopsToFirstAction: number | null;
    };
    expect(result.lambdaHopsToFirstAction).toBeGreaterThan(0);
    expect(result.lambdaHopsToFirstAction).toBe(m.lambdaHopsToFirstAction);
    expect(result.transitionsToFirstAction).toBe(m.transitionsToFirstAction);
  }, 300_000);

  it('an incident that needs no action (healthy) costs no more than the common path', async () => {
    // Act
    const m = await measure('healthy');

    // Assess
    expect(m.status).toBe('SUCCEEDED');
    expect(m.firstAction).toBeNull();
    expect(m.transitionsToFirstAction).toBeNull();
    expect(m.lambdaHopsToFirstAction).toBeNull();
    expect(m.transitions).toBeLessThanOrEqual(20);
  }, 180_000);
});
