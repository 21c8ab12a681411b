/**
 * Creates the DynamoDB tables serverless.yml declares, in moto, so the local run uses the
 * same key schema as a deployed stack (derived, never hand-kept), and points the handlers at them.
 */
import { readFileSync } from 'node:fs';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { parse as parseYaml } from 'yaml';
import { SERVERLESS_PATH } from './engine.ts';

interface TableResource {
  Type: string;
  Properties: {
    TableName: string;
    KeySchema: CreateTableCommandInput['KeySchema'];
    AttributeDefinitions: CreateTableCommandInput['AttributeDefinitions'];
  };
}

/** logical id → table name for the `local` stage. */
export function tablesFromServerless(stage = 'local'): Map<string, TableResource['Properties']> {
  const doc = parseYaml(readFileSync(SERVERLESS_PATH, 'utf8'), { logLevel: 'silent' }) as {
    resources?: { Resources?: Record<string, TableResource> };
  };
  const out = new Map<string, TableResource['Properties']>();
  for (const [id, r] of Object.entries(doc.resources?.Resources ?? {})) {
    if (r.Type !== 'AWS::DynamoDB::Table') continue;
    out.set(id, { ...r.Properties, TableName: r.Properties.TableName.replace('${sls:stage}', stage) });
  }
  return out;
}

export async function ensureTables(client: DynamoDBClient): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const [id, t] of tablesFromServerless()) {
    names.set(id, t.TableName);
    const exists = await client
      .send(new DescribeTableCommand({ TableName: t.TableName }))
      .then(() => true)
      .catch(() => false);
    if (exists) continue;
    await client
      .send(
        new CreateTableCommand({
          TableName: t.TableName,
          KeySchema: t.KeySchema,
          AttributeDefinitions: t.AttributeDefinitions,
          BillingMode: 'PAY_PER_REQUEST',
        }),
      )
      .catch((error: Error) => {
        if (error.name !== 'ResourceInUseException') throw error;
      });
  }
  return names;
}
