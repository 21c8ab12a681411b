/** An alarm back to OK while its incident walks the ladder (shared/policy/ok.ts), as tables. */
import { describe, expect, it } from 'vitest';
import { newestOk } from '../shared/adapters/safety/ok-notes.ts';
import { afterOkCheck, OK_AT, type OkFacts, okBeforeRung } from '../shared/policy/ok.ts';

const OPENED = '2026-11-29T12:00:00.000Z';
const facts = (over: Partial<OkFacts> = {}): OkFacts => ({
  openedAt: OPENED,
  okAt: '2026-11-29T12:07:00.000Z',
  judgedOkAt: null,
  action: 'stop-start',
  rung: 1,
  ...over,
});

describe('okBeforeRung: check an OK with Verify before the next rung', () => {
  const ROWS: [name: string, over: Partial<OkFacts>, expected: 'verify' | 'go-on'][] = [
    ['an OK after the incident opened, not judged yet: Verify first', {}, 'verify'],
    ['no OK noted: the ladder goes on', { okAt: null }, 'go-on'],
    [
      'an OK from before this ALARM (an earlier episode): go on',
      { okAt: '2026-11-29T11:59:00.000Z' },
      'go-on',
    ],
    ['an OK at the very instant the incident opened: not after it', { okAt: OPENED }, 'go-on'],
    ['that OK was judged already: not checked twice', { judgedOkAt: '2026-11-29T12:07:00.000Z' }, 'go-on'],
    [
      'a newer OK than the one judged (the alarm flapped back): checked again',
      { judgedOkAt: '2026-11-29T12:03:00.000Z' },
      'verify',
    ],
    ['a manual run (no opening time known): any OK counts', { openedAt: null }, 'verify'],
    [
      'before the page too: a person is not paged for a host that is back',
      { action: 'page', rung: 3 },
      'verify',
    ],
    ['an unreadable OK time: go on', { okAt: 'yesterday' }, 'go-on'],
  ];
  it.each(ROWS)('%s', (_name, over, expected) => {
    // Act
    const verdict = okBeforeRung(facts(over));
    // Assess
    expect(verdict.kind).toBe(expected);
  });

  it('says which rung waits for the check', () => {
    // Act
    const verdict = okBeforeRung(facts());
    // Assess
    expect(verdict).toEqual({
      kind: 'verify',
      okAt: '2026-11-29T12:07:00.000Z',
      summary:
        'alarm returned to OK at 2026-11-29T12:07:00.000Z, after the incident opened: Verify checks the service before rung 2 (stop-start) runs',
    });
  });
});

describe('afterOkCheck: what Verify found decides', () => {
  it.each([
    [
      true,
      { next: 'done', outcome: 'resolved' },
      'alarm back to OK (T) and Verify agrees: remaining rungs not run',
    ],
    [false, { next: 'act', outcome: null }, "alarm's OK (T) was not confirmed by Verify: the ladder goes on"],
  ] as const)('recovered=%s', (recovered, expected, summary) => {
    // Act
    const judged = afterOkCheck(recovered, 'T');
    // Assess
    expect(judged).toEqual({ ...expected, summary });
  });
});

describe('newestOk: the OK notes among the entries joined to the lock item', () => {
  const note = (at: string) =>
    JSON.stringify({ at, step: 'Admit', kind: 'alarm', summary: 'returned to OK', detail: { [OK_AT]: at } });
  it.each([
    ['none joined', [], null],
    ['one OK', [note('2026-11-29T12:07:00.000Z')], '2026-11-29T12:07:00.000Z'],
    [
      'the newest of several, whatever the order',
      [note('2026-11-29T12:09:00.000Z'), note('2026-11-29T12:07:00.000Z')],
      '2026-11-29T12:09:00.000Z',
    ],
    [
      'another alarm that joined (no OK time) and a broken entry are no OK',
      [JSON.stringify({ at: 'x', step: 'Admit', kind: 'note', summary: 'joined' }), '{not json'],
      null,
    ],
  ] as const)('%s', (_name, joined, expected) => {
    // Act / Assess
    expect(newestOk([...joined])).toBe(expected);
  });
});
