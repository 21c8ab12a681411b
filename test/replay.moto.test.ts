// `medic replay` against moto: a recorded alarm history (test/fixtures/alarm-history-flap-storm.json,
// the shape `aws cloudwatch describe-alarm-history --history-item-type StateUpdate` prints) run
// through the real Admit use case and the real bounds on a simulated clock, with the alarms and
// instances as moto holds them. The counts are worked out by hand below, from the default bounds:
// budget 3 actions / 24 h, cooldown 30 min, flap 3 episodes / 60 min, fleet guard > 5 instances / 10 min.
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeImagesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalMoto, startMoto } from '../local/moto.ts';
import { motoProcessEnv } from './support/moto.ts';
import { runOperator } from './support/operator.ts';

const FIXTURE = new URL('./fixtures/alarm-history-flap-storm.json', import.meta.url).pathname;
const MANAGED = ['web-1', ...Array.from({ length: 8 }, (_, n) => `storm-${n + 1}`)];
const ids = new Map<string, string>();
let moto: LocalMoto;
let cloudwatch: CloudWatchClient;

async function alarm(name: string, instanceId: string, metric: string): Promise<void> {
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      Namespace: 'AWS/EC2',
      MetricName: metric,
      Dimensions: [{ Name: 'InstanceId', Value: instanceId }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 2,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    }),
  );
}

beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, motoProcessEnv(moto.endpoint));
  const config = {
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'medic-local', secretAccessKey: 'medic-local' },
  };
  const ec2 = new EC2Client(config);
  cloudwatch = new CloudWatchClient(config);
  const imageId = (await ec2.send(new DescribeImagesCommand({}))).Images?.[0]?.ImageId;
  for (const name of [...MANAGED, 'legacy-1']) {
    const out = await ec2.send(
      new RunInstancesCommand({
        ImageId: imageId,
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: 'Name', Value: name },
              { Key: 'medic:managed', Value: name === 'legacy-1' ? 'false' : 'true' },
            ],
          },
        ],
      }),
    );
    ids.set(name, out.Instances?.[0]?.InstanceId ?? '');
  }
  for (const name of [...MANAGED, 'legacy-1'])
    await alarm(`${name}-status`, ids.get(name) ?? '', 'StatusCheckFailed');
  await alarm('web-1-cpu', ids.get('web-1') ?? '', 'CPUUtilization');
  // "deleted-since" is in the history but no longer exists.
}, 120_000);

afterAll(async () => {
  await moto?.stop();
});

/** The counts, each from the fixture's timeline (all on 2026-11-02, UTC). */
const EXPECTED = {
  // web-1-status flaps: ALARM at 10:00, 10:04, 10:45, 12:00, 14:00, 16:00, each OK a few minutes
  // later, so each opens an incident (6); storm-1..5 open (5); legacy-1 opens (1).
  incidents: 12,
  // web-1-cpu fires at 12:01 while web-1's 12:00 incident is open: it joins.
  joined: 1,
  // The 14:00 item appears twice (two overlapping exports): its episode is already claimed.
  deduplicated: 1,
  // "deleted-since" has no definition any more: medic cannot tell what it watched.
  ignored: 1,
  held: {
    // 10:04: web-1's last incident closed at 10:02, inside the 30 min cooldown.
    cooldown: 1,
    // 10:45: past the cooldown (last close 10:06), but the 3rd episode within 60 min (10:00, 10:04, 10:45).
    flap: 1,
    // 16:00: reboots at 10:00, 12:00 and 14:00 already spent the 3 actions of 24 h.
    budget: 1,
    // 20:00:00–20:02:20, one alarm every 20 s on storm-1..8: the 6th instance trips the guard
    // (more than 5 within 10 min) and the 7th and 8th arrive during the declared storm.
    fleet: 3,
    // 22:00: legacy-1 is not tagged medic:managed=true.
    'opt-in': 1,
  },
  // cooldown, flap and budget hand over to a person (3), the storm's leader pages once (1), and
  // the instance medic may not touch is paged about (1).
  pages: 5,
  // web-1 had three reboots on 2026-11-02; no instance had more.
  maxActionsPerInstancePerDay: 3,
};

describe('medic replay FILE', () => {
  it('replays a recorded history with a flapping alarm and a storm: the counts worked out by hand', async () => {
    // Prepare
    await moto.clearCalls();
    // Act
    const run = await runOperator(['replay', FIXTURE, '--json']);
    // Assess
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject(EXPECTED);
    expect(report.held).toEqual(EXPECTED.held);
    // 5 storm reboots and web-1's three.
    expect(report.actions).toBe(8);
  });

  it('writes nothing and notifies nobody: moto sees only Describe/List/Get calls', async () => {
    // Prepare
    await moto.clearCalls();
    // Act
    const run = await runOperator(['replay', FIXTURE]);
    const calls = await moto.calls();
    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('incidents opened:             12');
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.filter((c) => !/^(Describe|List|Get)/.test(c.action)).map((c) => c.action)).toEqual([]);
  });

  it('reads EventBridge alarm events, one per line, the same way', async () => {
    // Prepare: the storm as EventBridge delivered it (configuration inline), one event delivered twice.
    const events = Array.from({ length: 8 }, (_, n) => ({
      version: '0',
      id: `ev-${n}`,
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: '123456789012',
      time: `2026-11-02T20:0${Math.floor((n * 20) / 60)}:${String((n * 20) % 60).padStart(2, '0')}Z`,
      region: 'us-east-1',
      resources: [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:storm-${n + 1}-status`],
      detail: {
        alarmName: `storm-${n + 1}-status`,
        state: {
          value: 'ALARM',
          reason: 'Threshold Crossed',
          timestamp: `2026-11-02T20:0${Math.floor((n * 20) / 60)}:${String((n * 20) % 60).padStart(2, '0')}.000+0000`,
        },
        previousState: { value: 'OK' },
        configuration: {
          metrics: [
            {
              id: 'm1',
              metricStat: {
                metric: {
                  namespace: 'AWS/EC2',
                  name: 'StatusCheckFailed',
                  dimensions: { InstanceId: ids.get(`storm-${n + 1}`) },
                },
                period: 60,
                stat: 'Maximum',
              },
              returnData: true,
            },
          ],
        },
      },
    }));
    const file = join(tmpdir(), `medic-replay-${process.pid}.jsonl`);
    await writeFile(file, [...events, events[0]].map((e) => JSON.stringify(e)).join('\n'));
    // Act
    const run = await runOperator(['replay', file, '--json']);
    // Assess: 5 open, the 6th trips the guard, 7th and 8th held by the storm; the redelivery of the
    // first event is a duplicate (the episode key is the alarm and the time it entered ALARM).
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      incidents: 5,
      deduplicated: 1,
      held: { fleet: 3 },
      pages: 1,
      maxActionsPerInstancePerDay: 1,
    });
  });

  it('a file that is neither format is a one-line error, exit 2', async () => {
    // Prepare
    const file = join(tmpdir(), `medic-replay-bad-${process.pid}.json`);
    await writeFile(file, '{"AlarmHistoryItems": [{"Timestamp": "2026-11-02T10:00:00Z"}]}');
    // Act
    const run = await runOperator(['replay', file]);
    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('InvalidTriggerError: AlarmHistoryItems[0] has no AlarmName');
  });
});
