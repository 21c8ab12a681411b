/**
 * Timeouts that cannot cut a run short. Lambda stops a function mid-call when its timeout passes,
 * and Step Functions fails a Task whose TimeoutSeconds passes while the function still runs; the
 * local engine does neither. So: the Task/function timeout check is tried on broken definitions
 * here (the packaged template itself is checked in package.test.ts), and Record is run with a
 * Lambda context that has little time left against a Jira that accepts connections and never
 * answers: the outbox entry and the SNS message must still happen before the time is up.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalMoto, startMoto } from '../local/moto.ts';
import { configureEnvironment, ensureTopic } from '../local/simulate.ts';
import { ensureTables } from '../local/tables.ts';
import { deadlineIn } from '../shared/domain/deadline.ts';
import { resolvedIncident } from './support/incident.ts';
import { localTickets } from './support/jira.ts';
import { listenOnLoopback } from './support/net.ts';
import { inboxMessages } from './support/substrate.ts';
import { checkTaskTimeouts, MIN_MARGIN_SECONDS } from './support/task-timeouts.ts';

/** A Jira that accepts every connection and never sends a byte back. */
interface SilentJira {
  baseUrl: string;
  connections(): number;
  close(): Promise<void>;
}

async function startSilentJira(): Promise<SilentJira> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  const port = await listenOnLoopback(server);
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const lambdaTask = (fn: string, timeoutSeconds?: number) => ({
  Type: 'Task',
  Resource: { 'Fn::GetAtt': [fn, 'Arn'] },
  ...(timeoutSeconds === undefined ? {} : { TimeoutSeconds: timeoutSeconds }),
  End: true,
});
const callbackTask = (fn: string, timeout: Record<string, unknown>) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
  Parameters: { FunctionName: { 'Fn::GetAtt': [fn, 'Arn'] }, Payload: {} },
  ...timeout,
  End: true,
});
const getAtt = (target: unknown) =>
  ((target as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0] ?? null) as string | null;
const FUNCTIONS = new Map([
  ['RecordLambdaFunction', 50],
  ['AskLambdaFunction', 25],
]);

describe('the Task timeout check (what Step Functions does with a Task that outlives its timeout)', () => {
  it('accepts a Task whose timeout exceeds its function timeout by the margin', () => {
    // Prepare
    const definition = { States: { Record: lambdaTask('RecordLambdaFunction', 50 + MIN_MARGIN_SECONDS) } };
    // Act
    const report = checkTaskTimeouts(definition, FUNCTIONS, getAtt);
    // Assess
    expect(report.violations).toEqual([]);
    expect(report.tasks).toEqual([
      expect.objectContaining({ state: 'Record', functionTimeout: 50, timeoutSeconds: 55 }),
    ]);
  });

  it('names a Task without TimeoutSeconds, and one whose timeout does not exceed its function, inside Map and Parallel too', () => {
    // Prepare
    const definition = {
      States: {
        Investigate: {
          Type: 'Map',
          ItemProcessor: { States: { Record: lambdaTask('RecordLambdaFunction') } },
        },
        Gather: {
          Type: 'Parallel',
          Branches: [{ States: { RecordFailure: lambdaTask('RecordLambdaFunction', 50) } }],
        },
      },
    };
    // Act
    const report = checkTaskTimeouts(definition, FUNCTIONS, getAtt);
    // Assess
    expect(report.violations).toEqual([
      expect.stringMatching(/^Record: no TimeoutSeconds/),
      expect.stringMatching(
        /^RecordFailure: TimeoutSeconds 50 does not exceed RecordLambdaFunction's timeout 50 s/,
      ),
    ]);
  });

  it('names a task-token wait without a timeout, with an unbounded path, or longer than a day', () => {
    // Prepare
    const definition = {
      States: {
        Forever: callbackTask('AskLambdaFunction', {}),
        Unbounded: callbackTask('AskLambdaFunction', { TimeoutSecondsPath: '$.whatever' }),
        TooLong: callbackTask('AskLambdaFunction', { TimeoutSeconds: 2 * 86_400 }),
        Bounded: callbackTask('AskLambdaFunction', {
          TimeoutSecondsPath: '$.settings.approvalTimeoutSeconds',
        }),
      },
    };
    // Act
    const report = checkTaskTimeouts(definition, FUNCTIONS, getAtt, {
      '$.settings.approvalTimeoutSeconds': 86_400,
    });
    // Assess
    expect(report.violations).toEqual([
      expect.stringMatching(/^Forever: no TimeoutSeconds/),
      expect.stringMatching(/^Unbounded: TimeoutSecondsPath \$\.whatever is not bounded/),
      expect.stringMatching(/^TooLong: waits up to 172800 s/),
    ]);
  });
});

