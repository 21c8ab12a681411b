/**
 * `dynamodb:LeadingKeys` in the offline IAM check: AWS puts the partition key values of every item
 * a DynamoDB request touches in its request context, and a role statement conditioned on
 * `ForAllValues:StringLike: dynamodb:LeadingKeys` allows the request only when every one of them
 * matches. First the context computed from recorded calls, then the evaluator on it.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import type { RecordedCall } from '../local/aws-recorder.ts';
import { check } from '../scripts/iam/evaluate.ts';
import { emptyFacts, type Facts, leadingKeysOf } from '../scripts/iam/requests.ts';
import { type FunctionIam, LOCAL_DEPLOYMENT, type Statement } from '../scripts/iam/template.ts';

const D = LOCAL_DEPLOYMENT;
const TABLE = 'medic-local-safety';
const TABLE_ARN = `arn:aws:dynamodb:${D.region}:${D.account}:table/${TABLE}`;
const PARTITION_KEYS = new Map([[TABLE, 'pk']]);

const call = (operation: string, input: Record<string, unknown>, functionName = 'decide'): RecordedCall => ({
  functionName,
  service: 'DynamoDB',
  operation,
  region: D.region,
  input,
  error: null,
});

describe('dynamodb:LeadingKeys from a recorded call', () => {
  it.each([
    [
      'GetItem (document client)',
      call('GetItem', { TableName: TABLE, Key: { pk: 'LOCK#i-1', sk: 'lock' } }),
      ['LOCK#i-1'],
    ],
    [
      'GetItem (low-level client)',
      call('GetItem', { TableName: TABLE, Key: { pk: { S: 'LOCK#i-1' }, sk: { S: 'lock' } } }),
      ['LOCK#i-1'],
    ],
    [
      'PutItem: the item written',
      call('PutItem', { TableName: TABLE, Item: { pk: 'OUTBOX', sk: 'e1', x: 1 } }),
      ['OUTBOX'],
    ],
    ['UpdateItem', call('UpdateItem', { TableName: TABLE, Key: { pk: 'FLEET', sk: 'b' } }), ['FLEET']],
    [
      'DeleteItem',
      call('DeleteItem', { TableName: TABLE, Key: { pk: 'STATUSPAGE_LEASE', sk: 'e' } }),
      ['STATUSPAGE_LEASE'],
    ],
    [
      'Query: the key condition’s partition value',
      call('Query', {
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': 'INSTANCE#i-1', ':from': 'a', ':to': 'b' },
      }),
      ['INSTANCE#i-1'],
    ],
    [
      'Query with an attribute name placeholder',
      call('Query', {
        TableName: TABLE,
        KeyConditionExpression: 'begins_with(#s, :p) AND #k = :v',
        ExpressionAttributeNames: { '#k': 'pk', '#s': 'sk' },
        ExpressionAttributeValues: { ':v': 'BUDGET#i-1', ':p': 'x' },
      }),
      ['BUDGET#i-1'],
    ],
    [
      'BatchGetItem: every item’s partition, once each',
      call('BatchGetItem', {
        RequestItems: {
          [TABLE]: {
            Keys: [
              { pk: 'FLEET', sk: '1' },
              { pk: 'FLEET', sk: '2' },
              { pk: 'STORM', sk: '1' },
            ],
          },
        },
      }),
      ['FLEET', 'STORM'],
    ],
    [
      'BatchWriteItem: puts and deletes',
      call('BatchWriteItem', {
        RequestItems: {
          [TABLE]: [
            { PutRequest: { Item: { pk: 'OUTBOX', sk: '1' } } },
            { DeleteRequest: { Key: { pk: 'LOCK#i-2', sk: 'lock' } } },
          ],
        },
      }),
      ['OUTBOX', 'LOCK#i-2'],
    ],
  ])('%s', (_name, recorded, expected) => {
    // Act
    const keys = leadingKeysOf(recorded, PARTITION_KEYS);
    // Assess
    expect(keys.get(TABLE)).toEqual(expected);
  });

  it('a table of unknown key schema, a Scan, or a Query without a partition equality gives no keys', () => {
    // Prepare
    const unknown = call('GetItem', { TableName: 'other', Key: { pk: 'LOCK#i-1' } });
    const scan = call('Scan', { TableName: TABLE });
    const range = call('Query', {
      TableName: TABLE,
      KeyConditionExpression: 'begins_with(pk, :p)',
      ExpressionAttributeValues: { ':p': 'LOCK#' },
    });
    // Act
    const found = [unknown, scan, range].map((c) => leadingKeysOf(c, PARTITION_KEYS).size);
    // Assess
    expect(found).toEqual([0, 0, 0]);
  });
});

describe('the simulator on ForAllValues:StringLike dynamodb:LeadingKeys', () => {
  const lockOnly = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'dynamodb:GetItem',
        Resource: TABLE_ARN,
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['LOCK#*'] } },
      },
    ],
  };
  const simulate = async (keys: string[] | null) => {
    const result = await runSimulation(
      {
        request: {
          principal: `arn:aws:sts::${D.account}:assumed-role/decideRole/medic-local-decide`,
          action: 'dynamodb:GetItem',
          resource: { resource: TABLE_ARN, accountId: D.account },
          contextVariables: keys ? { 'dynamodb:LeadingKeys': keys } : {},
        },
        identityPolicies: [{ name: 'p', policy: lockOnly }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    return result.resultType === 'error' ? 'error' : result.overallResult;
  };

  it.each([
    [['LOCK#i-1'], 'Allowed'],
    [['INSTANCE#i-1'], 'ImplicitlyDenied'],
    // Every value must match: one item outside the pattern denies the whole request.
    [['LOCK#i-1', 'INSTANCE#i-1'], 'ImplicitlyDenied'],
    // ForAllValues over an empty or absent key is true (AWS documents it; why no Scan may sit
    // under such a statement).
    [[], 'Allowed'],
    [null, 'Allowed'],
  ])('LeadingKeys %j → %s', async (keys, expected) => {
    // Act
    const decision = await simulate(keys);
    // Assess
    expect(decision).toBe(expected);
  });
});

describe('the check on a LeadingKeys-conditioned role', () => {
  const role = (pattern: string): FunctionIam => ({
    functionName: 'decide',
    lambdaName: 'medic-local-decide',
    roleLogicalId: 'DecideRole',
    roleArn: `arn:aws:iam::${D.account}:role/DecideRole`,
    policies: [
      {
        name: 'fixture',
        document: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' },
            {
              Effect: 'Allow',
              Action: 'dynamodb:GetItem',
              Resource: TABLE_ARN,
              Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [pattern] } },
            } as Statement,
          ],
        },
      },
    ],
    unknownManagedPolicies: [],
    vpc: null,
    onFailureDestinations: [],
    logGroupArn: `arn:aws:logs:${D.region}:${D.account}:log-group:/aws/lambda/medic-local-decide`,
  });
  const facts = (): Facts => {
    const f = emptyFacts();
    f.partitionKeys.set(TABLE, 'pk');
    return f;
  };
  const calls = [call('GetItem', { TableName: TABLE, Key: { pk: { S: 'LOCK#i-1' }, sk: { S: 'lock' } } })];

  it('a GetItem of LOCK#… is allowed under LOCK#* and denied under INSTANCE#*, naming the key', async () => {
    // Act
    const right = await check(calls, [role('LOCK#*')], D, facts());
    const wrong = await check(calls, [role('INSTANCE#*')], D, facts());
    // Assess
    expect(right.ok, right.lines.join('\n')).toBe(true);
    expect(wrong.ok).toBe(false);
    expect(wrong.lines).toContainEqual(
      expect.stringMatching(
        /^implicit deny\s+decide dynamodb:GetItem table — .*dynamodb:LeadingKeys: LOCK#i-1/,
      ),
    );
  });

  it('a DynamoDB item call on a table whose partition key is unknown is not mapped (never evaluated keyless)', async () => {
    // Act
    const report = await check(calls, [role('LOCK#*')], D, emptyFacts());
    // Assess
    expect(report.ok).toBe(false);
    expect(report.lines.join('\n')).toMatch(/not mapped\s+decide dynamodb:GetItem/);
  });
});
