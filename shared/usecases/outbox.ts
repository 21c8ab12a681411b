/**
 * The durable Jira outbox. When Jira stays down past the adapter's retries, Record puts
 * the ticket here (one item per episode: a newer draft replaces an older one) and a scheduled
 * function drains it with exponential backoff and full jitter. No duplicates: the drainer leases an
 * item with a conditional write (one drainer per item), then searches by the episode label and
 * comments on a ticket that already exists (e.g. Jira created it but the answer timed out) instead
 * of creating a second one.
 */
import { type Deadline, NO_DEADLINE, withReserve } from '../domain/deadline.ts';
import type { Clock } from '../domain/timeline.ts';
import type { Outbox, OutboxDrain, TicketDraft, TicketPort } from '../ports.ts';

export const OUTBOX_LEASE_MS = 5 * 60_000;
export const OUTBOX_MAX_BACKOFF_MS = 60 * 60_000;

/**
 * When a failed item is tried again: exponential backoff from `baseMs`, capped at `maxMs`, with full
 * jitter and at least a second. One rule for every outbox (Jira, review, status page).
 */
export function retryAt(
  attempts: number,
  o: { baseMs: number; maxMs: number; now: Date; random: () => number },
): Date {
  const cap = Math.min(o.baseMs * 2 ** (attempts - 1), o.maxMs);
  return new Date(o.now.getTime() + Math.max(1_000, Math.round(o.random() * cap)));
}
/** Kept back from Jira so the item in hand can still be rescheduled (one DynamoDB write). */
export const OUTBOX_RESERVE_MS = 2_000;
/** An item is only leased with at least this much Jira time left; the rest waits for the next run. */
export const OUTBOX_MIN_ITEM_MS = 1_000;

export async function enqueueTicket(
  store: Outbox,
  episodeKey: string,
  draft: TicketDraft,
  error: unknown,
  clock: Clock,
): Promise<void> {
  await store.enqueueOutbox({
    episodeKey,
    draft,
    attempts: 0,
    nextAttemptAt: clock().toISOString(),
    lastError: `${(error as Error).name ?? 'Error'}: ${(error as Error).message ?? String(error)}`,
  });
}

export interface DrainResult {
  filed: { episodeKey: string; key: string; created: boolean }[];
  retryLater: { episodeKey: string; attempts: number; nextAttemptAt: string; error: string }[];
  skipped: number;
}

export async function drainOutbox(deps: {
  store: OutboxDrain;
  tickets: (deadline?: Deadline) => Promise<TicketPort>;
  clock: Clock;
  /** The invocation's deadline (default: no bound). */
  deadline?: Deadline;
  limit?: number;
  baseBackoffMs?: number;
  random?: () => number;
}): Promise<DrainResult> {
  const { store, clock } = deps;
  const random = deps.random ?? Math.random;
  const base = deps.baseBackoffMs ?? 30_000;
  const result: DrainResult = { filed: [], retryLater: [], skipped: 0 };
  const jiraDeadline = withReserve(deps.deadline ?? NO_DEADLINE, OUTBOX_RESERVE_MS);
  const due = await store.dueOutbox(clock(), deps.limit ?? 25);
  for (const item of due) {
    if (jiraDeadline.leftMs() < OUTBOX_MIN_ITEM_MS) {
      // Not leased, so the next scheduled run takes it at once.
      result.skipped++;
      continue;
    }
    const leased = await store.leaseOutbox(
      item.episodeKey,
      item.nextAttemptAt,
      new Date(clock().getTime() + OUTBOX_LEASE_MS),
    );
    if (!leased) {
      result.skipped++;
      continue;
    }
    try {
      const tickets = await deps.tickets(jiraDeadline);
      const label = item.draft.labels.find((l) => l === item.episodeKey) ?? item.episodeKey;
      const existing = (await tickets.search([label]))[0] ?? null;
      if (existing) {
        await tickets.comment(existing.key, item.draft.description);
        result.filed.push({ episodeKey: item.episodeKey, key: existing.key, created: false });
      } else {
        const created = await tickets.create(item.draft);
        result.filed.push({ episodeKey: item.episodeKey, key: created.key, created: true });
      }
      await store.deleteOutbox(item.episodeKey);
    } catch (error) {
      const attempts = item.attempts + 1;
      const next = retryAt(attempts, { baseMs: base, maxMs: OUTBOX_MAX_BACKOFF_MS, now: clock(), random });
      const message = `${(error as Error).name}: ${(error as Error).message}`;
      await store.rescheduleOutbox(item.episodeKey, attempts, next, message);
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
