/** SSM Run Command adapter (issue #4): restart a systemd unit and follow the command to its end. */
import { GetCommandInvocationCommand, SendCommandCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { CommandStatus, ServiceRestartPort } from '../ports.ts';
import { callAws } from './aws-errors.ts';

/** A unit name as systemd accepts it; anything else is refused before it reaches a shell. */
const UNIT = /^[A-Za-z0-9@._:-]{1,128}$/;

const PENDING = new Set(['Pending', 'InProgress', 'Delayed']);

export function serviceRestartAdapter(client: SSMClient): ServiceRestartPort {
  return {
    async restartService(instanceId, unit) {
      if (!UNIT.test(unit)) throw new Error(`refusing to restart "${unit}": not a systemd unit name`);
      const out = await callAws('SendCommand', () =>
        client.send(
          new SendCommandCommand({
            InstanceIds: [instanceId],
            DocumentName: 'AWS-RunShellScript',
            Comment: `medic: restart ${unit}`.slice(0, 100),
            TimeoutSeconds: 60,
            Parameters: {
              commands: [`systemctl restart ${unit}`, `systemctl is-active ${unit}`],
            },
          }),
        ),
      );
      const id = out.Command?.CommandId;
      if (!id) throw new Error('SSM SendCommand returned no command id');
      return id;
    },

    async commandStatus(commandId, instanceId) {
      try {
        const out = await callAws('GetCommandInvocation', () =>
          client.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId })),
        );
        const raw = out.Status ?? 'Pending';
        const status: CommandStatus = PENDING.has(raw) ? 'pending' : raw === 'Success' ? 'success' : 'failed';
        const text = [out.StandardOutputContent, out.StandardErrorContent].filter(Boolean).join(' | ');
        return { status, detail: `${raw}${text ? `: ${text.slice(0, 300)}` : ''}` };
      } catch (error) {
        // Right after SendCommand the invocation may not exist yet: that is "still pending".
        if ((error as { name?: string }).name === 'InvocationDoesNotExist')
          return { status: 'pending', detail: 'invocation not registered yet' };
        throw error;
      }
    },
  };
}
