/** Every bound of shared/policy/bounds.ts as a table: the facts that trip it and the facts just inside it. */
import { describe, expect, it } from 'vitest';
import type { ActionKind } from '../shared/domain/model.ts';
import {
  autonomyBound,
  type BoundSettings,
  type Held,
  optInBound,
  type PauseRead,
  parseMaintenanceWindows,
  parsePlannedWindow,
  pauseBound,
  plannedBound,
  plannedVerdict,
  type SafetyFacts,
  safetyBound,
} from '../shared/policy/bounds.ts';

const NOW = new Date('2026-11-25T14:30:00.000Z'); // a Wednesday
const SETTINGS: BoundSettings = {
  budgetActions: 3,
  budgetWindowMs: 24 * 3_600_000,
  cooldownMs: 30 * 60_000,
  flapEpisodes: 3,
  flapWindowMs: 60 * 60_000,
  changeFreeze: false,
  maintenanceWindows: [],
};

function facts(over: Partial<SafetyFacts> = {}, settings: Partial<BoundSettings> = {}): SafetyFacts {
  return {
    now: NOW,
    instanceId: 'i-1',
    managed: true,
    maintenanceTag: null,
    scheduledEvents: [],
    fleet: null,
    history: { lastClosed: null, episodes: 0, actionsUsed: 0 },
    ...over,
    settings: { ...SETTINGS, ...settings },
  };
}

type Row = [
  name: string,
  action: ActionKind,
  f: SafetyFacts,
  expected: Pick<Held, 'bound' | 'effect'> | null,
  reason?: RegExp,
];

const ROWS: Row[] = [
  ['all clear: nothing holds', 'reboot', facts(), null],
  [
    'not opted in: a person decides',
    'reboot',
    facts({ managed: false }),
    { bound: 'opt-in', effect: 'page' },
    /not tagged medic:managed=true/,
  ],
  [
    'change freeze: held quietly',
    'reboot',
    facts({}, { changeFreeze: true }),
    { bound: 'change-freeze', effect: 'hold' },
  ],
  [
    'maintenance window active (weekly, UTC)',
    'reboot',
    facts({}, { maintenanceWindows: parseMaintenanceWindows('wed 14:00-15:00') }),
    { bound: 'maintenance', effect: 'hold' },
    /maintenance window wed 14:00-15:00 is active/,
  ],
  [
    'maintenance window over: no hold',
    'reboot',
    facts({}, { maintenanceWindows: parseMaintenanceWindows('wed 13:00-14:30') }),
    null,
  ],
  [
    'maintenance window as an interval',
    'stop-start',
    facts({}, { maintenanceWindows: parseMaintenanceWindows('2026-11-25T14:00:00Z/2026-11-25T15:00:00Z') }),
    { bound: 'maintenance', effect: 'hold' },
  ],
  [
    'maintenance tag true',
    'reboot',
    facts({ maintenanceTag: 'true' }),
    { bound: 'maintenance', effect: 'hold' },
    /tag medic:maintenance=true/,
  ],
  [
    'maintenance tag until later',
    'reboot',
    facts({ maintenanceTag: '2026-11-25T15:00:00Z' }),
    { bound: 'maintenance', effect: 'hold' },
  ],
  ['maintenance tag already past', 'reboot', facts({ maintenanceTag: '2026-11-25T14:00:00Z' }), null],
  [
    'fleet guard tripped',
    'reboot',
    facts({ fleet: { why: '4 instances (limit 3)' } }),
    { bound: 'fleet', effect: 'hold' },
    /fleet guard: 4 instances/,
  ],
  [
    'AWS scheduled event on a reboot: skip to the next rung',
    'reboot',
    facts({ scheduledEvents: ['system-reboot'] }),
    { bound: 'scheduled-event', effect: 'skip' },
    /AWS declared system-reboot/,
  ],
  [
    'AWS scheduled event does not hold a stop/start (new hardware)',
    'stop-start',
    facts({ scheduledEvents: ['system-reboot'] }),
    null,
  ],
  [
    'cooldown: closed 10 min ago',
    'reboot',
    facts({ history: { lastClosed: new Date(NOW.getTime() - 10 * 60_000), episodes: 0, actionsUsed: 0 } }),
    { bound: 'cooldown', effect: 'page' },
    /inside the 30 min cooldown/,
  ],
  [
    'cooldown over: closed 31 min ago',
    'reboot',
    facts({ history: { lastClosed: new Date(NOW.getTime() - 31 * 60_000), episodes: 0, actionsUsed: 0 } }),
    null,
  ],
  [
    'flapping: 3 incidents in the window',
    'reboot',
    facts({ history: { lastClosed: null, episodes: 3, actionsUsed: 0 } }),
    { bound: 'flap', effect: 'page' },
    /flapping: 3 incidents within 60 min \(limit 3\)/,
  ],
  [
    '2 incidents: not flapping yet',
    'reboot',
    facts({ history: { lastClosed: null, episodes: 2, actionsUsed: 0 } }),
    null,
  ],
  [
    'budget exhausted',
    'failover',
    facts({ history: { lastClosed: null, episodes: 0, actionsUsed: 3 } }),
    { bound: 'budget', effect: 'page' },
    /already had 3 automatic actions within 24 h \(budget 3\)/,
  ],
  [
    'one action left in the budget',
    'failover',
    facts({ history: { lastClosed: null, episodes: 0, actionsUsed: 2 } }),
    null,
  ],
  [
    'the first bound decides: freeze before flap and budget',
    'reboot',
    facts({ history: { lastClosed: null, episodes: 9, actionsUsed: 9 } }, { changeFreeze: true }),
    { bound: 'change-freeze', effect: 'hold' },
  ],
  [
    'opt-in before everything',
    'reboot',
    facts({ managed: false, fleet: { why: 'x' } }, { changeFreeze: true }),
    { bound: 'opt-in', effect: 'page' },
  ],
];

