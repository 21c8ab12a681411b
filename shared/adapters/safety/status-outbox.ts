/**
 * The status page outbox on the safety table: `STATUSPAGE` / <episode key>, the plan as JSON and
 * its number of updates. Plans are cumulative, so a put only ever replaces a plan with one at least
 * as long (a late copy of an earlier plan cannot undo a later one), and the drainer deletes an item
 * only while it still holds the plan it published. Due, lease and reschedule are the queue's (queue.ts).
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { StatusPlan } from '../../policy/statuspage.ts';
import type { StatusOutbox, StatusOutboxDrain, StatusPublishLease } from '../../ports.ts';
import { conditional, epoch } from './document.ts';
import { safetyQueue } from './queue.ts';

/**
 * The publish lease on the safety table: `STATUSPAGE_LEASE` / <episode key>, with its holder and
 * until when. Taken with a conditional put (free, or its lease ran out), given back with a delete
 * conditional on the holder; TTL removes what a dead holder left.
 */
export function dynamoStatusLease(doc: DynamoDBDocumentClient, table: string): StatusPublishLease {
  const key = (episodeKey: string) => ({ pk: 'STATUSPAGE_LEASE', sk: episodeKey });
  return {
    claimStatusLease(episodeKey, holder, now, until) {
      return conditional('PutItem status page lease', () =>
        doc.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...key(episodeKey),
              holder,
              until: until.toISOString(),
              expiresAt: epoch(until) + 86_400,
            },
            ConditionExpression: 'attribute_not_exists(pk) OR #until < :now',
            ExpressionAttributeNames: { '#until': 'until' },
            ExpressionAttributeValues: { ':now': now.toISOString() },
          }),
        ),
      );
    },

    async releaseStatusLease(episodeKey, holder) {
      await conditional('DeleteItem status page lease', () =>
        doc.send(
          new DeleteCommand({
            TableName: table,
            Key: key(episodeKey),
            ConditionExpression: 'holder = :holder',
            ExpressionAttributeValues: { ':holder': holder },
          }),
        ),
      );
    },
  };
}

export function dynamoStatusOutbox(
  doc: DynamoDBDocumentClient,
  table: string,
): StatusOutbox & StatusOutboxDrain {
  const q = safetyQueue<StatusPlan>(doc, table, 'STATUSPAGE', 'plan', 'status outbox');
  return {
    async enqueueStatus({ plan, ...item }) {
      await conditional('PutItem status outbox', () =>
        doc.send(
          new PutCommand({
            TableName: table,
            Item: { ...q.item({ ...item, payload: plan }), updates: plan.updates.length },
            ConditionExpression: 'attribute_not_exists(pk) OR updates <= :n',
            ExpressionAttributeValues: { ':n': plan.updates.length },
          }),
        ),
      );
    },

    async dueStatus(now, limit) {
      return (await q.due(now, limit)).map(({ payload, ...item }) => ({ ...item, plan: payload }));
    },
    leaseStatus: q.lease,
    rescheduleStatus: q.reschedule,

    async deleteStatus(episodeKey, updates) {
      await conditional('DeleteItem status outbox', () =>
        doc.send(
          new DeleteCommand({
            TableName: table,
            Key: q.key(episodeKey),
            ConditionExpression: 'updates = :n',
            ExpressionAttributeValues: { ':n': updates },
          }),
        ),
      );
    },
  };
}
