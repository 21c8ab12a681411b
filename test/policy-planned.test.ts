/**
 * A planned incident before its planned-work window (shared/policy/planned.ts), as tables: when
 * medic waits for the window and until when, and what it does after the wait.
 */
import { describe, expect, it } from 'vitest';
import {
  type AfterWaitFacts,
  afterPlannedWait,
  type PlannedFacts,
  type PlannedStep,
  plannedBeforeRung,
  waitTimestamp,
} from '../shared/policy/planned.ts';

// Saturday 28 March 2026, the eve of Europe's switch to summer time (Sunday 01:00 UTC).
const NOW = new Date('2026-03-28T12:00:00.000Z');
const facts = (
  over: Partial<PlannedFacts> = {},
  planned: Partial<PlannedFacts['planned']> = {},
): PlannedFacts => ({
  planned: {
    eventTypeCode: 'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED',
    deadline: '2026-04-10T00:00:00.000Z',
    window: 'sun 03:00-05:00 UTC',
    ...planned,
  },
  now: NOW,
  action: 'stop-start',
  managed: true,
  level: 'approve',
  waited: false,
  approval: 'approved',
  ...over,
});

describe('plannedBeforeRung: wait for the window, or let the gates decide now', () => {
  const ROWS: [name: string, f: PlannedFacts, expected: string | null][] = [
    [
      'weekly window in UTC: waits until Sunday 03:00 UTC, whatever the clocks in Europe do that night',
      facts(),
      '2026-03-29T03:00:00Z',
    ],
    [
      'a deadline before the window: no wait, the gate pages with the deadline',
      facts({}, { deadline: '2026-03-29T02:00:00.000Z' }),
      null,
    ],
    [
      'a window that AWS would cut short (ends after the deadline): no wait',
      facts({}, { deadline: '2026-03-29T04:00:00.000Z' }),
      null,
    ],
    [
      'inside the window now: no wait, the rung runs',
      facts({ now: new Date('2026-03-29T03:30:00.000Z') }),
      null,
    ],
    [
      'a window across midnight UTC (sat 23:00-01:00), at 00:30 Sunday: inside it',
      facts({ now: new Date('2026-03-29T00:30:00.000Z') }, { window: 'sat 23:00-01:00' }),
      null,
    ],
    [
      'a window across midnight UTC, Saturday noon: waits until 23:00 UTC',
      facts({}, { window: 'sat 23:00-01:00' }),
      '2026-03-28T23:00:00Z',
    ],
    ['no window (none): no wait, a person is paged with the deadline', facts({}, { window: 'none' }), null],
    [
      'an absolute window: waits until its start, rounded up to the second',
      facts({}, { window: '2026-04-01T10:00:00.400Z/2026-04-01T12:00:00Z' }),
      '2026-04-01T10:00:01Z',
    ],
    ['not opted in: no wait (the gate holds and pages)', facts({ managed: false }), null],
    ['dry-run: nothing would be done in the window, no wait', facts({ level: 'dry-run' }), null],
    ['stop-start switched off: no wait', facts({ level: 'off' }), null],
    ['the page rung: no wait', facts({ action: 'page' }), null],
    ['waited once already: never sent to wait again', facts({ waited: true }), null],
    ['an unreadable window: no wait (the gate pages naming it)', facts({}, { window: 'someday' }), null],
  ];
  it.each(ROWS)('%s', (_name, f, expected) => {
    // Act
    const step = plannedBeforeRung(f);
    // Assess
    expect(step.kind === 'wait' ? step.until : null).toBe(expected);
  });

  it('says what it waits for, and the deadline', () => {
    // Act
    const step = plannedBeforeRung(facts());
    // Assess
    expect(step.kind === 'wait' && step.summary).toBe(
      "AWS AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED: waiting for the planned-work window 2026-03-29T03:00:00.000Z–2026-03-29T05:00:00.000Z (AWS's deadline 2026-04-10T00:00:00.000Z) before stop-start (approved before the wait: not asked again); medic looks at the instance again then",
    );
  });

  const APPROVAL: [name: string, f: PlannedFacts, expected: PlannedStep['kind']][] = [
    ['approve, not asked yet: ask now, before the wait', facts({ approval: null }), 'ask'],
    ['approve, approved when it opened: wait, not asked again', facts({ approval: 'approved' }), 'wait'],
    ['approve, rejected: no wait (the gate pages)', facts({ approval: 'rejected' }), 'gate'],
    [
      'approve, timed out: no wait (the gate pages with the deadline)',
      facts({ approval: 'timed-out' }),
      'gate',
    ],
    ['approve, could not ask: no wait', facts({ approval: 'error' }), 'gate'],
    ['auto: nobody is asked, it waits', facts({ level: 'auto', approval: null }), 'wait'],
    [
      'approve, inside the window now: not asked here (the gates ask at the rung)',
      facts({ approval: null, now: new Date('2026-03-29T03:30:00.000Z') }),
      'gate',
    ],
    [
      'approve, a deadline before the window: not asked, a person is paged with the deadline',
      facts({ approval: null }, { deadline: '2026-03-29T02:00:00.000Z' }),
      'gate',
    ],
    ['approve, after the wait: never asked again', facts({ approval: null, waited: true }), 'gate'],
  ];
  it.each(APPROVAL)('%s', (_name, f, expected) => {
    // Act / Assess
    expect(plannedBeforeRung(f).kind).toBe(expected);
  });

  it('the request says it is asked before the wait, for the window and with the deadline', () => {
    // Act
    const step = plannedBeforeRung(facts({ approval: null }));
    // Assess
    expect(step.kind === 'ask' && step.summary).toBe(
      "AWS AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED: stop-start runs at approve; asking now, before the wait, for stop-start in the planned-work window 2026-03-29T03:00:00.000Z–2026-03-29T05:00:00.000Z (AWS's deadline 2026-04-10T00:00:00.000Z)",
    );
  });

  it('writes the timestamp as Step Functions reads it (RFC 3339, seconds, uppercase T and Z)', () => {
    // Act / Assess
    expect(waitTimestamp(Date.parse('2026-03-29T03:00:00.000Z'))).toBe('2026-03-29T03:00:00Z');
    expect(waitTimestamp(Date.parse('2026-03-29T03:00:00.001Z'))).toBe('2026-03-29T03:00:01Z');
  });
});

