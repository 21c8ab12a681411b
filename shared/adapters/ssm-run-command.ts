/**
 * SSM Run Command: SendCommand (AWS-RunShellScript), GetCommandInvocation, DescribeInstanceInformation.
 * One adapter for the two ports that run a shell script on an instance: the read-only evidence
 * commands (RunCommandPort: evidence-host, verify) and the service restart of the ladder
 * (ServiceRestartPort: restart-service). Both send the same document and read the same invocation;
 * they differ only in what they send and how they report it. Each port is its own factory, so a
 * function bundles only the calls its port makes.
 */
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  ListCommandsCommand,
  SendCommandCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { READ_ONLY_COMMAND_COMMENT } from '../domain/host-output.ts';
import type { CommandHistoryPort, CommandStatus, RunCommandPort, ServiceRestartPort } from '../ports.ts';
import { callAws } from './aws-errors.ts';

/** A unit name as systemd accepts it; anything else is refused before it reaches a shell. */
const UNIT = /^[A-Za-z0-9@._:-]{1,128}$/;

/** Invocation states that have not ended yet. */
const PENDING = new Set(['Pending', 'InProgress', 'Delayed']);

/** AWS-RunShellScript on one instance; returns the command id. */
async function runShellScript(
  client: SSMClient,
  instanceId: string,
  script: { commands: string[]; comment: string; timeoutSeconds: number; executionTimeoutSeconds?: number },
): Promise<string> {
  const out = await callAws('SendCommand', () =>
    client.send(
      new SendCommandCommand({
        InstanceIds: [instanceId],
        DocumentName: 'AWS-RunShellScript',
        Comment: script.comment,
        TimeoutSeconds: script.timeoutSeconds,
        Parameters: {
          commands: script.commands,
          ...(script.executionTimeoutSeconds === undefined
            ? {}
            : { executionTimeout: [String(script.executionTimeoutSeconds)] }),
        },
      }),
    ),
  );
  const id = out.Command?.CommandId;
  if (!id) throw new Error('SSM SendCommand returned no command id');
  return id;
}

/**
 * The invocation of a command on an instance; null while SSM does not show it yet (right after
 * SendCommand it may not exist: SSM is eventually consistent, and that is "still pending").
 */
async function invocationOf(
  client: SSMClient,
  commandId: string,
  instanceId: string,
): Promise<GetCommandInvocationCommandOutput | null> {
  try {
    return await callAws('GetCommandInvocation', () =>
      client.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId })),
    );
  } catch (error) {
    if ((error as { name?: string }).name === 'InvocationDoesNotExist') return null;
    throw error;
  }
}

/** The read-only evidence commands and the SSM agent's inventory. */
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

    send(instanceId, commands, timeoutSeconds) {
      return runShellScript(client, instanceId, {
        commands,
        comment: READ_ONLY_COMMAND_COMMENT,
        timeoutSeconds: Math.max(30, timeoutSeconds),
        executionTimeoutSeconds: Math.max(5, timeoutSeconds),
      });
    },

    async invocation(commandId, instanceId) {
      const res = await invocationOf(client, commandId, instanceId);
      if (!res) return null;
      return {
        status: res.Status ?? 'Pending',
        stdout: res.StandardOutputContent ?? '',
        stderr: res.StandardErrorContent ?? '',
        responseCode: res.ResponseCode ?? -1,
      };
    },
  };
}

/** The ladder's service restart: `systemctl restart <unit>`, followed to its end by the ASL. */
export function serviceRestartAdapter(client: SSMClient): ServiceRestartPort {
  return {
    restartService(instanceId, unit) {
      if (!UNIT.test(unit))
        return Promise.reject(new Error(`refusing to restart "${unit}": not a systemd unit name`));
      return runShellScript(client, instanceId, {
        commands: [`systemctl restart ${unit}`, `systemctl is-active ${unit}`],
        comment: `medic: restart ${unit}`.slice(0, 100),
        timeoutSeconds: 60,
      });
    },

    async commandStatus(commandId, instanceId) {
      const out = await invocationOf(client, commandId, instanceId);
      if (!out) return { status: 'pending', detail: 'invocation not registered yet' };
      const raw = out.Status ?? 'Pending';
      const status: CommandStatus = PENDING.has(raw) ? 'pending' : raw === 'Success' ? 'success' : 'failed';
      const text = [out.StandardOutputContent, out.StandardErrorContent].filter(Boolean).join(' | ');
      return { status, detail: `${raw}${text ? `: ${text.slice(0, 300)}` : ''}` };
    },
  };
}

/** The commands SSM ran on an instance lately (patching, configuration): the recent-changes evidence. */
export function commandHistoryAdapter(client: SSMClient): CommandHistoryPort {
  return {
    async commands(instanceId, { start, limit }) {
      const out = await callAws('ListCommands', () =>
        client.send(
          new ListCommandsCommand({
            InstanceId: instanceId,
            Filters: [{ key: 'InvokedAfter', value: start.toISOString() }],
            MaxResults: Math.min(limit, 50),
          }),
        ),
      );
      // The filter is applied here too: not every backend honours it.
      return (out.Commands ?? [])
        .filter((c) => c.RequestedDateTime && c.RequestedDateTime.getTime() >= start.getTime())
        .sort((a, b) => (b.RequestedDateTime as Date).getTime() - (a.RequestedDateTime as Date).getTime())
        .slice(0, limit)
        .map((c) => ({
          at: (c.RequestedDateTime as Date).toISOString(),
          commandId: c.CommandId ?? '',
          documentName: c.DocumentName ?? 'unknown',
          status: c.Status ?? 'unknown',
          comment: c.Comment ?? '',
        }));
    },
  };
}
