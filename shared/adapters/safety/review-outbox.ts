/**
 * The review outbox on the safety table: `REVIEW_OUTBOX` / <episode key>, the review draft as JSON.
 * Its own partition, so the ticket drainer never reads a review and the other way round; the same
 * queue (queue.ts) gives each item one drainer at a time.
 */
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ReviewDraft, ReviewOutbox, ReviewOutboxDrain } from '../../ports.ts';
import { callAws } from '../aws-errors.ts';
import { safetyQueue } from './queue.ts';

const queue = (doc: DynamoDBDocumentClient, table: string) =>
  safetyQueue<ReviewDraft>(doc, table, 'REVIEW_OUTBOX', 'review', 'review outbox');

export function dynamoReviewOutbox(doc: DynamoDBDocumentClient, table: string): ReviewOutbox {
  const q = queue(doc, table);
  return {
    async enqueueReview({ review, ...item }) {
      await callAws('PutItem review outbox', () =>
        doc.send(new PutCommand({ TableName: table, Item: q.item({ ...item, payload: review }) })),
      );
    },
  };
}

export function dynamoReviewOutboxDrain(doc: DynamoDBDocumentClient, table: string): ReviewOutboxDrain {
  const q = queue(doc, table);
  return {
    async dueReviews(now, limit) {
      return (await q.due(now, limit)).map(({ payload, ...item }) => ({ ...item, review: payload }));
    },
    leaseReview: q.lease,
    rescheduleReview: q.reschedule,
    deleteReview: q.delete,
  };
}
