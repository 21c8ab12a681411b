/**
 * Record: file (or update, or reopen) the Jira ticket with the whole timeline, tell the
 * stakeholders how it ended, and emit the run's metrics once. Runs on the normal path and on the
 * catch-all path (state.error set), so every execution ends with a notification and a ticket
 * attempt. When Jira stays down the SNS message carries the full timeline.
 *
 * Idempotent: the episode key is a label, so a retried Record finds its own ticket and comments
 * and updates it instead of filing a duplicate. A closed ticket for the same instance and
 * classification, closed within the reopen window, is reopened (workflow transition) instead.
 */
import { boundTimeline, OUTPUT_TIMELINE_BYTES, rehydrate } from '../domain/case-size.ts';
import { type Deadline, NO_DEADLINE, withReserve } from '../domain/deadline.ts';
import { documentText } from '../domain/document.ts';
import type { ActionKind, IncidentState, TimelineEntry } from '../domain/model.ts';
import { finalNotification, statusNotice } from '../domain/notifications.ts';
import {
  classifications,
  type DocumentContext,
  effectiveActions,
  episodeOutcome,
  labelFor,
  priorityFor,
  severityOf,
  ticketDocument,
  ticketLabels,
  ticketSummary,
  timelineText,
  timings,
} from '../domain/report.ts';
import { reviewDocument, reviewTitle } from '../domain/review.ts';
import { append, type Clock, entry, merge } from '../domain/timeline.ts';
import { TicketNotFiledYetError } from '../errors.ts';
import type {
  CaseStorePort,
  FinalNoticeLedgerPort,
  IncidentMetricsPort,
  NotifierPort,
  RemoteLinkPort,
  ReviewDraft,
  ReviewPort,
  TicketDraft,
  TicketFound,
  TicketPort,
  TicketRef,
} from '../ports.ts';
import { publishReview } from './review.ts';

/** Evidence JSON larger than this goes in as an attachment; the description keeps the checks table. */
export const EVIDENCE_INLINE_LIMIT = 16_000;
/** Jira's description limit is 32,767 characters; past this the timeline table is shortened. */
export const DESCRIPTION_LIMIT = 30_000;

/**
 * Time kept back from Jira for what must happen whatever Jira does: the outbox write, the final
 * SNS messages and the incident store row (each a single-digit-millisecond call in-region).
 */
export const RECORD_RESERVE_MS = 3_000;

export interface RecordDeps {
  /**
   * A function so a Jira misconfiguration is an error on the timeline, not a crash of the run. The
   * port it returns is bound to the deadline it is given.
   */
  tickets: (deadline?: Deadline) => Promise<TicketPort>;
  /** The invocation's deadline; Jira gets it minus RECORD_RESERVE_MS (default: no bound). */
  deadline?: Deadline;
  notifier: NotifierPort;
  /** Optional user-facing status topic (no internal detail). */
  statusNotifier?: NotifierPort;
  metrics?: IncidentMetricsPort;
  clock: Clock;
  /** Durable outbox for the ticket when Jira stays down (drained by a scheduled function). */
  outbox?: (draft: TicketDraft, error: unknown) => Promise<void>;
  /** Closed tickets for the same instance + classification within this window are reopened. */
  reopenWindowMs?: number;
  /** Renders a description to measure it against Jira's limit (the adapter's format). */
  measure?: (doc: ReturnType<typeof ticketDocument>) => number;
  /** Once per episode: a Record that runs again (lost answer, redelivery) does not notify twice. */
  finalNotices?: FinalNoticeLedgerPort;
  /** Where FileCase put the whole cases (the state carries their compact forms). */
  cases?: Pick<CaseStorePort, 'casesFor'>;
  /** How each rung of a plan has worked for this classification (quoted next to the plan). */
  trackRecord?: (classification: string, plan: ActionKind[]) => Promise<string[]>;
  /** The post-incident review page (Confluence); absent when the deployment has none. */
  review?: ReviewDeps;
}

export interface ReviewDeps {
  /** A function so a Confluence misconfiguration is a timeline entry and an outbox item, not a crash. */
  pages: (deadline?: Deadline) => Promise<ReviewPort>;
  /** The ticket's remote link to the page (Jira). */
  links?: (deadline?: Deadline) => Promise<RemoteLinkPort>;
  /** Where a review Confluence could not take waits (the scheduled drainer writes it). */
  outbox: (draft: ReviewDraft, error: unknown) => Promise<void>;
}

