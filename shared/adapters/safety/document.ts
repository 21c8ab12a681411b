/**
 * What every safety-store adapter shares: the DynamoDB document client (native values in and out,
 * no hand marshalling), the strict handling of conditional writes, and the bounded reads.
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
 * Items written by earlier releases stay readable: no key or attribute is renamed here.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { AwsTransientError } from '../../errors.ts';
import { callAws } from '../aws-errors.ts';

export const DAY_S = 86_400;
export const epoch = (d: Date) => Math.floor(d.getTime() / 1000);

/** A stored item as the document client returns it: attribute name → native value. */
export type Item = Record<string, unknown>;

/**
 * The document client over a plain DynamoDB client. Optional attributes are left out rather than
 * written as NULL (the layout never stored an absent value), and numbers come back as numbers:
 * every number here (epoch seconds, milliseconds, attempts) is a safe integer.
 */
export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** A string attribute, or null when absent or of another type (an item is never trusted). */
export const text = (item: Item | undefined, name: string): string | null => {
  const value = item?.[name];
  return typeof value === 'string' ? value : null;
};

export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string }).name === 'ConditionalCheckFailedException'
  );
}

/**
 * A string attribute of the item a failed condition found (ReturnValuesOnConditionCheckFailure:
 * ALL_OLD), if DynamoDB sent it. The document client translates answers, not errors: this item is
 * still in DynamoDB's wire form.
 */
export function oldText(error: unknown, name: string): string | null {
  const item = (error as { Item?: Record<string, AttributeValue> }).Item;
  return item?.[name]?.S ?? null;
}

/** Runs a conditional write; false when the condition did not hold, any other failure thrown. */
export async function conditional(what: string, call: () => Promise<unknown>): Promise<boolean> {
  try {
    await callAws(what, call);
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

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
