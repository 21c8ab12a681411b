// Health sweep: the pure drift rules, and the whole sweep on moto + the local Jira — one digest
// and one low-priority ticket for the fleet, a re-run the same day comments instead of filing.
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeImagesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalJira } from '../local/jira-server.ts';
import { type LocalMoto, startMoto } from '../local/moto.ts';
import { agentMetrics } from '../shared/adapters/agent-metrics.ts';
import { cloudWatchAlarms } from '../shared/adapters/cloudwatch-alarms.ts';
import { managedFleet } from '../shared/adapters/fleet.ts';
import { standardAlarms } from '../shared/domain/standard-alarms.ts';
import type { Notification } from '../shared/ports.ts';
import { findDrift, healthSweep, type SweepInstance } from '../shared/usecases/health-sweep.ts';
import { localTickets, startLocalJira } from './support/jira.ts';
import { createGroup } from './support/moto.ts';

const instance = (id: string, extra: Partial<SweepInstance> = {}): SweepInstance => ({
  instanceId: id,
  name: null,
  state: 'running',
  availabilityZone: 'us-east-1a',
  autoScalingGroup: 'web',
  ...extra,
});
const allAlarms = (id: string) =>
  ['status-system', 'status-instance', 'cpu', 'memory', 'disk'].map((k) => `medic-${id}-${k}`);

describe('findDrift (pure)', () => {
  it.each([
    ['healthy', instance('i-00000001'), { diskUsedPercent: 40, memoryUsedPercent: 30 }, true, []],
    [
      'disk 85 %',
      instance('i-00000001'),
      { diskUsedPercent: 85, memoryUsedPercent: 30 },
      true,
      ['disk-high'],
    ],
    ['disk exactly 80 %', instance('i-00000001'), { diskUsedPercent: 80, memoryUsedPercent: 30 }, true, []],
    [
      'no agent',
      instance('i-00000001'),
      { diskUsedPercent: null, memoryUsedPercent: null },
      true,
      ['agent-missing'],
    ],
    [
      'stopped, no agent',
      instance('i-00000001', { state: 'stopped' }),
      { diskUsedPercent: null, memoryUsedPercent: null },
      true,
      [],
    ],
    [
      'no alarms',
      instance('i-00000001'),
      { diskUsedPercent: 10, memoryUsedPercent: 10 },
      false,
      ['alarms-missing'],
    ],
    [
      'no ASG',
      instance('i-00000001', { autoScalingGroup: null }),
      { diskUsedPercent: 10, memoryUsedPercent: 10 },
      true,
      ['no-asg'],
    ],
    [
      'single-AZ ASG',
      instance('i-00000001', { autoScalingGroup: 'one-az' }),
      { diskUsedPercent: 10, memoryUsedPercent: 10 },
      true,
      ['single-az'],
    ],
  ])('%s → %j', (_what, i, metrics, alarmsPresent, kinds) => {
    // Prepare
    const alarms = new Set(alarmsPresent ? allAlarms(i.instanceId) : []);
    const zones = new Map([
      ['web', ['us-east-1a', 'us-east-1b']],
      ['one-az', ['us-east-1a']],
    ]);
    // Act
    const drift = findDrift([i], new Map([[i.instanceId, metrics]]), alarms, zones);
    // Assess
    expect(drift.map((d) => d.kind)).toEqual(kinds);
  });
});

