/**
 * The fleet registry and storms on the safety table. `FLEET` / <5-minute bucket start> holds one
 * map attribute `i:<instance>` per instance that entered an incident in that bucket, so the fleet
 * guard reads a window in O(1) calls per delivery; `STORM` / <window start> names the one leader
 * of a storm. Registering (Admit), reading (the bounds, Intake) and claiming a storm (the bounds)
 * are three ports.
 */
import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { FleetRegistry, FleetView, StormClaims } from '../../ports.ts';
import { callAws } from '../aws-errors.ts';
import { batchGet, conditional, DAY_S, epoch, type Item, text } from './document.ts';

/** Fleet registry bucket: a window of up to 24 h reads at most 289 items in ≤ 3 BatchGetItem calls. */
export const FLEET_BUCKET_MS = 5 * 60_000;
const FLEET_ATTRIBUTE = 'i:';
const bucketOf = (d: Date) =>
  new Date(Math.floor(d.getTime() / FLEET_BUCKET_MS) * FLEET_BUCKET_MS).toISOString();
/** DynamoDB's answer when an item would pass 400 KB (thousands of instances in 5 minutes). */
const isItemTooLarge = (error: unknown) =>
  (error as { name?: string }).name === 'ValidationException' &&
  /item size/i.test((error as Error).message ?? '');

export function dynamoFleetRegistry(doc: DynamoDBDocumentClient, table: string): FleetRegistry {
  return {
    async registerFleet(instanceId, episodeKey, at, group, availabilityZone) {
      try {
        await callAws('UpdateItem fleet', () =>
          doc.send(
            new UpdateCommand({
              TableName: table,
              Key: { pk: 'FLEET', sk: bucketOf(at) },
              // Per instance, so a retried Admit or a second alarm does not count it twice.
              UpdateExpression: 'SET #i = :entry, expiresAt = if_not_exists(expiresAt, :ttl)',
              ExpressionAttributeNames: { '#i': `${FLEET_ATTRIBUTE}${instanceId}` },
              ExpressionAttributeValues: {
                ':entry': {
                  episodeKey,
                  at: at.toISOString(),
                  ...(group ? { group } : {}),
                  ...(availabilityZone ? { az: availabilityZone } : {}),
                },
                ':ttl': epoch(at) + 2 * DAY_S,
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

export function dynamoFleetView(doc: DynamoDBDocumentClient, table: string): FleetView {
  return {
    async fleetSince(since, until) {
      // Every bucket from the one holding `since` to the one holding `until` (≤ 289 for 24 h).
      const first = Math.floor(since.getTime() / FLEET_BUCKET_MS) * FLEET_BUCKET_MS;
      const keys: { pk: string; sk: string }[] = [];
      for (let t = first; t <= until.getTime() && keys.length < 300; t += FLEET_BUCKET_MS)
        keys.push({ pk: 'FLEET', sk: new Date(t).toISOString() });
      const items = await batchGet(doc, table, keys);
      const from = since.toISOString();
      const to = until.toISOString();
      return items.flatMap((item) =>
        Object.entries(item).flatMap(([name, value]) => {
          if (!name.startsWith(FLEET_ATTRIBUTE)) return [];
          const entry = (value !== null && typeof value === 'object' ? value : {}) as Item;
          const at = text(entry, 'at') ?? '';
          return at >= from && at <= to
            ? [
                {
                  instanceId: name.slice(FLEET_ATTRIBUTE.length),
                  episodeKey: text(entry, 'episodeKey') ?? '',
                  at,
                  group: text(entry, 'group'),
                  // Entries written before zones were registered carry none.
                  ...(text(entry, 'az') ? { availabilityZone: text(entry, 'az') } : {}),
                },
              ]
            : [];
        }),
      );
    },

    async stormsAt(stormKeys) {
      const items = await batchGet(
        doc,
        table,
        stormKeys.map((k) => ({ pk: 'STORM', sk: k })),
      );
      return new Map(
        items.flatMap((i) => {
          const key = text(i, 'sk');
          const at = text(i, 'at');
          return key && at ? [[key, new Date(at)] as const] : [];
        }),
      );
    },
  };
}

export function dynamoStormClaims(doc: DynamoDBDocumentClient, table: string): StormClaims {
  return {
    async claimStorm(stormKey, leader, at) {
      return conditional('PutItem storm', () =>
        doc.send(
          new PutCommand({
            TableName: table,
            Item: {
              pk: 'STORM',
              sk: stormKey,
              leader,
              at: at.toISOString(),
              expiresAt: epoch(at) + 7 * DAY_S,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    },
  };
}
