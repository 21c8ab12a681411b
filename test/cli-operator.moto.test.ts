// The operator CLI against moto (in-process through the same entry bin/medic.mjs uses, to keep
// the shared machine's CPU for the other suites; one test spawns the real binary): Step Functions calls (start, status, follow,
// approve, reject), the incident store (history) and `alarms sync` creating the standard alarms
// with the right metrics and dimensions, idempotently.
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeImagesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalMoto, startMoto } from '../local/moto.ts';
import { incidentStore } from '../shared/adapters/incident-store.ts';
import { createIncidentsTable, motoProcessEnv } from './support/moto.ts';
import { runOperator } from './support/operator.ts';
import { runMedic } from './support/substrate.ts';

let moto: LocalMoto;
let env: Record<string, string>;
let sfn: SFNClient;
let ec2: EC2Client;
let cloudwatch: CloudWatchClient;
let stateMachineArn: string;
let topicArn: string;
const managed: string[] = [];
/** The incidents table the history commands read (filled in beforeAll). */
let incidentRows: ReturnType<typeof incidentStore>;

beforeAll(async () => {
  moto = await startMoto();
  const config = {
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'medic-local', secretAccessKey: 'medic-local' },
  };
  env = motoProcessEnv(moto.endpoint);
  Object.assign(process.env, env);
  sfn = new SFNClient(config);
  ec2 = new EC2Client(config);
  cloudwatch = new CloudWatchClient(config);
  stateMachineArn =
    (
      await sfn.send(
        new CreateStateMachineCommand({
          name: 'medic-dev-incident',
          roleArn: 'arn:aws:iam::123456789012:role/medic-dev-states',
          definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
        }),
      )
    ).stateMachineArn ?? '';
  topicArn =
    (await new SNSClient(config).send(new CreateTopicCommand({ Name: 'medic-dev-alarms' }))).TopicArn ?? '';
  const imageId = (await ec2.send(new DescribeImagesCommand({}))).Images?.[0]?.ImageId;
  for (const [name, optedIn] of [
    ['web-1', 'true'],
    ['web-2', 'true'],
    ['db-1', 'false'],
  ] as const) {
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
              { Key: 'medic:managed', Value: optedIn },
            ],
          },
        ],
      }),
    );
    if (optedIn === 'true') managed.push(out.Instances?.[0]?.InstanceId ?? '');
  }
  const dynamodb = new DynamoDBClient(config);
  await createIncidentsTable(dynamodb, 'medic-dev-incidents');
  incidentRows = incidentStore(dynamodb, 'medic-dev-incidents');
  for (const [day, outcome, ticket] of [
    ['01', 'resolved', 'OPS-7'],
    ['03', 'escalated', 'OPS-9'],
  ] as const) {
    await incidentRows.putIncident({
      incidentId: `medic-web-1-202405${day}`,
      instanceId: managed[0] ?? '',
      startedAt: `2024-05-${day}T09:00:00.000Z`,
      endedAt: `2024-05-${day}T09:04:00.000Z`,
      outcome,
      classification: 'application',
      ticketKey: ticket,
      executionArn: null,
      alarmName: 'web-1-cpu-high',
    });
  }
}, 120_000);

afterAll(async () => {
  await moto?.stop();
});

const medic = runOperator;

const calls = async (action: string) => (await moto.calls()).filter((c) => c.action === action);

