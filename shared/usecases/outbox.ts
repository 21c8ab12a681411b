/**
 * The durable Jira outbox (issue #5). When Jira stays down past the adapter's retries, Record puts
 * the ticket here (one item per episode: a newer draft replaces an older one) and a scheduled
 * function drains it with exponential backoff and full jitter. No duplicates: the drainer leases an
 * item with a conditional write (one drainer per item), then searches by the episode label and
 * comments on a ticket that already exists (e.g. Jira created it but the answer timed out) instead
 * of creating a second one.
 */
import type { Clock } from '../domain/timeline.ts';
import type { SafetyStorePort, TicketDraft, TicketPort } from '../ports.ts';

export const OUTBOX_LEASE_MS = 5 * 60_000;
export const OUTBOX_MAX_BACKOFF_MS = 60 * 60_000;

export async function enqueueTicket(
  store: SafetyStorePort,
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
  store: SafetyStorePort;
  tickets: () => Promise<TicketPort>;
  clock: Clock;
  limit?: number;
  baseBackoffMs?: number;
  random?: () => number;
}): Promise<DrainResult> {
  const { store, clock } = deps;
  const random = deps.random ?? Math.random;
  const base = deps.baseBackoffMs ?? 30_000;
  const result: DrainResult = { filed: [], retryLater: [], skipped: 0 };
  const due = await store.dueOutbox(clock(), deps.limit ?? 25);
  for (const item of due) {
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
      const tickets = await deps.tickets();
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
      const cap = Math.min(base * 2 ** (attempts - 1), OUTBOX_MAX_BACKOFF_MS);
      const next = new Date(clock().getTime() + Math.max(1_000, Math.round(random() * cap)));
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