export const DEFAULT_REOPEN_WINDOW_MS = 72 * 3_600_000;

export type TicketAction = 'created' | 'updated' | 'reopened';

export function evidenceBundle(state: IncidentState, timeline: TimelineEntry[]): string {
  return JSON.stringify(
    {
      incidentId: state.incidentId,
      trigger: state.trigger,
      targets: state.targets,
      cases: (state.cases ?? []).map((c) => ({
        instanceId: c.target.instanceId,
        evidence: c.evidence,
        assessment: c.assessment,
        actions: c.actions,
        outcome: c.outcome,
        caseError: c.caseError ?? null,
      })),
      timeline,
      error: state.error ?? null,
    },
    null,
    2,
  );
}

/** Merges the per-instance timelines and turns case / run errors into timeline entries. */
export function finalTimeline(state: IncidentState, clock: Clock): TimelineEntry[] {
  const cases = state.cases ?? [];
  type Caught = { Error: string; Cause?: string | undefined } | undefined;
  const failures: { step: string; caught: Caught; what: string; instanceId?: string }[] = [
    ...cases.flatMap((c) => [
      {
        step: 'FileCase',
        caught: c.fileError,
        what: 'the case was not stored in the incident store, so it travels whole',
        instanceId: c.target.instanceId,
      },
      {
        step: 'Investigate',
        caught: c.caseError,
        what: 'stopped on an unexpected error',
        instanceId: c.target.instanceId,
      },
    ]),
    {
      step: 'Acknowledge',
      caught: state.ackError,
      what: 'the stakeholders were not told the incident opened',
    },
    { step: 'CatchAll', caught: state.error, what: 'medic failed' },
  ];
  let timeline = merge(state.timeline, ...cases.map((c) => c.timeline));
  for (const { step, caught, what, instanceId } of failures) {
    if (!caught) continue;
    timeline = append(
      timeline,
      entry(clock, {
        step,
        kind: 'error',
        ...(instanceId ? { instanceId } : {}),
        summary: `${what}: ${caught.Error}: ${caught.Cause ?? ''}`,
      }),
    );
  }
  return timeline;
}

/** A closed medic ticket for the same instance and every same classification, closed recently. */
export function reopenCandidate(
  found: TicketFound[],
  state: IncidentState,
  now: Date,
  windowMs: number,
): TicketFound | undefined {
  const wanted = classifications(state).map(labelFor);
  if (wanted.length === 0 || wanted.includes('unknown')) return undefined;
  return found.find(
    (x) =>
      x.done &&
      wanted.every((l) => x.labels.includes(l)) &&
      x.updated !== null &&
      now.getTime() - Date.parse(x.updated) <= windowMs,
  );
}

/** The state with its compact cases replaced by the whole ones from the store (or a note why not). */
async function wholeCases(state: IncidentState, deps: RecordDeps): Promise<IncidentState> {
  const cases = state.cases ?? [];
  if (!deps.cases || !cases.some((c) => c.storedAs)) return state;
  try {
    return { ...state, cases: rehydrate(cases, await deps.cases.casesFor(state.incidentId)) };
  } catch (error) {
    return {
      ...state,
      timeline: append(
        state.timeline,
        entry(deps.clock, {
          step: 'Record',
          kind: 'error',
          summary: `could not read the cases back from the incident store (the record has what the state kept): ${(error as Error).name}: ${(error as Error).message}`,
        }),
      ),
    };
  }
}

