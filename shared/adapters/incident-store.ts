/**
 * Incident store on the incidents DynamoDB table (pk/sk, TTL on expiresAt):
 *   pk "instance#<id>", sk "incident#<startedAt>#<incidentId>"  → one row per incident and instance
 *   pk "close#<alert identity>", sk "<at>"                      → an alert that resolved
 *   pk "case#<incidentId>", sk "instance#<id>"                   → a finished case, whole (JSON)
 * Only this adapter knows the layout; the safety layer's episode/lock tables are separate. Through
 * the document client: a null is stored as DynamoDB's NULL, as it always was, and read back as null.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type InstanceCase, InstanceCaseSchema } from '../domain/model.ts';
import type { CaseStorePort, EpisodeClose, IncidentStorePort, IncidentSummary } from '../ports.ts';
import { callAws } from './aws-errors.ts';
import { documentClient, type Item, text as read } from './dynamo-document.ts';

const DAY_S = 86_400;

export function incidentStore(
  client: DynamoDBClient,
  tableName: string,
  options: { retentionDays?: number; now?: () => Date } = {},
): IncidentStorePort {
  const doc = documentClient(client);
  const now = options.now ?? (() => new Date());
  const expiresAt = () => Math.floor(now().getTime() / 1000) + (options.retentionDays ?? 400) * DAY_S;
  return {
    async recordClose(close: EpisodeClose) {
      await callAws('PutItem', () =>
        doc.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              pk: `close#${close.identity}`,
              sk: close.at,
              source: close.source,
              episodeKey: close.episodeKey,
              alarmName: close.alarmName,
              instanceIds: close.instanceIds.join(','),
              reason: close.reason.slice(0, 2_000),
              expiresAt: expiresAt(),
            },
          }),
        ),
      );
    },
    async putIncident(summary: IncidentSummary) {
      await callAws('PutItem', () =>
        doc.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              pk: `instance#${summary.instanceId}`,
              sk: `incident#${summary.startedAt}#${summary.incidentId}`,
              incidentId: summary.incidentId,
              instanceId: summary.instanceId,
              startedAt: summary.startedAt,
              endedAt: summary.endedAt,
              outcome: summary.outcome,
              classification: summary.classification,
              ticketKey: summary.ticketKey,
              executionArn: summary.executionArn,
              alarmName: summary.alarmName,
              ...(summary.account ? { account: summary.account } : {}),
              ...(summary.region ? { region: summary.region } : {}),
              expiresAt: expiresAt(),
            },
          }),
        ),
      );
    },
    async incidentsFor(instanceId: string, limit: number) {
      const out = await callAws('Query', () =>
        doc.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': `instance#${instanceId}`, ':prefix': 'incident#' },
            ScanIndexForward: false,
            Limit: limit,
          }),
        ),
      );
      return ((out.Items ?? []) as Item[]).map((item) => ({
        incidentId: read(item, 'incidentId') ?? '',
        instanceId: read(item, 'instanceId') ?? instanceId,
        startedAt: read(item, 'startedAt') ?? '',
        endedAt: read(item, 'endedAt'),
        outcome: read(item, 'outcome') ?? 'unknown',
        classification: read(item, 'classification'),
        ticketKey: read(item, 'ticketKey'),
        executionArn: read(item, 'executionArn'),
        alarmName: read(item, 'alarmName'),
        account: read(item, 'account'),
        region: read(item, 'region'),
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
  const doc = documentClient(client);
  const now = options.now ?? (() => new Date());
  return {
    async putCase(c: InstanceCase) {
      await callAws('PutItem', () =>
        doc.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              pk: `case#${c.incidentId}`,
              sk: `instance#${c.target.instanceId}`,
              body: JSON.stringify(c),
              expiresAt: Math.floor(now().getTime() / 1000) + (options.retentionDays ?? 400) * DAY_S,
            },
          }),
        ),
      );
    },
    async casesFor(incidentId: string) {
      const cases: InstanceCase[] = [];
      let start: Item | undefined;
      // At most 20 cases of at most 350 KB: a handful of pages, bounded anyway.
      for (let page = 0; page < 20; page++) {
        const out = await callAws('Query', () =>
          doc.send(
            new QueryCommand({
              TableName: tableName,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': `case#${incidentId}` },
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
          ),
        );
        for (const item of (out.Items ?? []) as Item[]) {
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
