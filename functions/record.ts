/** Record Task: Jira ticket (create, update or reopen), the final SNS message and the run's metrics; also the catch-all path. */
import { appendFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { finalNoticeLedger } from '../shared/adapters/final-notice-ledger.ts';
import { caseStore, incidentStore } from '../shared/adapters/incident-store.ts';
import { renderedLength } from '../shared/adapters/jira.ts';
import { powertoolsMetrics } from '../shared/adapters/metrics.ts';
import { snsNotifier } from '../shared/adapters/sns.ts';
import { coreConfig, safetyConfig, ticketShapeConfig } from '../shared/config.ts';
import { IncidentStateSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { ticketPort } from '../shared/jira-port.ts';
import { deadlineOf, lambda, logger, parseWith } from '../shared/lambda.ts';
import type { FinalNoticeLedgerPort } from '../shared/ports.ts';
import { safetyStore } from '../shared/safety.ts';
import { incidentSummaries } from '../shared/usecases/incident-summary.ts';
import { enqueueTicket } from '../shared/usecases/outbox.ts';
import { fallbackState, record } from '../shared/usecases/record.ts';

const sns = new SNSClient({});
const dynamodb = new DynamoDBClient({});

// The table is read on use: a missing setting costs the once-only guarantee, never the notification.
const ledger = () => finalNoticeLedger(dynamodb, safetyConfig().MEDIC_SAFETY_TABLE);
const finalNotices: FinalNoticeLedgerPort = {
  claim: (episodeKey, at) => ledger().claim(episodeKey, at),
  markSent: (episodeKey, outcome, at) => ledger().markSent(episodeKey, outcome, at),
};

const Input = z.object({ state: z.unknown(), executionName: z.string().nullish() });

export const handler = lambda(async (event, context) => {
  // Taken first: Lambda's clock started when the invocation did, not when the input was parsed.
  const deadline = deadlineOf(context);
  const input = parseWith(Input, event, 'Record');
  const parsed = IncidentStateSchema.safeParse(input.state);
  // On the catch-all path Intake may have failed before an incident existed.
  const state = parsed.success
    ? parsed.data
    : (input.state as { error?: unknown } | null)?.error
      ? fallbackState(input.state, input.executionName ?? null, systemClock)
      : parseWith(IncidentStateSchema, input.state, 'Record');
  const core = coreConfig();
  const metricsFile = core.MEDIC_METRICS_FILE;
  const { JIRA_DEPLOYMENT: deployment, JIRA_REOPEN_WINDOW_HOURS: reopenHours } = ticketShapeConfig();
  const recorded = await record(state, {
    tickets: ticketPort,
    deadline,
    notifier: snsNotifier(sns, core.MEDIC_STAKEHOLDER_TOPIC_ARN),
    ...(core.MEDIC_STATUS_TOPIC_ARN ? { statusNotifier: snsNotifier(sns, core.MEDIC_STATUS_TOPIC_ARN) } : {}),
    metrics: powertoolsMetrics((line) =>
      metricsFile ? appendFileSync(metricsFile, `${line}\n`) : process.stdout.write(`${line}\n`),
    ),
    clock: systemClock,
    // issue #5: a ticket Jira could not take waits in the durable outbox
    outbox: (draft, error) => enqueueTicket(safetyStore(), state.incidentId, draft, error, systemClock),
    reopenWindowMs: reopenHours * 3_600_000,
    measure: (doc) => renderedLength(deployment, doc),
    finalNotices,
    ...(core.MEDIC_INCIDENTS_TABLE ? { cases: caseStore(dynamodb, core.MEDIC_INCIDENTS_TABLE) } : {}),
  });
  // issue 7: the incident store behind `medic history`. Best effort: the ticket and the
  // notification are the record; a store failure is logged, never fails the run.
  const table = core.MEDIC_INCIDENTS_TABLE;
  if (table) {
    try {
      const store = incidentStore(dynamodb, table);
      for (const row of incidentSummaries(recorded, systemClock().toISOString(), null))
        await store.putIncident(row);
    } catch (error) {
      logger.warn('incident store write failed', {
        error: (error as Error).name,
        message: (error as Error).message,
      });
    }
  }
  return recorded;
});
