/**
 * The status page outbox on the safety table: `STATUSPAGE` / <episode key>, the plan as JSON and
 * its number of updates. Plans are cumulative, so a put only ever replaces a plan with one at least
 * as long (a late copy of an earlier plan cannot undo a later one), and the drainer deletes an item
 * only while it still holds the plan it published. Due, lease and reschedule are the queue's (queue.ts).
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { StatusPlan } from '../../policy/statuspage.ts';
import type { StatusOutbox, StatusOutboxDrain } from '../../ports.ts';
import { conditional } from './document.ts';
import { safetyQueue } from './queue.ts';

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
