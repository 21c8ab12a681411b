/**
 * Failover that works in AWS: Route 53 gets an address the record's audience can reach and keeps
 * what identifies a weighted/failover record set; a refused or failed mechanism hands over to the
 * next configured one, each attempt on the timeline; the IAM prerequisites (tags) are checked.
 */
import type { Route53Client } from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import { route53Adapter } from '../shared/adapters/route53.ts';
import { failoverAddress, recordToRewrite } from '../shared/domain/failover-dns.ts';
import { type InstanceCase, NO_FAILOVER } from '../shared/domain/model.ts';
import { AwsTransientError } from '../shared/errors.ts';
import type { DnsPort, DnsRecord, InstanceInfo, TargetGroupPort } from '../shared/ports.ts';
import { type FailoverDeps, failover, resumeFailover } from '../shared/usecases/failover.ts';
import { instanceCase as aCase, instanceInfo, osAssessment, PRIVATE_PROBE } from './support/cases.ts';

const clock = () => new Date('2026-01-01T00:00:00.000Z');
const ID = 'i-0123456789abcdef0';
const STANDBY = 'i-0standby00000000';

const record = (over: Partial<DnsRecord>): DnsRecord => ({
  name: 'app.example.com.',
  type: 'A',
  ttl: 60,
  values: ['198.51.100.10'],
  setIdentifier: null,
  routing: {},
  alias: false,
  ...over,
});

describe('failoverAddress: the address that serves the record audience', () => {
  const standby = { privateIp: '10.0.0.9', publicIp: '203.0.113.9' };
  it.each([
    ['a public zone', { privateZone: false, explicit: null, standby }, '203.0.113.9'],
    ['a private zone', { privateZone: true, explicit: null, standby }, '10.0.0.9'],
    [
      'an explicit medic:route53-address',
      { privateZone: false, explicit: '192.0.2.7', standby },
      '192.0.2.7',
    ],
  ])('%s → %s', (_what, input, address) => {
    // Act
    const choice = failoverAddress(input);
    // Assess
    expect(choice).toMatchObject({ ok: true, value: address });
  });

  it('refuses a public zone when the standby has no public IP (its private IP is unreachable from outside)', () => {
    // Act
    const choice = failoverAddress({
      privateZone: false,
      explicit: null,
      standby: { ...standby, publicIp: null },
    });
    // Assess
    expect(choice).toMatchObject({ ok: false });
    expect(choice.why).toMatch(/no public IP/);
  });
});

describe('recordToRewrite: which record set, read before it is written', () => {
  it('takes the plain record of that name', () => {
    // Act + Assess
    expect(recordToRewrite([record({})], ['10.0.0.5'])).toMatchObject({
      ok: true,
      value: { setIdentifier: null },
    });
  });

  it('among weighted sets, takes the one serving the sick instance, SetIdentifier and routing intact', () => {
    // Prepare
    const sets = [
      record({
        setIdentifier: 'blue',
        values: ['198.51.100.10'],
        routing: { Weight: 100, HealthCheckId: 'hc-1' },
      }),
      record({ setIdentifier: 'green', values: ['198.51.100.20'], routing: { Weight: 0 } }),
    ];
    // Act
    const choice = recordToRewrite(sets, ['10.0.0.5', '198.51.100.10']);
    // Assess
    expect(choice).toMatchObject({
      ok: true,
      value: { setIdentifier: 'blue', routing: { Weight: 100, HealthCheckId: 'hc-1' } },
    });
  });

  it.each([
    ['an alias record', [record({ alias: true, values: [] })], /alias/],
    ['no record', [], /no such A record/],
    [
      'weighted sets none of which serves the instance',
      [record({ setIdentifier: 'a' }), record({ setIdentifier: 'b', values: ['198.51.100.20'] })],
      /will not guess/,
    ],
  ])('refuses %s', (_what, sets, why) => {
    // Act
    const choice = recordToRewrite(sets, ['10.0.0.5']);
    // Assess
    expect(choice.ok).toBe(false);
    expect(choice.why).toMatch(why);
  });

  it('the adapter UPSERTs the set with its SetIdentifier and routing fields (what Route 53 identifies it by)', async () => {
    // Prepare
    const sent: Record<string, unknown>[] = [];
    const client = {
      send: async (command: { input: Record<string, unknown> }) => {
        sent.push(command.input);
        return { ChangeInfo: { Id: '/change/C1' } };
      },
    } as unknown as Route53Client;
    // Act
    await route53Adapter(client).upsert(
      'Z1',
      record({
        setIdentifier: 'blue',
        values: ['203.0.113.9'],
        routing: { Weight: 100, HealthCheckId: 'hc-1' },
      }),
    );
    // Assess
    expect(sent[0]).toMatchObject({
      HostedZoneId: 'Z1',
      ChangeBatch: {
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: {
              Name: 'app.example.com.',
              Type: 'A',
              SetIdentifier: 'blue',
              Weight: 100,
              HealthCheckId: 'hc-1',
              ResourceRecords: [{ Value: '203.0.113.9' }],
            },
          },
        ],
      },
    });
  });
});

