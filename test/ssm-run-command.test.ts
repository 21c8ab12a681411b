// The one SSM Run Command adapter serves two ports: the read-only evidence commands and the
// ladder's service restart. What each sends is what the IAM policy and the SSM console show (the
// document, the comment, the timeouts), so the requests are checked as SSM receives them; and
// right after SendCommand, SSM answers InvocationDoesNotExist for a while (eventual consistency),
// which both ports must read as "still running", never as a failure. Unit test: the SSM client
// is mocked (aws-sdk-client-mock), no network.
import {
  GetCommandInvocationCommand,
  InvocationDoesNotExist,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { runCommandAdapter, serviceRestartAdapter } from '../shared/adapters/ssm-run-command.ts';
import { READ_ONLY_COMMAND_COMMENT } from '../shared/domain/host-output.ts';

const ssm = mockClient(SSMClient);
afterEach(() => ssm.reset());
const client = () => new SSMClient({ region: 'us-east-1' });
const notYet = () =>
  new InvocationDoesNotExist({ message: 'no such invocation', $metadata: { httpStatusCode: 400 } });

describe('SSM Run Command adapter', () => {
  it('restarts a unit with AWS-RunShellScript, a 60 s delivery timeout and a comment naming the unit', async () => {
    // Prepare
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });
    // Act
    const id = await serviceRestartAdapter(client()).restartService('i-0abc', 'nginx.service');
    // Assess
    expect(id).toBe('cmd-1');
    expect(ssm.commandCalls(SendCommandCommand).map((c) => c.args[0].input)).toEqual([
      {
        InstanceIds: ['i-0abc'],
        DocumentName: 'AWS-RunShellScript',
        Comment: 'medic: restart nginx.service',
        TimeoutSeconds: 60,
        Parameters: { commands: ['systemctl restart nginx.service', 'systemctl is-active nginx.service'] },
      },
    ]);
  });

  it('refuses a unit name that is not one before anything reaches SSM', async () => {
    // Act
    const error = await serviceRestartAdapter(client())
      .restartService('i-0abc', 'nginx; rm -rf /')
      .catch((e: Error) => e);
    // Assess
    expect((error as Error).message).toMatch(/not a systemd unit name/);
    expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0);
  });

  it('sends the evidence script read-only-labelled, with SSM and script timeouts of at least 30 s and 5 s', async () => {
    // Prepare
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-2' } });
    // Act
    await runCommandAdapter(client()).send('i-0abc', ['uptime'], 3);
    // Assess
    expect(ssm.commandCalls(SendCommandCommand)[0]?.args[0].input).toEqual({
      InstanceIds: ['i-0abc'],
      DocumentName: 'AWS-RunShellScript',
      Comment: READ_ONLY_COMMAND_COMMENT,
      TimeoutSeconds: 30,
      Parameters: { commands: ['uptime'], executionTimeout: ['5'] },
    });
  });

  it('an invocation SSM does not show yet is pending for the restart and null for the evidence', async () => {
    // Prepare
    ssm.on(GetCommandInvocationCommand).rejects(notYet());
    // Act
    const restart = await serviceRestartAdapter(client()).commandStatus('cmd-1', 'i-0abc');
    const evidence = await runCommandAdapter(client()).invocation('cmd-2', 'i-0abc');
    // Assess
    expect(restart).toEqual({ status: 'pending', detail: 'invocation not registered yet' });
    expect(evidence).toBeNull();
  });

  it('reads an ended restart as success or failed, with the output in the detail', async () => {
    // Prepare
    ssm
      .on(GetCommandInvocationCommand, { CommandId: 'ok' })
      .resolves({ Status: 'Success', StandardOutputContent: 'active' })
      .on(GetCommandInvocationCommand, { CommandId: 'bad' })
      .resolves({ Status: 'Failed', StandardErrorContent: 'Unit nginx.service not found.' })
      .on(GetCommandInvocationCommand, { CommandId: 'slow' })
      .resolves({ Status: 'InProgress' });
    const port = serviceRestartAdapter(client());
    // Act
    const answers = await Promise.all(['ok', 'bad', 'slow'].map((id) => port.commandStatus(id, 'i-0abc')));
    // Assess
    expect(answers).toEqual([
      { status: 'success', detail: 'Success: active' },
      { status: 'failed', detail: 'Failed: Unit nginx.service not found.' },
      { status: 'pending', detail: 'InProgress' },
    ]);
  });
});
