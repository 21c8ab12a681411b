/**
 * The safety store on one DynamoDB table (pk/sk, TTL on `expiresAt`). Every guarantee that must
 * hold across concurrent executions is a conditional write here, never a read-then-write:
 * episode dedupe, the per-instance lock, the storm leader, the at-most-once action ledger and the
 * outbox lease. Item types, by pk:
 *   EPISODE#<key>        the episode (dedupe; kept 30 days)
 *   LOCK#<instance>      the per-instance lock with its lease and the alarms that joined it
 *   INSTANCE#<instance>  EPISODE#<at>#<key> history (flap), `closed` (cooldown)
 *   FLEET                <5-minute bucket start>: one attribute per instance that entered an
 *                        incident in that bucket (fleet guard window: O(1) calls per delivery)
 *   STORM                <window start> (one leader per storm)
 *   BUDGET#<instance>    <action key> (mutating actions, rolling window)
 *   OUTBOX               <episode key> (Jira tickets waiting for Jira)
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
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
import { AwsTransientError } from '../errors.ts';
import type { GuardStorePort, OutboxItem, SafetyStorePort } from '../ports.ts';
import { callAws } from './aws-errors.ts';

const DAY_S = 86_400;
/** Fleet registry bucket: a window of up to 24 h reads at most 289 items in ≤ 3 BatchGetItem calls. */
export const FLEET_BUCKET_MS = 5 * 60_000;
const FLEET_ATTRIBUTE = 'i:';
const bucketOf = (d: Date) =>
  new Date(Math.floor(d.getTime() / FLEET_BUCKET_MS) * FLEET_BUCKET_MS).toISOString();
/** DynamoDB's answer when an item would pass 400 KB (thousands of instances in 5 minutes). */
const isItemTooLarge = (error: unknown) =>
  (error as { name?: string }).name === 'ValidationException' &&
  /item size/i.test((error as Error).message ?? '');
const s = (v: string): AttributeValue => ({ S: v });
const n = (v: number): AttributeValue => ({ N: String(Math.round(v)) });
const epoch = (d: Date) => Math.floor(d.getTime() / 1000);

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string }).name === 'ConditionalCheckFailedException'
  );
}

