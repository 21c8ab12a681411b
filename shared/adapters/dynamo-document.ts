/**
 * The DynamoDB document client as every DynamoDB adapter uses it (native values in and out, no
 * hand marshalling), and the strict reading of conditional writes and stored items.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { callAws } from './aws-errors.ts';

/** A stored item as the document client returns it: attribute name → native value. */
export type Item = Record<string, unknown>;

/**
 * The document client over a plain DynamoDB client. An undefined attribute is left out (absent,
 * read back as null), a null is stored as DynamoDB's NULL, and numbers come back as numbers: every
 * number medic stores (epoch seconds, milliseconds, attempts) is a safe integer. Every adapter takes
 * its document client from here: DynamoDBDocumentClient.from writes these options onto the config
 * of the client it wraps, so two different option sets on one client would silently override each
 * other.
 */
export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** A string attribute, or null when absent, NULL or of another type (an item is never trusted). */
export const text = (item: Item | undefined, name: string): string | null => {
  const value = item?.[name];
  return typeof value === 'string' ? value : null;
};

export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string }).name === 'ConditionalCheckFailedException'
  );
}

/**
 * A string attribute of the item a failed condition found (ReturnValuesOnConditionCheckFailure:
 * ALL_OLD), if DynamoDB sent it. The document client translates answers, not errors: this item is
 * still in DynamoDB's wire form.
 */
export function oldText(error: unknown, name: string): string | null {
  const item = (error as { Item?: Record<string, AttributeValue> }).Item;
  return item?.[name]?.S ?? null;
}

/** Runs a conditional write; false when the condition did not hold, any other failure thrown. */
export async function conditional(what: string, call: () => Promise<unknown>): Promise<boolean> {
  try {
    await callAws(what, call);
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
