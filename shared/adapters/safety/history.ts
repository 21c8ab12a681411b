/**
 * Instance history on the safety table, `INSTANCE#<instance>`: one `EPISODE#<at>#<key>` item per
 * episode (flap detection) and the `closed` item (cooldown). Read by the bounds, written by Admit
 * and Release: two ports, so the action functions carry no write here.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { InstanceHistory, InstanceHistoryRecorder } from '../../ports.ts';
import { callAws } from '../aws-errors.ts';
import { DAY_S, epoch, queryAll, text } from './document.ts';

export function dynamoInstanceHistory(doc: DynamoDBDocumentClient, table: string): InstanceHistory {
  return {
    async episodesSince(instanceId, since) {
      const items = await queryAll(doc, table, {
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': `INSTANCE#${instanceId}`,
          ':from': `EPISODE#${since.toISOString()}`,
          ':to': 'EPISODE#~',
        },
      });
      return items.length;
    },

    async lastClosed(instanceId) {
      const out = await callAws('GetItem closed', () =>
        doc.send(
          new GetCommand({
            TableName: table,
            Key: { pk: `INSTANCE#${instanceId}`, sk: 'closed' },
            ConsistentRead: true,
          }),
        ),
      );
      const at = text(out.Item, 'at');
      return at ? new Date(at) : null;
    },
  };
}

export function dynamoInstanceHistoryRecorder(
  doc: DynamoDBDocumentClient,
  table: string,
): InstanceHistoryRecorder {
  return {
    async recordEpisode(instanceId, episodeKey, at) {
      await callAws('PutItem history', () =>
        doc.send(
          new PutCommand({
            TableName: table,
            Item: {
              pk: `INSTANCE#${instanceId}`,
              sk: `EPISODE#${at.toISOString()}#${episodeKey}`,
              expiresAt: epoch(at) + 7 * DAY_S,
            },
          }),
        ),
      );
    },

    async markClosed(instanceId, at) {
      await callAws('PutItem closed', () =>
        doc.send(
          new PutCommand({
            TableName: table,
            Item: {
              pk: `INSTANCE#${instanceId}`,
              sk: 'closed',
              at: at.toISOString(),
              expiresAt: epoch(at) + 7 * DAY_S,
            },
          }),
        ),
      );
    },
  };
}
