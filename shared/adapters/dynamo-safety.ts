/**
 * The safety store on one DynamoDB table (pk/sk, TTL on `expiresAt`). Every guarantee that must
 * hold across concurrent executions is a conditional write here, never a read-then-write:
 * episode dedupe, the per-instance lock, the storm leader, the at-most-once action ledger and the
 * outbox lease. Item types, by pk:
 *   EPISODE#<key>        the episode (dedupe; kept 30 days)
 *   LOCK#<instance>      the per-instance lock with its lease and the alarms that joined it
 *   INSTANCE#<instance>  EPISODE#<at>#<key> history (flap), `closed` (cooldown)
 *   FLEET                <at>#<instance>#<key> (fleet guard window)
 *   STORM                <window start> (one leader per storm)
 *   BUDGET#<instance>    <action key> (mutating actions, rolling window)
 *   OUTBOX               <episode key> (Jira tickets waiting for Jira)
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { TimelineEntry } from '../domain/model.ts';
import type { OutboxItem, SafetyStorePort } from '../ports.ts';
import { callAws } from './aws-errors.ts';

const DAY_S = 86_400;
const s = (v: string): AttributeValue => ({ S: v });
const n = (v: number): AttributeValue => ({ N: String(Math.round(v)) });
const epoch = (d: Date) => Math.floor(d.getTime() / 1000);

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string }).name === 'ConditionalCheckFailedException'
  );
}

/** Runs a conditional write; false when the condition did not hold. */
async function conditional(what: string, call: () => Promise<unknown>): Promise<boolean> {
  try {
    await callAws(what, call);
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export function dynamoSafetyStore(client: DynamoDBClient, table: string): SafetyStorePort {
  async function queryAll(
    input: Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName'>,
    maxPages = 20,
  ) {
    const items: Record<string, AttributeValue>[] = [];
    let start: QueryCommandOutput['LastEvaluatedKey'];
    for (let page = 0; page < maxPages; page++) {
      const out = await callAws('Query', () =>
        client.send(new QueryCommand({ ...input, TableName: table, ExclusiveStartKey: start })),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
      if (!start) break;
    }
    return items;
  }

  return {
    async claimEpisode(key, executionId, at) {
      const put = await conditional('PutItem episode', () =>
        client.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              pk: s(`EPISODE#${key}`),
              sk: s('episode'),
              executionId: s(executionId),
              at: s(at.toISOString()),
              expiresAt: n(epoch(at) + 30 * DAY_S),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      if (put) return 'new';
      const existing = await callAws('GetItem episode', () =>
        client.send(
          new GetItemCommand({
            TableName: table,
            Key: { pk: s(`EPISODE#${key}`), sk: s('episode') },
            ConsistentRead: true,
          }),
        ),
      );
      return existing.Item?.executionId?.S === executionId ? 'retry' : 'duplicate';
    },

    async acquireLock(instanceId, owner, now, leaseMs) {
      const key = { pk: s(`LOCK#${instanceId}`), sk: s('lock') };
      const previous = await callAws('GetItem lock', () =>
        client.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true })),
      );
      const ok = await conditional('PutItem lock', () =>
        client.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              ...key,
              owner: s(owner.episodeKey),
              executionId: s(owner.executionId),
              leaseUntil: n(now.getTime() + leaseMs),
              joined: { L: [] },
              expiresAt: n(epoch(now) + Math.ceil(leaseMs / 1000) + DAY_S),
            },
            // Re-entrant only for the same execution (a retried Admit), never for another one.
            ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now OR executionId = :me',
            ExpressionAttributeValues: { ':now': n(now.getTime()), ':me': s(owner.executionId) },
          }),
        ),
      );
      const prevOwner = previous.Item?.owner?.S ?? null;
      if (ok)
        return {
          acquired: true,
          tookOverFrom: prevOwner && prevOwner !== owner.episodeKey ? prevOwner : null,
        };
      const holder = await callAws('GetItem lock', () =>
        client.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true })),
      );
      return { acquired: false, holder: holder.Item?.owner?.S ?? prevOwner ?? 'unknown' };
    },

    async joinLock(instanceId, entry) {
      try {
        const out = await callAws('UpdateItem lock join', () =>
          client.send(
            new UpdateItemCommand({
              TableName: table,
              Key: { pk: s(`LOCK#${instanceId}`), sk: s('lock') },
              UpdateExpression: 'SET joined = list_append(joined, :e)',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeValues: { ':e': { L: [s(JSON.stringify(entry))] } },
              ReturnValues: 'ALL_NEW',
            }),
          ),
        );
        return out.Attributes?.owner?.S ?? null;
      } catch (error) {
        if (isConditionFailure(error)) return null;
        throw error;
      }
    },

    async releaseLock(instanceId, episodeKey) {
      try {
        const out = await callAws('DeleteItem lock', () =>
          client.send(
            new DeleteItemCommand({
              TableName: table,
              Key: { pk: s(`LOCK#${instanceId}`), sk: s('lock') },
              ConditionExpression: '#o = :me',
              ExpressionAttributeNames: { '#o': 'owner' },
              ExpressionAttributeValues: { ':me': s(episodeKey) },
              ReturnValues: 'ALL_OLD',
            }),
          ),
        );
        return (out.Attributes?.joined?.L ?? []).flatMap((v) => {
          try {
            return [JSON.parse(v.S ?? '') as TimelineEntry];
          } catch {
            return [];
          }
        });
      } catch (error) {
        if (isConditionFailure(error)) return null;
        throw error;
      }
    },

    async recordEpisode(instanceId, episodeKey, at) {
      await callAws('PutItem history', () =>
        client.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              pk: s(`INSTANCE#${instanceId}`),
              sk: s(`EPISODE#${at.toISOString()}#${episodeKey}`),
              expiresAt: n(epoch(at) + 7 * DAY_S),
            },
          }),
        ),
      );
    },

    async episodesSince(instanceId, since) {
      const items = await queryAll({
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': s(`INSTANCE#${instanceId}`),
          ':from': s(`EPISODE#${since.toISOString()}`),
          ':to': s('EPISODE#~'),
        },
      });
      return items.length;
    },

    async markClosed(instanceId, at) {
      await callAws('PutItem closed', () =>
        client.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              pk: s(`INSTANCE#${instanceId}`),
              sk: s('closed'),
              at: s(at.toISOString()),
              expiresAt: n(epoch(at) + 7 * DAY_S),
            },
          }),
        ),
      );
    },

    async lastClosed(instanceId) {
      const out = await callAws('GetItem closed', () =>
        client.send(
          new GetItemCommand({
            TableName: table,
            Key: { pk: s(`INSTANCE#${instanceId}`), sk: s('closed') },
            ConsistentRead: true,
          }),
        ),
      );
      const at = out.Item?.at?.S;
      return at ? new Date(at) : null;
    },

    async registerFleet(instanceId, episodeKey, at, group) {
      await callAws('PutItem fleet', () =>
        client.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              pk: s('FLEET'),
              sk: s(`${at.toISOString()}#${instanceId}#${episodeKey}`),
              instanceId: s(instanceId),
              episodeKey: s(episodeKey),
              at: s(at.toISOString()),
              ...(group ? { group: s(group) } : {}),
              expiresAt: n(epoch(at) + DAY_S),
            },
          }),
        ),
      );
    },

    async fleetSince(since) {
      const items = await queryAll({
        KeyConditionExpression: 'pk = :pk AND sk >= :from',
        ExpressionAttributeValues: { ':pk': s('FLEET'), ':from': s(since.toISOString()) },
        ConsistentRead: true,
      });
      return items.map((i) => ({
        instanceId: i.instanceId?.S ?? '',
        episodeKey: i.episodeKey?.S ?? '',
        at: i.at?.S ?? '',
        group: i.group?.S ?? null,
      }));
    },

    async claimStorm(stormKey, leader, at) {
      return conditional('PutItem storm', () =>
        client.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              pk: s('STORM'),
              sk: s(stormKey),
              leader: s(leader),
              at: s(at.toISOString()),
              expiresAt: n(epoch(at) + 7 * DAY_S),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    },

    async stormAt(stormKey) {
      const out = await callAws('GetItem storm', () =>
        client.send(
          new GetItemCommand({
            TableName: table,
            Key: { pk: s('STORM'), sk: s(stormKey) },
            ConsistentRead: true,
          }),
        ),
      );
      const at = out.Item?.at?.S;
      return at ? new Date(at) : null;
    },

    async claimAction(instanceId, actionKey, at) {
      return conditional('PutItem budget', () =>
        client.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              pk: s(`BUDGET#${instanceId}`),
              sk: s(actionKey),
              at: s(at.toISOString()),
              expiresAt: n(epoch(at) + 31 * DAY_S),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    },

    async actionsSince(instanceId, since) {
      const items = await queryAll({
        KeyConditionExpression: 'pk = :pk',
        FilterExpression: '#at >= :since',
        ExpressionAttributeNames: { '#at': 'at' },
        ExpressionAttributeValues: { ':pk': s(`BUDGET#${instanceId}`), ':since': s(since.toISOString()) },
        ConsistentRead: true,
      });
      return items.length;
    },

    async unclaimAction(instanceId, actionKey) {
      await callAws('DeleteItem budget', () =>
        client.send(
          new DeleteItemCommand({
            TableName: table,
            Key: { pk: s(`BUDGET#${instanceId}`), sk: s(actionKey) },
          }),
        ),
      );
    },

    async enqueueOutbox(item) {
      await callAws('PutItem outbox', () =>
        client.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              pk: s('OUTBOX'),
              sk: s(item.episodeKey),
              draft: s(JSON.stringify(item.draft)),
              attempts: n(item.attempts),
              nextAttemptAt: s(item.nextAttemptAt),
              lastError: s(item.lastError.slice(0, 1_000)),
            },
          }),
        ),
      );
    },

    async dueOutbox(now, limit) {
      const items = await queryAll(
        {
          KeyConditionExpression: 'pk = :pk',
          FilterExpression: 'nextAttemptAt <= :now',
          ExpressionAttributeValues: { ':pk': s('OUTBOX'), ':now': s(now.toISOString()) },
          ConsistentRead: true,
        },
        5,
      );
      return items.slice(0, limit).map(
        (i): OutboxItem => ({
          episodeKey: i.sk?.S ?? '',
          draft: JSON.parse(i.draft?.S ?? '{}'),
          attempts: Number(i.attempts?.N ?? 0),
          nextAttemptAt: i.nextAttemptAt?.S ?? '',
          lastError: i.lastError?.S ?? '',
        }),
      );
    },

    async leaseOutbox(episodeKey, expectedNext, until) {
      return conditional('UpdateItem outbox lease', () =>
        client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { pk: s('OUTBOX'), sk: s(episodeKey) },
            UpdateExpression: 'SET nextAttemptAt = :until',
            ConditionExpression: 'nextAttemptAt = :expected',
            ExpressionAttributeValues: { ':until': s(until.toISOString()), ':expected': s(expectedNext) },
          }),
        ),
      );
    },

    async rescheduleOutbox(episodeKey, attempts, next, lastError) {
      await callAws('UpdateItem outbox', () =>
        client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { pk: s('OUTBOX'), sk: s(episodeKey) },
            UpdateExpression: 'SET attempts = :a, nextAttemptAt = :n, lastError = :e',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: {
              ':a': n(attempts),
              ':n': s(next.toISOString()),
              ':e': s(lastError.slice(0, 1_000)),
            },
          }),
        ),
      ).catch((error) => {
        if (!isConditionFailure(error)) throw error;
      });
    },

    async deleteOutbox(episodeKey) {
      await callAws('DeleteItem outbox', () =>
        client.send(new DeleteItemCommand({ TableName: table, Key: { pk: s('OUTBOX'), sk: s(episodeKey) } })),
      );
    },
  };
}