describe('safetyBound: the bounds before a mutating call, first that holds decides', () => {
  it.each(ROWS)('%s', (_name, action, f, expected, reason) => {
    // Act
    const held = safetyBound(action, f);
    // Assess
    if (expected === null) expect(held).toBeNull();
    else expect(held).toMatchObject(expected);
    if (reason) expect(held?.reason).toMatch(reason);
  });
});

describe('the kill switch fails closed', () => {
  const paused = { by: 'alice', at: '2026-11-25T14:00:00Z', reason: 'db failover', source: 'SSM parameter' };
  const rows: [string, PauseRead, RegExp | null][] = [
    ['not paused', { paused: null }, null],
    [
      'paused: who, since when, why',
      { paused },
      /medic is paused by alice since 2026-11-25T14:00:00Z: "db failover"/,
    ],
    [
      'unreadable (access denied): held, never read as "not paused"',
      {
        unreadable: { name: 'AccessDeniedException', message: 'not authorized to perform ssm:GetParameter' },
      },
      /could not read the kill switch \(AccessDeniedException: .*\): failing closed/,
    ],
  ];
  it.each(rows)('%s', (_name, read, reason) => {
    // Act
    const held = pauseBound(read);
    // Assess
    if (reason === null) expect(held).toBeNull();
    else
      expect(held).toMatchObject({ bound: 'pause', effect: 'page', reason: expect.stringMatching(reason) });
  });
});

describe('autonomy and opt-in', () => {
  it.each([
    ['auto', null],
    ['approve', null],
    ['dry-run', null],
    ['off', { bound: 'autonomy', effect: 'skip' }],
  ] as const)('autonomy %s', (level, expected) => {
    // Act / Assess
    const held = autonomyBound('reboot', level);
    if (expected === null) expect(held).toBeNull();
    else expect(held).toMatchObject(expected);
  });

  it('opt-in: managed passes, unmanaged pages', () => {
    // Act / Assess
    expect(optInBound('i-1', true)).toBeNull();
    expect(optInBound('i-1', false)).toMatchObject({ bound: 'opt-in', effect: 'page' });
  });
});