/** The item a failed condition found (ReturnValuesOnConditionCheckFailure: ALL_OLD), if DynamoDB sent it. */
function itemOf(error: unknown): Record<string, AttributeValue> | undefined {
  return (error as { Item?: Record<string, AttributeValue> }).Item;
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

async function queryAll(
  client: DynamoDBClient,
  table: string,
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

/** Consistent BatchGetItem of (pk, sk) keys, 100 per call, unprocessed keys retried a bounded number of times. */
async function batchGet(client: DynamoDBClient, table: string, keys: { pk: string; sk: string }[]) {
  const items: Record<string, AttributeValue>[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    let pending: Record<string, AttributeValue>[] = keys
      .slice(i, i + 100)
      .map((k) => ({ pk: s(k.pk), sk: s(k.sk) }));
    for (let attempt = 0; attempt < 4 && pending.length > 0; attempt++) {
      const out = await callAws('BatchGetItem', () =>
        client.send(
          new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }),
        ),
      );
      items.push(...(out.Responses?.[table] ?? []));
      pending = out.UnprocessedKeys?.[table]?.Keys ?? [];
      if (pending.length > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
    }
    if (pending.length > 0)
      throw new AwsTransientError(`BatchGetItem: ${pending.length} keys still unprocessed after 4 tries`);
  }
  return items;
}

/** What the safety bounds read and claim before an action (issue #8: the action functions bundle only this). */
export function dynamoGuardStore(client: DynamoDBClient, table: string): GuardStorePort {
  return {
    async episodesSince(instanceId, since) {
      const items = await queryAll(client, table, {
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': s(`INSTANCE#${instanceId}`),
          ':from': s(`EPISODE#${since.toISOString()}`),
          ':to': s('EPISODE#~'),
        },
      });
      return items.length;
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

    async fleetSince(since, until) {
      // Every bucket from the one holding `since` to the one holding `until` (≤ 289 for 24 h).
      const first = Math.floor(since.getTime() / FLEET_BUCKET_MS) * FLEET_BUCKET_MS;
      const keys: { pk: string; sk: string }[] = [];
      for (let t = first; t <= until.getTime() && keys.length < 300; t += FLEET_BUCKET_MS)
        keys.push({ pk: 'FLEET', sk: new Date(t).toISOString() });
      const items = await batchGet(client, table, keys);
      const from = since.toISOString();
      const to = until.toISOString();
      return items.flatMap((item) =>
        Object.entries(item).flatMap(([name, value]) => {
          if (!name.startsWith(FLEET_ATTRIBUTE)) return [];
          const entry = value.M ?? {};
          const at = entry.at?.S ?? '';
          return at >= from && at <= to
            ? [
                {
                  instanceId: name.slice(FLEET_ATTRIBUTE.length),
                  episodeKey: entry.episodeKey?.S ?? '',
                  at,
                  group: entry.group?.S ?? null,
                },
              ]
            : [];
        }),
      );
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

    async stormsAt(stormKeys) {
      const items = await batchGet(
        client,
        table,
        stormKeys.map((k) => ({ pk: 'STORM', sk: k })),
      );
      return new Map(items.flatMap((i) => (i.sk?.S && i.at?.S ? [[i.sk.S, new Date(i.at.S)] as const] : [])));
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

    async actionsSince(instanceId, since, exceptKey) {
      const items = await queryAll(client, table, {
        KeyConditionExpression: 'pk = :pk',
        FilterExpression: '#at >= :since',
        ExpressionAttributeNames: { '#at': 'at' },
        ExpressionAttributeValues: { ':pk': s(`BUDGET#${instanceId}`), ':since': s(since.toISOString()) },
        ConsistentRead: true,
      });
      // A filter expression may not name the sort key, so the step's own claim is left out here.
      return items.filter((i) => i.sk?.S !== exceptKey).length;
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
  };
}

/** Episodes, locks, history and the fleet registry: what Intake, Admit and Release write. */
export function dynamoAdmissionStore(
  client: DynamoDBClient,
  table: string,
): Omit<SafetyStorePort, keyof GuardStorePort | OutboxOnly> {
  return {
    async claimEpisode(key, executionId, at) {
      try {
        await callAws('PutItem episode', () =>
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
              // A duplicate is told apart from a retry of this execution in this one call. (An
              // if_not_exists UpdateItem would not throw, but measured 40 % slower on moto.)
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        );
        return 'new';
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const owner = itemOf(error)?.executionId?.S;
        if (owner) return owner === executionId ? 'retry' : 'duplicate';
      }
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
      try {
        // One call: the old item tells a take-over (ALL_OLD) or the holder (on condition failure).
        const out = await callAws('PutItem lock', () =>
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
              ReturnValues: 'ALL_OLD',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        );
        const prevOwner = out.Attributes?.owner?.S ?? null;
        return {
          acquired: true,
          tookOverFrom: prevOwner && prevOwner !== owner.episodeKey ? prevOwner : null,
        };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const holder = itemOf(error)?.owner?.S;
        if (holder) return { acquired: false, holder };
      }
      const current = await callAws('GetItem lock', () =>
        client.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true })),
      );
      return { acquired: false, holder: current.Item?.owner?.S ?? 'unknown' };
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

    async registerFleet(instanceId, episodeKey, at, group) {
      try {
        await callAws('UpdateItem fleet', () =>
          client.send(
            new UpdateItemCommand({
              TableName: table,
              Key: { pk: s('FLEET'), sk: s(bucketOf(at)) },
              // Per instance, so a retried Admit or a second alarm does not count it twice.
              UpdateExpression: 'SET #i = :entry, expiresAt = if_not_exists(expiresAt, :ttl)',
              ExpressionAttributeNames: { '#i': `${FLEET_ATTRIBUTE}${instanceId}` },
              ExpressionAttributeValues: {
                ':entry': {
                  M: {
                    episodeKey: s(episodeKey),
                    at: s(at.toISOString()),
                    ...(group ? { group: s(group) } : {}),
                  },
                },
                ':ttl': n(epoch(at) + 2 * DAY_S),
              },
            }),
          ),
        );
      } catch (error) {
        // A bucket that full has tripped any fleet limit already; the guard's answer is the same.
        if (!isItemTooLarge(error)) throw error;
      }
    },
  };
}

/** The Jira outbox drainer's side. */
export function dynamoOutboxStore(client: DynamoDBClient, table: string): Pick<SafetyStorePort, OutboxOnly> {
  return {
    async dueOutbox(now, limit) {
      const items = await queryAll(
        client,
        table,
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

type OutboxOnly = 'dueOutbox' | 'leaseOutbox' | 'rescheduleOutbox' | 'deleteOutbox';

export function dynamoSafetyStore(client: DynamoDBClient, table: string): SafetyStorePort {
  return {
    ...dynamoAdmissionStore(client, table),
    ...dynamoGuardStore(client, table),
    ...dynamoOutboxStore(client, table),
  };
}
