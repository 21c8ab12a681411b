/**
 * One publisher per episode (usecases/status-page.ts with the StatusPublishLease port), on
 * in-memory ports: the loser of the lease sends nothing to Statuspage and leaves its plan in the
 * outbox; the holder always gives the lease back, whether Statuspage answered or failed; the
 * drainer waits for a holder without counting an attempt; a lease whose holder died expires.
 */
import { describe, expect, it } from 'vitest';
import { statusPlan } from '../shared/policy/statuspage.ts';
import type {
  StatusOutboxDrain,
  StatusOutboxItem,
  StatusPageIncident,
  StatusPagePort,
  StatusPublishLease,
} from '../shared/ports.ts';
import { drainStatusOutbox, tellUsers } from '../shared/usecases/status-page.ts';

const NOW = new Date('2026-11-29T12:00:00Z');
const clock = () => NOW;
const plan = statusPlan(
  'ep-1',
  [
    {
      componentId: 'web01',
      classification: 'os',
      outcome: 'resolved',
      mode: 'auto',
      hasPeers: false,
      actions: [{ kind: 'reboot', outcome: 'succeeded', detail: 'x' }],
    },
  ],
  'resolved',
);
if (!plan) throw new Error('fixture: the plan must exist');

/** The lease as the DynamoDB adapter keeps it: free, or held until a time. */
function memoryLease(): StatusPublishLease & { held: Map<string, { holder: string; until: Date }> } {
  const held = new Map<string, { holder: string; until: Date }>();
  return {
    held,
    async claimStatusLease(key, holder, now, until) {
      const current = held.get(key);
      if (current && current.until >= now) return false;
      held.set(key, { holder, until });
      return true;
    },
    async releaseStatusLease(key, holder) {
      if (held.get(key)?.holder === holder) held.delete(key);
    },
  };
}

function memoryPage(fail = false): StatusPagePort & { calls: string[] } {
  const calls: string[] = [];
  let incident: StatusPageIncident | null = null;
  return {
    calls,
    async findIncident() {
      calls.push('find');
      if (fail) throw Object.assign(new Error('HTTP 503'), { name: 'StatusPageUnavailableError' });
      return incident;
    },
    async createIncident(change) {
      calls.push('create');
      incident = { id: 'inc-1', status: change.status, episodeKey: change.episodeKey, posted: change.posted };
      return incident;
    },
    async updateIncident(_id, change) {
      calls.push('update');
      if (incident) incident = { ...incident, status: change.status, posted: change.posted };
    },
  };
}

function memoryOutbox(items: StatusOutboxItem[] = []) {
  const queued: StatusOutboxItem[] = [...items];
  const rescheduled: { episodeKey: string; attempts: number; next: Date }[] = [];
  const store: StatusOutboxDrain & { enqueueStatus(i: StatusOutboxItem): Promise<void> } = {
    async enqueueStatus(item) {
      queued.push(item);
    },
    async dueStatus() {
      return [...queued];
    },
    async leaseStatus() {
      return true;
    },
    async rescheduleStatus(episodeKey, attempts, next) {
      rescheduled.push({ episodeKey, attempts, next });
    },
    async deleteStatus(episodeKey) {
      queued.splice(
        queued.findIndex((i) => i.episodeKey === episodeKey),
        1,
      );
    },
  };
  return { store, queued, rescheduled };
}

describe('one publisher per episode', () => {
  it('the loser of the lease sends nothing to Statuspage and leaves its plan in the outbox', async () => {
    // Prepare: another publisher holds the episode
    const lease = memoryLease();
    await lease.claimStatusLease('ep-1', 'other', NOW, new Date(NOW.getTime() + 60_000));
    const page = memoryPage();
    const { store, queued } = memoryOutbox();
    // Act
    const told = await tellUsers(plan, {
      statusPage: async () => page,
      outbox: store,
      clock,
      lease: { port: lease, holder: 'me', ms: 36_000 },
    });
    // Assess
    expect(page.calls).toEqual([]);
    expect(told).toMatchObject({ incidentId: null, status: 'queued', failed: false });
    expect(queued.map((i) => [i.episodeKey, i.plan.updates.length])).toEqual([['ep-1', 3]]);
    expect(lease.held.get('ep-1')?.holder).toBe('other');
  });

  it.each([
    ['Statuspage answered', false, 'resolved'],
    ['Statuspage failed', true, 'queued'],
  ])('the holder gives the lease back: %s', async (_name, fail, status) => {
    // Prepare
    const lease = memoryLease();
    const page = memoryPage(fail);
    const { store } = memoryOutbox();
    // Act
    const told = await tellUsers(plan, {
      statusPage: async () => page,
      outbox: store,
      clock,
      lease: { port: lease, holder: 'me', ms: 36_000 },
    });
    // Assess
    expect(told.status).toBe(status);
    expect(lease.held.size).toBe(0);
  });

  it('a lease whose holder died (past its time) is taken over', async () => {
    // Prepare: a holder that never gave it back, its time over
    const lease = memoryLease();
    await lease.claimStatusLease('ep-1', 'dead', new Date(0), new Date(NOW.getTime() - 1));
    const page = memoryPage();
    const { store } = memoryOutbox();
    // Act
    const told = await tellUsers(plan, {
      statusPage: async () => page,
      outbox: store,
      clock,
      lease: { port: lease, holder: 'me', ms: 36_000 },
    });
    // Assess
    expect(told.status).toBe('resolved');
    expect(page.calls).toContain('create');
  });

  it('the drainer waits for a holder: no request, the item due again soon, no attempt counted', async () => {
    // Prepare: a queued plan, its episode being published by someone else
    const lease = memoryLease();
    await lease.claimStatusLease('ep-1', 'a case', NOW, new Date(NOW.getTime() + 60_000));
    const page = memoryPage();
    const { store, queued, rescheduled } = memoryOutbox([
      { episodeKey: 'ep-1', plan, attempts: 2, nextAttemptAt: NOW.toISOString(), lastError: '' },
    ]);
    // Act
    const drained = await drainStatusOutbox({
      store,
      statusPage: async () => page,
      clock,
      lease: { port: lease, holder: 'drainer' },
    });
    // Assess
    expect(page.calls).toEqual([]);
    expect(drained).toMatchObject({ published: [], retryLater: [], skipped: 1 });
    expect(rescheduled.map((r) => [r.episodeKey, r.attempts, r.next.getTime() - NOW.getTime()])).toEqual([
      ['ep-1', 2, 30_000],
    ]);
    expect(queued).toHaveLength(1);
  });
});
