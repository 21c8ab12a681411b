import { describe, expect, it } from 'vitest';
import { assess } from '../shared/domain/assess.ts';
import type { Evidence } from '../shared/domain/model.ts';

type Ec2 = NonNullable<Evidence['ec2']['value']>;
type Reach = NonNullable<Evidence['reachability']['value']>;

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

describe('assess: evidence → classification and plan', () => {
  it.each<[string, Evidence, string, string[]]>([
    [
      'system status impaired',
      { ec2: ec2({ systemStatus: 'impaired' }), reachability: reach([ssh('timeout', null)]) },
      'hardware',
      ['stop-start', 'failover', 'page'],
    ],
    [
      'scheduled retirement',
      {
        ec2: ec2({ scheduledEvents: [{ code: 'instance-retirement', description: 'x', notBefore: null }] }),
        reachability: reach([ssh('open', 'SSH-2.0-x')]),
      },
      'hardware',
      ['stop-start', 'failover', 'page'],
    ],
    [
      'instance status impaired',
      { ec2: ec2({ instanceStatus: 'impaired' }), reachability: reach([ssh('timeout', null)]) },
      'os',
      ['reboot', 'stop-start', 'failover', 'page'],
    ],
    [
      'TCP accepted, no SSH banner',
      { ec2: ec2(), reachability: reach([ssh('open', null)]) },
      'os',
      ['reboot', 'stop-start', 'failover', 'page'],
    ],
    [
      'status OK but every port closed',
      { ec2: ec2(), reachability: reach([ssh('refused', null)]) },
      'network',
      ['reboot', 'stop-start', 'failover', 'page'],
    ],
    [
      'SSH fine, health 503',
      { ec2: ec2(), reachability: reach([ssh('open', 'SSH-2.0-x')], http(503)) },
      'application',
      ['reboot', 'failover', 'page'],
    ],
    [
      'everything answers',
      { ec2: ec2(), reachability: reach([ssh('open', 'SSH-2.0-x')], http(200)) },
      'transient',
      [],
    ],
  ])('%s → %s', (_what, evidence, classification, plan) => {
    // Act
    const result = assess(evidence, { hasService: false });
    // Assess
    expect(result.classification).toBe(classification);
    expect(result.plan).toEqual(plan);
    expect(result.reasons.length).toBeGreaterThan(0);
  });

  it('tries a service restart first for an application fault when a unit is configured', () => {
    // Act
    const result = assess(
      { ec2: ec2(), reachability: reach([ssh('open', 'SSH-2.0-x')], http(503)) },
      { hasService: true },
    );
    // Assess
    expect(result.plan).toEqual(['restart-service', 'reboot', 'failover', 'page']);
  });

  it.each<[string, Evidence]>([
    [
      'EC2 could not be checked',
      { ec2: unchecked('AccessDenied'), reachability: reach([ssh('open', null)]) },
    ],
    ['reachability could not be checked', { ec2: ec2(), reachability: unchecked('States.Timeout') }],
    [
      'the instance is stopped',
      { ec2: ec2({ state: 'stopped' }), reachability: reach([ssh('refused', null)]) },
    ],
  ])('missing or odd evidence (%s) never becomes an aggressive action: it pages', (_what, evidence) => {
    // Act
    const result = assess(evidence, { hasService: true });
    // Assess
    expect(result.classification).toBe('unknown');
    expect(result.plan).toEqual(['page']);
  });

  it('lets a failed system check win over a reachable host (contradictory evidence → hardware)', () => {
    // Act
    const result = assess(
      { ec2: ec2({ systemStatus: 'impaired' }), reachability: reach([ssh('open', 'SSH-2.0-x')], http(200)) },
      { hasService: false },
    );
    // Assess
    expect(result.classification).toBe('hardware');
  });
});
