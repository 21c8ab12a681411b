/** Each bound in guard.ts against an in-memory safety store (the e2e tests use DynamoDB). */
import { describe, expect, it } from 'vitest';
import type { InstanceCase } from '../shared/domain/model.ts';
import type { OutboxItem, SafetyStorePort, TicketPort } from '../shared/ports.ts';
import {
  activeStorm,
  activeWindow,
  authorize,
  type GuardDeps,
  type GuardSettings,
  parseMaintenanceWindows,
  type StormMemo,
  stormKey,
} from '../shared/usecases/guard.ts';
import { drainOutbox } from '../shared/usecases/outbox.ts';
import { instanceCase, osAssessment } from './support/cases.ts';
import { guardSettings } from './support/guard.ts';
import { memoryHealth } from './support/health.ts';

function memoryStore(): SafetyStorePort & { claims: Map<string, Date>; outbox: Map<string, OutboxItem> } {
  const claims = new Map<string, Date>();
  const episodes: { id: string; at: Date }[] = [];
  const closed = new Map<string, Date>();
  const fleet: { instanceId: string; episodeKey: string; at: string; group?: string | null }[] = [];
  const storms = new Map<string, Date>();
  const outbox = new Map<string, OutboxItem>();
  return {
    ...memoryHealth(),
    claims,
    outbox,
    claimEpisode: async () => 'new',
    acquireLock: async () => ({ acquired: true, tookOverFrom: null }),
    joinLock: async () => null,
    releaseLock: async () => [],
    recordEpisode: async (id, _k, at) => void episodes.push({ id, at }),
    episodesSince: async (id, since) => episodes.filter((e) => e.id === id && e.at >= since).length,
    markClosed: async (id, at) => void closed.set(id, at),
    lastClosed: async (id) => closed.get(id) ?? null,
    registerFleet: async (instanceId, episodeKey, at, group) =>
      void fleet.push({ instanceId, episodeKey, at: at.toISOString(), group }),
    fleetSince: async (since, until) =>
      fleet.filter((f) => f.at >= since.toISOString() && f.at <= until.toISOString()),
    claimStorm: async (key, _l, at) => (storms.has(key) ? false : (storms.set(key, at), true)),
    stormsAt: async (keys) =>
      new Map(keys.flatMap((k) => (storms.has(k) ? [[k, storms.get(k) as Date] as const] : []))),
    claimAction: async (id, key, at) =>
      claims.has(`${id}|${key}`) ? false : (claims.set(`${id}|${key}`, at), true),
    actionsSince: async (id, since, exceptKey) =>
      [...claims].filter(([k, at]) => k.startsWith(`${id}|`) && at >= since && k !== `${id}|${exceptKey}`)
        .length,
    unclaimAction: async (id, key) => void claims.delete(`${id}|${key}`),
    enqueueOutbox: async (item) => void outbox.set(item.episodeKey, item),
    dueOutbox: async (now) => [...outbox.values()].filter((i) => i.nextAttemptAt <= now.toISOString()),
    leaseOutbox: async (key, expected, until) => {
      const item = outbox.get(key);
      if (!item || item.nextAttemptAt !== expected) return false;
      outbox.set(key, { ...item, nextAttemptAt: until.toISOString() });
      return true;
    },
    rescheduleOutbox: async (key, attempts, next, lastError) => {
      const item = outbox.get(key);
      if (item) outbox.set(key, { ...item, attempts, nextAttemptAt: next.toISOString(), lastError });
    },
    deleteOutbox: async (key) => void outbox.delete(key),
  };
}

/** A fresh store that shares the fleet registry of another (no storm claimed yet). */
function memoryStoreWith(other: SafetyStorePort): SafetyStorePort {
  return { ...memoryStore(), fleetSince: (since, until) => other.fleetSince(since, until) };
}

const NOW = new Date('2026-11-25T12:00:00.000Z');
const settings = guardSettings({ budgetWindowMs: 24 * 3_600_000, cooldownMs: 30 * 60_000, flapEpisodes: 3 });

