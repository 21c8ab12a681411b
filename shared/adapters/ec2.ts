/** EC2 adapter: the one place medic talks to EC2. */
import {
  AssociateAddressCommand,
  DescribeAddressesCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  type DescribeInstancesCommandOutput,
  DescribeSpotInstanceRequestsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  type EC2Client,
  GetConsoleOutputCommand,
  RebootInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { Ec2Evidence } from '../domain/model.ts';
import { InstanceNotFoundError, StopNotAllowedError } from '../errors.ts';
import type { Ec2ActionsPort, Ec2Port, InstanceInfo, VpcPort } from '../ports.ts';
import { callAws } from './aws-errors.ts';

function isDryRunSuccess(error: unknown): boolean {
  return (error as { name?: string }).name === 'DryRunOperation';
}

/** Runs a mutating call; with dryRun, EC2's DryRunOperation answer is the success. */
async function mutate(what: string, dryRun: boolean, call: () => Promise<unknown>): Promise<void> {
  try {
    await callAws(what, call);
  } catch (error) {
    if (dryRun && isDryRunSuccess(error)) return;
    throw error;
  }
}

/** EC2's answers when an instance cannot be stopped (stop protection, instance-store root, type). */
const STOP_REFUSED = new Set(['UnsupportedOperation', 'OperationNotPermitted', 'IncorrectInstanceState']);

type Ec2Adapter = Ec2Port & Ec2ActionsPort;

// One factory per call, so a function that makes three EC2 calls bundles only their schemas
// (with every EC2 operation medic uses, failover is over its bundle budget).
/** At most this many of each attached resource are carried (the state stays small). */
const MAX_ATTACHED = 5;
const ids = (list: (string | undefined)[]): string[] =>
  [...new Set(list.filter((x): x is string => Boolean(x)))].slice(0, MAX_ATTACHED);

export const describeInstancesWith =
  (client: EC2Client): Ec2Adapter['describeInstances'] =>
  async (instanceIds) => {
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
          publicIp: i.PublicIpAddress ?? null,
          attached: {
            securityGroups: ids((i.SecurityGroups ?? []).map((g) => g.GroupId)),
            networkInterfaces: ids((i.NetworkInterfaces ?? []).map((n) => n.NetworkInterfaceId)),
            volumes: ids((i.BlockDeviceMappings ?? []).map((b) => b.Ebs?.VolumeId)),
          },
        });
      }
    }
    const missing = instanceIds.filter((id) => !found.some((f) => f.instanceId === id));
    if (missing.length > 0) throw new InstanceNotFoundError(`instance not found: ${missing.join(', ')}`);
    return found;
  };

export const describeHealthWith =
  (client: EC2Client): Ec2Adapter['describeHealth'] =>
  async (instanceId): Promise<Ec2Evidence> => {
    const [described] = await describeInstancesWith(client)([instanceId]);
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
  };

export const rebootWith =
  (client: EC2Client): Ec2Adapter['reboot'] =>
  async (instanceId, { dryRun }) => {
    await mutate('RebootInstances', dryRun, () =>
      client.send(new RebootInstancesCommand({ InstanceIds: [instanceId], DryRun: dryRun })),
    );
  };

export const instanceStateWith =
  (client: EC2Client): Ec2Adapter['instanceState'] =>
  async (instanceId) => {
    const out = await callAws('DescribeInstances', () =>
      client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })),
    );
    const i = out.Reservations?.[0]?.Instances?.[0];
    if (!i) throw new InstanceNotFoundError(`instance not found: ${instanceId}`);
    const reason = i.StateReason?.Code
      ? { code: i.StateReason.Code, message: i.StateReason.Message ?? '' }
      : null;
    return {
      state: i.State?.Name ?? 'unknown',
      rootDeviceType: i.RootDeviceType ?? null,
      lifecycle: i.InstanceLifecycle ?? null,
      spotRequestId: i.SpotInstanceRequestId ?? null,
      autoScalingGroup: i.Tags?.find((t) => t.Key === 'aws:autoscaling:groupName')?.Value ?? null,
      stateReason: reason,
      launchTime: i.LaunchTime?.toISOString() ?? null,
    };
  };

