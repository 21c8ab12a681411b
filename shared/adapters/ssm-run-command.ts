/** SSM Run Command adapter: agent inventory, AWS-RunShellScript, invocation output. */
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  SendCommandCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { READ_ONLY_COMMAND_COMMENT } from '../domain/host-output.ts';
import type { RunCommandPort } from '../ports.ts';
import { callAws } from './aws-errors.ts';

export function runCommandAdapter(client: SSMClient): RunCommandPort {
  return {
    async agentStatus(instanceId) {
      const res = await callAws('DescribeInstanceInformation', () =>
        client.send(
          new DescribeInstanceInformationCommand({
            Filters: [{ Key: 'InstanceIds', Values: [instanceId] }],
          }),
        ),
      );
      const info = res.InstanceInformationList?.find((i) => i.InstanceId === instanceId);
      if (!info) return null;
      return {
        pingStatus: info.PingStatus ?? 'Unknown',
        lastPing: info.LastPingDateTime ? info.LastPingDateTime.toISOString() : null,
      };
    },

    async send(instanceId, commands, timeoutSeconds) {
      const res = await callAws('SendCommand', () =>
        client.send(
          new SendCommandCommand({
            InstanceIds: [instanceId],
            DocumentName: 'AWS-RunShellScript',
            Comment: READ_ONLY_COMMAND_COMMENT,
            TimeoutSeconds: Math.max(30, timeoutSeconds),
            Parameters: { commands, executionTimeout: [String(Math.max(5, timeoutSeconds))] },
          }),
        ),
      );
      const id = res.Command?.CommandId;
      if (!id) throw new Error('SendCommand returned no command id');
      return id;
    },

    async invocation(commandId, instanceId) {
      try {
        const res = await callAws('GetCommandInvocation', () =>
          client.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId })),
        );
        return {
          status: res.Status ?? 'Pending',
          stdout: res.StandardOutputContent ?? '',
          stderr: res.StandardErrorContent ?? '',
          responseCode: res.ResponseCode ?? -1,
        };
      } catch (error) {
        if ((error as { name?: string }).name === 'InvocationDoesNotExist') return null;
        throw error;
      }
    },
  };
}