function kase(
  overrides: Partial<InstanceCase> = {},
  target: Partial<InstanceCase['target']> = {},
): InstanceCase {
  return instanceCase({
    incidentId: 'medic-web-1-20261125120000000-abcd1234',
    settings: { verifyPolls: 2, probeTimeoutMs: 500 },
    target,
    assessment: osAssessment(['reboot', 'stop-start', 'page'], []),
    ...overrides,
  });
}

function deps(store: SafetyStorePort, extra: Partial<GuardSettings> = {}, at = NOW): GuardDeps {
  return {
    store,
    clock: () => at,
    settings: { ...settings, ...extra },
    notifier: { publish: async () => ({ messageId: 'm' }) },
  };
}

describe('storm memo: a warm process holds storm alarms without re-reading, never past the window', () => {
  it('reads once while the storm lasts, and reads again once its window is over', async () => {
    // Prepare: a storm claimed at NOW, a 10-minute window, a store that counts its reads
    const store = memoryStore();
    await store.claimStorm(stormKey(NOW, 600_000), 'ep-leader', NOW);
    let reads = 0;
    const counting = {
      stormsAt: (keys: string[]) => {
        reads++;
        return store.stormsAt(keys);
      },
    };
    const memo: StormMemo = {};
    const at = (ms: number) => ({
      store: counting,
      clock: () => new Date(NOW.getTime() + ms),
      settings: { fleetWindowMs: 600_000 },
      memo,
    });
    // Act
    const during = [
      await activeStorm(at(1_000)),
      await activeStorm(at(60_000)),
      await activeStorm(at(599_000)),
    ];
    const readsDuring = reads;
    const after = await activeStorm(at(600_001));
    // Assess
    expect(during).toEqual([stormKey(NOW, 600_000), stormKey(NOW, 600_000), stormKey(NOW, 600_000)]);
    expect(readsDuring).toBe(1);
    expect(after).toBeNull();
    expect(reads).toBe(2);
  });
});