describe('AWS is recovering: medic holds its own actions', () => {
  const issue = (scope: string) => ({
    scope,
    eventTypeCode: 'AWS_EC2_OPERATIONAL_ISSUE',
    since: '2026-11-25T14:00:00.000Z',
    summary: 'the underlying host is being recovered',
  });
  it.each([
    ['no open Health issue: nothing holds', 'stop-start', [], null, null],
    ['the instance itself: held', 'stop-start', [issue('INSTANCE#i-1')], 'hold', /AWS is recovering i-1/],
    ['its zone: held', 'reboot', [issue('AZ#us-east-1a')], 'hold', /AWS is recovering zone us-east-1a/],
    ['EC2 in its region: held', 'failover', [issue('SERVICE#us-east-1#EC2')], 'hold', /EC2 in us-east-1/],
  ] as [string, ActionKind, ReturnType<typeof issue>[], string | null, RegExp | null][])(
    '%s',
    (_rule, action, awsIssues, effect, reason) => {
      // Act
      const held = safetyBound(action, facts({ awsIssues }));
      // Assess
      if (effect === null) expect(held).toBeNull();
      else {
        expect(held).toMatchObject({ bound: 'aws-recovering', effect });
        expect(held?.reason).toMatch(reason as RegExp);
        expect(held?.reason).toMatch(/open since 2026-11-25T14:00:00.000Z/);
      }
    },
  );

  it('comes after the fleet guard (one page for a storm) and before the per-instance history', () => {
    // Prepare
    const awsIssues = [issue('INSTANCE#i-1')];
    // Act
    const fleet = safetyBound('stop-start', facts({ awsIssues, fleet: { why: '6 instances' } }));
    const budget = safetyBound(
      'stop-start',
      facts({ awsIssues, history: { lastClosed: null, episodes: 0, actionsUsed: 9 } }),
    );
    // Assess
    expect(fleet?.bound).toBe('fleet');
    expect(budget?.bound).toBe('aws-recovering');
  });
});

describe('planned incidents: the planned-work window before the deadline', () => {
  // NOW is Wednesday 2026-11-25 14:30 UTC.
  const deadline = '2026-12-02T03:00:00.000Z';
  it.each([
    ['inside a weekly window that ends before the deadline: act', 'wed 14:00-16:00 UTC', deadline, 'act'],
    ['inside an interval window: act', '2026-11-25T14:00:00Z/2026-11-25T15:00:00Z', deadline, 'act'],
    ['a later window before the deadline: named', 'sun 03:00-05:00 UTC', deadline, 'next-window'],
    [
      'the only window is after the deadline: no window',
      'wed 14:00-16:00',
      '2026-11-25T15:00:00.000Z',
      'no-window',
    ],
    ['no window configured: no window', '', deadline, 'no-window'],
    ['no deadline from AWS: any window within two weeks', 'sun 03:00-05:00', null, 'next-window'],
  ] as [string, string, string | null, string][])('%s', (_rule, window, due, expected) => {
    // Act
    const verdict = plannedVerdict(NOW, due, parsePlannedWindow(window));
    // Assess
    expect(verdict.kind).toBe(expected);
  });

  it('names the next window and the deadline when it pages', () => {
    // Act
    const held = plannedBound(
      { eventTypeCode: 'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED', deadline, window: 'sun 03:00-05:00 UTC' },
      NOW,
    );
    // Assess
    expect(held).toMatchObject({ bound: 'planned-window', effect: 'page' });
    expect(held?.reason).toContain('2026-11-29T03:00:00.000Z–2026-11-29T05:00:00.000Z');
    expect(held?.reason).toContain(`deadline ${deadline}`);
  });

  it('a window crossing midnight holds its last hours on the next day', () => {
    // Act
    const verdict = plannedVerdict(
      new Date('2026-11-26T00:30:00Z'),
      deadline,
      parsePlannedWindow('wed 23:00-01:00'),
    );
    // Assess
    expect(verdict).toMatchObject({ kind: 'act', window: { start: Date.parse('2026-11-25T23:00:00Z') } });
  });

  it('an unreadable window pages rather than acts', () => {
    // Act
    const held = plannedBound({ eventTypeCode: 'X', deadline, window: 'someday' }, NOW);
    // Assess
    expect(held?.effect).toBe('page');
    expect(held?.reason).toMatch(/cannot be read/);
  });
});
