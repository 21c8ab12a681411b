/**
 * Cost budget, asserted where it is deterministic: Step Functions Standard bills per state
 * transition, so the count of transitions an incident takes is the cost. Counted from the engine's
 * own event log on the real definition and handlers (moto + local Jira), never hand-kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IncidentMeasure, runIncident } from '../bench/incident.ts';
import { type BenchSubstrate, startBenchSubstrate } from '../bench/substrate.ts';

let s: BenchSubstrate;
let machine: Awaited<ReturnType<typeof import('../shared/local/engine.ts').loadLocalMachine>>;

beforeAll(async () => {
  s = await startBenchSubstrate();
  const { loadLocalMachine } = await import('../shared/local/engine.ts');
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
  it('the common path (unreachable, a reboot fixes it) acts within 16 transitions and ends within 24', async () => {
    // Act
    const m = await measure('unreachable');

    // Assess
    expect(m.status).toBe('SUCCEEDED');
    expect(m.firstAction?.action).toBe('RebootInstances');
    expect(m.transitionsToFirstAction).not.toBeNull();
    // Investigate, GatherEvidence, its 5 branches, Decide, WhatNow?, Reboot after the admission
    // states; then IsTheActionDone?, WaitBeforeVerify, Verify, IsItBack?, Decide, WhatNow?, FileCase, Close.
    expect(m.transitionsToFirstAction).toBeLessThanOrEqual(16);
    expect(m.outcome).toBe('resolved');
    expect(m.transitions).toBeLessThanOrEqual(24);
    // Every transition is counted, including the Task that acted.
    expect(m.transitions).toBeGreaterThan(m.transitionsToFirstAction ?? 0);
  }, 180_000);

  it('an incident that needs no action (healthy) costs no more than the common path', async () => {
    // Act
    const m = await measure('healthy');

    // Assess
    expect(m.status).toBe('SUCCEEDED');
    expect(m.firstAction).toBeNull();
    expect(m.transitionsToFirstAction).toBeNull();
    expect(m.transitions).toBeLessThanOrEqual(24);
  }, 180_000);
});