describe('medic start / status against Step Functions (moto)', () => {
  it('start --dry-run starts one execution named by the episode key with the normalised trigger', async () => {
    // Prepare
    const instance = managed[0] ?? '';
    // Act
    const run = await runMedic(
      ['start', '--instance', instance, '--dry-run', '--reason', 'disk check', '--requested-by', 'alice'],
      env,
    );
    const executions = (await sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions ?? [];
    const described = await sfn.send(
      new DescribeExecutionCommand({ executionArn: executions[0]?.executionArn }),
    );
    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(executions).toHaveLength(1);
    expect(run.stdout).toContain(executions[0]?.executionArn);
    expect(executions[0]?.name).toMatch(/^manual-/);
    expect(JSON.parse(described.input ?? '{}').medicTrigger).toMatchObject({
      source: 'manual',
      episodeKey: executions[0]?.name,
      instanceIds: [instance],
      mode: 'dry-run',
      reason: 'disk check',
      requestedBy: 'alice',
    });
  });

  it('status by episode key finds the execution; an unknown key is a one-line error, exit 2', async () => {
    // Prepare
    const name = (await sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions?.[0]?.name ?? '';
    // Act
    const found = await medic(['status', name]);
    const missing = await medic(['status', 'manual-nope-20240501-deadbeef']);
    // Assess
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout).toContain(`${name}: RUNNING`);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/NotFoundError/);
  });

  it('start --follow prints the states from GetExecutionHistory and ends at the terminal event', async () => {
    // Prepare
    const instance = managed[1] ?? '';
    // Act
    const run = await medic([
      'start',
      '--instance',
      instance,
      '--follow',
      '--poll-ms',
      '200',
      '--timeout',
      '30',
    ]);
    // Assess
    expect(run.stdout).toContain('→ A State'); // moto's canned history
    expect(run.stdout).toContain('execution succeeded');
    expect((await calls('GetExecutionHistory')).length).toBeGreaterThan(0);
    // moto's execution has no incident output: the outcome is unknown, which is not success.
    expect(run.code).toBe(1);
  });

  it('refuses a bad instance id and conflicting modes without calling AWS', async () => {
    // Prepare
    await moto.clearCalls();
    // Act
    const bad = await runMedic(['start', '--instance', '10.0.0.1'], env);
    const both = await runMedic(
      ['start', '--instance', 'i-0123456789abcdef0', '--dry-run', '--approve'],
      env,
    );
    // Assess
    expect([bad.code, both.code]).toEqual([2, 2]);
    expect(bad.stderr).toMatch(/i-0123456789abcdef0/);
    expect(both.stderr).toMatch(/cannot be used with/);
    expect(await calls('StartExecution')).toEqual([]);
  });
});

describe('medic approve / reject', () => {
  it('approve sends SendTaskSuccess with the decision; reject sends SendTaskFailure', async () => {
    // Prepare
    await moto.clearCalls();
    const token = 'AAAAKgAAAAIAAAAAAAAAAfake-task-token-0123456789';
    // Act
    const approved = await medic(['approve', token, '--by', 'alice', '--reason', 'looks right']);
    const rejected = await medic(['reject', token, '--by', 'bob', '--reason', 'not during the sale']);
    // Assess
    expect([approved.code, rejected.code]).toEqual([0, 0]);
    const success = await calls('SendTaskSuccess');
    const failure = await calls('SendTaskFailure');
    expect(success).toHaveLength(1);
    expect(success[0]?.params.taskToken).toBe(token);
    expect(JSON.parse(String(success[0]?.params.output))).toMatchObject({
      decision: 'approved',
      by: 'alice',
    });
    expect(failure[0]?.params).toMatchObject({ taskToken: token, error: 'ApprovalRejected' });
    expect(String(failure[0]?.params.cause)).toContain('not during the sale');
  });
});

describe('medic history', () => {
  it('lists the instance incidents from the incident store, most recent first', async () => {
    // Prepare
    const instance = managed[0] ?? '';
    // Act
    const run = await medic(['history', '--instance', instance]);
    const none = await medic(['history', '--instance', managed[1] ?? '']);
    // Assess
    expect(run.code, run.stderr).toBe(0);
    const rows = run.stdout.split('\n').filter((l) => l.startsWith('2024-'));
    expect(rows.map((r) => r.split(/\s+/)[3])).toEqual(['OPS-9', 'OPS-7']);
    expect(none.stdout).toContain('no incidents recorded');
  });

  it('--account keeps only the incidents of the instance in that account (the same id may exist in two)', async () => {
    // Prepare: the same instance id, incidents in two accounts
    const instance = managed[1] ?? '';
    for (const [account, ticket] of [
      ['222222222222', 'OPS-21'],
      ['333333333333', 'OPS-31'],
    ] as const) {
      await incidentRows.putIncident({
        incidentId: `medic-org-${account}`,
        instanceId: instance,
        startedAt: '2024-06-01T09:00:00.000Z',
        endedAt: null,
        outcome: 'resolved',
        classification: 'os',
        ticketKey: ticket,
        executionArn: null,
        alarmName: 'org-alarm',
        account,
        region: 'eu-west-1',
      });
    }
    // Act
    const run = await medic(['history', '--instance', instance, '--account', '333333333333']);
    const bad = await medic(['history', '--instance', instance, '--account', '42']);
    // Assess
    expect(run.code, run.stderr).toBe(0);
    const rows = run.stdout.split('\n').filter((l) => l.startsWith('2024-'));
    expect(rows.map((r) => r.split(/\s+/).slice(3, 6))).toEqual([['OPS-31', '333333333333', 'eu-west-1']]);
    expect(bad.code).toBe(2);
  });
});

