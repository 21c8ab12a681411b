/**
 * The per-instance lock on the safety table: `LOCK#<instance>` / `lock`, with its lease
 * (`leaseUntil`, epoch ms) and `joined`, the alarms that joined the open incident (JSON strings).
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { TimelineEntry } from '../../domain/model.ts';
import type { LockStore } from '../../ports.ts';
import { callAws } from '../aws-errors.ts';
import { DAY_S, epoch, isConditionFailure, oldText, text } from './document.ts';

const lockKey = (instanceId: string) => ({ pk: `LOCK#${instanceId}`, sk: 'lock' });

export function dynamoLockStore(doc: DynamoDBDocumentClient, table: string): LockStore {
  return {
    async acquireLock(instanceId, owner, now, leaseMs) {
      const key = lockKey(instanceId);
      try {
        // One call: the old item tells a take-over (ALL_OLD) or the holder (on condition failure).
        const out = await callAws('PutItem lock', () =>
          doc.send(
            new PutCommand({
              TableName: table,
              Item: {
                ...key,
                owner: owner.episodeKey,
                executionId: owner.executionId,
                leaseUntil: Math.round(now.getTime() + leaseMs),
                joined: [],
                expiresAt: epoch(now) + Math.ceil(leaseMs / 1000) + DAY_S,
              },
              // Re-entrant only for the same execution (a retried Admit), never for another one.
              ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now OR executionId = :me',
              ExpressionAttributeValues: { ':now': now.getTime(), ':me': owner.executionId },
              ReturnValues: 'ALL_OLD',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        );
        const prevOwner = text(out.Attributes, 'owner');
        return {
          acquired: true,
          tookOverFrom: prevOwner && prevOwner !== owner.episodeKey ? prevOwner : null,
        };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const holder = oldText(error, 'owner');
        if (holder) return { acquired: false, holder };
      }
      const current = await callAws('GetItem lock', () =>
        doc.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true })),
      );
      return { acquired: false, holder: text(current.Item, 'owner') ?? 'unknown' };
    },

    async joinLock(instanceId, entry) {
      try {
        const out = await callAws('UpdateItem lock join', () =>
          doc.send(
            new UpdateCommand({
              TableName: table,
              Key: lockKey(instanceId),
              UpdateExpression: 'SET joined = list_append(joined, :e)',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeValues: { ':e': [JSON.stringify(entry)] },
              ReturnValues: 'ALL_NEW',
            }),
          ),
        );
        return text(out.Attributes, 'owner');
      } catch (error) {
        if (isConditionFailure(error)) return null;
        throw error;
      }
    },

    async releaseLock(instanceId, episodeKey) {
      try {
        const out = await callAws('DeleteItem lock', () =>
          doc.send(
            new DeleteCommand({
              TableName: table,
              Key: lockKey(instanceId),
              ConditionExpression: '#o = :me',
              ExpressionAttributeNames: { '#o': 'owner' },
              ExpressionAttributeValues: { ':me': episodeKey },
              ReturnValues: 'ALL_OLD',
            }),
          ),
        );
        const joined = out.Attributes?.joined;
        return (Array.isArray(joined) ? joined : []).flatMap((v) => {
          try {
            return [JSON.parse(typeof v === 'string' ? v : '') as TimelineEntry];
          } catch {
            return [];
          }
        });
      } catch (error) {
        if (isConditionFailure(error)) return null;
        throw error;
      }
    },
  };
}
