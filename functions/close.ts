/**
 * Close Task, on every exit path: release this execution's per-instance locks (merging the alarms
 * that joined them, starting the cooldown), then record — the Jira ticket (create, update or
 * reopen), the final SNS message, the run's metrics and the post-incident review page (Confluence). On the catch-all path (CloseAfterFailure)
 * a release that fails does not stop the record: the locks' lease expires, and the timeline says so.
 */
import { appendFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { finalNoticeLedger } from '../shared/adapters/final-notice-ledger.ts';
import { fixRecord } from '../shared/adapters/fix-record.ts';
import { caseStore, incidentStore } from '../shared/adapters/incident-store.ts';
import { renderedLength } from '../shared/adapters/jira.ts';
import { fixMetrics, powertoolsMetrics } from '../shared/adapters/metrics.ts';
import { snsNotifier } from '../shared/adapters/sns.ts';
import {
  confluenceOff,
  coreConfig,
  learningConfig,
  safetyConfig,
  ticketShapeConfig,
} from '../shared/config.ts';
import { reviewPort } from '../shared/confluence-port.ts';
import type { Deadline } from '../shared/domain/deadline.ts';
import { IncidentStateSchema } from '../shared/domain/model.ts';
import { append, entry, systemClock } from '../shared/domain/timeline.ts';
import { ticketPort } from '../shared/jira-port.ts';
import { deadlineOf, lambda, logger, parseWith } from '../shared/lambda.ts';
import { finalStatusPlan } from '../shared/policy/statuspage.ts';
import type { FinalNoticeLedgerPort } from '../shared/ports.ts';
import { homeOf, reviewStore, safetyStore } from '../shared/safety.ts';
import { publishLease, statusOutbox, statusPageEnabled, statusPagePort } from '../shared/statuspage-port.ts';
import { release } from '../shared/usecases/admit.ts';
import { incidentSummaries } from '../shared/usecases/incident-summary.ts';
import { learn, trackRecord } from '../shared/usecases/learn.ts';
import { enqueueTicket } from '../shared/usecases/outbox.ts';
import { fallbackState, record } from '../shared/usecases/record.ts';
import { enqueueReview } from '../shared/usecases/review.ts';
import { type TellUsersResult, tellUsers } from '../shared/usecases/status-page.ts';

const sns = new SNSClient({});
const dynamodb = new DynamoDBClient({});

// The table is read on use: a missing setting costs the once-only guarantee, never the notification.
const ledger = () => finalNoticeLedger(dynamodb, safetyConfig().MEDIC_SAFETY_TABLE);
const finalNotices: FinalNoticeLedgerPort = {
  claim: (episodeKey, at) => ledger().claim(episodeKey, at),
  markSent: (episodeKey, outcome, at) => ledger().markSent(episodeKey, outcome, at),
};

/** Statuspage allows 1 request per second: a plan is a few seconds, never the whole invocation. */
const STATUS_PAGE_BUDGET_MS = 20_000;

/** The status page, beside the ticket (each bounded on its own): a failure is a timeline line. */
async function tellUsersSafely(
  state: Parameters<typeof finalStatusPlan>[0],
  deadline: Deadline,
): Promise<TellUsersResult | null> {
  try {
    const plan = statusPageEnabled() ? finalStatusPlan(state) : null;
    if (!plan) return null;
    const started = Date.now();
    const bounded = {
      leftMs: () => Math.min(deadline.leftMs(), STATUS_PAGE_BUDGET_MS - (Date.now() - started)),
    };
    return await tellUsers(plan, {
      statusPage: statusPagePort,
      outbox: statusOutbox(),
      clock: systemClock,
      deadline: bounded,
      // One publisher per episode: a drainer publishing a case's queued plan waits for Close.
      lease: publishLease(STATUS_PAGE_BUDGET_MS + 30_000),
    });
  } catch (error) {
    return {
      incidentId: null,
      status: 'lost',
      summary: `could not publish on the status page: ${(error as Error).name}: ${(error as Error).message}`,
      failed: true,
    };
  }
}

const Input = z.object({ state: z.unknown(), executionName: z.string().nullish() });

export const handler = lambda(async (event, context) => {
  // Taken first: Lambda's clock started when the invocation did, not when the input was parsed.
  const deadline = deadlineOf(context);
  const input = parseWith(Input, event, 'Close');
  const parsed = IncidentStateSchema.safeParse(input.state);
  // On the catch-all path Intake may have failed before an incident existed: nothing to release.
  let state = parsed.success
    ? parsed.data
    : (input.state as { error?: unknown } | null)?.error
      ? fallbackState(input.state, input.executionName ?? null, systemClock)
      : parseWith(IncidentStateSchema, input.state, 'Close');
  if (parsed.success) {
    try {
      const released = await release(state, {
        store: safetyStore(),
        clock: systemClock,
        settings: { home: homeOf() },
      });
      state = { ...state, timeline: released.timeline, admission: released.admission };
    } catch (error) {
      // On the success path the Task's Retry, then CloseAfterFailure, release again; on the catch-all
      // path the record matters more than the locks, whose lease frees them anyway.
      if (state.error === undefined) throw error;
      const e = error as Error;
      state = {
        ...state,
        timeline: append(
          state.timeline,
          entry(systemClock, {
            step: 'Close',
            kind: 'error',
            summary: `could not release the per-instance locks (${e.name}: ${e.message.slice(0, 200)}): their lease expires on its own`,
          }),
        ),
      };
    }
  }
  const core = coreConfig();
  const metricsFile = core.MEDIC_METRICS_FILE;
  const writeMetrics = (line: string) =>
    metricsFile ? appendFileSync(metricsFile, `${line}\n`) : process.stdout.write(`${line}\n`);
  const fixes = core.MEDIC_INCIDENTS_TABLE ? fixRecord(dynamodb, core.MEDIC_INCIDENTS_TABLE) : null;
  const { JIRA_DEPLOYMENT: deployment, JIRA_REOPEN_WINDOW_HOURS: reopenHours } = ticketShapeConfig();
  const told = tellUsersSafely(state, deadline);
  const ticketed = await record(state, {
    tickets: ticketPort,
    deadline,
    notifier: snsNotifier(sns, core.MEDIC_STAKEHOLDER_TOPIC_ARN),
    ...(core.MEDIC_STATUS_TOPIC_ARN ? { statusNotifier: snsNotifier(sns, core.MEDIC_STATUS_TOPIC_ARN) } : {}),
    metrics: powertoolsMetrics(writeMetrics),
    clock: systemClock,
    // A ticket Jira could not take waits in the durable outbox
    outbox: (draft, error) => enqueueTicket(safetyStore(), state.incidentId, draft, error, systemClock),
    reopenWindowMs: reopenHours * 3_600_000,
    measure: (doc) => renderedLength(deployment, doc),
    finalNotices,
    ...(core.MEDIC_INCIDENTS_TABLE ? { cases: caseStore(dynamodb, core.MEDIC_INCIDENTS_TABLE) } : {}),
    ...(fixes
      ? {
          trackRecord: (classification: string, plan: Parameters<typeof trackRecord>[1]) =>
            trackRecord(classification, plan, {
              fixes,
              now: systemClock(),
              days: learningConfig().MEDIC_EFFECTIVENESS_DAYS,
            }),
        }
      : {}),
    // The post-incident review page, when a Confluence site is configured; what it cannot take now
    // waits in the review outbox.
    ...(confluenceOff()
      ? {}
      : {
          review: {
            pages: reviewPort,
            links: ticketPort,
            outbox: (draft, error) => enqueueReview(reviewStore(), draft, error, systemClock),
          },
        }),
  });
  const published = await told;
  const recorded = published
    ? {
        ...ticketed,
        statusPage: { incidentId: published.incidentId, status: published.status },
        timeline: append(
          ticketed.timeline,
          entry(systemClock, {
            step: 'Record',
            kind: published.failed ? 'error' : 'note',
            summary: published.summary,
          }),
        ),
      }
    : ticketed;
  // The incident store behind `medic history`. Best effort: the ticket and the
  // notification are the record; a store failure is logged, never fails the run.
  const table = core.MEDIC_INCIDENTS_TABLE;
  if (table) {
    try {
      const store = incidentStore(dynamodb, table);
      const endedAt = systemClock().toISOString();
      for (const row of incidentSummaries(recorded, endedAt, null)) await store.putIncident(row);
      if (fixes) await learn(recorded, endedAt, { fixes, metrics: fixMetrics(writeMetrics) });
    } catch (error) {
      logger.warn('incident store write failed', {
        error: (error as Error).name,
        message: (error as Error).message,
      });
    }
  }
  return recorded;
});
