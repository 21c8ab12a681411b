/**
 * The local stand-in for Step Functions' task-token callbacks (approve mode): the real SDK client, as
 * the approval function uses it, must resume a waiting task and get Step Functions' own error names
 * for a token that is not waiting — the approval function turns those into "too late".
 */
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CallbackServer, startCallbackServer } from '../local/engine.ts';

let server: CallbackServer;
let sfn: SFNClient;

beforeAll(async () => {
  server = await startCallbackServer();
  sfn = new SFNClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 't', secretAccessKey: 't' },
  });
});
afterAll(async () => {
  await server.close();
});

describe('local task-token callbacks', () => {
  it('SendTaskSuccess resumes the waiting task with its output', async () => {
    // Prepare
    const waiting = server.expect('token-1');
    // Act
    await sfn.send(new SendTaskSuccessCommand({ taskToken: 'token-1', output: '{"decision":"approve"}' }));
    // Assess
    await expect(waiting).resolves.toEqual({ decision: 'approve' });
  });

  it('SendTaskFailure fails the waiting task with the given error name (what the ASL Catch records)', async () => {
    // Prepare
    const waiting = server.expect('token-2');
    waiting.catch(() => undefined);
    // Act
    await sfn.send(
      new SendTaskFailureCommand({ taskToken: 'token-2', error: 'ApprovalRejected', cause: 'no' }),
    );
    // Assess
    await expect(waiting).rejects.toMatchObject({ name: 'ApprovalRejected', message: 'no' });
  });

  it('answers a second decision with TaskTimedOut and an unknown token with TaskDoesNotExist', async () => {
    // Prepare
    const waiting = server.expect('token-3');
    await sfn.send(new SendTaskSuccessCommand({ taskToken: 'token-3', output: '{}' }));
    await waiting;
    // Act
    const again = sfn.send(new SendTaskSuccessCommand({ taskToken: 'token-3', output: '{}' }));
    const unknown = sfn.send(new SendTaskSuccessCommand({ taskToken: 'never-issued', output: '{}' }));
    // Assess
    await expect(again).rejects.toMatchObject({ name: 'TaskTimedOut' });
    await expect(unknown).rejects.toMatchObject({ name: 'TaskDoesNotExist' });
  });

  it('lets a token expire with the task timeout: a late answer gets TaskTimedOut', async () => {
    // Prepare
    const waiting = server.expect('token-4', 50);
    waiting.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 150));
    // Act
    const late = sfn.send(new SendTaskSuccessCommand({ taskToken: 'token-4', output: '{}' }));
    // Assess
    await expect(late).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });
});
