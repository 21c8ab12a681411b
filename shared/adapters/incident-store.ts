/**
 * Incident store on the incidents DynamoDB table (pk/sk, TTL on expiresAt):
 *   pk "instance#<id>", sk "incident#<startedAt>#<incidentId>"  → one row per incident and instance
 *   pk "close#<alert identity>", sk "<at>"                      → an alert that resolved
 *   pk "case#<incidentId>", sk "instance#<id>"                   → a finished case, whole (JSON)
 * Only this adapter knows the layout; the safety layer's episode/lock tables are separate.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { type InstanceCase, InstanceCaseSchema } from '../domain/model.ts';
import type { CaseStorePort, EpisodeClose, IncidentStorePort, IncidentSummary } from '../ports.ts';
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

/**
 * The finished cases of an incident (FileCase writes, Record reads). The body is the case's JSON,
 * made to fit one item by the caller (domain/case-size.ts fitForStore); a body that does not parse
 * as a case is skipped, never trusted.
 */
export function caseStore(
  client: DynamoDBClient,
  tableName: string,
  options: { retentionDays?: number; now?: () => Date } = {},
): CaseStorePort {
  const now = options.now ?? (() => new Date());
  return {
    async putCase(c: InstanceCase) {
      await callAws('PutItem', () =>
        client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              pk: S(`case#${c.incidentId}`),
              sk: S(`instance#${c.target.instanceId}`),
              body: S(JSON.stringify(c)),
              expiresAt: {
                N: String(Math.floor(now().getTime() / 1000) + (options.retentionDays ?? 400) * DAY_S),
              },
            },
          }),
        ),
      );
    },
    async casesFor(incidentId: string) {
      const cases: InstanceCase[] = [];
      let start: Record<string, AttributeValue> | undefined;
      // At most 20 cases of at most 350 KB: a handful of pages, bounded anyway.
      for (let page = 0; page < 20; page++) {
        const out = await callAws('Query', () =>
          client.send(
            new QueryCommand({
              TableName: tableName,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': S(`case#${incidentId}`) },
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
          ),
        );
        for (const item of out.Items ?? []) {
          try {
            const parsed = InstanceCaseSchema.safeParse(JSON.parse(read(item, 'body') ?? 'null'));
            if (parsed.success) cases.push(parsed.data);
          } catch {
            // not a case: skipped
          }
        }
        start = out.LastEvaluatedKey;
        if (!start) break;
      }
      return cases;
    },
  };
}
