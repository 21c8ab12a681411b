import { describe, expect, it } from 'vitest';
import type { InstanceCase } from '../shared/domain/model.ts';
import type { Ec2Port, Notification, NotifierPort, ProbePort } from '../shared/ports.ts';
import { gatherReachability } from '../shared/usecases/evidence.ts';
import { mitigate } from '../shared/usecases/mitigate.ts';

function fakes() {
  const reboots: { instanceId: string; dryRun: boolean }[] = [];
  const published: Notification[] = [];
  const ec2: Ec2Port = {
    describeInstances: async () => [],
    describeHealth: async () => ({
      state: 'running',
      systemStatus: 'ok',
      instanceStatus: 'ok',
      scheduledEvents: [],
    }),
    reboot: async (instanceId, { dryRun }) => {
      reboots.push({ instanceId, dryRun });
    },
  };
  const notifier: NotifierPort = {
    publish: async (n) => {
      published.push(n);
      return { messageId: `m-${published.length}` };
    },
  };
  return { ec2, notifier, reboots, published, clock: () => new Date('2026-01-01T00:00:00.000Z') };
}

function instanceCase(over: Partial<InstanceCase> & { managed?: boolean } = {}): InstanceCase {
  const { managed = true, ...rest } = over;
  return {
    incidentId: 'medic-test-1',
    mode: 'auto',
    settings: { verifyWaitSeconds: 1, verifyPolls: 3, probeTimeoutMs: 200, executionUrl: null },
    target: {
      instanceId: 'i-0123456789abcdef0',
      name: 'web-1',
      managed,
      state: 'running',
      availabilityZone: 'us-east-1a',
      instanceType: 't3.micro',
      privateIp: '10.0.0.5',
      service: null,
      probe: { address: '10.0.0.5', ports: [22], sshPort: 22, healthUrl: null },
    },
    evidence: null,
    assessment: {
      classification: 'os',
      confidence: 'high',
      reasons: ['hung'],
      plan: ['reboot', 'stop-start', 'failover', 'page'],
    },
    rung: 0,
    pollsLeft: 0,
    lastActionAt: null,
    next: 'act',
    actions: [],
    outcome: null,
    timeline: [],
    ...rest,
  };
}

describe('mitigate: safety gates before any mutating call', () => {
  it('never reboots an instance that is not opted in (medic:managed=true): holds and pages instead', async () => {
    // Prepare
    const f = fakes();
    // Act
    const result = await mitigate(instanceCase({ managed: false }), f);
    // Assess
    expect(f.reboots).toEqual([]);
    expect(result.actions.map((a) => [a.kind, a.outcome])).toEqual([
      ['reboot', 'held'],
      ['page', 'paged'],
    ]);
    expect(result.outcome).toBe('held');
    expect(result.next).toBe('done');
    expect(f.published.map((p) => p.severity)).toEqual(['critical']);
  });

  it('refuses every rung for a non-opted-in instance, even when the plan is walked from a later rung', async () => {
    // Prepare: a tampered state that skipped to a later mutating rung
    const f = fakes();
    // Act
    const result = await mitigate(instanceCase({ managed: false, rung: 1 }), f);
    // Assess
    expect(f.reboots).toEqual([]);
    expect(result.actions[0]).toMatchObject({ kind: 'stop-start', outcome: 'held' });
  });

  it('in dry-run mode proves permission with EC2 DryRun and records "would have"', async () => {
    // Prepare
    const f = fakes();
    // Act
    const result = await mitigate(instanceCase({ mode: 'dry-run' }), f);
    // Assess
    expect(f.reboots).toEqual([{ instanceId: 'i-0123456789abcdef0', dryRun: true }]);
    expect(result.actions[0]).toMatchObject({ kind: 'reboot', outcome: 'would-have' });
    expect(result.outcome).toBe('dry-run');
  });

  it('reboots an opted-in instance and hands over to verification with a bounded poll count', async () => {
    // Prepare
    const f = fakes();
    // Act
    const result = await mitigate(instanceCase(), f);
    // Assess
    expect(f.reboots).toEqual([{ instanceId: 'i-0123456789abcdef0', dryRun: false }]);
    expect(result).toMatchObject({ next: 'verify', pollsLeft: 3, rung: 1 });
  });
});

describe('reachability: probes never leave loopback where that is enforced', () => {
  it('refuses a private-IP target without opening a connection', async () => {
    // Prepare
    const attempts: string[] = [];
    const probes: ProbePort = {
      tcp: async (address, port) => {
        attempts.push(`${address}:${port}`);
        return { port, ssh: true, tcp: 'open', banner: 'SSH-2.0-x', latencyMs: 1 };
      },
      http: async (url) => {
        attempts.push(url);
        return { url, status: 200, ok: true, latencyMs: 1, error: null };
      },
    };
    // Act
    const branch = await gatherReachability(instanceCase(), { probes, timeoutMs: 100, loopbackOnly: true });
    // Assess
    expect(attempts).toEqual([]);
    expect(branch.ok).toBe(false);
    expect(branch.error).toMatch(/UnsafeProbeTargetError: refusing to probe 10\.0\.0\.5/);
  });
});
