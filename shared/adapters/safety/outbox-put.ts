/**
 * One Jira outbox item written with the low-level DynamoDB client, so the Decide bundle carries no
 * document marshaller. The item has the shape outbox.ts / queue.ts write and drain (`OUTBOX` /
 * <episode key>, the draft as JSON, `attempts`, `nextAttemptAt`, `lastError`).
 */
import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { Outbox } from '../../ports.ts';
import { callAws } from '../aws-errors.ts';

export function lowLevelOutbox(client: DynamoDBClient, table: string): Outbox {
  return {
    async enqueueOutbox({ episodeKey, draft, attempts, nextAttemptAt, lastError }) {
      await callAws('PutItem outbox', () =>
        client.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              pk: { S: 'OUTBOX' },
              sk: { S: episodeKey },
              draft: { S: JSON.stringify(draft) },
              attempts: { N: String(Math.round(attempts)) },
              nextAttemptAt: { S: nextAttemptAt },
              lastError: { S: lastError.slice(0, 1_000) },
            },
          }),
        ),
      );
    },
  };
}
