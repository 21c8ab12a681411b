/**
 * Latency baselines of the sweep's stress check on the safety table, `INSTANCE#<instance>` /
 * `load-baseline`: one small item per service, gone 30 days after its last check.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { LoadBaselineStore } from '../../ports.ts';
import { callAws } from '../aws-errors.ts';
import { DAY_S, epoch } from './document.ts';

export function dynamoLoadBaselines(doc: DynamoDBDocumentClient, table: string): LoadBaselineStore {
  return {
    async get(instanceId) {
      const out = await callAws('GetItem load-baseline', () =>
        doc.send(
          new GetCommand({ TableName: table, Key: { pk: `INSTANCE#${instanceId}`, sk: 'load-baseline' } }),
        ),
      );
      const item = out.Item;
      if (!item || typeof item.p99Ms !== 'number' || typeof item.at !== 'string') return null;
      return { p99Ms: item.p99Ms, samples: typeof item.samples === 'number' ? item.samples : 1, at: item.at };
    },
    async put(instanceId, baseline) {
      await callAws('PutItem load-baseline', () =>
        doc.send(
          new PutCommand({
            TableName: table,
            Item: {
              pk: `INSTANCE#${instanceId}`,
              sk: 'load-baseline',
              ...baseline,
              expiresAt: epoch(new Date(baseline.at)) + 30 * DAY_S,
            },
          }),
        ),
      );
    },
  };
}