export const spotRequestTypeWith =
  (client: EC2Client): Ec2Adapter['spotRequestType'] =>
  async (spotRequestId) => {
    const out = await callAws('DescribeSpotInstanceRequests', () =>
      client.send(new DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [spotRequestId] })),
    );
    return out.SpotInstanceRequests?.[0]?.Type ?? null;
  };

export const stopWith =
  (client: EC2Client): Ec2Adapter['stop'] =>
  async (instanceId, { dryRun }) => {
    try {
      await mutate('StopInstances', dryRun, () =>
        client.send(new StopInstancesCommand({ InstanceIds: [instanceId], DryRun: dryRun })),
      );
    } catch (error) {
      const name = (error as { name?: string }).name ?? '';
      if (STOP_REFUSED.has(name))
        throw new StopNotAllowedError(
          `EC2 refused to stop ${instanceId}: ${name}: ${(error as Error).message}`,
        );
      throw error;
    }
  };

export const startWith =
  (client: EC2Client): Ec2Adapter['start'] =>
  async (instanceId, { dryRun }) => {
    await mutate('StartInstances', dryRun, () =>
      client.send(new StartInstancesCommand({ InstanceIds: [instanceId], DryRun: dryRun })),
    );
  };

export const consoleOutputWith =
  (client: EC2Client): Ec2Adapter['consoleOutput'] =>
  async (instanceId) => {
    const out = await callAws('GetConsoleOutput', () =>
      client.send(new GetConsoleOutputCommand({ InstanceId: instanceId, Latest: true })),
    );
    if (!out.Output) return null;
    // EC2 returns base64; some emulators return the text itself.
    return /^[A-Za-z0-9+/=\s]+$/.test(out.Output)
      ? Buffer.from(out.Output, 'base64').toString('utf8')
      : out.Output;
  };

export const elasticIpOfWith =
  (client: EC2Client): Ec2Adapter['elasticIpOf'] =>
  async (instanceId) => {
    const out = await callAws('DescribeAddresses', () =>
      client.send(new DescribeAddressesCommand({ Filters: [{ Name: 'instance-id', Values: [instanceId] }] })),
    );
    const a = out.Addresses?.find((x) => x.AllocationId);
    if (!a?.AllocationId) return null;
    const tags = Object.fromEntries((a.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
    return { allocationId: a.AllocationId, publicIp: a.PublicIp ?? '', tags };
  };

export const associateElasticIpWith =
  (client: EC2Client): Ec2Adapter['associateElasticIp'] =>
  async (allocationId, instanceId, { dryRun }) => {
    await mutate('AssociateAddress', dryRun, () =>
      client.send(
        new AssociateAddressCommand({
          AllocationId: allocationId,
          InstanceId: instanceId,
          AllowReassociation: true,
          DryRun: dryRun,
        }),
      ),
    );
  };

/** The probe functions' VPC, for the vantage proof's default control target (its DNS resolver). */
export const vpcCidrOfSubnetWith =
  (client: EC2Client): VpcPort['vpcCidrOfSubnet'] =>
  async (subnetId) => {
    const subnets = await callAws('DescribeSubnets', () =>
      client.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] })),
    );
    const vpcId = subnets.Subnets?.[0]?.VpcId;
    if (!vpcId) return null;
    const vpcs = await callAws('DescribeVpcs', () =>
      client.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })),
    );
    // CidrBlock is the primary IPv4 CIDR: the one whose base + 2 is the Amazon DNS server.
    return vpcs.Vpcs?.[0]?.CidrBlock ?? null;
  };

export function ec2Adapter(client: EC2Client): Ec2Adapter {
  return {
    describeInstances: describeInstancesWith(client),
    describeHealth: describeHealthWith(client),
    reboot: rebootWith(client),
    instanceState: instanceStateWith(client),
    spotRequestType: spotRequestTypeWith(client),
    stop: stopWith(client),
    start: startWith(client),
    consoleOutput: consoleOutputWith(client),
    elasticIpOf: elasticIpOfWith(client),
    associateElasticIp: associateElasticIpWith(client),
  };
}
