/**
 * DynamoDB (the safety table) as the once-per-episode ledger of final notifications: item
 * `FINAL#<episode>`. Both writes are PutItem (what the Record role may already do). A claim that
 * finds an item without `sentAt` belongs to an attempt that died before publishing: the claim is
 * taken over, so the stakeholders are told at least once.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { FinalNoticeLedgerPort } from '../ports.ts';
import { callAws } from './aws-errors.ts';

/** Kept a week: far past any retry of the same execution. */
const KEEP_S = 7 * 86_400;
const s = (v: string): AttributeValue => ({ S: v });
const expiry = (at: Date) => ({ N: String(Math.floor(at.getTime() / 1000) + KEEP_S) });

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string }).name === 'ConditionalCheckFailedException'
  );
}

export function finalNoticeLedger(client: DynamoDBClient, table: string): FinalNoticeLedgerPort {
  const key = (episodeKey: string) => ({ pk: s(`FINAL#${episodeKey}`), sk: s('final') });
  return {
    async claim(episodeKey, at) {
      try {
        await callAws('PutItem final notice', () =>
          client.send(
            new PutItemCommand({
              TableName: table,
              Item: { ...key(episodeKey), claimedAt: s(at.toISOString()), expiresAt: expiry(at) },
              ConditionExpression: 'attribute_not_exists(sentAt)',
            }),
          ),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    async markSent(episodeKey, outcome, at) {
      await callAws('PutItem final notice sent', () =>
        client.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              ...key(episodeKey),
              sentAt: s(at.toISOString()),
              outcome: s(outcome),
              expiresAt: expiry(at),
            },
          }),
        ),
      );
    },
  };
}