describe('guard: each bound holds', () => {
  it('claims an action at most once per episode and rung (a retried or crashed Mitigate never repeats it)', async () => {
    // Prepare
    const store = memoryStore();
    // Act
    const first = await authorize(kase(), 'reboot', deps(store));
    const retry = await authorize(kase(), 'reboot', deps(store));
    // Assess
    expect(first).toEqual({ allow: true });
    expect(retry).toMatchObject({ allow: false, bound: 'already-taken', effect: 'assume-done' });
  });

  it('a re-delivery of the action that spent the last of the budget finds its claim, not the budget', async () => {
    // Prepare: two earlier actions, then this rung's own claim makes three (the budget)
    const store = memoryStore();
    for (let i = 0; i < 2; i++)
      await store.claimAction('i-0123456789abcdef0', `old-${i}`, new Date(NOW.getTime() - i * 3_600_000));
    const first = await authorize(kase(), 'reboot', deps(store));
    // Act: the same step delivered again (its answer lost, or delivered twice)
    const again = await authorize(kase(), 'reboot', deps(store));
    // Assess
    expect(first).toEqual({ allow: true });
    expect(again).toMatchObject({ allow: false, bound: 'already-taken' });
  });

  it('budget: the 4th action within the rolling window is held and pages; one outside the window frees it', async () => {
    // Prepare
    const store = memoryStore();
    for (let i = 0; i < 3; i++)
      await store.claimAction('i-0123456789abcdef0', `old-${i}`, new Date(NOW.getTime() - i * 3_600_000));
    // Act
    const held = await authorize(kase(), 'reboot', deps(store));
    const later = await authorize(
      kase(),
      'reboot',
      deps(store, {}, new Date(NOW.getTime() + 23 * 3_600_000)),
    );
    // Assess
    expect(held).toMatchObject({ allow: false, bound: 'budget', effect: 'page' });
    expect(later).toEqual({ allow: true });
  });

  it('flap: K episodes within T escalate instead of acting', async () => {
    // Prepare
    const store = memoryStore();
    for (let i = 0; i < 3; i++)
      await store.recordEpisode('i-0123456789abcdef0', `e${i}`, new Date(NOW.getTime() - i * 600_000));
    // Act
    const verdict = await authorize(kase(), 'reboot', deps(store));
    // Assess
    expect(verdict).toMatchObject({ allow: false, bound: 'flap', effect: 'page' });
  });

  it('cooldown: an incident closed minutes ago holds the next action; after the cooldown it is allowed', async () => {
    // Prepare
    const store = memoryStore();
    await store.markClosed('i-0123456789abcdef0', new Date(NOW.getTime() - 10 * 60_000));
    // Act
    const held = await authorize(kase(), 'reboot', deps(store));
    const after = await authorize(kase(), 'reboot', deps(store, {}, new Date(NOW.getTime() + 25 * 60_000)));
    // Assess
    expect(held).toMatchObject({ allow: false, bound: 'cooldown' });
    expect(after).toEqual({ allow: true });
  });

  it('fleet: more than M instances in incidents holds every action; exactly one page for the storm', async () => {
    // Prepare
    const store = memoryStore();
    const pages: string[] = [];
    for (let i = 0; i < 6; i++) await store.registerFleet(`i-00000000000000${i}`, `e${i}`, NOW);
    const d = {
      ...deps(store),
      notifier: { publish: async (n: { subject: string }) => (pages.push(n.subject), { messageId: 'm' }) },
    };
    // Act
    const verdicts = await Promise.all([
      authorize(kase(), 'reboot', d),
      authorize(kase({ rung: 1 }), 'reboot', d),
    ]);
    // Assess
    for (const v of verdicts) expect(v).toMatchObject({ allow: false, bound: 'fleet', effect: 'hold' });
    expect(pages).toHaveLength(1);
    expect(store.outbox.size).toBe(1); // the summary ticket, filed by the drainer (no Jira port here)
    expect(store.claims.size).toBe(0);
  });

  it('fleet, group share: more than P % of one Auto Scaling group in incidents holds, though under M', async () => {
    // Prepare: 3 of a 4-instance group alarm (75 % > 50 %), far under the 5-instance limit
    const store = memoryStore();
    for (let i = 0; i < 3; i++) await store.registerFleet(`i-00000000000000${i}`, `e${i}`, NOW, 'web-asg');
    const c = kase({}, { group: 'web-asg' });
    // Act
    const small = await authorize(c, 'reboot', { ...deps(store), groupSize: async () => 4 });
    const large = await authorize(c, 'reboot', {
      ...deps(memoryStoreWith(store)),
      groupSize: async () => 10,
    });
    // Assess
    expect(small).toMatchObject({ allow: false, bound: 'fleet', effect: 'hold' });
    expect(small.allow === false && small.reason).toMatch(
      /3 of 4 instances of group web-asg \(75 %, limit 50 %\)/,
    );
    expect(large).toEqual({ allow: true });
  });

  it('AWS scheduled events steer away from reboot to the next rung', async () => {
    // Prepare
    const c = kase({
      evidence: {
        ec2: {
          ok: true,
          value: {
            state: 'running',
            systemStatus: 'ok',
            instanceStatus: 'ok',
            scheduledEvents: [{ code: 'system-reboot', description: 'scheduled', notBefore: null }],
          },
          error: null,
          checks: [],
        },
        reachability: { ok: false, value: null, error: 'x', checks: [] },
      },
    });
    // Act
    const reboot = await authorize(c, 'reboot', deps(memoryStore()));
    const stopStart = await authorize(c, 'stop-start', deps(memoryStore()));
    // Assess
    expect(reboot).toMatchObject({ allow: false, bound: 'scheduled-event', effect: 'skip' });
    expect(stopStart).toEqual({ allow: true });
  });

  it('opt-in, change freeze, maintenance tag and windows hold before anything is claimed', async () => {
    // Prepare
    const store = memoryStore();
    // Act
    const verdicts = await Promise.all([
      authorize(kase({}, { managed: false }), 'reboot', deps(store)),
      authorize(kase(), 'reboot', deps(store, { changeFreeze: true })),
      authorize(kase({}, { maintenance: '2026-11-25T13:00:00Z' }), 'reboot', deps(store)),
      authorize(
        kase(),
        'reboot',
        deps(store, { maintenanceWindows: parseMaintenanceWindows('wed 11:30-12:30') }),
      ),
    ]);
    // Assess
    expect(verdicts.map((v) => (v.allow ? 'allow' : v.bound))).toEqual([
      'opt-in',
      'change-freeze',
      'maintenance',
      'maintenance',
    ]);
    expect(store.claims.size).toBe(0);
  });

  it('parses maintenance windows and rejects a malformed one with a message that says the format', () => {
    // Act
    const windows = parseMaintenanceWindows('sun 02:00-04:00, 2026-12-24T00:00:00Z/2026-12-27T00:00:00Z');
    // Assess
    expect(activeWindow(windows, new Date('2026-11-29T03:00:00Z'))?.text).toBe('sun 02:00-04:00');
    expect(activeWindow(windows, new Date('2026-11-29T04:00:00Z'))).toBeNull();
    expect(activeWindow(windows, new Date('2026-12-25T10:00:00Z'))?.kind).toBe('interval');
    expect(() => parseMaintenanceWindows('sundays at 2')).toThrow(/sun 02:00-04:00/);
  });
});

