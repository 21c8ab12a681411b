// The deployed HTTP and SNS intake handlers, in-process, against moto: the webhook secret comes
// from an SSM SecureString (Powertools Parameters), executions start in moto's Step Functions with
// the episode key as their name, closes land in the incidents table, and the secret never reaches
// the log output.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateStateMachineCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalMoto, startMoto } from '../local/moto.ts';
import { signBody } from '../shared/domain/webhook-auth.ts';
import { functionUrlEvent } from './support/aws-events.ts';
import { createIncidentsTable, motoProcessEnv } from './support/moto.ts';

const SECRET = 'moto-webhook-secret-7f3a9c1e5b2d4f6a';
const PARAMETER = '/medic/test/webhook-secret';
const TABLE = 'medic-test-incidents';
const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
const context = { functionName: 'medic-test-intakeHttp', awsRequestId: 'req-1' } as Context;

let moto: LocalMoto;
let sfn: SFNClient;
let dynamodb: DynamoDBClient;
let stateMachineArn: string;
let httpHandler: (event: unknown, context: Context) => Promise<{ statusCode: number; body: string }>;
let snsHandler: (event: unknown, context: Context) => Promise<unknown>;
const written: string[] = [];

beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, motoProcessEnv(moto.endpoint), { POWERTOOLS_LOG_LEVEL: 'DEBUG' });
  const clientConfig = { endpoint: moto.endpoint, region: 'us-east-1' };
  sfn = new SFNClient(clientConfig);
  dynamodb = new DynamoDBClient(clientConfig);
  const created = await sfn.send(
    new CreateStateMachineCommand({
      name: 'medic-test-incident',
      roleArn: 'arn:aws:iam::123456789012:role/medic-test-states',
      definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
    }),
  );
  stateMachineArn = created.stateMachineArn ?? '';
  await new SSMClient(clientConfig).send(
    new PutParameterCommand({ Name: PARAMETER, Type: 'SecureString', Value: SECRET }),
  );
  await createIncidentsTable(dynamodb, TABLE);
  Object.assign(process.env, {
    MEDIC_STATE_MACHINE_ARN: stateMachineArn,
    MEDIC_INCIDENTS_TABLE: TABLE,
    MEDIC_WEBHOOK_SECRET_PARAMETER: PARAMETER,
  });
  // Capture everything the Powertools logger writes (it writes to the process streams).
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation((chunk: unknown, ...rest: unknown[]) => {
      written.push(String(chunk));
      return (original as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
    });
  }
  httpHandler = (await import('../functions/intake-http.ts')).handler as unknown as typeof httpHandler;
  snsHandler = (await import('../functions/intake-sns.ts')).handler as unknown as typeof snsHandler;
});

afterAll(async () => {
  vi.restoreAllMocks();
  await moto?.stop();
});

const executions = async () =>
  (await sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions?.map((e) => e.name) ?? [];

describe('HTTP intake handler on moto', () => {
  it('401 without the secret: nothing started', async () => {
    // Prepare
    const body = fixture('alertmanager-v4-firing.json');
    // Act
    const response = await httpHandler(
      functionUrlEvent(body, { 'x-medic-token': 'wrong-but-long-enough-1234' }),
      context,
    );
    // Assess
    expect(response.statusCode).toBe(401);
    expect(await executions()).toEqual([]);
  });

  it('Alertmanager with the bearer secret → two executions named by episode key; a redelivery joins', async () => {
    // Prepare
    const body = fixture('alertmanager-v4-firing.json');
    const event = functionUrlEvent(body, { authorization: `Bearer ${SECRET}` });
    // Act
    const first = await httpHandler(event, context);
    const again = await httpHandler(event, context);
    // Assess
    expect(first.statusCode).toBe(202);
    const started = JSON.parse(first.body).started.map((s: { episodeKey: string }) => s.episodeKey);
    expect(started).toHaveLength(2);
    expect((await executions()).sort()).toEqual([...started].sort());
    expect(JSON.parse(again.body).joined).toHaveLength(2);
  });

  it('Datadog signed with HMAC starts; Alertmanager resolved is stored as a close', async () => {
    // Prepare
    const datadog = fixture('datadog-triggered.json');
    const resolved = fixture('alertmanager-v4-resolved.json');
    // Act
    const dd = await httpHandler(
      functionUrlEvent(datadog, { 'x-medic-signature': signBody(SECRET, datadog) }),
      context,
    );
    const closed = await httpHandler(functionUrlEvent(resolved, { 'x-medic-token': SECRET }), context);
    const items = (await dynamodb.send(new ScanCommand({ TableName: TABLE }))).Items ?? [];
    // Assess
    expect(dd.statusCode).toBe(202);
    expect(await executions()).toContain(JSON.parse(dd.body).started[0].episodeKey);
    expect(closed.statusCode).toBe(202);
    expect(items.map((i) => i.pk?.S)).toContain('close#alertmanager:5fa2c6d6b1b0a3f8');
  });

  it('400 with a reason for a malformed body', async () => {
    // Prepare
    const before = (await executions()).length;
    // Act
    const response = await httpHandler(
      functionUrlEvent('{"version":"4","status":"firing","alerts":[]}', { 'x-medic-token': SECRET }),
      context,
    );
    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).reason).toMatch(/no alerts/);
    expect((await executions()).length).toBe(before);
  });

  it('SNS intake starts the classic alarm action with the EventBridge episode key', async () => {
    // Prepare
    const event = JSON.parse(fixture('sns-lambda-metric-math.json'));
    // Act
    const result = (await snsHandler(event, context)) as { started: { episodeKey: string }[] };
    // Assess
    expect(result.started).toHaveLength(1);
    expect(await executions()).toContain(result.started[0]?.episodeKey);
  });

  it('the logger output (DEBUG level) never contains the secret', () => {
    // Prepare
    const output = written.join('');
    // Act
    const lines = output.split('\n').filter((l) => l.includes('"service":"medic"'));
    // Assess
    expect(lines.length).toBeGreaterThanOrEqual(5);
    expect(output).not.toContain(SECRET);
    expect(output).not.toContain(SECRET.slice(0, 16));
  });
});