function instanceCase(failoverCfg: Partial<NonNullable<InstanceCase['target']['failover']>>): InstanceCase {
  const failover = { ...NO_FAILOVER, ...failoverCfg };
  const assessment = osAssessment(['failover', 'page'], []);
  return aCase({
    target: { instanceId: ID, probe: PRIVATE_PROBE, failover },
    assessment,
    action: 'failover',
  });
}

const info = (instanceId: string, tags: Record<string, string>, publicIp: string | null): InstanceInfo =>
  instanceInfo(instanceId, {
    tags: { 'medic:probe-address': '127.0.0.1', ...tags },
    privateIp: instanceId === ID ? '10.0.0.5' : '10.0.0.9',
    publicIp,
  });

function world(opts: {
  register?: () => Promise<void>;
  eipTags?: Record<string, string>;
  standbyTags?: Record<string, string>;
  group?: { managed: boolean; healthyPeers: string[] } | null;
  privateZone?: boolean;
  records?: DnsRecord[];
}) {
  const calls: string[] = [];
  const upserts: DnsRecord[] = [];
  const targetGroups: TargetGroupPort = {
    health: async () => ({ [ID]: 'unhealthy' }),
    register: async (_arn, id) => {
      calls.push(`RegisterTargets ${id}`);
      await opts.register?.();
    },
    deregister: async (_arn, id) => void calls.push(`DeregisterTargets ${id}`),
  };
  const dns: DnsPort = {
    zone: async () => ({ privateZone: opts.privateZone ?? false }),
    records: async () => opts.records ?? [record({ values: ['198.51.100.10'] })],
    upsert: async (_zone, r) => {
      calls.push(`ChangeResourceRecordSets ${r.name} ${r.values.join(',')}`);
      upserts.push(r);
      return 'C1';
    },
  };
  const deps: FailoverDeps = {
    ec2: {
      describeInstances: async (ids) =>
        ids.map((id) =>
          id === ID
            ? info(ID, {}, '198.51.100.10')
            : info(id, { 'medic:managed': 'true', ...opts.standbyTags }, '203.0.113.9'),
        ),
      elasticIpOf: async () =>
        opts.eipTags ? { allocationId: 'eipalloc-1', publicIp: '198.51.100.10', tags: opts.eipTags } : null,
      associateElasticIp: async (a, id) => void calls.push(`AssociateAddress ${a} ${id}`),
    },
    targetGroups,
    dns,
    autoScaling: {
      group: async () => opts.group ?? null,
      setUnhealthy: async (id) => void calls.push(`SetInstanceHealth ${id}`),
    },
    notifier: { publish: async () => ({ messageId: 'm' }) },
    clock,
    defaultPorts: [22],
  };
  return { deps, calls, upserts };
}

const accessDenied = () =>
  Object.assign(new Error('User is not authorized to perform: elasticloadbalancing:RegisterTargets'), {
    name: 'AccessDenied',
  });