export async function record(received: IncidentState, deps: RecordDeps): Promise<IncidentState> {
  const { clock } = deps;
  const state = await wholeCases(received, deps);
  let timeline = finalTimeline(state, clock);
  const outcome = episodeOutcome(state);
  const severity = severityOf(state, outcome);
  const labels = ticketLabels(state);
  const episodeLabel = labelFor(state.incidentId);
  const instanceLabel = state.targets[0] ? labelFor(state.targets[0].instanceId) : null;

  let ticket: TicketRef | null = null;
  let action: TicketAction | null = null;
  let jiraWasOff = false;
  try {
    const tickets = await deps.tickets(withReserve(deps.deadline ?? NO_DEADLINE, RECORD_RESERVE_MS));
    const [existing] = await tickets.search(['medic', episodeLabel]);
    // The same instance id may exist in another account: only this account's tickets are its history.
    const accountLabel = state.trigger.account ? [labelFor(`account-${state.trigger.account}`)] : [];
    const history = instanceLabel
      ? (await tickets.search(['medic', instanceLabel, ...accountLabel])).filter(
          (x) => !x.labels.includes(episodeLabel),
        )
      : [];
    const candidate = existing
      ? undefined
      : reopenCandidate(history, state, clock(), deps.reopenWindowMs ?? DEFAULT_REOPEN_WINDOW_MS);

    const bundle = evidenceBundle(state, timeline);
    const attachmentName = `medic-evidence-${episodeLabel}.json`;
    const context: DocumentContext = {
      trackRecord: await trackRecords(state, deps),
      priorIncidents: history.length,
      ...(candidate ? { reopenedFrom: candidate.key } : {}),
      ...(bundle.length > EVIDENCE_INLINE_LIMIT ? { evidenceAttachment: attachmentName } : {}),
    };
    let description = ticketDocument(state, timeline, outcome, context);
    if (deps.measure && deps.measure(description) > DESCRIPTION_LIMIT) {
      // First the passing checks go to the attachment only.
      context.evidenceAttachment = attachmentName;
      context.compactEvidence = true;
      description = ticketDocument(state, timeline, outcome, context);
    }
    if (deps.measure && deps.measure(description) > DESCRIPTION_LIMIT) {
      for (const [head, tail] of [
        [20, 40],
        [10, 20],
        [5, 10],
        [3, 5],
        [1, 2],
      ] as const) {
        // Then the table keeps the first and last entries, fewer until it fits.
        if (timeline.length <= head + tail + 1) continue;
        const kept = [...timeline.slice(0, head), ...timeline.slice(-tail)];
        const omitted: TimelineEntry = {
          at: timeline[head]?.at ?? state.trigger.enteredAlarmAt,
          step: 'timeline',
          kind: 'note',
          summary: `${timeline.length - kept.length} entries omitted here: see ${attachmentName}`,
        };
        description = ticketDocument(
          state,
          [...timeline.slice(0, head), omitted, ...timeline.slice(-tail)],
          outcome,
          context,
        );
        if (deps.measure(description) <= DESCRIPTION_LIMIT) break;
      }
    }
    const summary = ticketSummary(state, outcome);
    const priority = priorityFor(severity);

    if (existing) {
      await tickets.update(existing.key, { summary, priority, description, addLabels: labels });
      await tickets.comment(existing.key, {
        sections: [
          {
            title: `medic updated this record: ${outcome}`,
            blocks: description.sections.find((s) => s.title === 'Summary')?.blocks ?? [],
          },
          ...description.sections.filter((s) => s.title === 'Timeline'),
        ],
      });
      ticket = existing;
      action = 'updated';
    } else if (candidate) {
      const transition = await tickets.reopen(candidate.key);
      await tickets.update(candidate.key, { summary, priority, addLabels: labels });
      await tickets.comment(candidate.key, {
        sections: [
          {
            title: `Recurred: incident ${state.incidentId} (reopened by medic, transition "${transition}")`,
            blocks: [],
          },
          ...description.sections,
        ],
      });
      ticket = candidate;
      action = 'reopened';
    } else {
      ticket = await tickets.create({ summary, labels, priority, description });
      action = 'created';
    }
    if (context.evidenceAttachment) {
      await tickets.attach(ticket.key, {
        name: attachmentName,
        content: bundle,
        contentType: 'application/json',
      });
    }
    timeline = append(
      timeline,
      entry(clock, {
        step: 'Record',
        kind: 'note',
        summary: `${action === 'created' ? 'filed' : action} Jira ticket ${ticket.key} (${tickets.flavour}, priority ${priority})${context.evidenceAttachment ? `, evidence attached as ${attachmentName}` : ''}`,
      }),
    );
    timeline = await linkRecurrences(state, ticket.key, tickets, timeline, clock);
  } catch (error) {
    jiraWasOff = (error as Error).name === 'JiraDisabledError';
    timeline = append(
      timeline,
      entry(clock, {
        step: 'Record',
        kind: 'error',
        summary: `could not file the Jira ticket: ${(error as Error).name}: ${(error as Error).message}`,
      }),
    );
    // ---- nothing lost — the ticket waits in the durable outbox until Jira answers ----
    if (deps.outbox) {
      const draft: TicketDraft = {
        summary: ticketSummary(state, outcome),
        labels,
        priority: priorityFor(severity),
        description: ticketDocument(state, timeline, outcome),
      };
      await deps.outbox(draft, error);
      timeline = append(
        timeline,
        entry(clock, {
          step: 'Record',
          kind: 'note',
          summary:
            (error as Error).name === 'JiraDisabledError'
              ? 'Jira is off for this deployment: the ticket is kept in the outbox and this notification carries the timeline'
              : 'the ticket is queued in the outbox and will be filed when Jira answers',
        }),
      );
    }
  }

  const t = timings(state, timeline);
  if (await claimFinalNotice(deps, state.incidentId)) {
    await deps.notifier.publish(
      finalNotification(
        state,
        outcome,
        t,
        ticket ? { key: ticket.key, url: ticket.url, ...(action ? { action } : {}) } : null,
        timelineText(timeline),
      ),
    );
    if (deps.statusNotifier) await deps.statusNotifier.publish(statusNotice(state, outcome));
    await deps.finalNotices?.markSent(state.incidentId, outcome, clock()).catch(() => undefined);
  } else {
    timeline = append(
      timeline,
      entry(clock, {
        step: 'Record',
        kind: 'note',
        summary:
          'the final notification already went out from an earlier attempt of this step: not sending it again',
      }),
    );
  }

  // After the notification: a slow Confluence never delays what the stakeholders are told.
  let review: { id: string; url: string } | null = null;
  if (deps.review) {
    const written = await writeReview(state, timeline, outcome, ticket, jiraWasOff, deps.review, deps);
    timeline = append(timeline, written.note);
    review = written.review;
  }

  emitSafely(deps, {
    classification: classifications(state).join(',') || 'unknown',
    outcome,
    timeToFirstActionSeconds: t.timeToFirstAction,
    timeToMitigateSeconds: t.timeToMitigate,
    actions: effectiveActions(state).length,
    guardHolds: (state.cases ?? []).flatMap((c) => c.actions).filter((x) => x.outcome === 'held').length,
    ...(state.trigger.account ? { account: state.trigger.account } : {}),
    ...(state.trigger.region ? { region: state.trigger.region } : {}),
  });

  // The execution's output is a state too (256 KiB): the cases stay compact and the merged
  // timeline is bounded; the ticket and the incident store have everything.
  return {
    ...received,
    timeline: boundTimeline(
      timeline,
      OUTPUT_TIMELINE_BYTES,
      ticket ? `${ticket.key} and the incident store` : 'the incident store',
    ),
    outcome,
    ticket: ticket ? { key: ticket.key, url: ticket.url, created: action === 'created' } : null,
    ...(deps.review ? { review } : {}),
  };
}

