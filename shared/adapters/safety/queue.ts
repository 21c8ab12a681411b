/**
 * One retry queue on the safety table: a partition (`OUTBOX`, `REVIEW_OUTBOX`, `STATUSPAGE`) of
 * items keyed by episode, each holding its payload as JSON under one attribute, with `attempts`,
 * `nextAttemptAt` and `lastError`. Drained by one drainer per item at a time: the lease is a
 * conditional write on `nextAttemptAt`. The Jira, review and status page outboxes are this queue
 * with their own partition and payload.
 */
import { DeleteCommand, type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { callAws } from '../aws-errors.ts';
import { conditional, isConditionFailure, queryAll, text } from './document.ts';

export interface QueuedItem<T> {
  episodeKey: string;
  payload: T;
  attempts: number;
  nextAttemptAt: string;
  lastError: string;
}

export function safetyQueue<T>(
  doc: DynamoDBDocumentClient,
  table: string,
  partition: string,
  /** The attribute holding the payload as JSON (`draft`, `review`, `plan`). */
  field: string,
  /** How the calls are named in errors (`outbox`, `review outbox`, `status outbox`). */
  what: string,
) {
  const key = (episodeKey: string) => ({ pk: partition, sk: episodeKey });
  return {
    key,

    /** The item as written: key, payload as JSON, retry bookkeeping (the error cut to 1,000 characters). */
    item(q: QueuedItem<T>): Record<string, unknown> {
      return {
        ...key(q.episodeKey),
        [field]: JSON.stringify(q.payload),
        attempts: Math.round(q.attempts),
        nextAttemptAt: q.nextAttemptAt,
        lastError: q.lastError.slice(0, 1_000),
      };
    },

    async due(now: Date, limit: number): Promise<QueuedItem<T>[]> {
      const items = await queryAll(
        doc,
        table,
        {
          KeyConditionExpression: 'pk = :pk',
          FilterExpression: 'nextAttemptAt <= :now',
          ExpressionAttributeValues: { ':pk': partition, ':now': now.toISOString() },
          ConsistentRead: true,
        },
        5,
      );
      return items.slice(0, limit).map((i) => ({
        episodeKey: text(i, 'sk') ?? '',
        payload: JSON.parse(text(i, field) ?? '{}') as T,
        attempts: Number(i.attempts ?? 0),
        nextAttemptAt: text(i, 'nextAttemptAt') ?? '',
        lastError: text(i, 'lastError') ?? '',
      }));
    },

    lease(episodeKey: string, expectedNext: string, until: Date): Promise<boolean> {
      return conditional(`UpdateItem ${what} lease`, () =>
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

    /** A new attempt time and error; an item drained meanwhile (gone) stays gone. */
    async reschedule(episodeKey: string, attempts: number, next: Date, lastError: string): Promise<void> {
      await callAws(`UpdateItem ${what}`, () =>
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

    async delete(episodeKey: string): Promise<void> {
      await callAws(`DeleteItem ${what}`, () =>
        doc.send(new DeleteCommand({ TableName: table, Key: key(episodeKey) })),
      );
    },
  };
}
