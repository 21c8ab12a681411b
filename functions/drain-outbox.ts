/** Scheduled (issue #5): files the tickets that waited in the outbox while Jira was down. */
import { systemClock } from '../shared/domain/timeline.ts';
import { ticketPort } from '../shared/jira-port.ts';
import { deadlineOf, lambda } from '../shared/lambda.ts';
import { safetyStore } from '../shared/safety.ts';
import { drainOutbox } from '../shared/usecases/outbox.ts';

export const handler = lambda(async (_event, context) =>
  drainOutbox({
    store: safetyStore(),
    tickets: ticketPort,
    clock: systemClock,
    deadline: deadlineOf(context),
  }),
);
