/**
 * The status page outbox on the safety table: `STATUSPAGE` / <episode key>, the plan as JSON and
 * its number of updates. Plans are cumulative, so a put only ever replaces a plan with one at least
 * as long (a late copy of an earlier plan cannot undo a later one), and the drainer deletes an item
 * only while it still holds the plan it published.
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { StatusOutbox, StatusOutboxDrain, StatusOutboxItem } from '../../ports.ts';
import { callAws } from '../aws-errors.ts';
import { conditional, isConditionFailure, queryAll, text } from './document.ts';

const key = (episodeKey: string) => ({ pk: 'STATUSPAGE', sk: episodeKey });

export function dynamoStatusOutbox(
  doc: DynamoDBDocumentClient,
  table: string,
): StatusOutbox & StatusOutboxDrain {
  return {
    async enqueueStatus(item) {
      await conditional('PutItem status outbox', () =>
        doc.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...key(item.episodeKey),
              plan: JSON.stringify(item.plan),
              updates: item.plan.updates.length,
              attempts: Math.round(item.attempts),
              nextAttemptAt: item.nextAttemptAt,
              lastError: item.lastError.slice(0, 1_000),
            },
            ConditionExpression: 'attribute_not_exists(pk) OR updates <= :n',
            ExpressionAttributeValues: { ':n': item.plan.updates.length },
          }),
        ),
      );
    },

    async dueStatus(now, limit) {
      const items = await queryAll(
        doc,
        table,
        {
          KeyConditionExpression: 'pk = :pk',
          FilterExpression: 'nextAttemptAt <= :now',
          ExpressionAttributeValues: { ':pk': 'STATUSPAGE', ':now': now.toISOString() },
          ConsistentRead: true,
        },
        5,
      );
      return items.slice(0, limit).map(
        (i): StatusOutboxItem => ({
          episodeKey: text(i, 'sk') ?? '',
          plan: JSON.parse(text(i, 'plan') ?? '{}'),
          attempts: Number(i.attempts ?? 0),
          nextAttemptAt: text(i, 'nextAttemptAt') ?? '',
          lastError: text(i, 'lastError') ?? '',
        }),
      );
    },

    async leaseStatus(episodeKey, expectedNext, until) {
      return conditional('UpdateItem status outbox lease', () =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: key(episodeKey),
            UpdateExpression: 'SET nextAttemptAt = :until',
            ConditionExpression: 'nextAttemptAt = :expected',
            ExpressionAttributeValues: { ':until': until.toISOString(), ':expected': expectedNext },
          }),
        ),
      );
    },

    async rescheduleStatus(episodeKey, attempts, next, lastError) {
      await callAws('UpdateItem status outbox', () =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: key(episodeKey),
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

    async deleteStatus(episodeKey, updates) {
      await conditional('DeleteItem status outbox', () =>
        doc.send(
          new DeleteCommand({
            TableName: table,
            Key: key(episodeKey),
            ConditionExpression: 'updates = :n',
            ExpressionAttributeValues: { ':n': updates },
          }),
        ),
      );
    },
  };
}
