/**
 * The Jira outbox on the safety table: `OUTBOX` / <episode key>, the draft as JSON. Filled by the
 * use cases that could not reach Jira; drained by one drainer per item at a time (the lease is a
 * conditional write on `nextAttemptAt`).
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Outbox, OutboxDrain, OutboxItem } from '../../ports.ts';
import { callAws } from '../aws-errors.ts';
import { conditional, isConditionFailure, queryAll, text } from './document.ts';

const outboxKey = (episodeKey: string) => ({ pk: 'OUTBOX', sk: episodeKey });

export function dynamoOutbox(doc: DynamoDBDocumentClient, table: string): Outbox {
  return {
    async enqueueOutbox(item) {
      await callAws('PutItem outbox', () =>
        doc.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...outboxKey(item.episodeKey),
              draft: JSON.stringify(item.draft),
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

export function dynamoOutboxDrain(doc: DynamoDBDocumentClient, table: string): OutboxDrain {
  return {
    async dueOutbox(now, limit) {
      const items = await queryAll(
        doc,
        table,
        {
          KeyConditionExpression: 'pk = :pk',
          FilterExpression: 'nextAttemptAt <= :now',
          ExpressionAttributeValues: { ':pk': 'OUTBOX', ':now': now.toISOString() },
          ConsistentRead: true,
        },
        5,
      );
      return items.slice(0, limit).map(
        (i): OutboxItem => ({
          episodeKey: text(i, 'sk') ?? '',
          draft: JSON.parse(text(i, 'draft') ?? '{}'),
          attempts: Number(i.attempts ?? 0),
          nextAttemptAt: text(i, 'nextAttemptAt') ?? '',
          lastError: text(i, 'lastError') ?? '',
        }),
      );
    },

    async leaseOutbox(episodeKey, expectedNext, until) {
      return conditional('UpdateItem outbox lease', () =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: outboxKey(episodeKey),
            UpdateExpression: 'SET nextAttemptAt = :until',
            ConditionExpression: 'nextAttemptAt = :expected',
            ExpressionAttributeValues: { ':until': until.toISOString(), ':expected': expectedNext },
          }),
        ),
      );
    },

    async rescheduleOutbox(episodeKey, attempts, next, lastError) {
      await callAws('UpdateItem outbox', () =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: outboxKey(episodeKey),
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

    async deleteOutbox(episodeKey) {
      await callAws('DeleteItem outbox', () =>
        doc.send(new DeleteCommand({ TableName: table, Key: outboxKey(episodeKey) })),
      );
    },
  };
}
