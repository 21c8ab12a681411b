/**
 * Never act on a blind observer: the assessment is table-tested for the cases where medic's own
 * vantage point (the probe function in the VPC) cannot be trusted, and the reachability and Verify
 * use cases are tested for the control probe and for probes=off, with in-memory ports.
 */
import { describe, expect, it } from 'vitest';
import { aliveSignals, assess } from '../shared/domain/assess.ts';
import { parseHostOutput } from '../shared/domain/host-output.ts';
import type { Evidence, InstanceCase, Vantage } from '../shared/domain/model.ts';
import { amazonDnsAddress, parseHostPort } from '../shared/domain/net.ts';
import type { ProbePort } from '../shared/ports.ts';
import { canaryTarget, gatherReachability, placement } from '../shared/usecases/evidence.ts';
import { verify } from '../shared/usecases/verify.ts';
import { instanceCase as aCase } from './support/cases.ts';

type Reach = NonNullable<Evidence['reachability']['value']>;
const MUTATING = ['restart-service', 'reboot', 'stop-start', 'failover'];
const END = '2026-01-01T00:31:00.000Z';
const FROM = 'subnets subnet-a, subnet-b; security groups sg-probe';

const ec2 = (instanceStatus = 'ok', systemStatus = 'ok'): Evidence['ec2'] => ({
  ok: true,
  error: null,
  checks: [],
  value: { state: 'running', systemStatus, instanceStatus, scheduledEvents: [] },
});
const vantage = (status: Vantage['status']): Vantage => ({
  status,
  canary: status === 'unproven' || status === 'off' ? null : '10.0.0.2:53',
  from: FROM,
  detail: `control probe ${status}`,
});
const port = (tcp: 'open' | 'refused' | 'timeout', banner: string | null = null) => ({
  port: 22,
  ssh: true,
  tcp,
  banner,
  latencyMs: tcp === 'open' ? 2 : null,
});
const reach = (
  ports: Reach['ports'],
  v: Vantage['status'] | null,
  http: Reach['http'] = null,
): Evidence['reachability'] => ({
  ok: true,
  error: null,
  checks: [],
  value: { address: '10.0.1.20', ports, http, ...(v ? { vantage: vantage(v) } : {}) },
});
const silentHttp = { url: 'http://10.0.1.20/h', status: null, ok: false, latencyMs: null, error: 'timeout' };
const okHttp = { url: 'http://10.0.1.20/h', status: 200, ok: true, latencyMs: 4, error: null };
const allTimeout = (v: Vantage['status'] | null) => reach([port('timeout')], v, silentHttp);
const healthy = (v: Vantage['status'] | null) => reach([port('open', 'SSH-2.0-x')], v, okHttp);
const agent = (state: 'online' | 'offline'): Evidence['host'] => ({
  ok: true,
  error: null,
  checks: [],
  value: {
    agent: state,
    agentDetail:
      state === 'online' ? 'SSM agent Online' : 'SSM agent ConnectionLost since 2026-01-01T00:10:00Z',
    commandStatus: state === 'online' ? 'Success' : null,
    // A host that reported nothing: no disks, units, service or log lines.
    ...parseHostOutput('', null),
  },
});
/** Agent metrics whose newest datapoint is `minutesAgo` before the end of the window. */
const agentMetrics = (minutesAgo: number): Evidence['metrics'] => ({
  ok: true,
  error: null,
  checks: [],
  value: {
    window: { start: '2026-01-01T00:00:00.000Z', end: END },
    cpu: null,
    memory: {
      metric: 'mem_used_percent',
      dimensions: '',
      latest: 40,
      max: 41,
      samples: 10,
      lastAt: new Date(Date.parse(END) - minutesAgo * 60_000).toISOString(),
    },
    disks: [],
    gaps: [],
  },
});

