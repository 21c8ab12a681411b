/** The ladder's decisions in shared/policy/moves.ts as tables: the gates, approval, the stop rule, the page's why. */
import { describe, expect, it } from 'vitest';
import type { AutonomyLevel } from '../shared/domain/autonomy.ts';
import type { ActionKind } from '../shared/domain/model.ts';
import {
  afterDryRun,
  afterHeld,
  afterVerify,
  gateRung,
  type Move,
  pageWhy,
  type RungFacts,
  readApproval,
} from '../shared/policy/moves.ts';

function rung(over: Partial<RungFacts> = {}): RungFacts {
  return {
    action: 'reboot',
    instanceId: 'i-1',
    managed: true,
    level: 'auto',
    pause: { paused: null },
    approval: null,
    approvalTimeoutSeconds: 900,
    ...over,
  };
}

const approved = readApproval({ decision: 'approve', detail: 'by bob' });
const rejected = readApproval({ Error: 'ApprovalRejected', Cause: 'not now' });
const timedOut = readApproval({ Error: 'States.Timeout', Cause: '' });
const broken = readApproval({ Error: 'Lambda.Unknown', Cause: 'boom' });
const paused = { paused: { by: 'alice', at: 'T', reason: 'db', source: 'SSM' } };
const unreadable = { unreadable: { name: 'AccessDeniedException', message: 'denied' } };

type Row = [name: string, f: RungFacts, expected: Partial<Move> & Record<string, unknown>];
const GATES: Row[] = [
  ['auto: act at once', rung(), { kind: 'act', action: 'reboot', mode: 'auto' }],
  ['dry-run: act in dry-run (EC2 DryRun)', rung({ level: 'dry-run' }), { kind: 'act', mode: 'dry-run' }],
  [
    'approve, nobody asked yet: await approval',
    rung({ level: 'approve' }),
    { kind: 'await-approval', action: 'reboot' },
  ],
  [
    'approve, approved: act',
    rung({ level: 'approve', approval: approved }),
    { kind: 'act', mode: 'approve' },
  ],
  [
    'approve, rejected: page, held',
    rung({ level: 'approve', approval: rejected }),
    {
      kind: 'page',
      outcome: 'held',
      record: {
        action: 'reboot',
        outcome: 'rejected',
        detail: expect.stringMatching(/a person rejected: reboot i-1 \(not now\)/),
      },
    },
  ],
  [
    'approve, timed out: page, not held',
    rung({ level: 'approve', approval: timedOut }),
    {
      kind: 'page',
      why: 'nobody approved the next action in time',
      record: expect.objectContaining({
        outcome: 'timed-out',
        detail: expect.stringMatching(/timed out after 900 s/),
      }),
    },
  ],
  [
    'approve, the ask failed: page',
    rung({ level: 'approve', approval: broken }),
    { kind: 'page', record: expect.objectContaining({ outcome: 'failed' }) },
  ],
  ['autonomy off: skip the rung', rung({ level: 'off' }), { kind: 'skip', bound: 'autonomy' }],
  [
    'not opted in: page, held',
    rung({ managed: false }),
    {
      kind: 'page',
      outcome: 'held',
      why: 'instance is not opted in to automatic actions',
      record: expect.objectContaining({ outcome: 'held' }),
    },
  ],
  [
    'paused: page, held, says who',
    rung({ pause: paused }),
    {
      kind: 'page',
      outcome: 'held',
      why: expect.stringMatching(/^held by paused: medic is paused by alice/),
    },
  ],
  [
    'kill switch unreadable: fails closed',
    rung({ pause: unreadable }),
    { kind: 'page', outcome: 'held', why: expect.stringMatching(/failing closed/) },
  ],
  [
    'paused after an approval: held right before acting',
    rung({ level: 'approve', approval: approved, pause: paused }),
    { kind: 'page', outcome: 'held' },
  ],
  [
    'opt-in is checked before autonomy off',
    rung({ managed: false, level: 'off' }),
    { kind: 'page', outcome: 'held' },
  ],
  ['autonomy off is checked before the pause', rung({ level: 'off', pause: paused }), { kind: 'skip' }],
  [
    'a page always runs, whatever the gates',
    rung({ action: 'page', managed: false, pause: paused }),
    { kind: 'act', action: 'page' },
  ],
];

