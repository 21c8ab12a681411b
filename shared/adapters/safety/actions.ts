/**
 * The action ledger on the safety table: `BUDGET#<instance>` / <action key>, one item per mutating
 * action. Claimed at most once right before the act; read back as the rolling budget.
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ActionBudget, ActionLedger } from '../../ports.ts';
import { callAws } from '../aws-errors.ts';
import { conditional, DAY_S, epoch, queryAll, text } from './document.ts';

const budgetKey = (instanceId: string, actionKey: string) => ({ pk: `BUDGET#${instanceId}`, sk: actionKey });

export function dynamoActionLedger(doc: DynamoDBDocumentClient, table: string): ActionLedger {
  return {
    async claimAction(instanceId, actionKey, at) {
      return conditional('PutItem budget', () =>
        doc.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...budgetKey(instanceId, actionKey),
              at: at.toISOString(),
              expiresAt: epoch(at) + 31 * DAY_S,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    },

    async unclaimAction(instanceId, actionKey) {
      await callAws('DeleteItem budget', () =>
        doc.send(new DeleteCommand({ TableName: table, Key: budgetKey(instanceId, actionKey) })),
      );
    },
  };
}

export function dynamoActionBudget(doc: DynamoDBDocumentClient, table: string): ActionBudget {
  return {
    async actionsSince(instanceId, since, exceptKey) {
      const items = await queryAll(doc, table, {
        KeyConditionExpression: 'pk = :pk',
        FilterExpression: '#at >= :since',
        ExpressionAttributeNames: { '#at': 'at' },
        ExpressionAttributeValues: { ':pk': `BUDGET#${instanceId}`, ':since': since.toISOString() },
        ConsistentRead: true,
      });
      // A filter expression may not name the sort key, so the step's own claim is left out here.
      return items.filter((i) => text(i, 'sk') !== exceptKey).length;
    },
  };
}
