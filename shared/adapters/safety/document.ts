/**
 * What every safety-store adapter shares: the table layout, the bounded reads, and (from
 * ../dynamo-document.ts) the document client and the strict handling of conditional writes.
 *
 * The table layout (pk/sk, TTL on `expiresAt`), by pk:
 *   EPISODE#<key>        the episode (dedupe; kept 30 days)                     episodes.ts
 *   LOCK#<instance>      the per-instance lock with its lease and the alarms that joined it   locks.ts
 *   INSTANCE#<instance>  EPISODE#<at>#<key> history (flap), `closed` (cooldown)   history.ts
 *   FLEET                <5-minute bucket start>: one attribute per instance that entered an
 *                        incident in that bucket (fleet guard window: O(1) calls per delivery)   fleet.ts
 *   STORM                <window start> (one leader per storm)                  fleet.ts
 *   BUDGET#<instance>    <action key> (mutating actions, rolling window)        actions.ts
 *   OUTBOX               <episode key> (Jira tickets waiting for Jira)          outbox.ts
 *   FINAL#<episode>      the final notice ledger (../final-notice-ledger.ts)
 *   STATUSPAGE_LEASE     <episode key>: who publishes the episode on the status page now (a
 *                        holder and until when; TTL on `expiresAt`)          status-outbox.ts
 *   HEALTH               <scope>: one attribute per open AWS Health issue of an instance, zone or
 *                        region (the bounds hold while AWS recovers)            health.ts
 * Items written by earlier releases stay readable: no key or attribute is renamed here.
 */
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { AwsTransientError } from '../../errors.ts';
import { callAws } from '../aws-errors.ts';
import type { Item } from '../dynamo-document.ts';

export {
  conditional,
  documentClient,
  type Item,
  isConditionFailure,
  oldText,
  text,
} from '../dynamo-document.ts';

export const DAY_S = 86_400;
export const epoch = (d: Date) => Math.floor(d.getTime() / 1000);

/** Every page of a query, up to `maxPages` (a bound on the calls one read may cost). */
export async function queryAll(
  doc: DynamoDBDocumentClient,
  table: string,
  input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
  maxPages = 20,
): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  for (let page = 0; page < maxPages; page++) {
    const out = await callAws('Query', () =>
      doc.send(new QueryCommand({ ...input, TableName: table, ExclusiveStartKey: start })),
    );
    items.push(...((out.Items ?? []) as Item[]));
    start = out.LastEvaluatedKey;
    if (!start) break;
  }
  return items;
}

/** Consistent BatchGetItem of (pk, sk) keys, 100 per call, unprocessed keys retried a bounded number of times. */
export async function batchGet(
  doc: DynamoDBDocumentClient,
  table: string,
  keys: { pk: string; sk: string }[],
): Promise<Item[]> {
  const items: Item[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    let pending: Item[] = keys.slice(i, i + 100);
    for (let attempt = 0; attempt < 4 && pending.length > 0; attempt++) {
      const out = await callAws('BatchGetItem', () =>
        doc.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } })),
      );
      items.push(...((out.Responses?.[table] ?? []) as Item[]));
      pending = (out.UnprocessedKeys?.[table]?.Keys ?? []) as Item[];
      if (pending.length > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
    }
    if (pending.length > 0)
      throw new AwsTransientError(`BatchGetItem: ${pending.length} keys still unprocessed after 4 tries`);
  }
  return items;
}
