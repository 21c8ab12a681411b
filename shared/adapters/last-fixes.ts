/**
 * The instance's last resolved incident per classification (the `instance#<id>` / `fixes` item of
 * the incidents table, written by fix-record.ts): one GetItem, in a file of its own so Admit, on
 * every incident's cold path, bundles nothing else of the fix record.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ClosedIncidentSchema } from '../domain/model.ts';
import type { ClosedIncident } from '../policy/learning.ts';
import { callAws } from './aws-errors.ts';
import { documentClient, type Item, text } from './dynamo-document.ts';

export function lastFixesReader(client: DynamoDBClient, tableName: string) {
  const doc = documentClient(client);
  return async (instanceId: string): Promise<ClosedIncident[]> => {
    const out = await callAws('GetItem fixes', () =>
      doc.send(new GetCommand({ TableName: tableName, Key: { pk: `instance#${instanceId}`, sk: 'fixes' } })),
    );
    const item = (out.Item ?? {}) as Item;
    return Object.keys(item)
      .filter((k) => k.startsWith('c:'))
      .flatMap((k) => {
        try {
          const parsed = ClosedIncidentSchema.safeParse(JSON.parse(text(item, k) ?? 'null'));
          if (!parsed.success) return [];
          return [
            { ...parsed.data, recurredBy: text(item, `r:${k.slice(2)}`) ?? parsed.data.recurredBy ?? null },
          ];
        } catch {
          return [];
        }
      });
  };
}
