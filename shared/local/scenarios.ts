/**
 * Scenarios for `medic simulate --scenario NAME`: seed moto with a small fleet, start loopback
 * stand-ins for the hosts, and produce the alarm event. The "world" reacts like real hosts do:
 * when a RebootInstances call for a host reaches moto, the host comes back after a short boot.
 */
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  type EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { LocalMoto } from './moto.ts';
import { type FakeHost, type HostMode, startFakeHost } from './probe-servers.ts';

export interface ScenarioWorld {
  event: unknown;
  /** Issue #5: a storm scenario delivers one alarm event per instance, all at once. */
  events?: unknown[];
  instanceIds: string[];
  /** Called once the run is over: stops watchers and fake hosts. */
  teardown(): Promise<void>;
  /** Issue #5: put a host back into a state (e.g. hung again for the next incident). */
  setMode?(instanceId: string, mode: HostMode): Promise<void>;
}

export interface ScenarioContext {
  ec2: EC2Client;
  moto: Pick<LocalMoto, 'calls'>;
  now: Date;
}

interface HostSpec {
  name: string;
  managed: boolean;
  mode: HostMode;
  /** What a reboot does to this host (default: comes back healthy). */
  afterReboot?: HostMode;
}

interface ScenarioSpec {
  description: string;
  hosts: HostSpec[];
  alarm: { name: string; metric: string; reason: string };
  /** Issue #5: N instances (--instances, default 200) alarm at once; no fake hosts are started. */
  storm?: { defaultInstances: number };
}

export const SCENARIOS: Record<string, ScenarioSpec> = {
  unreachable: {
    description:
      'an opted-in web server stops answering (TCP accepted, no SSH banner, health hangs); a reboot fixes it',
    hosts: [{ name: 'web-1', managed: true, mode: 'hung', afterReboot: 'healthy' }],
    alarm: {
      name: 'web-1 status check failed',
      metric: 'StatusCheckFailed',
      reason:
        'Threshold Crossed: 2 out of the last 2 datapoints [1.0, 1.0] were greater than or equal to the threshold (1.0).',
    },
  },
  healthy: {
    description: 'the alarm fired but every check passes now: medic closes it as self-recovered, no action',
    hosts: [{ name: 'web-2', managed: true, mode: 'healthy' }],
    alarm: {
      name: 'web-2 status check failed',
      metric: 'StatusCheckFailed',
      reason:
        'Threshold Crossed: 1 out of the last 1 datapoints [1.0] was greater than or equal to the threshold (1.0).',
    },
  },
  'not-opted-in': {
    description: 'a hung host without medic:managed=true: evidence, ticket and a page, but no action',
    hosts: [{ name: 'db-1', managed: false, mode: 'hung' }],
    alarm: {
      name: 'db-1 status check failed',
      metric: 'StatusCheckFailed',
      reason:
        'Threshold Crossed: 2 out of the last 2 datapoints [1.0, 1.0] were greater than or equal to the threshold (1.0).',
    },
  },
  'reboot-does-not-help': {
    description:
      'a hung host that stays hung after the reboot: medic verifies, moves down the ladder and pages',
    hosts: [{ name: 'web-3', managed: true, mode: 'hung', afterReboot: 'hung' }],
    alarm: {
      name: 'web-3 status check failed',
      metric: 'StatusCheckFailed',
      reason:
        'Threshold Crossed: 2 out of the last 2 datapoints [1.0, 1.0] were greater than or equal to the threshold (1.0).',
    },
  },
};

// ---- issue #5: alarm storm ----
SCENARIOS.storm = {
  description:
    'an alarm storm: N opted-in instances (--instances, default 200) alarm within seconds; the fleet guard must trip',
  hosts: [],
  alarm: {
    name: 'storm status check failed',
    metric: 'StatusCheckFailed',
    reason:
      'Threshold Crossed: 2 out of the last 2 datapoints [1.0, 1.0] were greater than or equal to the threshold (1.0).',
  },
  storm: { defaultInstances: 200 },
};

/** A TCP port on 127.0.0.1 that nothing listens on: storm hosts refuse connections at once. */
const CLOSED_PORT = 9;

async function setupStorm(spec: ScenarioSpec, ctx: ScenarioContext, count: number): Promise<ScenarioWorld> {
  const { subnetId, imageId } = await seedNetwork(ctx.ec2);
  const run = await ctx.ec2.send(
    new RunInstancesCommand({
      ImageId: imageId,
      InstanceType: 't3.micro',
      MinCount: count,
      MaxCount: count,
      SubnetId: subnetId,
      TagSpecifications: [
        {
          ResourceType: 'instance',
          Tags: [
            { Key: 'Name', Value: 'storm-host' },
            { Key: 'medic:managed', Value: 'true' },
            { Key: 'medic:probe-address', Value: '127.0.0.1' },
            { Key: 'medic:ports', Value: String(CLOSED_PORT) },
          ],
        },
      ],
    }),
  );
  const ids = (run.Instances ?? []).flatMap((i) => (i.InstanceId ? [i.InstanceId] : []));
  const events = ids.map((instanceId, i) =>
    alarmEvent({
      alarmName: `storm-${String(i + 1).padStart(3, '0')} ${spec.alarm.name}`,
      metric: spec.alarm.metric,
      reason: spec.alarm.reason,
      instanceId,
      at: new Date(ctx.now.getTime() + i),
    }),
  );
  return { event: events[0], events, instanceIds: ids, teardown: async () => undefined };
}

