/** EC2 adapter: the one place medic talks to EC2. */
import {
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  type DescribeInstancesCommandOutput,
  type EC2Client,
  RebootInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { Ec2Evidence } from '../domain/model.ts';
import { InstanceNotFoundError } from '../errors.ts';
import type { Ec2Port, InstanceInfo } from '../ports.ts';
import { callAws } from './aws-errors.ts';

function isDryRunSuccess(error: unknown): boolean {
  return (error as { name?: string }).name === 'DryRunOperation';
}

export function ec2Adapter(client: EC2Client): Ec2Port {
  return {
    async describeInstances(instanceIds) {
      let reservations: DescribeInstancesCommandOutput;
      try {
        reservations = await callAws('DescribeInstances', () =>
          client.send(new DescribeInstancesCommand({ InstanceIds: instanceIds })),
        );
      } catch (error) {
        if ((error as { name?: string }).name === 'InvalidInstanceID.NotFound') {
          throw new InstanceNotFoundError(
            `instance not found: ${instanceIds.join(', ')} (${(error as Error).message})`,
          );
        }
        throw error;
      }
      const found: InstanceInfo[] = [];
      for (const reservation of reservations.Reservations ?? []) {
        for (const i of reservation.Instances ?? []) {
          if (!i.InstanceId) continue;
          found.push({
            instanceId: i.InstanceId,
            state: i.State?.Name ?? 'unknown',
            tags: Object.fromEntries((i.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
            availabilityZone: i.Placement?.AvailabilityZone ?? null,
            instanceType: i.InstanceType ?? null,
            privateIp: i.PrivateIpAddress ?? null,
          });
        }
      }
      const missing = instanceIds.filter((id) => !found.some((f) => f.instanceId === id));
      if (missing.length > 0) throw new InstanceNotFoundError(`instance not found: ${missing.join(', ')}`);
      return found;
    },

    async describeHealth(instanceId): Promise<Ec2Evidence> {
      const [described] = await this.describeInstances([instanceId]);
      const status = await callAws('DescribeInstanceStatus', () =>
        client.send(
          new DescribeInstanceStatusCommand({ InstanceIds: [instanceId], IncludeAllInstances: true }),
        ),
      );
      const s = status.InstanceStatuses?.[0];
      return {
        state: described?.state ?? 'unknown',
        instanceType: described?.instanceType ?? null,
        availabilityZone: described?.availabilityZone ?? null,
        // EC2 Auto Scaling tags every instance it launches or attaches; no extra call or client.
        autoScalingGroup: described?.tags['aws:autoscaling:groupName'] ?? null,
        systemStatus: s?.SystemStatus?.Status ?? 'not-applicable',
        instanceStatus: s?.InstanceStatus?.Status ?? 'not-applicable',
        scheduledEvents: (s?.Events ?? []).map((e) => ({
          code: e.Code ?? 'unknown',
          description: e.Description ?? '',
          notBefore: e.NotBefore ? e.NotBefore.toISOString() : null,
        })),
      };
    },

    async reboot(instanceId, { dryRun }) {
      try {
        await callAws('RebootInstances', () =>
          client.send(new RebootInstancesCommand({ InstanceIds: [instanceId], DryRun: dryRun })),
        );
      } catch (error) {
        if (dryRun && isDryRunSuccess(error)) return;
        throw error;
      }
    },
  };
}
