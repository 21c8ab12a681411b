/** Scheduled: files the tickets that waited in the outbox while Jira was down, then the reviews and the status page plans that waited. */
import { randomUUID } from 'node:crypto';
import { ScheduledEventSchema } from '../shared/aws-events.ts';
import { confluenceOff, jiraOff } from '../shared/config.ts';
import { reviewPort } from '../shared/confluence-port.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { ticketPort } from '../shared/jira-port.ts';
import { awsLambda, deadlineOf } from '../shared/lambda.ts';
import { reviewStore, safetyStore } from '../shared/safety.ts';
import { statusLease, statusOutbox, statusPageEnabled, statusPagePort } from '../shared/statuspage-port.ts';
import { drainOutbox } from '../shared/usecases/outbox.ts';
import { drainReviews } from '../shared/usecases/review.ts';
import { drainStatusOutbox } from '../shared/usecases/status-page.ts';

export const handler = awsLambda(ScheduledEventSchema, async (_event, context) => {
  const deadline = deadlineOf(context);
  // With Jira off the outbox is the record: nothing to file, and no read every 2 minutes.
  const tickets = jiraOff()
    ? { filed: [], retryLater: [], skipped: 0 }
    : await drainOutbox({ store: safetyStore(), tickets: ticketPort, clock: systemClock, deadline });
  // Tickets first: a review waiting for its ticket finds it filed in the same run.
  const reviews = confluenceOff()
    ? undefined
    : await drainReviews({
        store: reviewStore(),
        pages: reviewPort,
        ...(jiraOff() ? {} : { tickets: ticketPort }),
        clock: systemClock,
        deadline,
      });
  const statusPage = statusPageEnabled()
    ? await drainStatusOutbox({
        store: statusOutbox(),
        statusPage: statusPagePort,
        clock: systemClock,
        deadline,
        // One holder for this drain: each episode's lease is taken and given back in turn.
        lease: { port: statusLease(), holder: randomUUID() },
      })
    : undefined;
  return { ...tickets, ...(reviews ? { reviews } : {}), ...(statusPage ? { statusPage } : {}) };
});
