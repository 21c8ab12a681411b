/**
 * The Jira outbox on the safety table: `OUTBOX` / <episode key>, the draft as JSON. Filled by the
 * use cases that could not reach Jira; drained by one drainer per item at a time (queue.ts).
 */
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Outbox, OutboxDrain, TicketDraft } from '../../ports.ts';
import { callAws } from '../aws-errors.ts';
import { safetyQueue } from './queue.ts';

const queue = (doc: DynamoDBDocumentClient, table: string) =>
  safetyQueue<TicketDraft>(doc, table, 'OUTBOX', 'draft', 'outbox');

export function dynamoOutbox(doc: DynamoDBDocumentClient, table: string): Outbox {
  const q = queue(doc, table);
  return {
    async enqueueOutbox({ draft, ...item }) {
      await callAws('PutItem outbox', () =>
        doc.send(new PutCommand({ TableName: table, Item: q.item({ ...item, payload: draft }) })),
      );
    },
  };
}

export function dynamoOutboxDrain(doc: DynamoDBDocumentClient, table: string): OutboxDrain {
  const q = queue(doc, table);
  return {
    async dueOutbox(now, limit) {
      return (await q.due(now, limit)).map(({ payload, ...item }) => ({ ...item, draft: payload }));
    },
    leaseOutbox: q.lease,
    rescheduleOutbox: q.reschedule,
    deleteOutbox: q.delete,
  };
}