describe('outbox drainer', () => {
  function tickets(state: {
    down: boolean;
    created: string[];
    comments: string[];
    labels: Set<string>;
  }): TicketPort {
    return {
      flavour: 'cloud',
      search: async (labels) => {
        if (state.down) throw Object.assign(new Error('503'), { name: 'JiraUnavailableError' });
        return labels.every((l) => state.labels.has(l))
          ? [{ key: 'OPS-1', url: null, labels, done: false, updated: null }]
          : [];
      },
      create: async (draft) => {
        state.created.push(draft.summary);
        for (const l of draft.labels) state.labels.add(l);
        return { key: 'OPS-1', url: null };
      },
      comment: async (key) => void state.comments.push(key),
      update: async () => undefined,
      reopen: async () => 'Reopen',
      attach: async () => undefined,
    };
  }
  const item = (key: string): OutboxItem => ({
    episodeKey: key,
    draft: { summary: 's', labels: ['medic', key], priority: 'High', description: { sections: [] } },
    attempts: 0,
    nextAttemptAt: NOW.toISOString(),
    lastError: 'x',
  });

  it('backs off with jitter while Jira is down, then files once; a second drain files nothing', async () => {
    // Prepare
    const store = memoryStore();
    await store.enqueueOutbox(item('ep-1'));
    const jira = { down: true, created: [] as string[], comments: [] as string[], labels: new Set<string>() };
    let now = NOW;
    const d = {
      store,
      tickets: async () => tickets(jira),
      clock: () => now,
      random: () => 1,
      baseBackoffMs: 30_000,
    };
    // Act
    const down1 = await drainOutbox(d);
    now = new Date(NOW.getTime() + 31_000);
    const down2 = await drainOutbox(d);
    jira.down = false;
    now = new Date(NOW.getTime() + 200_000);
    const up = await drainOutbox(d);
    const again = await drainOutbox(d);
    // Assess
    expect(down1.retryLater[0]).toMatchObject({
      attempts: 1,
      nextAttemptAt: new Date(NOW.getTime() + 30_000).toISOString(),
    });
    expect(down2.retryLater[0]?.attempts).toBe(2);
    expect(up.filed).toEqual([{ episodeKey: 'ep-1', key: 'OPS-1', created: true }]);
    expect(again.filed).toEqual([]);
    expect(jira.created).toHaveLength(1);
  });

  it('comments instead of creating when Jira already has the episode (a create whose answer was lost)', async () => {
    // Prepare
    const store = memoryStore();
    await store.enqueueOutbox(item('ep-2'));
    const jira = {
      down: false,
      created: [] as string[],
      comments: [] as string[],
      labels: new Set(['ep-2']),
    };
    // Act
    const result = await drainOutbox({ store, tickets: async () => tickets(jira), clock: () => NOW });
    // Assess
    expect(result.filed).toEqual([{ episodeKey: 'ep-2', key: 'OPS-1', created: false }]);
    expect(jira.created).toEqual([]);
    expect(jira.comments).toEqual(['OPS-1']);
  });
});
