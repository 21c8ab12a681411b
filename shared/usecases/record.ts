/**
 * Record: file (or update) the Jira ticket with the whole timeline, then tell the stakeholders how
 * it ended. Runs on the normal path and on the catch-all path (state.error set), so every
 * execution ends with a notification and a ticket attempt. When Jira stays down the SNS message
 * carries the full timeline (a durable outbox for a later retry is issue #5).
 */
import type { IncidentState } from '../domain/model.ts';
import {
  episodeOutcome,
  priorityFor,
  ticketDescription,
  ticketSummary,
  timelineText,
  timings,
} from '../domain/report.ts';
import { append, type Clock, entry, merge } from '../domain/timeline.ts';
import type { NotifierPort, TicketDraft, TicketPort, TicketRef } from '../ports.ts';

export interface RecordDeps {
  /** A function so a Jira misconfiguration is an error on the timeline, not a crash of the run. */
  tickets: () => Promise<TicketPort>;
  notifier: NotifierPort;
  clock: Clock;
  /** Issue #5: durable outbox for the ticket when Jira stays down (drained by a scheduled function). */
  outbox?: (draft: TicketDraft, error: unknown) => Promise<void>;
}

export async function record(state: IncidentState, deps: RecordDeps): Promise<IncidentState> {
  const { clock } = deps;
  const cases = state.cases ?? [];
  let timeline = merge(state.timeline, ...cases.map((c) => c.timeline));
  for (const c of cases) {
    if (c.caseError) {
      timeline = append(
        timeline,
        entry(clock, {
          step: 'Investigate',
          kind: 'error',
          instanceId: c.target.instanceId,
          summary: `stopped on an unexpected error: ${c.caseError.Error}: ${c.caseError.Cause ?? ''}`,
        }),
      );
    }
  }
  if (state.error) {
    timeline = append(
      timeline,
      entry(clock, {
        step: 'CatchAll',
        kind: 'error',
        summary: `medic failed: ${state.error.Error}: ${state.error.Cause ?? ''}`,
      }),
    );
  }
  const outcome = episodeOutcome(state);
  const labels = [
    'medic',
    state.incidentId,
    ...new Set(cases.flatMap((c) => (c.assessment ? [c.assessment.classification.replace(':', '-')] : []))),
  ];

  let ticket: TicketRef | null = null;
  let created = false;
  try {
    const tickets = await deps.tickets();
    const existing = await tickets.findByLabel(state.incidentId);
    const description = ticketDescription(state, timeline, outcome);
    if (existing) {
      await tickets.comment(existing.key, description);
      ticket = existing;
    } else {
      ticket = await tickets.create({
        summary: ticketSummary(state, outcome),
        labels,
        priority: priorityFor(outcome),
        description,
      });
      created = true;
    }
    timeline = append(
      timeline,
      entry(clock, {
        step: 'Record',
        kind: 'note',
        summary: `${created ? 'filed' : 'updated'} Jira ticket ${ticket.key}`,
      }),
    );
  } catch (error) {
    timeline = append(
      timeline,
      entry(clock, {
        step: 'Record',
        kind: 'error',
        summary: `could not file the Jira ticket: ${(error as Error).name}: ${(error as Error).message}`,
      }),
    );
    // ---- issue #5: nothing lost — the ticket waits in the durable outbox until Jira answers ----
    if (deps.outbox) {
      const draft: TicketDraft = {
        summary: ticketSummary(state, outcome),
        labels,
        priority: priorityFor(outcome),
        description: ticketDescription(state, timeline, outcome),
      };
      await deps.outbox(draft, error);
      timeline = append(
        timeline,
        entry(clock, {
          step: 'Record',
          kind: 'note',
          summary: 'the ticket is queued in the outbox and will be filed when Jira answers',
        }),
      );
    }
  }

  const t = timings(state, timeline);
  const where = state.targets.map((x) => x.instanceId).join(', ') || 'no instance';
  const upper = outcome.toUpperCase();
  await deps.notifier.publish({
    subject: `[medic] ${upper}: ${where} — ${state.trigger.alarmName ?? 'manual run'}`,
    body: [
      `Incident ${state.incidentId}: ${outcome}.`,
      `Time to first action: ${t.timeToFirstAction}. Time to mitigate: ${t.timeToMitigate}.`,
      ticket
        ? `Ticket: ${ticket.key}${ticket.url ? ` ${ticket.url}` : ''}`
        : 'Ticket: not filed (see timeline).',
      '',
      'Timeline (UTC):',
      timelineText(timeline),
    ].join('\n'),
    severity: outcome === 'escalated' || outcome === 'failed' ? 'critical' : 'info',
    attributes: {
      event: outcome,
      incident: state.incidentId,
      instance: state.targets[0]?.instanceId ?? '',
      outcome,
    },
  });

  return {
    ...state,
    timeline,
    outcome,
    ticket: ticket ? { key: ticket.key, url: ticket.url, created } : null,
  };
}

/**
 * The catch-all path can arrive before an incident exists (Intake failed): build the smallest
 * honest incident from what there is, so the failure is still notified and ticketed.
 */
export function fallbackState(raw: unknown, executionName: string | null, clock: Clock): IncidentState {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const error = (r.error as IncidentState['error']) ?? { Error: 'UnknownError', Cause: 'no error detail' };
  const { error: _drop, ...rest } = r;
  // Issue #5: the workflow's Receive state wraps the raw input as { event } (it may not be an object).
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
