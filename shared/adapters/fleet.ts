/** The opted-in fleet: every non-terminated instance tagged medic:managed=true (paginated, bounded). */
import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { callAws } from './aws-errors.ts';

export interface FleetInstance {
  instanceId: string;
  name: string | null;
  state: string;
  availabilityZone: string | null;
  /** From the aws:autoscaling:groupName tag EC2 Auto Scaling puts on its instances. */
  autoScalingGroup: string | null;
  tags: Record<string, string>;
}

export const MAX_FLEET = 5_000;

export async function managedFleet(client: EC2Client): Promise<FleetInstance[]> {
  const found: FleetInstance[] = [];
  let NextToken: string | undefined;
  for (let page = 0; page < 50 && found.length < MAX_FLEET; page++) {
    const out = await callAws('DescribeInstances', () =>
      client.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: 'tag:medic:managed', Values: ['true'] },
            { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
          ],
          MaxResults: 500,
          NextToken,
        }),
      ),
    );
    for (const reservation of out.Reservations ?? []) {
      for (const i of reservation.Instances ?? []) {
        if (!i.InstanceId) continue;
        const tags = Object.fromEntries((i.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
        found.push({
          instanceId: i.InstanceId,
          name: tags.Name ?? null,
          state: i.State?.Name ?? 'unknown',
          availabilityZone: i.Placement?.AvailabilityZone ?? null,
          autoScalingGroup: tags['aws:autoscaling:groupName'] ?? null,
          tags,
        });
      }
    }
    NextToken = out.NextToken;
    if (!NextToken) break;
  }
  return found.sort((a, b) => a.instanceId.localeCompare(b.instanceId));
}
