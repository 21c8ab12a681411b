/** Scheduled: files the tickets that waited in the outbox while Jira was down, and publishes the status page plans that waited for Statuspage. */
import { ScheduledEventSchema } from '../shared/aws-events.ts';
import { jiraOff } from '../shared/config.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { ticketPort } from '../shared/jira-port.ts';
import { awsLambda, deadlineOf } from '../shared/lambda.ts';
import { safetyStore } from '../shared/safety.ts';
import { statusOutbox, statusPageEnabled, statusPagePort } from '../shared/statuspage-port.ts';
import { drainOutbox } from '../shared/usecases/outbox.ts';
import { drainStatusOutbox } from '../shared/usecases/status-page.ts';

export const handler = awsLambda(ScheduledEventSchema, async (_event, context) => {
  const deadline = deadlineOf(context);
  // With Jira off the outbox is the record: nothing to file, and no read every 2 minutes.
  const tickets = jiraOff()
    ? { filed: [], retryLater: [], skipped: 0 }
    : await drainOutbox({ store: safetyStore(), tickets: ticketPort, clock: systemClock, deadline });
  if (!statusPageEnabled()) return tickets;
  const statusPage = await drainStatusOutbox({
    store: statusOutbox(),
    statusPage: statusPagePort,
    clock: systemClock,
    deadline,
  });
  return { ...tickets, statusPage };
});
