/**
 * Tell users: publish the run's status page plan (shared/policy/statuspage.ts) on Statuspage.
 *
 * Idempotent: medic's incident for the episode is found by its metadata before one is created, and
 * the metadata lists the plan's update keys already posted, so a rerun posts only what is new. An
 * incident someone resolved by hand is left alone. Updates caught up in one go are recorded without
 * notifying subscribers; only the latest one notifies.
 *
 * A Statuspage outage never blocks the run: the plan goes to the status outbox and the scheduled
 * drainer publishes it later (plans are cumulative, so the latest one is all it needs).
 */
import { type Deadline, NO_DEADLINE, withReserve } from '../domain/deadline.ts';
import type { Clock } from '../domain/timeline.ts';
import type { StatusPlan } from '../policy/statuspage.ts';
import type { StatusOutbox, StatusOutboxDrain, StatusPagePort } from '../ports.ts';
import { retryAt } from './outbox.ts';

export interface Published {
  incidentId: string;
  /** The incident's status after this publish (what the page now says). */
  status: string;
  /** Update keys posted by this publish (empty when everything was already there). */
  postedNow: string[];
}

export async function publishPlan(plan: StatusPlan, page: StatusPagePort): Promise<Published> {
  const found = await page.findIncident(plan.episodeKey);
  if (found?.status === 'resolved') return { incidentId: found.id, status: found.status, postedNow: [] };
  const posted = [...(found?.posted ?? [])];
  const missing = plan.updates.filter((u) => !posted.includes(u.key));
  const last = plan.updates.at(-1);
  let incidentId = found?.id ?? null;
  let status = found?.status ?? 'investigating';
  const postedNow: string[] = [];
  for (const [i, update] of missing.entries()) {
    posted.push(update.key);
    const change = {
      status: update.status,
      body: update.body,
      components: update.components,
      episodeKey: plan.episodeKey,
      posted,
      notify: i === missing.length - 1,
    };
    if (incidentId === null) {
      const created = await page.createIncident({
        ...change,
        name: plan.name,
        impact: plan.impact,
        componentIds: plan.componentIds,
      });
      incidentId = created.id;
    } else {
      await page.updateIncident(incidentId, change);
    }
    status = update.status;
    postedNow.push(update.key);
  }
  if (incidentId === null) {
    // A plan with no update posts nothing: there is no incident to name.
    return { incidentId: '', status: last?.status ?? 'investigating', postedNow };
  }
  return { incidentId, status, postedNow };
}

/** Time kept back from Statuspage for the outbox write when it does not answer. */
export const STATUS_RESERVE_MS = 1_500;

export interface TellUsersResult {
  /** Null when the plan is waiting in the outbox. */
  incidentId: string | null;
  /** The incident's status, or `queued` while the plan waits in the outbox. */
  status: string;
  /** One line for the timeline (internal: names the outcome, never the page's text). */
  summary: string;
  failed: boolean;
}

export async function tellUsers(
  plan: StatusPlan,
  deps: {
    statusPage: (deadline?: Deadline) => Promise<StatusPagePort>;
    outbox: StatusOutbox;
    clock: Clock;
    deadline?: Deadline;
  },
): Promise<TellUsersResult> {
  try {
    const page = await deps.statusPage(withReserve(deps.deadline ?? NO_DEADLINE, STATUS_RESERVE_MS));
    const published = await publishPlan(plan, page);
    return {
      incidentId: published.incidentId,
      status: published.status,
      summary: published.postedNow.length
        ? `status page incident ${published.incidentId} is ${published.status} (posted ${published.postedNow.join(', ')})`
        : `status page incident ${published.incidentId} already up to date (${published.status})`,
      failed: false,
    };
  } catch (error) {
    const why = `${(error as Error).name}: ${(error as Error).message}`;
    try {
      await deps.outbox.enqueueStatus({
        episodeKey: plan.episodeKey,
        plan,
        attempts: 0,
        nextAttemptAt: deps.clock().toISOString(),
        lastError: why,
      });
      return {
        incidentId: null,
        status: 'queued',
        summary: `could not update the status page (${why}): the update waits in the outbox`,
        failed: true,
      };
    } catch (outboxError) {
      return {
        incidentId: null,
        status: 'lost',
        summary: `could not update the status page (${why}) nor queue the update (${(outboxError as Error).name})`,
        failed: true,
      };
    }
  }
}

export const STATUS_LEASE_MS = 5 * 60_000;
export const STATUS_MAX_BACKOFF_MS = 60 * 60_000;

export interface StatusDrainResult {
  published: { episodeKey: string; incidentId: string; status: string }[];
  retryLater: { episodeKey: string; attempts: number; nextAttemptAt: string; error: string }[];
  skipped: number;
}

export async function drainStatusOutbox(deps: {
  store: StatusOutboxDrain;
  statusPage: (deadline?: Deadline) => Promise<StatusPagePort>;
  clock: Clock;
  deadline?: Deadline;
  limit?: number;
  baseBackoffMs?: number;
  random?: () => number;
}): Promise<StatusDrainResult> {
  const random = deps.random ?? Math.random;
  const base = deps.baseBackoffMs ?? 30_000;
  const result: StatusDrainResult = { published: [], retryLater: [], skipped: 0 };
  const pageDeadline = withReserve(deps.deadline ?? NO_DEADLINE, STATUS_RESERVE_MS);
  for (const item of await deps.store.dueStatus(deps.clock(), deps.limit ?? 10)) {
    // Each plan needs a few requests at 1 per second: below that, leave it for the next run.
    if (pageDeadline.leftMs() < 5_000) {
      result.skipped++;
      continue;
    }
    const leased = await deps.store.leaseStatus(
      item.episodeKey,
      item.nextAttemptAt,
      new Date(deps.clock().getTime() + STATUS_LEASE_MS),
    );
    if (!leased) {
      result.skipped++;
      continue;
    }
    try {
      const published = await publishPlan(item.plan, await deps.statusPage(pageDeadline));
      await deps.store.deleteStatus(item.episodeKey, item.plan.updates.length);
      result.published.push({
        episodeKey: item.episodeKey,
        incidentId: published.incidentId,
        status: published.status,
      });
    } catch (error) {
      const attempts = item.attempts + 1;
      const next = retryAt(attempts, {
        baseMs: base,
        maxMs: STATUS_MAX_BACKOFF_MS,
        now: deps.clock(),
        random,
      });
      const message = `${(error as Error).name}: ${(error as Error).message}`;
      await deps.store.rescheduleStatus(item.episodeKey, attempts, next, message);
      result.retryLater.push({
        episodeKey: item.episodeKey,
        attempts,
        nextAttemptAt: next.toISOString(),
        error: message,
      });
    }
  }
  return result;
}
