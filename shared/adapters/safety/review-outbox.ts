/**
 * The review outbox on the safety table: `REVIEW_OUTBOX` / <episode key>, the review draft as JSON.
 * Its own partition, so the ticket drainer never reads a review and the other way round; the same
 * lease (a conditional write on `nextAttemptAt`) gives each item one drainer at a time.
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ReviewOutbox, ReviewOutboxDrain, ReviewOutboxItem } from '../../ports.ts';
import { callAws } from '../aws-errors.ts';
import { conditional, isConditionFailure, queryAll, text } from './document.ts';

const PK = 'REVIEW_OUTBOX';
const reviewKey = (episodeKey: string) => ({ pk: PK, sk: episodeKey });

export function dynamoReviewOutbox(doc: DynamoDBDocumentClient, table: string): ReviewOutbox {
  return {
    async enqueueReview(item) {
      await callAws('PutItem review outbox', () =>
        doc.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...reviewKey(item.episodeKey),
              review: JSON.stringify(item.review),
              attempts: Math.round(item.attempts),
              nextAttemptAt: item.nextAttemptAt,
              lastError: item.lastError.slice(0, 1_000),
            },
          }),
        ),
      );
    },
  };
}

export function dynamoReviewOutboxDrain(doc: DynamoDBDocumentClient, table: string): ReviewOutboxDrain {
  return {
    async dueReviews(now, limit) {
      const items = await queryAll(
        doc,
        table,
        {
          KeyConditionExpression: 'pk = :pk',
          FilterExpression: 'nextAttemptAt <= :now',
          ExpressionAttributeValues: { ':pk': PK, ':now': now.toISOString() },
          ConsistentRead: true,
        },
        5,
      );
      return items.slice(0, limit).map(
        (i): ReviewOutboxItem => ({
          episodeKey: text(i, 'sk') ?? '',
          review: JSON.parse(text(i, 'review') ?? '{}'),
          attempts: Number(i.attempts ?? 0),
          nextAttemptAt: text(i, 'nextAttemptAt') ?? '',
          lastError: text(i, 'lastError') ?? '',
        }),
      );
    },

    async leaseReview(episodeKey, expectedNext, until) {
      return conditional('UpdateItem review outbox lease', () =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: reviewKey(episodeKey),
            UpdateExpression: 'SET nextAttemptAt = :until',
            ConditionExpression: 'nextAttemptAt = :expected',
            ExpressionAttributeValues: { ':until': until.toISOString(), ':expected': expectedNext },
          }),
        ),
      );
    },

    async rescheduleReview(episodeKey, attempts, next, lastError) {
      await callAws('UpdateItem review outbox', () =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: reviewKey(episodeKey),
            UpdateExpression: 'SET attempts = :a, nextAttemptAt = :n, lastError = :e',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: {
              ':a': Math.round(attempts),
              ':n': next.toISOString(),
              ':e': lastError.slice(0, 1_000),
            },
          }),
        ),
      ).catch((error) => {
        if (!isConditionFailure(error)) throw error;
      });
    },

    async deleteReview(episodeKey) {
      await callAws('DeleteItem review outbox', () =>
        doc.send(new DeleteCommand({ TableName: table, Key: reviewKey(episodeKey) })),
      );
    },
  };
}
