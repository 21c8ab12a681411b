/**
 * The post-incident review: one Confluence page per episode, found by its title in the space before
 * creating (so a rerun updates the page, version + 1), linked both ways with the Jira ticket (the
 * page names the ticket; the ticket gets a remote link to the page, which Jira keys by globalId).
 *
 * Confluence is never allowed to fail a run: a review that cannot be written now waits in the review
 * outbox and the scheduled drainer writes it, with the same lease and backoff as the ticket outbox.
 */
import { type Deadline, NO_DEADLINE, withReserve } from '../domain/deadline.ts';
import { labelFor } from '../domain/report.ts';
import { MAX_TITLE_VARIANTS, titleVariant } from '../domain/review.ts';
import type { Clock } from '../domain/timeline.ts';
import { ConfluenceConflictError, ReviewTitleTakenError, TicketNotFiledYetError } from '../errors.ts';
import type {
  RemoteLinkPort,
  ReviewDraft,
  ReviewOutbox,
  ReviewOutboxDrain,
  ReviewPage,
  ReviewPort,
  TicketPort,
} from '../ports.ts';
import {
  OUTBOX_LEASE_MS,
  OUTBOX_MAX_BACKOFF_MS,
  OUTBOX_MIN_ITEM_MS,
  OUTBOX_RESERVE_MS,
  retryAt,
} from './outbox.ts';

export interface PublishedReview extends ReviewPage {
  created: boolean;
  linked: boolean;
}

/** Jira keys remote links by this: one link per episode, however often the review is written. */
export const reviewGlobalId = (episodeKey: string): string => `medic-review=${episodeKey}`.slice(0, 255);

/** Create or update the episode's page, then link the ticket to it (when there is a ticket). */
export async function publishReview(
  draft: ReviewDraft,
  deps: { pages: ReviewPort; links?: RemoteLinkPort },
): Promise<PublishedReview> {
  let page: ReviewPage | null = null;
  let created = false;
  let title = draft.title;
  for (let n = 1; n <= MAX_TITLE_VARIANTS && !page; n++) {
    title = titleVariant(draft.title, n);
    const found = await deps.pages.findByTitle(title);
    if (!found) {
      page = await deps.pages.create(title, draft.document);
      created = true;
    } else if (found.episodeKey === draft.episodeKey) {
      try {
        page = await deps.pages.update(found.id, title, draft.document, found.version + 1);
      } catch (error) {
        // Someone edited the page between the read and the write: read the version again, once.
        if (!(error instanceof ConfluenceConflictError)) throw error;
        const again = (await deps.pages.findByTitle(title)) ?? found;
        page = await deps.pages.update(again.id, title, draft.document, again.version + 1);
      }
    }
    // Otherwise the title belongs to another episode (or to a person's page): try the next one.
  }
  if (!page) {
    throw new ReviewTitleTakenError(
      `"${draft.title}" and its ${MAX_TITLE_VARIANTS - 1} numbered variants are all other pages`,
    );
  }
  let linked = false;
  if (draft.ticket && deps.links) {
    await deps.links.remoteLink(draft.ticket.key, {
      globalId: reviewGlobalId(draft.episodeKey),
      url: page.url,
      title,
      summary: 'Post-incident review (Confluence)',
    });
    linked = true;
  }
  return { ...page, created, linked };
}

export async function enqueueReview(
  store: ReviewOutbox,
  draft: ReviewDraft,
  error: unknown,
  clock: Clock,
): Promise<void> {
  await store.enqueueReview({
    episodeKey: draft.episodeKey,
    review: draft,
    attempts: 0,
    nextAttemptAt: clock().toISOString(),
    lastError: `${(error as Error).name ?? 'Error'}: ${(error as Error).message ?? String(error)}`,
  });
}

export interface ReviewDrainResult {
  written: { episodeKey: string; pageId: string; version: number; linked: boolean }[];
  retryLater: { episodeKey: string; attempts: number; nextAttemptAt: string; error: string }[];
  skipped: number;
}

/**
 * Writes the reviews that waited. A review whose ticket Jira had not filed yet looks it up by the
 * episode label; while it is still missing (and Jira is on) the page is written and the item waits,
 * so the link is added once the ticket outbox has filed the ticket.
 */
export async function drainReviews(deps: {
  store: ReviewOutboxDrain;
  pages: (deadline?: Deadline) => Promise<ReviewPort>;
  /** Absent when Jira is off: the page is then the whole record and needs no link. */
  tickets?: (deadline?: Deadline) => Promise<Pick<TicketPort, 'search'> & RemoteLinkPort>;
  clock: Clock;
  deadline?: Deadline;
  limit?: number;
  baseBackoffMs?: number;
  random?: () => number;
}): Promise<ReviewDrainResult> {
  const { store, clock } = deps;
  const random = deps.random ?? Math.random;
  const base = deps.baseBackoffMs ?? 30_000;
  const result: ReviewDrainResult = { written: [], retryLater: [], skipped: 0 };
  const bounded = withReserve(deps.deadline ?? NO_DEADLINE, OUTBOX_RESERVE_MS);
  for (const item of await store.dueReviews(clock(), deps.limit ?? 25)) {
    if (bounded.leftMs() < OUTBOX_MIN_ITEM_MS) {
      result.skipped++;
      continue;
    }
    const leased = await store.leaseReview(
      item.episodeKey,
      item.nextAttemptAt,
      new Date(clock().getTime() + OUTBOX_LEASE_MS),
    );
    if (!leased) {
      result.skipped++;
      continue;
    }
    try {
      const tickets = deps.tickets ? await deps.tickets(bounded) : undefined;
      let draft = item.review;
      if (!draft.ticket && tickets) {
        const [found] = await tickets.search(['medic', labelFor(draft.episodeKey)]);
        if (found) draft = { ...draft, ticket: { key: found.key, url: found.url } };
      }
      const published = await publishReview(draft, {
        pages: await deps.pages(bounded),
        ...(tickets ? { links: tickets } : {}),
      });
      if (!draft.ticket && tickets) {
        throw new TicketNotFiledYetError(
          `page ${published.id} written; the ticket is not filed yet, so it is not linked yet`,
        );
      }
      await store.deleteReview(item.episodeKey);
      result.written.push({
        episodeKey: item.episodeKey,
        pageId: published.id,
        version: published.version,
        linked: published.linked,
      });
    } catch (error) {
      const attempts = item.attempts + 1;
      const next = retryAt(attempts, { baseMs: base, maxMs: OUTBOX_MAX_BACKOFF_MS, now: clock(), random });
      const message = `${(error as Error).name}: ${(error as Error).message}`;
      await store.rescheduleReview(item.episodeKey, attempts, next, message);
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
