/**
 * DynamoDB (the safety table) as the once-per-episode ledger of final notifications: item
 * `FINAL#<episode>`. Both writes are PutItem (what the Record role may already do). A claim that
 * finds an item without `sentAt` belongs to an attempt that died before publishing: the claim is
 * taken over, so the stakeholders are told at least once.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { FinalNoticeLedgerPort } from '../ports.ts';
import { callAws } from './aws-errors.ts';
import { conditional, documentClient } from './dynamo-document.ts';

/** Kept a week: far past any retry of the same execution. */
const KEEP_S = 7 * 86_400;
const expiry = (at: Date) => Math.floor(at.getTime() / 1000) + KEEP_S;

export function finalNoticeLedger(client: DynamoDBClient, table: string): FinalNoticeLedgerPort {
  const doc = documentClient(client);
  const key = (episodeKey: string) => ({ pk: `FINAL#${episodeKey}`, sk: 'final' });
  return {
    claim(episodeKey, at) {
      return conditional('PutItem final notice', () =>
        doc.send(
          new PutCommand({
            TableName: table,
            Item: { ...key(episodeKey), claimedAt: at.toISOString(), expiresAt: expiry(at) },
            ConditionExpression: 'attribute_not_exists(sentAt)',
          }),
        ),
      );
    },
    async markSent(episodeKey, outcome, at) {
      await callAws('PutItem final notice sent', () =>
        doc.send(
          new PutCommand({
            TableName: table,
            Item: { ...key(episodeKey), sentAt: at.toISOString(), outcome, expiresAt: expiry(at) },
          }),
        ),
      );
    },
  };
}