describe('never act on a blind observer (pure assessment)', () => {
  it.each<[string, string, Evidence]>([
    [
      'every probe times out, status check passes, SSM agent online',
      'blind-observer',
      { ec2: ec2(), reachability: allTimeout('reached'), host: agent('online') },
    ],
    [
      'every probe times out, no control probe configured, SSM agent online',
      'blind-observer',
      { ec2: ec2(), reachability: allTimeout(null), host: agent('online') },
    ],
    [
      'every probe times out, SSM agent lost, but the CloudWatch agent still publishes',
      'blind-observer',
      { ec2: ec2(), reachability: allTimeout('reached'), host: agent('offline'), metrics: agentMetrics(2) },
    ],
    [
      'the control probe fails while the host answers: nothing probed from here counts',
      'blind-observer',
      { ec2: ec2(), reachability: healthy('blind'), host: agent('online') },
    ],
    [
      'the control probe fails and nothing vouches for the host',
      'blind-observer',
      { ec2: ec2(), reachability: allTimeout('blind') },
    ],
    [
      'a real partition: every probe times out, SSM agent lost, agent metrics stopped',
      'network',
      { ec2: ec2(), reachability: allTimeout('reached'), host: agent('offline'), metrics: agentMetrics(20) },
    ],
    [
      'every probe refused and no independent signal at all',
      'network',
      { ec2: ec2(), reachability: reach([port('refused')], 'reached') },
    ],
    [
      'SSM agent online but the instance status check is still initializing: not proof of life',
      'network',
      { ec2: ec2('initializing'), reachability: allTimeout('reached'), host: agent('online') },
    ],
    [
      'a blind vantage never hides what EC2 itself reports (instance status check failed)',
      'os',
      { ec2: ec2('impaired'), reachability: allTimeout('blind'), host: agent('offline') },
    ],
    [
      'a blind vantage never hides a failed system status check',
      'hardware',
      { ec2: ec2('impaired', 'impaired'), reachability: allTimeout('blind') },
    ],
    [
      'probes=off with a healthy host: not checked, closed as self-recovered',
      'transient',
      { ec2: ec2(), reachability: reach([], 'off'), host: agent('online') },
    ],
  ])('%s → %s', (_what, classification, evidence) => {
    // Act
    const result = assess(evidence, { hasService: true });
    // Assess
    expect(result.classification).toBe(classification);
    if (classification === 'blind-observer') {
      expect(result.plan).toEqual(['page']);
      expect(result.plan.filter((a) => MUTATING.includes(a))).toEqual([]);
    }
  });

  it('says what medic could not reach from where, and which security group rule to check', () => {
    // Act
    const result = assess(
      { ec2: ec2(), reachability: allTimeout('reached'), host: agent('online') },
      { hasService: true },
    );
    const text = result.reasons.join(' | ');
    // Assess
    expect(result.confidence).toBe('high');
    expect(text).toContain('could not reach 10.0.1.20 (22: timeout)');
    expect(text).toContain(`from ${FROM}`);
    expect(text).toContain('allows inbound TCP 22 from the probe security group (sg-probe)');
    expect(text).toContain('the SSM agent is online');
  });

  it('probes=off: reachability is "not checked", never a failure, and the reasons say so', () => {
    // Act
    const result = assess(
      { ec2: ec2(), reachability: reach([], 'off'), host: agent('online') },
      { hasService: true },
    );
    // Assess
    expect(result.reasons.join(' ')).toMatch(/reachability not checked \(probes=off\)/);
    expect(result.reasons.join(' ')).not.toMatch(/could not be checked|unreachable|no probed port/);
  });

  it('alive means the status check passes AND the SSM agent or the CloudWatch agent reports', () => {
    // Act
    const statusOnly = aliveSignals({ ec2: ec2(), reachability: allTimeout(null) });
    const stale = aliveSignals({ ec2: ec2(), reachability: allTimeout(null), metrics: agentMetrics(7) });
    const fresh = aliveSignals({ ec2: ec2(), reachability: allTimeout(null), metrics: agentMetrics(5) });
    // Assess
    expect(statusOnly).toEqual([]);
    expect(stale).toEqual([]);
    expect(fresh.join(' ')).toMatch(/CloudWatch agent still publishes \(mem_used_percent/);
  });
});

describe('the Amazon DNS resolver as the default control target', () => {
  it.each([
    ['10.0.0.0/16', '10.0.0.2'],
    ['10.20.0.0/16', '10.20.0.2'],
    ['172.31.0.0/16', '172.31.0.2'],
    ['192.168.4.0/22', '192.168.4.2'],
    ['10.1.2.3/16', '10.1.0.2'],
    ['not a cidr', null],
  ])('%s → %s', (cidr, expected) => {
    // Act / Assess
    expect(amazonDnsAddress(cidr)).toBe(expected);
  });

  it('host:port parsing accepts IPv4, names and bracketed IPv6 only', () => {
    // Act / Assess
    expect(parseHostPort('127.0.0.1:53')).toEqual({ host: '127.0.0.1', port: 53 });
    expect(parseHostPort('[::1]:5353')).toEqual({ host: '::1', port: 5353 });
    expect(parseHostPort('127.0.0.1')).toBeNull();
    expect(parseHostPort('127.0.0.1:70000')).toBeNull();
  });

  it('without MEDIC_PROBE_CANARY, looks up the VPC of the first probe subnet once', async () => {
    // Prepare
    const asked: string[] = [];
    const vpc = {
      vpcCidrOfSubnet: async (subnet: string) => {
        asked.push(subnet);
        return '10.20.0.0/16';
      },
    };
    const target = canaryTarget(undefined, 'subnet-a,subnet-b', vpc);
    // Act
    const first = await target();
    const second = await target();
    // Assess
    expect(first).toEqual({ host: '10.20.0.2', port: 53 });
    expect(second).toEqual(first);
    expect(asked).toEqual(['subnet-a']);
    expect(await canaryTarget('127.0.0.1:9053', 'subnet-a', vpc)()).toEqual({
      host: '127.0.0.1',
      port: 9053,
    });
    expect(await canaryTarget(undefined, '', vpc)()).toBeNull();
  });
});

function instanceCase(over: Partial<InstanceCase> = {}): InstanceCase {
  const probe = { address: '127.0.0.1', ports: [2222], sshPort: 2222, healthUrl: null };
  return aCase({
    incidentId: 'medic-test-vantage',
    settings: { verifyPolls: 2 },
    target: { instanceId: 'i-0vantage', privateIp: '10.0.1.20', probe },
    assessment: null,
    ...over,
  });
}

/** A probe port that answers from a table: host:port → open or timeout; records every attempt. */
function probes(open: Set<string>) {
  const attempts: string[] = [];
  const port: ProbePort = {
    tcp: async (address, p, { readBanner }) => {
      attempts.push(`${address}:${p}`);
      const up = open.has(`${address}:${p}`);
      return {
        port: p,
        ssh: readBanner,
        tcp: up ? 'open' : 'timeout',
        banner: up && readBanner ? 'SSH-2.0-x' : null,
        latencyMs: up ? 1 : null,
      };
    },
    http: async (url) => {
      attempts.push(url);
      return { url, status: null, ok: false, latencyMs: null, error: 'timeout' };
    },
  };
  return { port, attempts };
}

describe('the reachability step proves its vantage point', () => {
  const vantageDeps = (mode: 'on' | 'off', canary: string | null) => ({
    mode,
    canary: async () => (canary ? parseHostPort(canary) : null),
    from: placement('subnet-a', 'sg-probe'),
  });

  it('runs the control probe from the same place and records it as evidence', async () => {
    // Prepare
    const p = probes(new Set(['127.0.0.1:2222', '127.0.0.1:9053']));
    // Act
    const branch = await gatherReachability(instanceCase(), {
      probes: p.port,
      timeoutMs: 100,
      loopbackOnly: true,
      vantage: vantageDeps('on', '127.0.0.1:9053'),
    });
    // Assess
    expect(p.attempts).toContain('127.0.0.1:9053');
    expect(branch.value?.vantage).toMatchObject({ status: 'reached', canary: '127.0.0.1:9053' });
    expect(branch.checks.filter((c) => c.status !== 'pass')).toEqual([]);
  });

  it('a control probe that does not answer makes the vantage "blind", and the assessment pages', async () => {
    // Prepare
    const p = probes(new Set());
    // Act
    const branch = await gatherReachability(instanceCase(), {
      probes: p.port,
      timeoutMs: 100,
      loopbackOnly: true,
      vantage: vantageDeps('on', '127.0.0.1:9053'),
    });
    const result = assess({ ec2: ec2(), reachability: branch }, { hasService: false });
    // Assess
    expect(branch.value?.vantage?.status).toBe('blind');
    expect(branch.value?.vantage?.detail).toContain('subnet-a');
    expect(branch.checks.find((c) => c.name.startsWith('vantage'))?.status).toBe('fail');
    expect(result).toMatchObject({ classification: 'blind-observer', plan: ['page'] });
  });

  it('never sends the control probe off loopback where only loopback is allowed', async () => {
    // Prepare
    const p = probes(new Set(['127.0.0.1:2222']));
    // Act
    const branch = await gatherReachability(instanceCase(), {
      probes: p.port,
      timeoutMs: 100,
      loopbackOnly: true,
      vantage: vantageDeps('on', '10.0.0.2:53'),
    });
    // Assess
    expect(p.attempts).toEqual(['127.0.0.1:2222']);
    expect(branch.value?.vantage?.status).toBe('unproven');
  });

  it('probes=off: no socket is opened and reachability is "not checked", not failed', async () => {
    // Prepare
    const p = probes(new Set());
    // Act
    const branch = await gatherReachability(instanceCase(), {
      probes: p.port,
      timeoutMs: 100,
      loopbackOnly: true,
      vantage: vantageDeps('off', '127.0.0.1:9053'),
    });
    // Assess
    expect(p.attempts).toEqual([]);
    expect(branch.ok).toBe(true);
    expect(branch.value?.ports).toEqual([]);
    expect(branch.checks).toEqual([expect.objectContaining({ name: 'reachability', status: 'unknown' })]);
    expect(branch.checks[0]?.value).toMatch(/^not checked: .*probes=off/);
  });
});

describe('Verify with probes=off relies on the independent signals and says so', () => {
  const clock = () => new Date('2026-01-01T00:05:00.000Z');
  const afterReboot = instanceCase({
    pollsLeft: 2,
    lastActionAt: '2026-01-01T00:04:00.000Z',
    actions: [
      {
        kind: 'reboot',
        instanceId: 'i-0vantage',
        at: '2026-01-01T00:04:00.000Z',
        outcome: 'succeeded',
        detail: '',
      },
    ],
  });
  const signals = (instanceStatus: string, ping: string | null) => ({
    ec2: {
      describeHealth: async () => ({
        state: 'running',
        systemStatus: 'ok',
        instanceStatus,
        scheduledEvents: [],
      }),
    },
    agent: { agentStatus: async () => (ping ? { pingStatus: ping, lastPing: null } : null) },
  });

  it.each<[string, boolean, string, string | null]>([
    ['status checks ok, SSM agent back online', true, 'ok', 'Online'],
    ['status checks ok, not a managed node', true, 'ok', null],
    ['status check still initializing', false, 'initializing', 'Online'],
    ['status checks ok but the SSM agent has not come back', false, 'ok', 'ConnectionLost'],
  ])('%s → recovered: %s', async (_what, recovered, instanceStatus, ping) => {
    // Prepare
    const p = probes(new Set());
    // Act
    const out = await verify(afterReboot, {
      probes: p.port,
      timeoutMs: 100,
      loopbackOnly: true,
      vantage: { mode: 'off', canary: async () => null, from: null },
      clock,
      signals: signals(instanceStatus, ping),
    });
    // Assess
    expect(p.attempts).toEqual([]);
    expect(out.outcome === 'resolved').toBe(recovered);
    expect(out.timeline[0]?.summary).toMatch(
      /reachability not checked \(probes=off\): judged by independent signals only/,
    );
  });
});
