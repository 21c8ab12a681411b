/**
 * Open AWS Health issues on the safety table: `HEALTH#<scope>` / <eventArn>, one item per issue
 * and scope (an instance, a zone, EC2 in a region; shared/domain/health.ts). Written by Admit from
 * the Health events, read by the bounds before any action and by the fleet guard.
 *
 * DynamoDB's TTL deletes an expired item only eventually (often days later) and reads return it
 * until then, so the read filters on `until` itself; `expiresAt` only keeps the table tidy.
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { HealthIssue } from '../../domain/health.ts';
import type { HealthIssueRecorder, HealthIssues } from '../../ports.ts';
import { callAws } from '../aws-errors.ts';
import { DAY_S, epoch, queryAll, text } from './document.ts';

const pkOf = (scope: string) => `HEALTH#${scope}`;

export function dynamoHealthIssues(doc: DynamoDBDocumentClient, table: string): HealthIssues {
  return {
    async openHealthIssues(scopes, now) {
      const found = await Promise.all(
        [...new Set(scopes)].map(async (scope) => {
          const items = await queryAll(
            doc,
            table,
            {
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': pkOf(scope) },
              ConsistentRead: true,
            },
            2,
          );
          return items.flatMap((i): HealthIssue[] => {
            const until = text(i, 'until');
            if (!until || until <= now.toISOString()) return [];
            return [
              {
                scope,
                eventArn: text(i, 'sk') ?? '',
                eventTypeCode: text(i, 'eventTypeCode') ?? 'unknown',
                since: text(i, 'since') ?? '',
                summary: text(i, 'summary') ?? '',
              },
            ];
          });
        }),
      );
      return found.flat();
    },
  };
}

export function dynamoHealthIssueRecorder(doc: DynamoDBDocumentClient, table: string): HealthIssueRecorder {
  return {
    async rememberHealthIssue(scope, issue, until) {
      await callAws('PutItem health', () =>
        doc.send(
          new PutCommand({
            TableName: table,
            Item: {
              pk: pkOf(scope),
              sk: issue.eventArn,
              eventTypeCode: issue.eventTypeCode,
              since: issue.since,
              summary: issue.summary,
              until: until.toISOString(),
              expiresAt: epoch(until) + DAY_S,
            },
          }),
        ),
      );
    },

    async forgetHealthIssues(scope, eventArn) {
      const arns =
        eventArn !== null
          ? [eventArn]
          : (
              await queryAll(
                doc,
                table,
                {
                  KeyConditionExpression: 'pk = :pk',
                  ExpressionAttributeValues: { ':pk': pkOf(scope) },
                  ConsistentRead: true,
                },
                2,
              )
            ).flatMap((i) => text(i, 'sk') ?? []);
      for (const sk of arns) {
        await callAws('DeleteItem health', () =>
          doc.send(new DeleteCommand({ TableName: table, Key: { pk: pkOf(scope), sk } })),
        );
      }
      return arns.length;
    },
  };
}
