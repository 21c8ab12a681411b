/**
 * A crash at a Task boundary loses nothing: the reduced `npm run chaos` matrix (one crash kind per
 * Task of the common path, every kind on the reboot rung) on moto + the local Jira, and the
 * invariant checks themselves on runs that break them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChaosHarness,
  type CrashKind,
  type CrashPoint,
  checkInvariants,
  formatResult,
  lostAnswerError,
  type RunEvidence,
  startChaos,
  taskTimeouts,
} from '../local/chaos.ts';
import type { RecordedAwsCall } from '../local/moto.ts';

/** The common path's Tasks and the crash each gets here (`npm run chaos` runs all three on each). */
const COMMON_PATH: Record<string, CrashKind[]> = {
  Admit: ['timeout', 'entry'],
  EvidenceEc2: ['timeout'],
  EvidenceReachability: ['entry'],
  EvidenceResources: ['duplicate'],
  EvidenceHost: ['timeout'],
  EvidenceAlerts: ['entry'],
  Decide: ['duplicate'],
  Reboot: ['entry', 'timeout', 'duplicate'],
  Verify: ['timeout'],
  FileCase: ['timeout'],
  Close: ['duplicate', 'timeout'],
};

describe('the invariants (pure)', () => {
  const point: CrashPoint = { scenario: 'unreachable', state: 'Reboot', kind: 'timeout' };
  const reboot = (seq: number): RecordedAwsCall => ({
    seq,
    at: '',
    service: 'ec2',
    action: 'RebootInstances',
    params: { 'InstanceId.1': 'i-1' },
  });
  const clean: RunEvidence = {
    incidentId: 'ep-1',
    instanceIds: ['i-1'],
    status: 'SUCCEEDED',
    state: {
      timeline: [
        { at: '2026-01-01T00:00:00Z', step: 'Reboot', kind: 'error', summary: 'States.Timeout: gone' },
      ],
      cases: [],
    } as never,
    tickets: 1,
    outbox: 0,
    finalNotifications: [{ subject: '[medic] ESCALATED: web-1', body: 'Incident ep-1' }],
    locksHeld: [],
    mutating: [reboot(1)],
    leftStopped: [],
  };
  const injected = { error: { name: 'States.Timeout', cause: '' }, invocations: 1 };

  it('a run that kept every promise has no violation', () => {
    // Act
    const violations = checkInvariants(point, clean, injected);
    // Assess
    expect(violations).toEqual([]);
  });

  it('names each broken promise: duplicate ticket, silence, a held lock, a second reboot, a stopped host, a mute timeline', () => {
    // Prepare
    const broken: RunEvidence = {
      ...clean,
      tickets: 2,
      finalNotifications: [],
      locksHeld: ['i-1'],
      mutating: [reboot(1), reboot(2)],
      leftStopped: ['i-1'],
      state: { timeline: [], cases: [] } as never,
    };
    // Act
    const violations = checkInvariants(point, broken, injected);
    // Assess
    expect(violations.map((v) => v.invariant)).toEqual([
      'record',
      'notification',
      'lock',
      'mutation',
      'stopped',
      'timeline',
    ]);
    expect(violations.find((v) => v.invariant === 'mutation')?.detail).toMatch(
      /^RebootInstances issued 2 times/,
    );
  });

  it('nothing recorded at all, or a crash point never reached, is a violation too', () => {
    // Act
    const violations = checkInvariants(point, { ...clean, tickets: 0 }, { ...injected, invocations: 0 });
    // Assess
    expect(violations.map((v) => v.invariant)).toEqual(['reached', 'record']);
  });

  it('a target-group failover left half done is a violation: standby registered, sick instance still a target', () => {
    // Prepare
    const tg = (health: Record<string, string>, standbyRegistered = true) => ({
      ...clean,
      targetGroups: [
        { instanceId: 'i-1', standby: 'i-2', targetGroupArn: 'arn:tg', health, standbyRegistered },
      ],
    });
    // Act
    const half = checkInvariants(point, tg({ 'i-1': 'healthy', 'i-2': 'healthy' }), injected);
    const done = checkInvariants(point, tg({ 'i-1': 'draining', 'i-2': 'healthy' }), injected);
    const gone = checkInvariants(point, tg({ 'i-2': 'healthy' }), injected);
    const notTried = checkInvariants(point, tg({ 'i-1': 'healthy', 'i-2': 'healthy' }, false), injected);
    // Assess
    expect(half.map((v) => v.invariant)).toEqual(['failover']);
    expect(half[0]?.detail).toMatch(/failover of i-1 half done: standby i-2 registered .* still a target/);
    expect([...done, ...gone, ...notTried]).toEqual([]);
  });

  it("a lost answer is the state's States.Timeout when the state gives up first, else the Lambda timeout", () => {
    // Act
    const timeouts = taskTimeouts();
    // Assess: every Task of the definition has one, derived from its two timeouts
    expect([...timeouts.keys()]).toEqual(expect.arrayContaining(Object.keys(COMMON_PATH)));
    for (const error of timeouts.values())
      expect(['States.Timeout', 'Sandbox.Timedout']).toContain(error.name);
    expect(lostAnswerError(60, 30)).toEqual({
      name: 'Sandbox.Timedout',
      cause: 'Task timed out after 30.00 seconds',
    });
    expect(lostAnswerError(30, 30).name).toBe('States.Timeout');
  });
});

describe('crash at a Task boundary (moto + local Jira)', () => {
  let chaos: ChaosHarness;
  beforeAll(async () => {
    chaos = await startChaos();
  }, 60_000);
  afterAll(async () => {
    await chaos?.stop();
  });

  it('one crash per Task of the common path and all three on the reboot rung: no invariant broken', async () => {
    // Prepare: the clean run tells which Tasks the common path reaches; the table must cover them
    const { points: all, baseline } = await chaos.plan(['unreachable'], ['entry', 'timeout', 'duplicate']);
    const reached = [...new Set(all.map((p) => p.state))];
    expect(reached.sort()).toEqual(Object.keys(COMMON_PATH).sort());
    const points = all.filter((p) => COMMON_PATH[p.state]?.includes(p.kind));
    // Act
    const results = [];
    for (const point of points) results.push(await chaos.runPoint(point));
    // Assess
    const report = [...baseline, ...results].map(formatResult).join('\n');
    expect(
      baseline.flatMap((b) => b.violations),
      report,
    ).toEqual([]);
    expect(
      results.flatMap((r) => r.violations),
      report,
    ).toEqual([]);
    expect(results).toHaveLength(Object.values(COMMON_PATH).flat().length);
  }, 120_000);

  it('a lost or duplicated StopStart or Failover answer leaves no instance stopped and no failover half done', async () => {
    // Prepare: the rung scenarios; StopStart is first reached by the first, Failover by the second
    const { points: all, baseline } = await chaos.plan(
      ['reboot-fails-stopstart-fixes', 'failover-target-group'],
      ['timeout', 'duplicate'],
    );
    const points = all.filter((p) => p.state === 'StopStart' || p.state === 'Failover');
    // Act
    const results = [];
    for (const point of points) results.push(await chaos.runPoint(point));
    // Assess
    const report = [...baseline, ...results].map(formatResult).join('\n');
    expect(
      [...baseline, ...results].flatMap((r) => r.violations),
      report,
    ).toEqual([]);
    expect(points.map((p) => `${p.state} ${p.kind}`)).toEqual([
      'StopStart timeout',
      'StopStart duplicate',
      'Failover timeout',
      'Failover duplicate',
    ]);
  }, 180_000);
});
