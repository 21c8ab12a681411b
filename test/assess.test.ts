/**
 * The assessment is a pure function: a table of evidence → classification and plan, covering
 * every classification, contradictory evidence, and missing evidence (never an aggressive action).
 */
import { describe, expect, it } from 'vitest';
import { assess, LADDERS } from '../shared/domain/assess.ts';
import { CLASSIFICATIONS, type Evidence } from '../shared/domain/model.ts';

type Ec2 = NonNullable<Evidence['ec2']['value']>;
type Reach = NonNullable<Evidence['reachability']['value']>;
type Metrics = NonNullable<NonNullable<Evidence['metrics']>['value']>;
type Host = NonNullable<NonNullable<Evidence['host']>['value']>;

const ec2 = (over: Partial<Ec2> = {}): Evidence['ec2'] => ({
  ok: true,
  error: null,
  checks: [],
  value: { state: 'running', systemStatus: 'ok', instanceStatus: 'ok', scheduledEvents: [], ...over },
});
const ssh = (tcp: 'open' | 'refused' | 'timeout', banner: string | null) => ({
  port: 22,
  ssh: true,
  tcp,
  banner,
  latencyMs: 3,
});
const reach = (ports: Reach['ports'], http: Reach['http'] = null): Evidence['reachability'] => ({
  ok: true,
  error: null,
  checks: [],
  value: { address: '127.0.0.1', ports, http },
});
const unchecked = (why: string) => ({ ok: false, value: null, error: why, checks: [] });
const http = (status: number | null) => ({
  url: 'http://127.0.0.1/h',
  status,
  ok: status === 200,
  latencyMs: 5,
  error: status ? null : 'timeout',
});
const series = (metric: string, latest: number | null) => ({
  metric,
  dimensions: metric === 'disk_used_percent' ? 'path=/' : '',
  latest,
  max: latest,
  samples: latest === null ? 0 : 10,
});
const metrics = (
  over: { cpu?: number; mem?: number | null; disk?: number | null } = {},
): Evidence['metrics'] => {
  const value: Metrics = {
    window: { start: '2026-01-01T00:00:00.000Z', end: '2026-01-01T00:30:00.000Z' },
    cpu: series('CPUUtilization', over.cpu ?? 20),
    memory: over.mem === null ? null : series('mem_used_percent', over.mem ?? 40),
    disks: over.disk === null ? [] : [series('disk_used_percent', over.disk ?? 45)],
    gaps: [
      ...(over.mem === null
        ? ['no mem_used_percent for this instance: the CloudWatch agent is missing']
        : []),
      ...(over.disk === null
        ? ['no disk_used_percent for this instance: the CloudWatch agent is missing']
        : []),
    ],
  };
  return { ok: true, error: null, checks: [], value };
};
const host = (over: Partial<Host> = {}): Evidence['host'] => ({
  ok: true,
  error: null,
  checks: [],
  value: {
    agent: 'online',
    agentDetail: 'SSM agent Online',
    commandStatus: 'Success',
    disks: [{ mount: '/', usedPercent: 45 }],
    memory: { totalMb: 4000, availableMb: 2000, usedPercent: 50 },
    failedUnits: [],
    service: null,
    logTail: [],
    truncated: false,
    ...over,
  },
});

const up = reach([ssh('open', 'SSH-2.0-x')], http(200));
const appFailing = reach([ssh('open', 'SSH-2.0-x')], http(503));
const hung = reach([ssh('open', null)], http(null));
const closed = reach([ssh('refused', null)], http(null));
/** The same, seen from a vantage point whose control probe answered. */
const closedSeenFromInside: Evidence['reachability'] = {
  ...closed,
  value: closed.value && {
    ...closed.value,
    vantage: { status: 'reached', canary: '10.0.0.2:53', from: 'subnet-a', detail: 'control probe answered' },
  },
};

