/**
 * What medic keeps to learn from its fixes, on the incidents table (next to incident-store.ts's
 * rows, TTL on expiresAt):
 *   pk "fix#<classification>", sk "<endedAt>#<incidentId>#<instanceId>" → one finished case
 *     (`body`: its ClosedIncident JSON; `recurredBy` set when its fix did not hold). A Query per
 *     classification over a time range reads the track record: no Scan, however large the table.
 *   pk "instance#<id>", sk "fixes" → per classification (`c:<classification>`) the instance's last
 *     resolved incident: one GetItem tells Admit whether a new alarm is a recurrence.
 * Admit reads the second through last-fixes.ts (one GetItem, nothing else bundled).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ClosedIncident } from '../policy/learning.ts';
import type { FixRecordPort } from '../ports.ts';
import { callAws } from './aws-errors.ts';
import { documentClient, type Item, text } from './dynamo-document.ts';

const DAY_S = 86_400;
const fixesKey = (instanceId: string) => ({ pk: `instance#${instanceId}`, sk: 'fixes' });
const rowKey = (f: ClosedIncident) => ({
  pk: `fix#${f.classification ?? 'unknown'}`,
  sk: `${f.endedAt ?? ''}#${f.incidentId}#${f.instanceId}`,
});

function parse(body: string | null, recurredBy: string | null): ClosedIncident | null {
  try {
    const f = JSON.parse(body ?? 'null') as ClosedIncident | null;
    if (!f || typeof f.incidentId !== 'string' || typeof f.instanceId !== 'string') return null;
    return { ...f, recurredBy: recurredBy ?? f.recurredBy ?? null };
  } catch {
    return null;
  }
}

export function fixRecord(
  client: DynamoDBClient,
  tableName: string,
  options: { retentionDays?: number; now?: () => Date } = {},
): FixRecordPort {
  const doc = documentClient(client);
  const now = options.now ?? (() => new Date());
  const expiresAt = () => Math.floor(now().getTime() / 1000) + (options.retentionDays ?? 400) * DAY_S;
  return {
    async put(f) {
      const body = JSON.stringify(f);
      await callAws('PutItem fix', () =>
        doc.send(
          new PutCommand({ TableName: tableName, Item: { ...rowKey(f), body, expiresAt: expiresAt() } }),
        ),
      );
      if (f.outcome !== 'resolved' || !f.classification) return;
      await callAws('UpdateItem fixes', () =>
        doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: fixesKey(f.instanceId),
            UpdateExpression: 'SET #c = :body, expiresAt = :ttl REMOVE #r',
            ExpressionAttributeNames: { '#c': `c:${f.classification}`, '#r': `r:${f.classification}` },
            ExpressionAttributeValues: { ':body': body, ':ttl': expiresAt() },
          }),
        ),
      );
    },
    async markRecurred(f, by) {
      await callAws('UpdateItem fix recurred', () =>
        doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: rowKey(f),
            UpdateExpression: 'SET recurredBy = :by',
            // An update creates a missing item: a row that expired stays gone.
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':by': by },
          }),
        ),
      ).catch((error: unknown) => {
        if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
      });
      if (!f.classification) return;
      // Only while the instance's last fix is still this one (a newer fix is not marked).
      await callAws('UpdateItem fixes recurred', () =>
        doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: fixesKey(f.instanceId),
            UpdateExpression: 'SET #r = :by',
            ConditionExpression: 'contains(#c, :id)',
            ExpressionAttributeNames: { '#c': `c:${f.classification}`, '#r': `r:${f.classification}` },
            ExpressionAttributeValues: { ':by': by, ':id': `"incidentId":"${f.incidentId}"` },
          }),
        ),
      ).catch((error: unknown) => {
        if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
      });
    },
    async since(classification, since, maxItems = 2_000) {
      const found: ClosedIncident[] = [];
      let start: Item | undefined;
      for (let page = 0; page < 20 && found.length < maxItems; page++) {
        const out = await callAws('Query fixes', () =>
          doc.send(
            new QueryCommand({
              TableName: tableName,
              KeyConditionExpression: 'pk = :pk AND sk >= :since',
              ExpressionAttributeValues: { ':pk': `fix#${classification}`, ':since': since.toISOString() },
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
          ),
        );
        for (const item of (out.Items ?? []) as Item[]) {
          const f = parse(text(item, 'body'), text(item, 'recurredBy'));
          if (f) found.push(f);
        }
        start = out.LastEvaluatedKey;
        if (!start) break;
      }
      return found.slice(0, maxItems);
    },
  };
}
