/** Scheduled: files the tickets that waited in the outbox while Jira was down. */
import { ScheduledEventSchema } from '../shared/aws-events.ts';
import { jiraOff } from '../shared/config.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { ticketPort } from '../shared/jira-port.ts';
import { awsLambda, deadlineOf } from '../shared/lambda.ts';
import { safetyStore } from '../shared/safety.ts';
import { drainOutbox } from '../shared/usecases/outbox.ts';

export const handler = awsLambda(ScheduledEventSchema, async (_event, context) =>
  // With Jira off the outbox is the record: nothing to file, and no read every 2 minutes.
  jiraOff()
    ? { filed: [], retryLater: [], skipped: 0 }
    : drainOutbox({
        store: safetyStore(),
        tickets: ticketPort,
        clock: systemClock,
        deadline: deadlineOf(context),
      }),
);