describe('assess: evidence → classification and plan', () => {
  it.each<[string, Evidence, string]>([
    ['system status impaired', { ec2: ec2({ systemStatus: 'impaired' }), reachability: closed }, 'hardware'],
    [
      'scheduled retirement on a host that still answers',
      {
        ec2: ec2({ scheduledEvents: [{ code: 'instance-retirement', description: 'x', notBefore: null }] }),
        reachability: up,
      },
      'hardware',
    ],
    ['instance status impaired', { ec2: ec2({ instanceStatus: 'impaired' }), reachability: hung }, 'os'],
    [
      'TCP accepted, no SSH banner',
      { ec2: ec2(), reachability: hung, metrics: metrics(), host: host() },
      'os',
    ],
    [
      'status OK but every port closed, seen from a proven vantage point',
      { ec2: ec2(), reachability: closedSeenFromInside, metrics: metrics() },
      'network',
    ],
    [
      'status OK but every port closed, and no control probe proves the vantage point',
      { ec2: ec2(), reachability: closed, metrics: metrics() },
      'blind-observer',
    ],
    [
      'SSH fine, health 503, unit failed',
      {
        ec2: ec2(),
        reachability: appFailing,
        host: host({ failedUnits: ['web.service'], service: { name: 'web.service', state: 'failed' } }),
      },
      'application',
    ],
    [
      'SSH and health fine but the configured service is failed',
      { ec2: ec2(), reachability: up, host: host({ service: { name: 'web.service', state: 'failed' } }) },
      'application',
    ],
    [
      'disk full (agent metric), app failing',
      { ec2: ec2(), reachability: appFailing, metrics: metrics({ disk: 100 }) },
      'resource:disk',
    ],
    [
      'disk full seen only by df on the host, everything else answers',
      { ec2: ec2(), reachability: up, host: host({ disks: [{ mount: '/var', usedPercent: 99 }] }) },
      'resource:disk',
    ],
    [
      'memory exhausted (free) while health fails',
      {
        ec2: ec2(),
        reachability: appFailing,
        host: host({ memory: { totalMb: 4000, availableMb: 80, usedPercent: 98 } }),
      },
      'resource:memory',
    ],
    [
      'memory exhausted and the instance status check failed (OOM hang)',
      { ec2: ec2({ instanceStatus: 'impaired' }), reachability: hung, metrics: metrics({ mem: 99 }) },
      'resource:memory',
    ],
    [
      'CPU pegged while SSH is silent',
      { ec2: ec2(), reachability: hung, metrics: metrics({ cpu: 99 }) },
      'resource:cpu',
    ],
    ['everything answers', { ec2: ec2(), reachability: up, metrics: metrics(), host: host() }, 'transient'],
    [
      'everything answers, CPU high but no symptom',
      { ec2: ec2(), reachability: up, metrics: metrics({ cpu: 97 }), host: host() },
      'transient',
    ],
    [
      'EC2 could not be checked',
      { ec2: unchecked('AccessDenied'), reachability: hung, metrics: metrics({ mem: 99 }) },
      'unknown',
    ],
  ])('%s → %s', (_what, evidence, classification) => {
    // Act
    const result = assess(evidence, { hasService: true });
    // Assess
    expect(result.classification).toBe(classification);
    expect(result.plan).toEqual(LADDERS[result.classification]);
    expect(result.reasons.length).toBeGreaterThan(0);
  });

  // An ingress rule on the probed port revoked five minutes before the alarm (policy-changes.test.ts).
  const revokedJustBefore: Evidence['alerts'] = {
    ok: true,
    error: null,
    checks: [],
    value: {
      alarm: null,
      logGroup: null,
      window: { start: '2026-11-29T11:30:00.000Z', end: '2026-11-29T12:00:00.000Z' },
      errorLines: [],
      scanned: 0,
      changes: {
        window: { start: '2026-11-29T11:00:00.000Z', end: '2026-11-29T12:00:00.000Z' },
        anchor: '2026-11-29T12:00:00.000Z',
        rows: [
          {
            at: '2026-11-29T11:55:00.000Z',
            source: 'cloudtrail',
            eventName: 'RevokeSecurityGroupIngress',
            actor: 'arn:aws:iam::123456789012:user/alice',
            resource: 'sg-1',
            detail: 'revoked all traffic',
            ports: [{ protocol: '-1', from: -1, to: -1 }],
          },
        ],
        unchecked: [],
        truncated: false,
      },
    },
  };

  it('the table above covers every classification', () => {
    // Prepare: the classifications the table's rows produce, re-derived from one row each
    const seen = new Set(
      [
        { ec2: ec2({ systemStatus: 'impaired' }), reachability: closed },
        { ec2: ec2(), reachability: closedSeenFromInside },
        { ec2: ec2(), reachability: hung },
        { ec2: ec2(), reachability: appFailing },
        { ec2: ec2(), reachability: appFailing, metrics: metrics({ disk: 95 }) },
        { ec2: ec2(), reachability: appFailing, metrics: metrics({ mem: 95 }) },
        { ec2: ec2(), reachability: appFailing, metrics: metrics({ cpu: 95 }) },
        { ec2: ec2(), reachability: up },
        { ec2: unchecked('x'), reachability: up },
        { ec2: ec2(), reachability: closed, host: host() },
        { ec2: ec2(), reachability: closed, alerts: revokedJustBefore },
      ].map((e) => assess(e, { hasService: false }).classification),
    );
    // Assess
    expect([...seen].sort()).toEqual([...CLASSIFICATIONS].sort());
  });

  it('plans drop the service restart when no medic:service unit is configured', () => {
    // Act
    const app = assess({ ec2: ec2(), reachability: appFailing }, { hasService: false });
    const memory = assess(
      { ec2: ec2(), reachability: appFailing, metrics: metrics({ mem: 97 }) },
      { hasService: false },
    );
    // Assess
    expect(app.plan).toEqual(['reboot', 'failover', 'page']);
    expect(memory.plan).toEqual(['reboot', 'page']);
  });

  it.each<[string, Evidence]>([
    [
      'EC2 could not be checked',
      { ec2: unchecked('AccessDenied'), reachability: reach([ssh('open', null)]) },
    ],
    ['reachability could not be checked', { ec2: ec2(), reachability: unchecked('States.Timeout') }],
    [
      'reachability unchecked while memory is exhausted',
      { ec2: ec2(), reachability: unchecked('States.Timeout'), metrics: metrics({ mem: 99 }) },
    ],
    [
      'the instance is stopped',
      { ec2: ec2({ state: 'stopped' }), reachability: reach([ssh('refused', null)]) },
    ],
    [
      'contradictory: every port closed yet the health URL answers 200',
      { ec2: ec2(), reachability: reach([ssh('refused', null)], http(200)) },
    ],
    [
      'every branch failed',
      {
        ec2: unchecked('x'),
        reachability: unchecked('x'),
        metrics: unchecked('x'),
        host: unchecked('x'),
        alerts: unchecked('x'),
      },
    ],
  ])('missing or odd evidence (%s) never becomes an aggressive action: it pages', (_what, evidence) => {
    // Act
    const result = assess(evidence, { hasService: true });
    // Assess
    expect(result.classification).toBe('unknown');
    expect(result.plan).toEqual(['page']);
  });

  it('a full disk known while reachability is unchecked still only pages (resource:disk)', () => {
    // Act
    const result = assess(
      { ec2: ec2(), reachability: unchecked('States.Timeout'), metrics: metrics({ disk: 100 }) },
      { hasService: true },
    );
    // Assess
    expect(result).toMatchObject({ classification: 'resource:disk', plan: ['page'] });
  });

  it('lets a failed system check win over a reachable host (contradictory evidence → hardware)', () => {
    // Act
    const result = assess(
      { ec2: ec2({ systemStatus: 'impaired' }), reachability: up, metrics: metrics({ disk: 99 }) },
      { hasService: false },
    );
    // Assess
    expect(result.classification).toBe('hardware');
  });

  it('high memory with no symptom is watched, not acted on', () => {
    // Act
    const result = assess(
      { ec2: ec2(), reachability: up, metrics: metrics({ mem: 96 }) },
      { hasService: true },
    );
    // Assess
    expect(result.classification).toBe('transient');
    expect(result.plan).toEqual([]);
    expect(result.reasons.join(' ')).toMatch(/mem_used_percent .* at 96 %, but no symptom/);
  });

  it('names monitoring gaps instead of reading missing agent metrics as healthy', () => {
    // Act
    const result = assess(
      {
        ec2: ec2(),
        reachability: up,
        metrics: metrics({ mem: null, disk: null }),
        host: host({ agent: 'not-registered', agentDetail: 'monitoring gap: not an SSM managed node' }),
      },
      { hasService: false },
    );
    // Assess
    expect(result.classification).toBe('transient');
    expect(result.confidence).toBe('low');
    expect(result.reasons.filter((r) => /monitoring gap/.test(r))).toHaveLength(3);
  });

  it('every port closed while the SSM agent is online is a blind observer: page, never reboot', () => {
    // Act
    const result = assess({ ec2: ec2(), reachability: closed, host: host() }, { hasService: false });
    // Assess
    expect(result).toMatchObject({ classification: 'blind-observer', plan: ['page'] });
  });
});