describe('gateRung: the gates in front of one rung', () => {
  it.each(GATES)('%s', (_name, f, expected) => {
    // Act
    const move = gateRung(f);
    // Assess
    expect(move).toMatchObject(expected);
    expect(move.reasons.length).toBeGreaterThan(0);
  });

  it.each(['reboot', 'stop-start', 'failover', 'restart-service'] as ActionKind[])(
    'every mutating rung (%s) is held by the pause',
    (action) => {
      // Act / Assess
      expect(gateRung(rung({ action, pause: paused })).kind).toBe('page');
    },
  );

  it.each(['auto', 'approve', 'dry-run'] as AutonomyLevel[])(
    'the act mode is the rung level (%s)',
    (level) => {
      // Act
      const move = gateRung(rung({ level, approval: approved }));
      // Assess
      expect(move).toMatchObject({ kind: 'act', mode: level });
    },
  );
});

describe('readApproval: what AwaitApproval left', () => {
  it.each([
    [{ decision: 'approve', detail: 'ok' }, 'approved'],
    [{ Error: 'ApprovalRejected', Cause: 'no' }, 'rejected'],
    [{ Error: 'States.Timeout' }, 'timed-out'],
    [{ Error: 'States.HeartbeatTimeout' }, 'timed-out'],
    [{ Error: 'Lambda.ServiceException', Cause: 'x' }, 'error'],
    [{ decision: 'maybe' }, 'error'],
  ] as [Record<string, unknown>, string][])('%j → %s', (approval, kind) => {
    // Act / Assess
    expect(readApproval(approval).kind).toBe(kind);
  });
});

describe('the stop rule after Verify', () => {
  it.each([
    [true, 2, 'resolved'],
    [true, 0, 'resolved'],
    [false, 1, 'again'],
    [false, 0, 'next-rung'],
  ] as const)('recovered %s with %i polls left → %s', (recovered, left, expected) => {
    // Act / Assess
    expect(afterVerify(recovered, left)).toBe(expected);
  });
});

describe('a held bound moves the ladder', () => {
  it.each([
    ['hold', { rung: 1, next: 'done', outcome: 'held' }],
    ['skip', { rung: 2, next: 'act' }],
    ['page', { rung: 4, next: 'act' }],
  ] as const)('%s', (effect, expected) => {
    // Act / Assess
    expect(afterHeld(effect, 1, 4)).toEqual(expected);
  });

  it('a dry-run run ends at its first "would have"; a dry-run rung moves on', () => {
    // Act / Assess
    expect(afterDryRun('dry-run')).toBe('done');
    expect(afterDryRun('auto')).toBe('next-rung');
  });
});

describe('why a person is paged', () => {
  const a = (kind: ActionKind, outcome: string, detail = '') => ({ kind, outcome, detail }) as never;
  it.each([
    [
      'left stopped leads',
      { actions: [a('stop-start', 'failed')], outcome: null, leftStopped: { state: 'stopped' } },
      /left the instance stopped/,
    ],
    [
      'rejected',
      { actions: [a('reboot', 'rejected')], outcome: 'held', leftStopped: null },
      /a person rejected/,
    ],
    [
      'paused',
      { actions: [a('reboot', 'held', 'held by paused: x')], outcome: 'held', leftStopped: null },
      /^held by paused: x$/,
    ],
    [
      'not opted in',
      { actions: [a('reboot', 'held', 'held: not opted in')], outcome: 'held', leftStopped: null },
      /not opted in/,
    ],
    [
      'timed out',
      { actions: [a('reboot', 'timed-out')], outcome: null, leftStopped: null },
      /nobody approved/,
    ],
    [
      'tried and failed',
      { actions: [a('reboot', 'not-recovered')], outcome: null, leftStopped: null },
      /did not restore service/,
    ],
    ['nothing applies', { actions: [], outcome: null, leftStopped: null }, /no automatic action applies/],
  ] as [string, Parameters<typeof pageWhy>[0], RegExp][])('%s', (_name, f, why) => {
    // Act / Assess
    expect(pageWhy(f)).toMatch(why);
  });
});
