/**
 * A state that never exceeds Step Functions' 256 KiB. AWS fails the run with
 * States.DataLimitExceeded (no Catch takes it: no Record, no Release, locks held for the lease)
 * when any state's input or output passes the limit; the local engine has no limit at all, so the
 * engine measures every state in UTF-8 bytes (maxStateBytes) and these tests hold it to 200 KB on
 * the largest incident medic accepts, and each compact case to 8 KB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  boundTimeline,
  COMPACT_CASE_BYTES,
  compactCase,
  fitForStore,
  jsonBytes,
  rehydrate,
  STORED_CASE_BYTES,
} from '../shared/domain/case-size.ts';
import type { InstanceCase, TimelineEntry } from '../shared/domain/model.ts';
import { resolvedIncident } from './support/incident.ts';
import { runMedic, type Substrate, startSubstrate } from './support/substrate.ts';

/** Three UTF-8 bytes per character: what a tag, a host or a person may well send. */
const wide = (n: number) => '界'.repeat(n);

function maximalCase(): InstanceCase {
  const base = resolvedIncident().cases?.[0] as InstanceCase;
  const entry = (i: number): TimelineEntry => ({
    at: new Date(Date.UTC(2026, 2, 1, 3, 0, i)).toISOString(),
    step: 'Verify',
    kind: 'verify',
    instanceId: base.target.instanceId,
    summary: wide(400),
    detail: { output: wide(2_000) },
  });
  return {
    ...base,
    // Tag values are at most 256 characters.
    target: {
      ...base.target,
      name: wide(256),
      service: wide(256),
      logGroup: wide(256),
      maintenance: wide(256),
      group: wide(256),
      probe: { ...base.target.probe, healthUrl: wide(256), address: wide(256) },
      failover: {
        standby: wide(256),
        targetGroupArn: wide(256),
        route53: wide(256),
        autoScalingGroup: wide(256),
      },
    },
    verifyProbe: { address: wide(256), ports: [22, 80, 443], sshPort: 22, healthUrl: wide(256) },
    assessment: {
      classification: 'os',
      confidence: 'high',
      reasons: Array.from({ length: 30 }, () => wide(1_000)),
      plan: ['reboot', 'stop-start', 'failover', 'page'],
    },
    actions: Array.from({ length: 40 }, (_, i) => ({
      kind: 'reboot' as const,
      instanceId: base.target.instanceId,
      at: entry(i).at,
      outcome: 'not-recovered' as const,
      detail: wide(5_000),
    })),
    approval: { decision: 'rejected', by: wide(1_000), note: wide(5_000), nested: { deep: wide(5_000) } },
    verifySeen: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${wide(50)}${i}`, wide(50)])),
    caseError: { Error: wide(1_000), Cause: wide(30_000) },
    actionError: { Error: wide(1_000), Cause: wide(30_000) },
    timeline: Array.from({ length: 300 }, (_, i) => entry(i)),
  };
}

describe('one case, as the Map returns it', () => {
  it('a case with everything at its maximum is compacted below 8 KB (UTF-8), its key kept whole', () => {
    // Prepare
    const whole = maximalCase();
    // Act
    const compact = compactCase(whole);
    // Assess
    expect(jsonBytes(whole)).toBeGreaterThan(1_000_000);
    expect(jsonBytes(compact)).toBeLessThan(COMPACT_CASE_BYTES);
    expect(compact.target.instanceId).toBe(whole.target.instanceId);
    expect(compact.storedAs).toBe(`${whole.incidentId}/${whole.target.instanceId}`);
    expect(compact.outcome).toBe(whole.outcome);
  });

  it('the whole case fits one DynamoDB item (400 KB), and reads back in place of the compact one', () => {
    // Prepare
    const whole = maximalCase();
    // Act
    const stored = fitForStore(whole);
    const back = rehydrate([compactCase(whole)], [stored]);
    // Assess
    expect(jsonBytes(stored)).toBeLessThanOrEqual(STORED_CASE_BYTES);
    expect(stored.timeline.some((e) => /entries omitted here/.test(e.summary))).toBe(true);
    expect(back).toEqual([stored]);
  });

  it('a bounded timeline keeps its first and last entries and says how many are elsewhere', () => {
    // Prepare
    const entries = maximalCase().timeline;
    // Act
    const bounded = boundTimeline(entries, 64_000, 'OPS-1');
    // Assess
    expect(jsonBytes(bounded)).toBeLessThanOrEqual(64_000);
    // Entries this large keep their time and step, not their detail.
    expect(bounded[0]?.at).toBe(entries[0]?.at);
    expect(bounded.at(-1)?.at).toBe(entries.at(-1)?.at);
    expect(bounded[0]).not.toHaveProperty('detail');
    expect(bounded.find((e) => e.step === 'timeline')?.summary).toMatch(
      /^\d+ entries omitted here: see OPS-1$/,
    );
  });
});

describe('the largest incident medic accepts, end to end', () => {
  let s: Substrate;
  beforeAll(async () => {
    s = await startSubstrate();
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('20 targets, each walking the whole ladder with host output and log lines at their caps: no state reaches 200 KB', async () => {
    // Prepare: one incident may hold all 20 (the fleet guard would otherwise hold them)
    const env = { ...s.env, MEDIC_FLEET_MAX_INSTANCES: '100', MEDIC_SIM_WAIT_MS: '50' };
    // Act
    const run = await runMedic(['simulate', '--scenario', 'largest-incident', '--json'], env, 480_000);
    const result = JSON.parse(run.stdout) as {
      status: string;
      targets: string[];
      actions: { kind: string; instanceId: string }[];
      maxStateBytes: number;
      ticket: { key: string } | null;
    };
    // Assess: the run is what it claims to be
    expect(run.code, run.stderr).toBe(0);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.targets).toHaveLength(20);
    for (const id of result.targets)
      expect(result.actions.filter((a) => a.instanceId === id).map((a) => a.kind)).toEqual([
        'reboot',
        'stop-start',
        'failover',
        'page',
      ]);
    expect(result.ticket?.key).toMatch(/^OPS-\d+$/);
    // Assess: measured as AWS measures it, with room to spare under 256 KiB
    expect(result.maxStateBytes).toBeGreaterThan(20_000);
    expect(result.maxStateBytes).toBeLessThan(200_000);
  }, 500_000);
});
