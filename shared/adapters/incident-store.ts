/**
 * Incident store on the incidents DynamoDB table (pk/sk, TTL on expiresAt):
 *   pk "instance#<id>", sk "incident#<startedAt>#<incidentId>"  → one row per incident and instance
 *   pk "close#<alert identity>", sk "<at>"                      → an alert that resolved
 * Only this adapter knows the layout; the safety layer's episode/lock tables are separate.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import type { EpisodeClose, IncidentStorePort, IncidentSummary } from '../ports.ts';
import { callAws } from './aws-errors.ts';

const DAY_S = 86_400;
const S = (value: string): AttributeValue => ({ S: value });
const optional = (value: string | null): AttributeValue => (value === null ? { NULL: true } : { S: value });
const read = (item: Record<string, AttributeValue>, key: string): string | null => item[key]?.S ?? null;

export function incidentStore(
  client: DynamoDBClient,
  tableName: string,
  options: { retentionDays?: number; now?: () => Date } = {},
): IncidentStorePort {
  const now = options.now ?? (() => new Date());
  const expiresAt = () =>
    ({ N: String(Math.floor(now().getTime() / 1000) + (options.retentionDays ?? 400) * DAY_S) }) as const;
  return {
    async recordClose(close: EpisodeClose) {
      await callAws('PutItem', () =>
        client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              pk: S(`close#${close.identity}`),
              sk: S(close.at),
              source: S(close.source),
              episodeKey: optional(close.episodeKey),
              alarmName: S(close.alarmName),
              instanceIds: S(close.instanceIds.join(',')),
              reason: S(close.reason.slice(0, 2_000)),
              expiresAt: expiresAt(),
            },
          }),
        ),
      );
    },
    async putIncident(summary: IncidentSummary) {
      await callAws('PutItem', () =>
        client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              pk: S(`instance#${summary.instanceId}`),
              sk: S(`incident#${summary.startedAt}#${summary.incidentId}`),
              incidentId: S(summary.incidentId),
              instanceId: S(summary.instanceId),
              startedAt: S(summary.startedAt),
              endedAt: optional(summary.endedAt),
              outcome: S(summary.outcome),
              classification: optional(summary.classification),
              ticketKey: optional(summary.ticketKey),
              executionArn: optional(summary.executionArn),
              alarmName: optional(summary.alarmName),
              expiresAt: expiresAt(),
            },
          }),
        ),
      );
    },
    async incidentsFor(instanceId: string, limit: number) {
      const out = await callAws('Query', () =>
        client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': S(`instance#${instanceId}`), ':prefix': S('incident#') },
            ScanIndexForward: false,
            Limit: limit,
          }),
        ),
      );
      return (out.Items ?? []).map((item) => ({
        incidentId: read(item, 'incidentId') ?? '',
        instanceId: read(item, 'instanceId') ?? instanceId,
        startedAt: read(item, 'startedAt') ?? '',
        endedAt: read(item, 'endedAt'),
        outcome: read(item, 'outcome') ?? 'unknown',
        classification: read(item, 'classification'),
        ticketKey: read(item, 'ticketKey'),
        executionArn: read(item, 'executionArn'),
        alarmName: read(item, 'alarmName'),
      }));
    },
  };
}