describe('afterPlannedWait: do no harm after a long wait', () => {
  const retirement = {
    code: 'instance-retirement',
    description: 'The instance is running on degraded hardware',
  };
  const looked = (over: Partial<AfterWaitFacts> = {}): AfterWaitFacts => ({
    state: 'running',
    managed: true,
    scheduledEvents: [retirement],
    scheduledCode: 'instance-retirement',
    ...over,
  });
  const ROWS: [name: string, f: AfterWaitFacts, expected: 'go-on' | RegExp][] = [
    ['still running, opted in and scheduled: go on', looked(), 'go-on'],
    [
      'stopped meanwhile (by someone, or retired by AWS): left alone',
      looked({ state: 'stopped' }),
      /is stopped/,
    ],
    ['terminated: left alone', looked({ state: 'terminated' }), /is terminated/],
    ['gone from EC2: left alone', looked({ state: null }), /is gone/],
    ['opted out meanwhile: left alone', looked({ managed: false }), /no longer opted in/],
    [
      'someone stop/started it already: the event is gone with the old host',
      looked({ scheduledEvents: [] }),
      /no longer lists the scheduled instance-retirement/,
    ],
    [
      'the event is still listed but [Completed] (EC2 keeps it up to a week): left alone',
      looked({
        scheduledEvents: [
          { ...retirement, description: '[Completed] The instance is running on degraded hardware' },
        ],
      }),
      /no longer lists/,
    ],
    [
      '[Canceled] by AWS: left alone',
      looked({
        scheduledEvents: [
          { ...retirement, description: '[Canceled] The instance is running on degraded hardware' },
        ],
      }),
      /no longer lists/,
    ],
    [
      'another event only (a system reboot): not the one this incident is about',
      looked({ scheduledEvents: [{ code: 'system-reboot', description: 'reboot' }] }),
      /no longer lists/,
    ],
  ];
  it.each(ROWS)('%s', (_name, f, expected) => {
    // Act
    const verdict = afterPlannedWait(f);
    // Assess
    if (expected === 'go-on') expect(verdict).toEqual({ kind: 'go-on' });
    else expect(verdict.kind === 'leave' && verdict.reason).toMatch(expected);
  });
});
