/**
 * Tell users: publish the run's status page plan (shared/policy/statuspage.ts) on Statuspage.
 *
 * Idempotent: medic's incident for the episode is found by its metadata before one is created, and
 * the metadata lists the plan's update keys already posted, so a rerun posts only what is new. An
 * incident someone resolved by hand is left alone. Updates caught up in one go are recorded without
 * notifying subscribers; only the latest one notifies.
 *
 * One publisher per episode at a time (the lease, when the caller passes one): the cases of an
 * episode publish side by side, and two that both found no incident would both create one.
 *
 * A Statuspage outage never blocks the run: the plan goes to the status outbox and the scheduled
 * drainer publishes it later (plans are cumulative, so the latest one is all it needs).
 */
import { type Deadline, NO_DEADLINE, withReserve } from '../domain/deadline.ts';
import type { ActionKind, InstanceCase } from '../domain/model.ts';
import { append, type Clock, entry } from '../domain/timeline.ts';
import { caseFacts, caseStatusPlan, type StatusPlan } from '../policy/statuspage.ts';
import type { StatusOutbox, StatusOutboxDrain, StatusPagePort, StatusPublishLease } from '../ports.ts';
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

/** One publisher per episode at a time (ports.ts StatusPublishLease): who this caller is, for how long. */
export interface PublishLease {
  port: StatusPublishLease;
  /** Unique per publish: two deliveries of one Task, or two cases, are two holders. */
  holder: string;
  /** Past the caller's own budget, so the lease outlives any publish its holder can still make. */
  ms: number;
}

export interface TellUsersDeps {
  statusPage: (deadline?: Deadline) => Promise<StatusPagePort>;
  outbox: StatusOutbox;
  clock: Clock;
  deadline?: Deadline;
  lease?: PublishLease;
}

async function enqueue(
  plan: StatusPlan,
  deps: TellUsersDeps,
  why: string,
): Promise<{ queued: true } | { queued: false; error: Error }> {
  try {
    await deps.outbox.enqueueStatus({
      episodeKey: plan.episodeKey,
      plan,
      attempts: 0,
      nextAttemptAt: deps.clock().toISOString(),
      lastError: why,
    });
    return { queued: true };
  } catch (error) {
    return { queued: false, error: error as Error };
  }
}

/**
 * Publishes the plan now, or leaves it in the outbox: when another publisher of the episode holds
 * the lease (a case racing this one, the drainer), when Statuspage fails or the time runs out.
 * Never throws: users are told beside the run, never instead of it.
 */
export async function tellUsers(plan: StatusPlan, deps: TellUsersDeps): Promise<TellUsersResult> {
  const lease = deps.lease;
  let held = false;
  try {
    if (lease) {
      const now = deps.clock();
      held = await lease.port.claimStatusLease(
        plan.episodeKey,
        lease.holder,
        now,
        new Date(now.getTime() + lease.ms),
      );
      if (!held) {
        // The holder publishes its own plan; this one is left for the drainer (or Close), which
        // posts only the keys still missing.
        const queued = await enqueue(
          plan,
          deps,
          'another publisher of this episode held the status page lease',
        );
        return {
          incidentId: null,
          status: queued.queued ? 'queued' : 'lost',
          summary: queued.queued
            ? 'the status page was being updated for this episode by another step or the drainer: this update waits in the outbox'
            : `the status page was being updated for this episode by another step or the drainer, and this update could not be queued (${queued.error.name})`,
          failed: !queued.queued,
        };
      }
    }
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
    const queued = await enqueue(plan, deps, why);
    return queued.queued
      ? {
          incidentId: null,
          status: 'queued',
          summary: `could not update the status page (${why}): the update waits in the outbox`,
          failed: true,
        }
      : {
          incidentId: null,
          status: 'lost',
          summary: `could not update the status page (${why}) nor queue the update (${queued.error.name})`,
          failed: true,
        };
  } finally {
    // A release that fails leaves the lease to expire: the next publisher waits for it at most.
    if (held && lease)
      await lease.port.releaseStatusLease(plan.episodeKey, lease.holder).catch(() => undefined);
  }
}

/** How a step of the run tells users where it stands (publish now, or queue for the drainer). */
export type MidRunTeller = <C extends InstanceCase>(
  c: C,
  starting: ActionKind | null,
  step: string,
  deadline: Deadline,
) => Promise<C>;

/**
 * The page follows the run: what one case has to say so far (policy caseStatusPlan), published by
 * Decide once Assess confirmed the impact and by each action step once its step has begun, after
 * the action itself. Answers the case with one timeline line; a case with nothing to say (no
 * component, transient, dry run, held by maintenance) is returned as it was, without a request.
 */
export async function tellUsersSoFar<C extends InstanceCase>(
  c: C,
  starting: ActionKind | null,
  step: string,
  deps: TellUsersDeps,
): Promise<C> {
  const plan = caseStatusPlan(c.incidentId, caseFacts(c), starting);
  if (!plan) return c;
  const told = await tellUsers(plan, deps);
  return {
    ...c,
    timeline: append(
      c.timeline,
      entry(deps.clock, {
        step,
        kind: told.failed ? 'error' : 'note',
        instanceId: c.target.instanceId,
        summary: told.summary,
      }),
    ),
  };
}

export const STATUS_LEASE_MS = 5 * 60_000;
export const STATUS_MAX_BACKOFF_MS = 60 * 60_000;
/** How soon an item whose episode another publisher held is due again. */
export const STATUS_BUSY_RETRY_MS = 30_000;

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
  /** The episode's publish lease: the drainer waits for a case or Close publishing the same episode. */
  lease?: Omit<PublishLease, 'ms'>;
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
    const lease = deps.lease;
    const now = deps.clock();
    if (
      lease &&
      !(await lease.port.claimStatusLease(
        item.episodeKey,
        lease.holder,
        now,
        new Date(now.getTime() + STATUS_LEASE_MS),
      ))
    ) {
      // Someone is publishing this episode now: try again shortly, without counting an attempt.
      await deps.store.rescheduleStatus(
        item.episodeKey,
        item.attempts,
        new Date(now.getTime() + STATUS_BUSY_RETRY_MS),
        'another publisher of this episode held the status page lease',
      );
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
    } finally {
      if (lease) await lease.port.releaseStatusLease(item.episodeKey, lease.holder).catch(() => undefined);
    }
  }
  return result;
}

/**
 * The same, without a request to Statuspage: the case's plan so far goes to the outbox and the
 * drainer (or Close, whichever comes first) publishes it. For a step that must not carry the
 * Statuspage client; the outbox keeps the longest plan of the episode.
 */
export async function queueUsersSoFar<C extends InstanceCase>(
  c: C,
  starting: ActionKind | null,
  step: string,
  deps: { outbox: StatusOutbox; clock: Clock },
): Promise<C> {
  const plan = caseStatusPlan(c.incidentId, caseFacts(c), starting);
  if (!plan) return c;
  let summary = 'the status page update waits in the outbox for the drainer';
  let failed = false;
  try {
    await deps.outbox.enqueueStatus({
      episodeKey: plan.episodeKey,
      plan,
      attempts: 0,
      nextAttemptAt: deps.clock().toISOString(),
      lastError: '',
    });
  } catch (error) {
    summary = `could not queue the status page update (${(error as Error).name})`;
    failed = true;
  }
  return {
    ...c,
    timeline: append(
      c.timeline,
      entry(deps.clock, { step, kind: failed ? 'error' : 'note', instanceId: c.target.instanceId, summary }),
    ),
  };
}