describe('healthSweep on moto + local Jira', () => {
  let moto: LocalMoto;
  let jira: LocalJira;
  let ec2: EC2Client;
  let cloudwatch: CloudWatchClient;
  const ids: string[] = [];

  beforeAll(async () => {
    [moto, jira] = await Promise.all([startMoto(), startLocalJira()]);
    const config = {
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'medic-local', secretAccessKey: 'medic-local' },
    };
    ec2 = new EC2Client(config);
    cloudwatch = new CloudWatchClient(config);
    const imageId = (await ec2.send(new DescribeImagesCommand({}))).Images?.[0]?.ImageId;
    for (let n = 0; n < 3; n++) {
      const out = await ec2.send(
        new RunInstancesCommand({
          ImageId: imageId,
          MinCount: 1,
          MaxCount: 1,
          Placement: { AvailabilityZone: 'us-east-1a' },
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'medic:managed', Value: 'true' }] }],
        }),
      );
      ids.push(out.Instances?.[0]?.InstanceId ?? '');
    }
    // An ASG in one AZ, whose instance is opted in too.
    const autoScaling = new AutoScalingClient(config);
    await createGroup(autoScaling, imageId, {
      AutoScalingGroupName: 'one-az',
      MinSize: 1,
      MaxSize: 1,
      AvailabilityZones: ['us-east-1a'],
      Tags: [{ Key: 'medic:managed', Value: 'true', PropagateAtLaunch: true }],
    });
    // ids[0]: healthy agent, alarms in place; ids[1]: disk at 91 %; ids[2]: no agent at all.
    const now = new Date();
    for (const [id, disk] of [
      [ids[0], 42],
      [ids[1], 91],
    ] as const) {
      await cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: 'CWAgent',
          MetricData: [
            {
              MetricName: 'disk_used_percent',
              Dimensions: [
                { Name: 'InstanceId', Value: id ?? '' },
                { Name: 'path', Value: '/' },
              ],
              Timestamp: new Date(now.getTime() - 120_000),
              Value: disk,
            },
            {
              MetricName: 'mem_used_percent',
              Dimensions: [{ Name: 'InstanceId', Value: id ?? '' }],
              Timestamp: new Date(now.getTime() - 120_000),
              Value: 35,
            },
          ],
        }),
      );
    }
    const cw = cloudWatchAlarms(cloudwatch);
    for (const spec of standardAlarms(
      { instanceId: ids[0] ?? '', name: null, tags: {} },
      'arn:aws:sns:us-east-1:123456789012:medic-dev-alarms',
    )) {
      await cw.put(spec);
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all([moto?.stop(), jira?.close()]);
  });

  it('sends one digest and files one Low ticket for the whole fleet; a re-run comments on it', async () => {
    // Prepare
    const published: Notification[] = [];
    const tickets = localTickets(jira, { timeoutMs: 5_000 });
    const deps = {
      fleet: () => managedFleet(ec2),
      agentMetrics: (list: string[]) => agentMetrics(cloudwatch, list),
      alarmNames: async () =>
        new Set((await cloudWatchAlarms(cloudwatch).medicAlarms()).map((a) => a.AlarmName ?? '')),
      asgZones: async (names: string[]) =>
        new Map(names.map((n) => [n, n === 'one-az' ? ['us-east-1a'] : []])),
      notifier: {
        publish: async (n: Notification) => {
          published.push(n);
          return { messageId: String(published.length) };
        },
      },
      tickets: async () => tickets,
      clock: () => new Date(),
    };
    // Act
    const first = await healthSweep(deps);
    const second = await healthSweep(deps);
    // Assess
    expect(first.checked).toBe(4);
    const kindsOf = (id: string | undefined) =>
      first.drift.filter((d) => d.instanceId === id).map((d) => d.kind);
    expect(kindsOf(ids[0])).toEqual(['no-asg']);
    expect(kindsOf(ids[1])).toEqual(['disk-high', 'alarms-missing', 'no-asg']);
    expect(kindsOf(ids[2])).toEqual(['agent-missing', 'alarms-missing', 'no-asg']);
    expect(first.drift.some((d) => d.kind === 'single-az')).toBe(true);
    expect(published).toHaveLength(2); // one per sweep, never one per instance
    expect(published[0]?.body).toContain('one Availability Zone');
    expect(jira.issues()).toHaveLength(1);
    expect(jira.issues()[0]?.fields.priority.name).toBe('Low');
    expect(jira.issues()[0]?.comments).toHaveLength(1);
    expect(second.ticket?.key).toBe(first.ticket?.key);
  });
});