describe('Jira that never answers, against the time the function has left', () => {
  let jira: SilentJira;
  let moto: LocalMoto;

  beforeAll(async () => {
    [jira, moto] = await Promise.all([startSilentJira(), startMoto()]);
    // Jira's own timeout stays at its default (8 s): only the deadline can stop it in time.
    configureEnvironment(moto.endpoint, {
      baseUrl: jira.baseUrl,
      email: 'medic@example.com',
      token: 'local-token',
      project: 'OPS',
    });
    process.env.MEDIC_LOG_LEVEL = 'SILENT';
    const clientConfig = { endpoint: moto.endpoint, region: 'us-east-1' };
    process.env.MEDIC_STAKEHOLDER_TOPIC_ARN = await ensureTopic(
      new SNSClient(clientConfig),
      new SQSClient(clientConfig),
    );
    process.env.MEDIC_SAFETY_TABLE =
      (await ensureTables(new DynamoDBClient(clientConfig))).get('SafetyTable') ?? '';
  });
  afterAll(async () => {
    await Promise.all([jira?.close(), moto?.stop()]);
  });

  it('the adapter stops retrying when the deadline passes, whatever its 8 s timeout and 3 attempts allow', async () => {
    // Prepare
    const tickets = localTickets(jira, { timeoutMs: 8_000, deadline: deadlineIn(1_500) });
    const started = performance.now();
    // Act
    const error = await tickets.search(['medic']).catch((e: Error) => e);
    const ms = performance.now() - started;
    // Assess
    expect((error as Error).name).toMatch(/^(DeadlineExceededError|JiraUnavailableError)$/);
    expect(ms).toBeGreaterThan(1_000);
    expect(ms).toBeLessThan(2_500);
  });

  it('Record with 5 s left: Jira is tried and cut off, the outbox entry and the SNS message still happen in time', async () => {
    // Prepare: a Lambda context whose remaining time runs out 5 s from now
    const { handler } = await import('../functions/close.ts');
    const state = resolvedIncident({ incidentId: 'medic-deadline-test-1' });
    const budgetMs = 5_000;
    const started = Date.now();
    const context = {
      functionName: 'medic-test-record',
      awsRequestId: 'deadline-test',
      getRemainingTimeInMillis: () => budgetMs - (Date.now() - started),
    };
    const before = jira.connections();
    // Act
    const recorded = (await handler({ state, executionName: state.incidentId }, context as never)) as {
      ticket: unknown;
      timeline: { summary: string }[];
    };
    const elapsed = Date.now() - started;
    // Assess: done within the function's time, Jira was really tried
    expect(elapsed).toBeLessThan(budgetMs);
    expect(jira.connections()).toBeGreaterThan(before);
    expect(recorded.ticket).toBeNull();
    expect(recorded.timeline.map((e) => e.summary)).toContain(
      'the ticket is queued in the outbox and will be filed when Jira answers',
    );
    // Assess: the outbox entry is in the safety table
    const dynamo = new DynamoDBClient({ endpoint: moto.endpoint, region: 'us-east-1' });
    const items = await dynamo.send(new ScanCommand({ TableName: process.env.MEDIC_SAFETY_TABLE }));
    const outbox = (items.Items ?? []).filter((i) => i.pk?.S === 'OUTBOX');
    expect(outbox.map((i) => i.sk?.S)).toEqual(['medic-deadline-test-1']);
    // Assess: the stakeholders got the final message
    const messages = await inboxMessages(moto.endpoint);
    expect(messages.map((m) => m.subject)).toEqual([expect.stringMatching(/^\[medic\] RESOLVED: web-1/)]);
    expect(messages[0]?.body).toContain('Ticket: not filed');
  }, 20_000);
});