describe('failover tries the next configured mechanism when one is refused or fails', () => {
  it('target group refused by IAM → Route 53 to the public IP of the standby, both on the timeline', async () => {
    // Prepare
    const w = world({ register: async () => Promise.reject(accessDenied()) });
    const c = instanceCase({ standby: STANDBY, targetGroupArn: 'arn:tg', route53: 'Z1/app.example.com.' });
    // Act
    const k = await failover(c, w.deps);
    // Assess
    expect(w.calls).toEqual([
      `RegisterTargets ${STANDBY}`,
      'ChangeResourceRecordSets app.example.com. 203.0.113.9',
    ]);
    expect(k.timeline.map((e) => e.summary)).toEqual([
      expect.stringMatching(
        /^failover via target-group refused: AccessDenied: .*RegisterTargets; trying route53$/,
      ),
      expect.stringMatching(/^Route 53: UPSERT app\.example\.com\. A → 203\.0\.113\.9 \(.*public zone/),
    ]);
    expect(k.actions.map((a) => [a.kind, a.outcome])).toEqual([['failover', 'succeeded']]);
    expect(k.next).toBe('verify');
  });

  it('a target group whose standby never turns healthy falls back to the Elastic IP after the polls', async () => {
    // Prepare
    const w = world({ eipTags: { 'medic:managed': 'true' } });
    let k = instanceCase({ standby: STANDBY, targetGroupArn: 'arn:tg' });
    // Act
    k = await failover(k, w.deps);
    for (let i = 0; i < 5 && k.next === 'poll'; i++) k = await failover(k, w.deps);
    // Assess
    expect(w.calls).toEqual([`RegisterTargets ${STANDBY}`, `AssociateAddress eipalloc-1 ${STANDBY}`]);
    expect(
      k.timeline.some((e) => /failover via target-group failed: .*did not turn healthy/.test(e.summary)),
    ).toBe(true);
    expect(k.actions.map((a) => a.outcome)).toEqual(['succeeded']);
  });

  it.each([
    [
      'the Elastic IP is not tagged medic:managed=true',
      { eipTags: {} },
      /Elastic IP .* is not tagged medic:managed=true/,
    ],
    [
      'the standby is not tagged medic:managed=true',
      { eipTags: { 'medic:managed': 'true' }, standbyTags: { 'medic:managed': 'false' } },
      /standby .* is not tagged medic:managed=true/,
    ],
  ])(
    'refuses the Elastic IP when %s (IAM would) and goes on to the Auto Scaling group',
    async (_w, opts, why) => {
      // Prepare
      const w = world({ ...opts, group: { managed: true, healthyPeers: [STANDBY] } });
      const c = instanceCase({ standby: STANDBY, autoScalingGroup: 'web' });
      // Act
      const k = await failover(c, w.deps);
      // Assess
      expect(w.calls).toEqual([`SetInstanceHealth ${ID}`]);
      expect(k.timeline[0]?.summary).toMatch(why);
      expect(k.timeline[0]?.summary).toMatch(/trying auto-scaling$/);
    },
  );

  it('refuses an Auto Scaling group that is not tagged medic:managed=true, and escalates naming every refusal', async () => {
    // Prepare
    const w = world({ group: { managed: false, healthyPeers: [STANDBY] } });
    // Act
    const k = await failover(instanceCase({ autoScalingGroup: 'web' }), w.deps);
    // Assess
    expect(w.calls).toEqual([]);
    expect(k).toMatchObject({ next: 'act', rung: 1 });
    expect(k.actions[0]?.detail).toMatch(
      /every configured mechanism .*auto-scaling: .*not tagged medic:managed=true/,
    );
  });

  it('a throttled call is not a refusal: it propagates so the state machine retries the Task', async () => {
    // Prepare
    const w = world({
      register: async () => Promise.reject(new AwsTransientError('RegisterTargets: Throttling')),
    });
    const c = instanceCase({ standby: STANDBY, targetGroupArn: 'arn:tg', route53: 'Z1/app.example.com.' });
    // Act + Assess
    await expect(failover(c, w.deps)).rejects.toThrow(/Throttling/);
    expect(w.calls).toEqual([`RegisterTargets ${STANDBY}`]);
  });

  it('Route 53 into a private zone upserts the private IP; a weighted set keeps its SetIdentifier', async () => {
    // Prepare
    const w = world({
      privateZone: true,
      records: [
        record({ setIdentifier: 'blue', values: ['10.0.0.5'], routing: { Weight: 100 } }),
        record({ setIdentifier: 'green', values: ['10.0.0.7'], routing: { Weight: 0 } }),
      ],
    });
    // Act
    const k = await failover(instanceCase({ standby: STANDBY, route53: 'Z1/app.example.com.' }), w.deps);
    // Assess
    expect(w.upserts).toEqual([
      record({ setIdentifier: 'blue', values: ['10.0.0.9'], routing: { Weight: 100 } }),
    ]);
    expect(k.actions[0]?.detail).toMatch(/UPSERT app\.example\.com\. \(set blue\) A → 10\.0\.0\.9/);
  });
});

describe('failover: a lost or duplicated answer never leaves it half done', () => {
  /** A target group as ELB keeps it: a deregistered target drains before it disappears. */
  function targetGroup(initial: Record<string, string>) {
    const health: Record<string, string> = { ...initial };
    const calls: string[] = [];
    const port: TargetGroupPort = {
      health: async () => ({ ...health }),
      register: async (_arn, id) => {
        calls.push(`RegisterTargets ${id}`);
        health[id] = 'initial';
      },
      deregister: async (_arn, id) => {
        calls.push(`DeregisterTargets ${id}`);
        health[id] = 'draining';
      },
    };
    return { port, calls, health };
  }

  it('a re-delivered first step resumes from the registered standby and deregisters the sick instance once', async () => {
    // Prepare: the first delivery registered the standby; its answer is lost
    const tg = targetGroup({ [ID]: 'healthy' });
    const d = { ...world({}).deps, targetGroups: tg.port };
    const c = instanceCase({ standby: STANDBY, targetGroupArn: 'arn:tg' });
    await failover(c, d);
    tg.health[STANDBY] = 'healthy';
    // Act: the retried (or duplicate) delivery gets the same input
    const resumed = await resumeFailover(c, d, 'failover already issued');
    let k = resumed ?? c;
    for (let i = 0; i < 5 && k.next === 'poll'; i++) k = await failover(k, d);
    // Assess
    expect(resumed).toMatchObject({ next: 'poll', pending: { kind: 'failover', mechanism: 'target-group' } });
    expect(resumed?.timeline.at(-1)?.summary).toMatch(/failover already issued; standby .* is registered/);
    expect(tg.calls).toEqual([`RegisterTargets ${STANDBY}`, `DeregisterTargets ${ID}`]);
    expect(k.actions.map((a) => [a.kind, a.outcome])).toEqual([['failover', 'succeeded']]);
  });

  it('a retried poll after a DeregisterTargets whose answer was lost does not deregister again (draining)', async () => {
    // Prepare: the standby is healthy and the sick instance already draining
    const tg = targetGroup({ [ID]: 'draining', [STANDBY]: 'healthy' });
    const d = { ...world({}).deps, targetGroups: tg.port };
    const polling: InstanceCase = {
      ...instanceCase({ standby: STANDBY, targetGroupArn: 'arn:tg' }),
      pending: {
        kind: 'failover',
        mechanism: 'target-group',
        phase: 'registering',
        startedAt: '2026-01-01T00:00:00.000Z',
        pollsLeft: 2,
      },
      next: 'poll',
    };
    // Act
    const k = await failover(polling, d);
    // Assess
    expect(tg.calls).toEqual([]);
    expect(k.actions.map((a) => [a.kind, a.outcome])).toEqual([['failover', 'succeeded']]);
  });

  it('nothing of the failover visible (standby not registered): not resumed', async () => {
    // Prepare
    const tg = targetGroup({ [ID]: 'healthy' });
    const d = { ...world({}).deps, targetGroups: tg.port };
    // Act
    const resumed = await resumeFailover(
      instanceCase({ standby: STANDBY, targetGroupArn: 'arn:tg' }),
      d,
      'x',
    );
    // Assess
    expect(resumed).toBeNull();
    expect(tg.calls).toEqual([]);
  });
});