/** Per instance, the track-record lines of its plan; a failed read leaves them out, never the ticket. */
async function trackRecords(state: IncidentState, deps: RecordDeps): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  if (!deps.trackRecord) return out;
  for (const c of state.cases ?? []) {
    if (!c.assessment) continue;
    try {
      out[c.target.instanceId] = await deps.trackRecord(c.assessment.classification, c.assessment.plan);
    } catch {
      // The track record is context: a ticket without it is still the record.
    }
  }
  return out;
}

/**
 * A recurrence links this ticket to the ticket of the fix that did not hold (unless the reopen
 * window made them the same ticket). A link Jira refuses is said on the timeline.
 */
async function linkRecurrences(
  state: IncidentState,
  key: string,
  tickets: TicketPort,
  timeline: TimelineEntry[],
  clock: Clock,
): Promise<TimelineEntry[]> {
  let out = timeline;
  const related = [
    ...new Set(
      (state.cases ?? []).flatMap((c) => (c.recurrenceOf?.ticketKey ? [c.recurrenceOf.ticketKey] : [])),
    ),
  ].filter((k) => k !== key);
  for (const other of related) {
    let summary = `linked ${key} to ${other}: the fix recorded there did not hold`;
    try {
      if (!tickets.link) throw new Error('this ticket adapter cannot link issues');
      await tickets.link(key, other);
    } catch (error) {
      summary = `could not link ${key} to ${other} (the fix that did not hold): ${(error as Error).name}: ${(error as Error).message}`;
    }
    out = append(out, entry(clock, { step: 'Record', kind: 'note', summary }));
  }
  return out;
}

/**
 * Writes the review page now, or leaves it in the review outbox: Confluence down, misconfigured or
 * out of time never fails the record. A page written before Jira filed the ticket also waits there,
 * so the drainer adds the ticket link once the ticket exists.
 */
