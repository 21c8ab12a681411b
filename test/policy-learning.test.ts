/** What medic learns from its record (shared/policy/learning.ts) as tables: recurrence and effectiveness. */
import { describe, expect, it } from 'vitest';
import type { ActionKind } from '../shared/domain/model.ts';
import {
  type ClosedIncident,
  effectiveness,
  effectivenessLine,
  planTrackRecord,
  recurrence,
} from '../shared/policy/learning.ts';

const NOW = new Date('2026-11-29T12:00:00.000Z');
const H = 3_600_000;
const ago = (hours: number) => new Date(NOW.getTime() - hours * H).toISOString();
const OS_PLAN: ActionKind[] = ['reboot', 'stop-start', 'failover', 'page'];

function closed(over: Partial<ClosedIncident> = {}): ClosedIncident {
  return {
    incidentId: 'ep-old',
    instanceId: 'i-1',
    classification: 'os',
    outcome: 'resolved',
    startedAt: ago(3),
    endedAt: ago(2),
    ticketKey: 'MED-1',
    actions: ['reboot'],
    fixedBy: 'reboot',
    fixedRung: 0,
    timeToMitigateSeconds: 120,
    recurredBy: null,
    ...over,
  };
}

describe('recurrence: a fix that did not hold', () => {
  type Row = [name: string, previous: ClosedIncident[], expected: { of: string; startRung: number } | null];
  const ROWS: Row[] = [
    ['resolved by reboot 2 h ago: starts at stop-start', [closed()], { of: 'ep-old', startRung: 1 }],
    [
      'resolved by stop-start: starts at failover',
      [closed({ fixedBy: 'stop-start', fixedRung: 1 })],
      { of: 'ep-old', startRung: 2 },
    ],
    [
      'fixed by the last mutating rung: the new ladder pages',
      [closed({ fixedBy: 'failover', fixedRung: 2 })],
      { of: 'ep-old', startRung: 3 },
    ],
    ['outside the 24 h window: a new incident like any other', [closed({ endedAt: ago(25) })], null],
    ['a different classification: not the same problem', [closed({ classification: 'network' })], null],
    ['another instance: not this fix', [closed({ instanceId: 'i-2' })], null],
    ['escalated, not resolved: there was no fix to fail', [closed({ outcome: 'escalated' })], null],
    ['self-recovered: no fix to fail', [closed({ outcome: 'self-recovered', fixedBy: null })], null],
    ['still open (no end): not a closed fix', [closed({ endedAt: null })], null],
    [
      'already shown not to hold by another incident: not marked twice',
      [closed({ recurredBy: 'ep-x' })],
      null,
    ],
    [
      'marked by this very incident (a retried Decide): the same answer',
      [closed({ recurredBy: 'ep-new' })],
      { of: 'ep-old', startRung: 1 },
    ],
    [
      'the newest resolved incident counts',
      [
        closed({ incidentId: 'ep-older', endedAt: ago(20), fixedBy: 'stop-start' }),
        closed({ incidentId: 'ep-newer', endedAt: ago(1), fixedBy: 'reboot' }),
      ],
      { of: 'ep-newer', startRung: 1 },
    ],
    ['the incident itself is never its own recurrence', [closed({ incidentId: 'ep-new' })], null],
    [
      'a fix the new plan does not hold: one above the rung it fixed at',
      [closed({ fixedBy: 'restart-service', fixedRung: 0 })],
      { of: 'ep-old', startRung: 1 },
    ],
  ];
  it.each(ROWS)('%s', (_name, previous, expected) => {
    // Prepare
    const facts = {
      now: NOW,
      incidentId: 'ep-new',
      instanceId: 'i-1',
      classification: 'os',
      plan: OS_PLAN,
      windowMs: 24 * H,
      previous,
    };
    // Act
    const r = recurrence(facts);
    // Assess
    expect(r ? { of: r.of.incidentId, startRung: r.startRung } : null).toEqual(expected);
  });

  it('says which fix failed, its ticket and where the ladder starts', () => {
    // Prepare / Act
    const r = recurrence({
      now: NOW,
      incidentId: 'ep-new',
      instanceId: 'i-1',
      classification: 'os',
      plan: OS_PLAN,
      windowMs: 24 * H,
      previous: [closed()],
    });
    // Assess
    expect(r?.summary).toContain('resolved by reboot in ep-old (MED-1)');
    expect(r?.summary).toContain('starting at rung 2 (stop-start)');
  });

  it('the window is the setting, not a constant', () => {
    // Prepare
    const facts = (windowMs: number) => ({
      now: NOW,
      incidentId: 'ep-new',
      instanceId: 'i-1',
      classification: 'os',
      plan: OS_PLAN,
      windowMs,
      previous: [closed({ endedAt: ago(5) })],
    });
    // Act / Assess
    expect(recurrence(facts(4 * H))).toBeNull();
    expect(recurrence(facts(6 * H))?.startRung).toBe(1);
  });
});

