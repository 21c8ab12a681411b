/**
 * The fleet guard's rule by table (shared/policy/fleet.ts): the one verdict admission and the
 * per-case bounds both ask, and which storm is in progress around a bucket edge.
 */
import { describe, expect, it } from 'vitest';
import {
  type FleetEntry,
  fleetVerdict,
  groupId,
  groupsToSize,
  stormInProgress,
  stormKey,
  zonesToCheck,
} from '../shared/policy/fleet.ts';

const limits = { fleetMaxInstances: 3, fleetWindowMs: 600_000, fleetMaxGroupPercent: 50 };
const inGroup = (n: number, group: string | null = 'web'): FleetEntry[] =>
  Array.from({ length: n }, (_, i) => ({ instanceId: `i-${group ?? 'x'}-${i}`, group }));

describe('fleet verdict', () => {
  it.each([
    ['as many instances as the limit: not a storm', inGroup(3, null), [], {}, null],
    [
      'one more than the limit: a storm listing them all',
      inGroup(4, null),
      [],
      {},
      /4 instances \(limit 3\)/,
    ],
    [
      'the same instance registered twice counts once',
      [...inGroup(3, null), { instanceId: 'i-x-0', group: null }],
      [],
      {},
      null,
    ],
    [
      'more than half of a group: a storm',
      inGroup(3),
      ['web'],
      { web: 5 },
      /3 of 5 instances of group web \(60 %/,
    ],
    ['exactly half of a group: not a storm', inGroup(2), ['web'], { web: 4 }, null],
    ['a lone instance of a group never trips the share', inGroup(1), ['web'], { web: 1 }, null],
    ['a group whose size is unknown is not judged by share', inGroup(3), ['web'], {}, null],
  ] as [string, FleetEntry[], string[], Record<string, number>, RegExp | null][])(
    '%s',
    (_rule, entries, groups, groupSizes, expected) => {
      // Act
      const verdict = fleetVerdict({ entries, groups, groupSizes, limits });
      // Assess
      if (expected === null) expect(verdict).toBeNull();
      else expect(verdict?.why).toMatch(expected);
    },
  );

  it('asks for a group size only when two or more of its instances are in incidents', () => {
    // Assess
    expect(groupsToSize(inGroup(1), ['web'])).toEqual([]);
    expect(groupsToSize(inGroup(2), ['web', null, 'web'])).toEqual(['web']);
  });
});

describe('storm in progress', () => {
  const windowMs = 600_000;
  const bucket = new Date('2026-11-29T14:00:00Z');
  it.each([
    ['no storm claimed', new Map(), new Date('2026-11-29T14:05:00Z'), null],
    [
      'claimed in this bucket: held until a window after the claim',
      new Map([[stormKey(bucket, windowMs), new Date('2026-11-29T14:02:00Z')]]),
      new Date('2026-11-29T14:05:00Z'),
      { key: '2026-11-29T14:00:00.000Z', until: Date.parse('2026-11-29T14:12:00Z') },
    ],
    [
      'claimed late in the previous bucket: the same storm, carried over the edge',
      new Map([['2026-11-29T13:50:00.000Z', new Date('2026-11-29T13:58:00Z')]]),
      new Date('2026-11-29T14:05:00Z'),
      { key: '2026-11-29T13:50:00.000Z', until: Date.parse('2026-11-29T14:08:00Z') },
    ],
    [
      'claimed in the previous bucket more than a window ago: over',
      new Map([['2026-11-29T13:50:00.000Z', new Date('2026-11-29T13:51:00Z')]]),
      new Date('2026-11-29T14:05:00Z'),
      null,
    ],
  ] as [string, Map<string, Date>, Date, { key: string; until: number } | null][])(
    '%s',
    (_rule, claimed, now, expected) => {
      // Act / Assess
      expect(stormInProgress(claimed, now, windowMs)).toEqual(expected);
    },
  );
});

describe('fleet verdict across the organization', () => {
  const org = { ...limits, fleetMaxOrgInstances: 5, fleetMaxAzInstances: 2 };
  const inAccount = (account: string, n: number, az: string | null = null): FleetEntry[] =>
    Array.from({ length: n }, (_, i) => ({
      instanceId: `${account}/eu-west-1/i-${az ?? 'x'}${i}`,
      account,
      availabilityZone: az,
      group: null,
    }));
  it.each([
    [
      'one account past its own limit, alone in the window: a storm naming that account only',
      [...inAccount('111111111111', 4)],
      /4 instances \(limit 3\)/,
      ['111111111111'],
    ],
    [
      'one account past its own limit while another alarms too: the one storm holds both, so it names both',
      [...inAccount('111111111111', 4), ...inAccount('222222222222', 1)],
      /4 instances in account 111111111111 \(limit 3\)/,
      ['111111111111', '222222222222'],
    ],
    [
      'an AZ past its limit while another account alarms too: the storm names both accounts',
      [...inAccount('111111111111', 3, 'eu-west-1a'), ...inAccount('222222222222', 1)],
      /3 instances in eu-west-1a of account 111111111111 \(AZ limit 2\)/,
      ['111111111111', '222222222222'],
    ],
    [
      'each account within its limit, the organization past its own: one storm naming every account',
      [...inAccount('111111111111', 2), ...inAccount('222222222222', 2), ...inAccount('333333333333', 2)],
      /6 instances across 3 accounts \(111111111111, 222222222222, 333333333333; organization limit 5\)/,
      ['111111111111', '222222222222', '333333333333'],
    ],
    [
      'as many across the organization as its limit: not a storm',
      [...inAccount('111111111111', 2), ...inAccount('222222222222', 3)],
      null,
      [],
    ],
    [
      'three in one account AZ: past the AZ limit',
      [...inAccount('111111111111', 3, 'eu-west-1a')],
      /3 instances in eu-west-1a \(AZ limit 2\)/,
      ['111111111111'],
    ],
    [
      'the same AZ name in two accounts is two zones: not an AZ storm',
      [...inAccount('111111111111', 2, 'eu-west-1a'), ...inAccount('222222222222', 2, 'eu-west-1a')],
      null,
      [],
    ],
    [
      'the same instance id in two accounts is two instances',
      [
        { instanceId: 'i-0abc', account: '111111111111' },
        { instanceId: '222222222222/eu-west-1/i-0abc', account: '222222222222' },
        ...inAccount('333333333333', 3),
        ...inAccount('444444444444', 1),
      ],
      /6 instances across 4 accounts/,
      ['111111111111', '222222222222', '333333333333', '444444444444'],
    ],
  ] as [string, FleetEntry[], RegExp | null, string[]][])('%s', (_rule, entries, expected, accounts) => {
    // Act
    const verdict = fleetVerdict({ entries, groups: [], groupSizes: {}, limits: org });
    // Assess
    if (expected === null) expect(verdict).toBeNull();
    else {
      expect(verdict?.why).toMatch(expected);
      expect(verdict?.accounts).toEqual(accounts);
      // The page lists what the storm holds: every instance of those accounts in the window.
      expect(verdict?.instances).toEqual([...new Set(entries.map((e) => e.instanceId))].sort());
    }
  });
});

describe('an AZ-wide AWS Health issue is a shared cause', () => {
  const inZone = (n: number, zone: string): FleetEntry[] =>
    Array.from({ length: n }, (_, i) => ({ instanceId: `i-${zone}-${i}`, availabilityZone: zone }));
  const open = {
    'us-east-1a': { eventTypeCode: 'AWS_EC2_OPERATIONAL_ISSUE', since: '2026-11-29T13:55:00Z' },
  };
  it.each([
    [
      'two instances in the zone with an open issue: a storm',
      inZone(2, 'us-east-1a'),
      open,
      /2 instances in us-east-1a, where AWS Health reports AWS_EC2_OPERATIONAL_ISSUE/,
    ],
    ['one instance there: no storm (the aws-recovering bound holds it)', inZone(1, 'us-east-1a'), open, null],
    ['two instances in another zone: no storm', inZone(2, 'us-east-1b'), open, null],
    ['two instances, no open issue: no storm', inZone(2, 'us-east-1a'), {}, null],
  ] as [string, FleetEntry[], Record<string, { eventTypeCode: string; since: string }>, RegExp | null][])(
    '%s',
    (_rule, entries, zoneIssues, expected) => {
      // Act
      const verdict = fleetVerdict({ entries, groups: [], groupSizes: {}, limits, zoneIssues });
      // Assess
      if (expected === null) expect(verdict).toBeNull();
      else expect(verdict?.why).toMatch(expected);
    },
  );

  it('asks for a zone only when two or more of its instances are in incidents', () => {
    // Assess
    expect(zonesToCheck(inZone(1, 'us-east-1a'), ['us-east-1a'])).toEqual([]);
    expect(zonesToCheck(inZone(2, 'us-east-1a'), ['us-east-1a', null])).toEqual(['us-east-1a']);
  });
});

describe('an Auto Scaling group is one group of one account and region', () => {
  const home = { account: '111111111111', region: 'eu-west-1' };
  it.each([
    [
      'the central account and region: the bare name',
      { account: '111111111111', region: 'eu-west-1' },
      'web',
    ],
    ['no account or region given: the central ones', {}, 'web'],
    [
      'a member account: named with its account and region',
      { account: '222222222222', region: 'eu-west-1' },
      'web (account 222222222222, eu-west-1)',
    ],
    [
      'the central account in another region: named with it',
      { account: '111111111111', region: 'us-east-1' },
      'web (account 111111111111, us-east-1)',
    ],
  ])('%s', (_rule, where, expected) => {
    // Act / Assess
    expect(groupId('web', where, home)).toBe(expected);
  });

  it('a single-account deployment keeps every bare name; no group is no name', () => {
    // Act / Assess
    expect(groupId('web', { account: '222222222222', region: 'us-east-1' }, {})).toBe('web');
    expect(groupId(null, {}, home)).toBeNull();
  });

  it('"web" of two accounts is two groups: neither past its share, though one name would be', () => {
    // Prepare: two of four instances of "web" in each account (50 %, the limit is more than 50 %)
    const member = { account: '222222222222', region: 'eu-west-1' };
    const entries: FleetEntry[] = [
      ...[0, 1].map((i) => ({ instanceId: `i-a${i}`, group: groupId('web', {}, home) })),
      ...[0, 1].map((i) => ({
        instanceId: `222222222222/eu-west-1/i-b${i}`,
        account: member.account,
        group: groupId('web', member, home),
      })),
    ];
    const groups = [groupId('web', member, home)];
    const groupSizes = { web: 4, 'web (account 222222222222, eu-west-1)': 4 };
    // Act
    const apart = fleetVerdict({ entries, groups, groupSizes, limits: { ...limits, fleetMaxInstances: 10 } });
    const merged = fleetVerdict({
      entries: entries.map((e) => ({ ...e, group: 'web' })),
      groups: ['web'],
      groupSizes: { web: 4 },
      limits: { ...limits, fleetMaxInstances: 10 },
    });
    // Assess
    expect(apart).toBeNull();
    expect(merged?.why).toMatch(/4 of 4 instances of group web/);
  });
});