describe('medic alarms sync (CloudWatch on moto)', () => {
  it('--dry-run prints the plan and changes nothing', async () => {
    // Prepare
    await moto.clearCalls();
    // Act
    const run = await medic(['alarms', 'sync', '--dry-run']);
    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('2 opted-in instance(s)');
    expect(run.stdout).toContain('Plan: 10 to create, 0 to update, 0 unchanged');
    expect(await calls('PutMetricAlarm')).toEqual([]);
  });

  it('creates the five standard alarms per opted-in instance with the right metrics and dimensions', async () => {
    // Prepare
    const expected = (id: string) => [
      [`medic-${id}-cpu`, 'AWS/EC2', 'CPUUtilization', `InstanceId=${id}`],
      [`medic-${id}-disk`, 'CWAgent', 'disk_used_percent', `InstanceId=${id},path=/`],
      [`medic-${id}-memory`, 'CWAgent', 'mem_used_percent', `InstanceId=${id}`],
      [`medic-${id}-status-instance`, 'AWS/EC2', 'StatusCheckFailed_Instance', `InstanceId=${id}`],
      [`medic-${id}-status-system`, 'AWS/EC2', 'StatusCheckFailed_System', `InstanceId=${id}`],
    ];
    // Act
    const run = await medic(['alarms', 'sync']);
    const alarms =
      (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'medic-' }))).MetricAlarms ?? [];
    // Assess
    expect(run.code, run.stderr).toBe(0);
    const seen = alarms
      .map((a) => [
        a.AlarmName,
        a.Namespace,
        a.MetricName,
        (a.Dimensions ?? [])
          .map((d) => `${d.Name}=${d.Value}`)
          .sort()
          .join(','),
      ])
      .sort((x, y) => String(x[0]).localeCompare(String(y[0])));
    expect(seen).toEqual([...managed].sort().flatMap(expected));
    for (const a of alarms) {
      expect(a.AlarmActions).toEqual([topicArn]);
      expect(a.OKActions).toEqual([topicArn]);
    }
  });

  it('a second sync is a no-op; a drifted threshold is shown as an update and fixed', async () => {
    // Prepare
    const cpu = `medic-${managed[0]}-cpu`;
    await moto.clearCalls();
    // Act
    const again = await medic(['alarms', 'sync']);
    const putsAfterNoop = (await calls('PutMetricAlarm')).length;
    const current = (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [cpu] })))
      .MetricAlarms?.[0];
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: cpu,
        Namespace: current?.Namespace,
        MetricName: current?.MetricName,
        Dimensions: current?.Dimensions,
        Statistic: 'Average',
        Period: 300,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        Threshold: 50,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [topicArn],
        OKActions: [topicArn],
        AlarmDescription: current?.AlarmDescription,
        TreatMissingData: 'missing',
      }),
    );
    const fix = await medic(['alarms', 'sync']);
    const fixed = (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [cpu] }))).MetricAlarms?.[0];
    // Assess
    expect(again.stdout).toContain('Plan: 0 to create, 0 to update, 10 unchanged');
    expect(putsAfterNoop).toBe(0);
    expect(fix.stdout).toContain(`~ ${cpu}`);
    expect(fix.stdout).toContain('Threshold: 50 → 90');
    expect(fixed?.Threshold).toBe(90);
  });
});