export function alarmEvent(options: {
  alarmName: string;
  metric: string;
  reason: string;
  instanceId: string;
  at: Date;
  region?: string;
  account?: string;
}): Record<string, unknown> {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '123456789012';
  const at = options.at.toISOString();
  return {
    version: '0',
    id: `medic-sim-${options.at.getTime()}`,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account,
    time: at.replace(/\.\d+Z$/, 'Z'),
    region,
    resources: [`arn:aws:cloudwatch:${region}:${account}:alarm:${options.alarmName}`],
    detail: {
      alarmName: options.alarmName,
      state: {
        value: 'ALARM',
        reason: options.reason,
        reasonData: JSON.stringify({
          version: '1.0',
          queryDate: at,
          statistic: 'Maximum',
          period: 60,
          recentDatapoints: [1.0, 1.0],
          threshold: 1.0,
          evaluatedDatapoints: [
            {
              timestamp: new Date(options.at.getTime() - 60_000).toISOString(),
              sampleCount: 1.0,
              value: 1.0,
            },
            {
              timestamp: new Date(options.at.getTime() - 120_000).toISOString(),
              sampleCount: 1.0,
              value: 1.0,
            },
          ],
        }),
        timestamp: at,
      },
      previousState: {
        value: 'OK',
        reason: 'Threshold Crossed',
        timestamp: new Date(options.at.getTime() - 3_600_000).toISOString(),
      },
      configuration: {
        description: `medic scenario alarm for ${options.instanceId}`,
        metrics: [
          {
            id: 'm1',
            metricStat: {
              metric: {
                namespace: 'AWS/EC2',
                name: options.metric,
                dimensions: { InstanceId: options.instanceId },
              },
              period: 60,
              stat: 'Maximum',
            },
            returnData: true,
          },
        ],
      },
    },
  };
}

async function seedNetwork(ec2: EC2Client): Promise<{ subnetId: string; imageId: string }> {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.42.0.0/16' }));
  const subnet = await ec2.send(
    new CreateSubnetCommand({
      VpcId: vpc.Vpc?.VpcId,
      CidrBlock: '10.42.1.0/24',
      AvailabilityZone: 'us-east-1a',
    }),
  );
  const images = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  const imageId = images.Images?.find((i) => i.ImageId)?.ImageId;
  if (!subnet.Subnet?.SubnetId || !imageId)
    throw new Error('moto did not return a subnet or an image to launch');
  return { subnetId: subnet.Subnet.SubnetId, imageId };
}

/** Polls moto's call record (bounded: every 100 ms, until stopped or 10 minutes) for reboots. */
function watchReboots(moto: Pick<LocalMoto, 'calls'>, onReboot: (instanceId: string) => Promise<void>) {
  let stopped = false;
  const seen = new Set<number>();
  const deadline = Date.now() + 600_000;
  const loop = (async () => {
    while (!stopped && Date.now() < deadline) {
      for (const call of await moto.calls().catch(() => [])) {
        if (seen.has(call.seq) || call.action !== 'RebootInstances' || call.params.DryRun === 'true')
          continue;
        seen.add(call.seq);
        const ids = Object.entries(call.params)
          .filter(([k]) => k.startsWith('InstanceId'))
          .map(([, v]) => String(v));
        for (const id of ids) await onReboot(id);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

export async function setupScenario(
  name: string,
  ctx: ScenarioContext,
  options: { instances?: number } = {},
): Promise<ScenarioWorld> {
  const spec = SCENARIOS[name];
  if (!spec) throw new Error(`unknown scenario "${name}"`);
  if (spec.storm) return setupStorm(spec, ctx, options.instances ?? spec.storm.defaultInstances);
  const { subnetId, imageId } = await seedNetwork(ctx.ec2);
  const hosts = new Map<string, { host: FakeHost; spec: HostSpec }>();
  const timers = new Set<NodeJS.Timeout>();
  for (const hostSpec of spec.hosts) {
    const host = await startFakeHost(hostSpec.mode);
    const tags = [
      { Key: 'Name', Value: hostSpec.name },
      { Key: 'medic:probe-address', Value: '127.0.0.1' },
      { Key: 'medic:ports', Value: String(host.sshPort) },
      { Key: 'medic:ssh-port', Value: String(host.sshPort) },
      { Key: 'medic:health-url', Value: host.healthUrl },
      ...(hostSpec.managed ? [{ Key: 'medic:managed', Value: 'true' }] : []),
    ];
    const run = await ctx.ec2.send(
      new RunInstancesCommand({
        ImageId: imageId,
        InstanceType: 't3.micro',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: subnetId,
        TagSpecifications: [{ ResourceType: 'instance', Tags: tags }],
      }),
    );
    const id = run.Instances?.[0]?.InstanceId;
    if (!id) throw new Error('moto did not launch the scenario instance');
    hosts.set(id, { host, spec: hostSpec });
  }
  const stopWatching = watchReboots(ctx.moto, async (instanceId) => {
    const entry = hosts.get(instanceId);
    if (!entry) return;
    // A reboot takes the host down, then it boots into whatever state the scenario says.
    await entry.host.setMode('down');
    const timer = setTimeout(() => {
      timers.delete(timer);
      void entry.host.setMode(entry.spec.afterReboot ?? 'healthy');
    }, 300);
    timers.add(timer);
  });
  const [firstId] = hosts.keys();
  return {
    event: alarmEvent({
      alarmName: spec.alarm.name,
      metric: spec.alarm.metric,
      reason: spec.alarm.reason,
      instanceId: firstId ?? 'i-00000000',
      at: ctx.now,
    }),
    instanceIds: [...hosts.keys()],
    async setMode(instanceId, mode) {
      await hosts.get(instanceId)?.host.setMode(mode);
    },
    async teardown() {
      await stopWatching();
      for (const t of timers) clearTimeout(t);
      for (const { host } of hosts.values()) await host.close();
    },
  };
}