async function writeReview(
  state: IncidentState,
  timeline: TimelineEntry[],
  outcome: ReturnType<typeof episodeOutcome>,
  ticket: TicketRef | null,
  jiraWasOff: boolean,
  review: ReviewDeps,
  deps: RecordDeps,
): Promise<{ review: { id: string; url: string } | null; note: TimelineEntry }> {
  const draft: ReviewDraft = {
    episodeKey: state.incidentId,
    title: reviewTitle(state),
    document: reviewDocument(state, timeline, outcome, { ticket }),
    ticket: ticket ? { key: ticket.key, url: ticket.url } : null,
  };
  const bounded = withReserve(deps.deadline ?? NO_DEADLINE, RECORD_RESERVE_MS);
  try {
    const published = await publishReview(draft, {
      pages: await review.pages(bounded),
      ...(ticket && review.links ? { links: await review.links(bounded) } : {}),
    });
    if (!ticket && !jiraWasOff) {
      await review.outbox(
        draft,
        new TicketNotFiledYetError('the ticket is in the outbox: link the page once it is filed'),
      );
    }
    return {
      review: { id: published.id, url: published.url },
      note: entry(deps.clock, {
        step: 'Record',
        kind: 'note',
        summary: `${published.created ? 'wrote' : `updated (version ${published.version})`} the post-incident review ${published.url}${published.linked ? `, linked from ${ticket?.key}` : ''}`,
      }),
    };
  } catch (error) {
    const reason = `${(error as Error).name}: ${(error as Error).message}`;
    try {
      await review.outbox(draft, error);
      return {
        review: null,
        note: entry(deps.clock, {
          step: 'Record',
          kind: 'error',
          summary: `could not write the post-incident review (${reason}): it waits in the outbox`,
        }),
      };
    } catch (queued) {
      return {
        review: null,
        note: entry(deps.clock, {
          step: 'Record',
          kind: 'error',
          summary: `could not write the post-incident review (${reason}) nor queue it (${(queued as Error).name}): write it by hand`,
        }),
      };
    }
  }
}

/** A ledger that cannot be read must not silence the notification: then it goes out (maybe twice). */
async function claimFinalNotice(deps: RecordDeps, episodeKey: string): Promise<boolean> {
  if (!deps.finalNotices) return true;
  try {
    return await deps.finalNotices.claim(episodeKey, deps.clock());
  } catch {
    return true;
  }
}

/** Metrics are observability: a failure to write them must never fail the record of an incident. */
function emitSafely(deps: RecordDeps, metrics: Parameters<IncidentMetricsPort['emit']>[0]): void {
  try {
    deps.metrics?.emit(metrics);
  } catch {
    // Nothing to do: the ticket and the notification are what matter here.
  }
}

/** The ticket description as plain text (used by the note and the CLI). */
export function describeAsText(state: IncidentState, clock: Clock): string {
  const timeline = finalTimeline(state, clock);
  return documentText(ticketDocument(state, timeline, episodeOutcome(state)));
}

/**
 * The catch-all path can arrive before an incident exists (Intake failed): build the smallest
 * honest incident from what there is, so the failure is still notified and ticketed.
 */
export function fallbackState(raw: unknown, executionName: string | null, clock: Clock): IncidentState {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const error = (r.error as IncidentState['error']) ?? { Error: 'UnknownError', Cause: 'no error detail' };
  const { error: _drop, ...rest } = r;
  // The workflow's Receive state wraps the raw input as { event } (it may not be an object).
  const wrapped = Object.keys(rest).length === 1 && 'event' in rest;
  const inner = wrapped ? rest.event : rest;
  const event = (typeof inner === 'object' && inner !== null ? inner : { input: inner }) as Record<
    string,
    unknown
  >;
  const at = clock().toISOString();
  const id = executionName ?? `medic-failed-${at.replace(/[^0-9]/g, '').slice(0, 17)}`;
  const alarmName = (event.detail as { alarmName?: unknown } | undefined)?.alarmName;
  return {
    incidentId: id,
    trigger: {
      source: 'instanceId' in event ? 'manual' : 'cloudwatch-alarm',
      episodeKey: id,
      alarmName: typeof alarmName === 'string' ? alarmName.slice(0, 255) : undefined,
      reason: `medic could not open the incident: ${error.Error}`,
      datapoints: [],
      enteredAlarmAt: at,
      instanceIds: [],
      autoScalingGroupNames: [],
      mode: 'auto',
      raw: JSON.stringify(event).slice(0, 8_000),
    },
    settings: { verifyWaitSeconds: 1, verifyPolls: 1, probeTimeoutMs: 1_000, executionUrl: null },
    targets: [],
    timeline: [],
    cases: [],
    error,
  };
}