describe('effectiveness per classification × action', () => {
  // Nine os incidents where reboot ran: 7 fixed by it (2 of them recurred), 2 moved on to stop-start
  // (1 fixed by it). One network incident, reboot fixed it. One incident ended before the window.
  const rows: ClosedIncident[] = [
    ...Array.from({ length: 7 }, (_, n) =>
      closed({
        incidentId: `os-${n}`,
        timeToMitigateSeconds: 60 * (n + 1),
        recurredBy: n < 2 ? 'later' : null,
      }),
    ),
    closed({ incidentId: 'os-7', actions: ['reboot', 'stop-start'], fixedBy: 'stop-start', fixedRung: 1 }),
    closed({
      incidentId: 'os-8',
      outcome: 'escalated',
      actions: ['reboot', 'stop-start', 'page'],
      fixedBy: null,
    }),
    closed({ incidentId: 'net-1', classification: 'network', timeToMitigateSeconds: 30 }),
    closed({ incidentId: 'old', endedAt: ago(24 * 40) }),
  ];

  it('counts attempts, verified fixes, recurrences and the median time to mitigate', () => {
    // Act
    const stats = effectiveness(rows, new Date(NOW.getTime() - 30 * 24 * H));
    // Assess
    expect(stats).toEqual([
      {
        classification: 'network',
        action: 'reboot',
        attempts: 1,
        verified: 1,
        recurred: 0,
        medianTimeToMitigateSeconds: 30,
      },
      {
        classification: 'os',
        action: 'reboot',
        attempts: 9,
        verified: 7,
        recurred: 2,
        // 60, 120, … 420 s: the median of seven is the fourth.
        medianTimeToMitigateSeconds: 240,
      },
      {
        classification: 'os',
        action: 'stop-start',
        attempts: 2,
        verified: 1,
        recurred: 0,
        medianTimeToMitigateSeconds: 120,
      },
    ]);
  });

  it('a rung tried twice in one incident is one attempt; a page is not a fix', () => {
    // Prepare
    const twice = [closed({ actions: ['reboot', 'reboot', 'page'] })];
    // Act
    const stats = effectiveness(twice, new Date(0));
    // Assess
    expect(stats.map((s) => [s.action, s.attempts])).toEqual([['reboot', 1]]);
  });

  it('an even number of fixes: the median is the mean of the middle two', () => {
    // Prepare
    const four = [30, 10, 40, 20].map((s, n) => closed({ incidentId: `e${n}`, timeToMitigateSeconds: s }));
    // Act / Assess
    expect(effectiveness(four, new Date(0))[0]?.medianTimeToMitigateSeconds).toBe(25);
  });

  it('the ticket line quotes the track record of each rung of the plan', () => {
    // Prepare
    const stats = effectiveness(rows, new Date(NOW.getTime() - 30 * 24 * H));
    // Act
    const lines = planTrackRecord(stats, 'os', OS_PLAN, 30);
    // Assess
    expect(lines).toEqual([
      'reboot fixed 7 of 9 `os` incidents on this fleet in 30 days; 2 recurred',
      'stop-start fixed 1 of 2 `os` incidents on this fleet in 30 days; 0 recurred',
    ]);
    expect(
      effectivenessLine(
        {
          classification: 'os',
          action: 'failover',
          attempts: 1,
          verified: 0,
          recurred: 0,
          medianTimeToMitigateSeconds: null,
        },
        7,
      ),
    ).toBe('failover fixed 0 of 1 `os` incidents on this fleet in 7 days');
  });
});
