/**
 * Open AWS Health issues on the safety table: `HEALTH` / <scope>, one item per scope (an instance,
 * a zone, EC2 in a region; shared/domain/health.ts) with one map attribute `e:<eventArn>` per open
 * issue. Written by Admit from the Health events, read by the bounds before any action and by the
 * fleet guard: a read of any number of scopes is one BatchGetItem, and no Query is needed (Admit's
 * bundle carries no Query code).
 *
 * DynamoDB's TTL deletes an expired item only eventually (often days later) and reads return it
 * until then, so the read filters on each issue's `until`; `expiresAt` only keeps the table tidy.
 */
import { DeleteCommand, type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { HealthIssue } from '../../domain/health.ts';
import type { HealthIssueRecorder, HealthIssues } from '../../ports.ts';
import { callAws } from '../aws-errors.ts';
import { batchGet, DAY_S, epoch, type Item, text } from './document.ts';

const PK = 'HEALTH';
const ISSUE = 'e:';

export function dynamoHealthIssues(doc: DynamoDBDocumentClient, table: string): HealthIssues {
  return {
    async openHealthIssues(scopes, now) {
      const keys = [...new Set(scopes)].map((sk) => ({ pk: PK, sk }));
      if (keys.length === 0) return [];
      const items = await batchGet(doc, table, keys);
      const at = now.toISOString();
      return items.flatMap((item) =>
        Object.entries(item).flatMap(([name, value]): HealthIssue[] => {
          if (!name.startsWith(ISSUE)) return [];
          const issue = (value !== null && typeof value === 'object' ? value : {}) as Item;
          const until = text(issue, 'until');
          if (!until || until <= at) return [];
          return [
            {
              scope: text(item, 'sk') ?? '',
              eventArn: name.slice(ISSUE.length),
              eventTypeCode: text(issue, 'eventTypeCode') ?? 'unknown',
              since: text(issue, 'since') ?? '',
              summary: text(issue, 'summary') ?? '',
            },
          ];
        }),
      );
    },
  };
}

export function dynamoHealthIssueRecorder(doc: DynamoDBDocumentClient, table: string): HealthIssueRecorder {
  return {
    async rememberHealthIssue(scope, issue, until) {
      await callAws('UpdateItem health', () =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: PK, sk: scope },
            // Every write is "now + the memory", so the latest write carries the latest expiry.
            UpdateExpression: 'SET #e = :issue, expiresAt = :ttl',
            ExpressionAttributeNames: { '#e': `${ISSUE}${issue.eventArn}` },
            ExpressionAttributeValues: {
              ':issue': {
                eventTypeCode: issue.eventTypeCode,
                since: issue.since,
                summary: issue.summary,
                until: until.toISOString(),
              },
              ':ttl': epoch(until) + DAY_S,
            },
          }),
        ),
      );
    },

    async forgetHealthIssues(scope, eventArn) {
      if (eventArn === null) {
        await callAws('DeleteItem health', () =>
          doc.send(new DeleteCommand({ TableName: table, Key: { pk: PK, sk: scope } })),
        );
        return 1;
      }
      await callAws('UpdateItem health', () =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: PK, sk: scope },
            UpdateExpression: 'REMOVE #e',
            ExpressionAttributeNames: { '#e': `${ISSUE}${eventArn}` },
          }),
        ),
      );
      return 1;
    },
  };
}
