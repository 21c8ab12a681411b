/**
 * Real runs, recorded: the scenarios through the real state machine and handlers, and the
 * functions no Task invokes (HTTP and SNS intakes, health sweep, outbox drain, approval) invoked
 * as their triggers would — all against moto and the local Jira, configured the way a deployed
 * `local` stage is (resource names, secrets read from SSM SecureStrings). Afterwards the facts IAM
 * would see about the resources the calls touched (tags, network interfaces, volume keys) are read
 * back from moto.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { BatchGetDeploymentsCommand, CodeDeployClient } from '@aws-sdk/client-codedeploy';
import {
  AttachVolumeCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { DescribeTagsCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DescribeParametersCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { asFunction, type RecordedCall, startRecording } from '../../local/aws-recorder.ts';
import { loadLocalMachine, startCallbackServer } from '../../local/engine.ts';
import { type LocalJira, startJiraServer } from '../../local/jira-server.ts';
import { type LocalMoto, startMoto } from '../../local/moto.ts';
import { SCENARIOS, setupScenario } from '../../local/scenarios.ts';
import {
  configureEnvironment,
  ensureTopic,
  LOCAL_STATUSPAGE_COMPONENTS,
  localApprover,
} from '../../local/simulate.ts';
import { type LocalStatusPage, startStatusPageServer } from '../../local/statuspage-server.ts';
import { ensureTables, tablesFromServerless } from '../../local/tables.ts';
import { withEnvironment } from '../../shared/config.ts';
import { functionUrlEvent, scheduledEvent } from '../../test/support/aws-events.ts';
import { emptyFacts, type Facts, type InstanceFacts } from './requests.ts';
import { LOCAL_DEPLOYMENT } from './template.ts';

/**
 * Every function on its paths: the common path (reboot fixes it), each rung of the ladder and each
 * failover mechanism, the opt-in hold and its page, dry-run and approve mode, the on-host evidence
 * (SSM) and log evidence, and a customer-managed-key volume on the stop/start instance.
 */
export const IAM_SCENARIOS = [
  'unreachable',
  'not-opted-in',
  'disk-full',
  'app-restart-fixes',
  'reboot-fails-stopstart-fixes',
  'failover-target-group',
  'failover-route53',
  'failover-eip',
  'failover-asg',
  'dry-run',
  'approve-granted',
  // A planned incident that waits for its window: Decide looks at the instance again afterwards.
  'retirement-window-ahead',
  // What changed: a CodeDeploy deployment to the instance (CloudTrail, then CodeDeploy).
  'changed-deployment',
] as const;

/** Scenarios whose alarmed instance also gets an EBS volume encrypted with a customer managed key. */
const CMK_SCENARIOS = new Set(['reboot-fails-stopstart-fixes']);

const stage = LOCAL_DEPLOYMENT.stage;
const secrets = {
  JIRA_API_TOKEN_PARAMETER: `/medic/${stage}/jira-api-token`,
  MEDIC_APPROVAL_SECRET_PARAMETER: `/medic/${stage}/approval-secret`,
  MEDIC_WEBHOOK_SECRET_PARAMETER: `/medic/${stage}/webhook-secret`,
  MEDIC_STATUSPAGE_KEY_PARAMETER: `/medic/${stage}/statuspage-api-key`,
};
const WEBHOOK_SECRET = 'medic-iam-check-webhook-secret-0123456789';
const JIRA = { email: 'medic@example.com', token: 'local-token', project: 'OPS' };

export interface RecordedRuns {
  calls: RecordedCall[];
  facts: Facts;
  /** Outcome per scenario (a run that failed still made its calls, but say so). */
  outcomes: Record<string, string>;
}

/** KMS has no SDK client in this project; moto speaks its JSON protocol on the same endpoint. */
async function kms(
  endpoint: string,
  operation: string,
  body: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `TrentService.${operation}`,
      authorization:
        'AWS4-HMAC-SHA256 Credential=medic-local/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok)
    throw new Error(`moto KMS ${operation} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

async function attachCmkVolume(ec2: EC2Client, endpoint: string, instanceId: string): Promise<void> {
  const key = (await kms(endpoint, 'CreateKey', { Description: 'medic iam check: customer managed' })) as {
    KeyMetadata?: { Arn?: string };
  };
  const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const zone = described.Reservations?.[0]?.Instances?.[0]?.Placement?.AvailabilityZone ?? 'us-east-1a';
  const volume = await ec2.send(
    new CreateVolumeCommand({
      AvailabilityZone: zone,
      Size: 8,
      Encrypted: true,
      KmsKeyId: key.KeyMetadata?.Arn,
    }),
  );
  await ec2.send(
    new AttachVolumeCommand({ VolumeId: volume.VolumeId, InstanceId: instanceId, Device: '/dev/sdf' }),
  );
}

/**
 * Seeds scenarios with one image lookup: moto lists every Amazon AMI on each DescribeImages (several
 * seconds a call on a busy machine) and the list never changes. Seeding only: no function uses it.
 */
function seedingEc2Client(config: { endpoint: string; region: string }): EC2Client {
  const client = new EC2Client(config);
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  let images: Promise<unknown> | undefined;
  (client as unknown as { send: (command: unknown) => Promise<unknown> }).send = (command) => {
    if (!(command instanceof DescribeImagesCommand)) return send(command);
    images ??= send(command);
    return images;
  };
  return client;
}

const tagMap = (tags: { Key?: string; Value?: string }[] | undefined) =>
  Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

/** What IAM would see about the resources the calls touched, read from moto. */
export async function factsFor(calls: RecordedCall[], endpoint: string): Promise<Facts> {
  const config = { endpoint, region: LOCAL_DEPLOYMENT.region };
  const ec2 = new EC2Client(config);
  const facts = emptyFacts();
  const ids = (key: string) =>
    new Set(
      calls.flatMap((c) => {
        const v = c.input[key];
        return Array.isArray(v) ? v.map(String) : v ? [String(v)] : [];
      }),
    );
  const instanceIds = [...new Set([...ids('InstanceIds'), ...ids('InstanceId')])].filter((id) =>
    id.startsWith('i-'),
  );
  for (const id of instanceIds) {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] })).catch(() => null);
    const i = out?.Reservations?.[0]?.Instances?.[0];
    if (!i) continue;
    const volumes = await ec2.send(
      new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [id] }] }),
    );
    const volumeKeys: InstanceFacts['volumeKeys'] = [];
    for (const v of volumes.Volumes ?? []) {
      if (!v.Encrypted || !v.KmsKeyId) continue;
      const key = (await kms(endpoint, 'DescribeKey', { KeyId: v.KmsKeyId }).catch(() => null)) as {
        KeyMetadata?: { Arn?: string; KeyManager?: string };
      } | null;
      volumeKeys.push({
        keyArn: key?.KeyMetadata?.Arn ?? v.KmsKeyId,
        customerManaged: key?.KeyMetadata?.KeyManager === 'CUSTOMER',
      });
    }
    facts.instances.set(id, {
      tags: tagMap(i.Tags),
      networkInterfaceId:
        i.NetworkInterfaces?.find((n) => n.Attachment?.DeviceIndex === 0)?.NetworkInterfaceId ??
        i.NetworkInterfaces?.[0]?.NetworkInterfaceId ??
        null,
      volumeKeys,
    });
  }
  const allocations = [...ids('AllocationId')];
  if (allocations.length > 0) {
    const out = await ec2.send(new DescribeAddressesCommand({ AllocationIds: allocations }));
    for (const a of out.Addresses ?? [])
      if (a.AllocationId) facts.addresses.set(a.AllocationId, tagMap(a.Tags));
  }
  const groupNames = [...facts.instances.values()]
    .map((i) => i.tags['aws:autoscaling:groupName'])
    .filter((n): n is string => Boolean(n));
  if (groupNames.length > 0) {
    const out = await new AutoScalingClient(config).send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [...new Set(groupNames)] }),
    );
    for (const g of out.AutoScalingGroups ?? [])
      if (g.AutoScalingGroupName && g.AutoScalingGroupARN)
        facts.groups.set(g.AutoScalingGroupName, { arn: g.AutoScalingGroupARN, tags: tagMap(g.Tags) });
  }
  const targetGroups = [...ids('TargetGroupArn')];
  if (targetGroups.length > 0) {
    const out = await new ElasticLoadBalancingV2Client(config).send(
      new DescribeTagsCommand({ ResourceArns: targetGroups }),
    );
    for (const d of out.TagDescriptions ?? [])
      if (d.ResourceArn) facts.targetGroups.set(d.ResourceArn, tagMap(d.Tags));
  }
  const parameters = [...ids('Name')].filter((n) => n.startsWith('/'));
  if (parameters.length > 0) {
    const out = await new SSMClient(config).send(
      new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: parameters }] }),
    );
    for (const p of out.Parameters ?? [])
      if (p.Name && p.Type === 'SecureString') facts.secureParameters.set(p.Name, p.KeyId ?? 'alias/aws/ssm');
  }
  // dynamodb:LeadingKeys needs each table's partition key: the deployed table definitions say it.
  for (const t of tablesFromServerless(LOCAL_DEPLOYMENT.stage).values()) {
    const hash = (t.KeySchema ?? []).find((k) => k.KeyType === 'HASH')?.AttributeName;
    if (hash) facts.partitionKeys.set(t.TableName, hash);
  }
  const deploymentIds = [...ids('deploymentIds'), ...ids('deploymentId')];
  if (deploymentIds.length > 0) {
    const out = await new CodeDeployClient(config).send(
      new BatchGetDeploymentsCommand({ deploymentIds: [...new Set(deploymentIds)].slice(0, 25) }),
    );
    for (const d of out.deploymentsInfo ?? [])
      if (d.deploymentId && d.applicationName && d.deploymentGroupName)
        facts.deployments.set(d.deploymentId, {
          application: d.applicationName,
          group: d.deploymentGroupName,
        });
  }
  return facts;
}

function snsAlarmEvent(instanceId: string, topicArn: string) {
  const message = {
    AlarmName: `medic-${instanceId}-status-instance`,
    AWSAccountId: LOCAL_DEPLOYMENT.account,
    NewStateValue: 'ALARM',
    NewStateReason:
      'Threshold Crossed: 1 out of the last 1 datapoints [1.0] was greater than or equal to the threshold (1.0).',
    StateChangeTime: new Date().toISOString().replace('Z', '+0000'),
    Region: 'US East (N. Virginia)',
    AlarmArn: `arn:aws:cloudwatch:us-east-1:${LOCAL_DEPLOYMENT.account}:alarm:medic-${instanceId}-status-instance`,
    OldStateValue: 'OK',
    Trigger: {
      MetricName: 'StatusCheckFailed_Instance',
      Namespace: 'AWS/EC2',
      Statistic: 'MAXIMUM',
      Dimensions: [{ value: instanceId, name: 'InstanceId' }],
      Period: 60,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1.0,
    },
  };
  return {
    Records: [
      {
        EventSource: 'aws:sns' as const,
        EventVersion: '1.0',
        EventSubscriptionArn: `${topicArn}:00000000-0000-0000-0000-000000000000`,
        Sns: {
          Type: 'Notification' as const,
          MessageId: `medic-iam-${Date.now()}`,
          TopicArn: topicArn,
          Subject: 'ALARM',
          Message: JSON.stringify(message),
          Timestamp: new Date().toISOString(),
          SignatureVersion: '1',
          Signature: 'EXAMPLE',
          SigningCertUrl:
            'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem',
          UnsubscribeUrl: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}:00000000-0000-0000-0000-000000000000`,
          MessageAttributes: {},
        },
      },
    ],
  };
}

const lambdaContext = (functionName: string) =>
  ({
    functionName: `medic-${stage}-${functionName}`,
    awsRequestId: 'iam-check',
    getRemainingTimeInMillis: () => 60_000,
  }) as never;

/**
 * Runs `scenarios` (default IAM_SCENARIOS) and the functions no Task invokes, recording every AWS
 * call each function makes. Starts (and stops) its own moto and Jira on loopback.
 */
export async function recordRuns(
  options: { scenarios?: readonly string[]; say?: (line: string) => void; concurrency?: number } = {},
): Promise<RecordedRuns> {
  const say = options.say ?? (() => undefined);
  const scenarios = options.scenarios ?? IAM_SCENARIOS;
  for (const s of scenarios) if (!SCENARIOS[s]) throw new Error(`unknown scenario ${s}`);
  let moto: LocalMoto | undefined;
  let jira: LocalJira | undefined;
  let statusPage: LocalStatusPage | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  const recording = startRecording();
  const outcomes: Record<string, string> = {};
  try {
    [moto, jira, statusPage] = await Promise.all([
      startMoto(),
      startJiraServer({ email: JIRA.email, apiToken: JIRA.token, projectKey: JIRA.project }),
      // Every run publishes on a status page, so Decide, the action steps, Close and the drainer
      // read its key from SSM and take its lease on the safety table as deployed.
      startStatusPageServer({ components: { ...LOCAL_STATUSPAGE_COMPONENTS } }),
    ]);
    configureEnvironment(moto.endpoint, { baseUrl: jira.baseUrl, ...JIRA });
    const config = { endpoint: moto.endpoint, region: LOCAL_DEPLOYMENT.region };
    // Deployed configuration: secrets come from SSM SecureStrings, names are the stage's.
    delete process.env.JIRA_API_TOKEN;
    delete process.env.MEDIC_APPROVAL_SECRET;
    delete process.env.MEDIC_STATUSPAGE_KEY;
    process.env.MEDIC_STATUSPAGE_URL = statusPage.baseUrl;
    process.env.MEDIC_STATUSPAGE_PAGE_ID = statusPage.pageId;
    const ssm = new SSMClient(config);
    const values: Record<string, string> = {
      JIRA_API_TOKEN_PARAMETER: JIRA.token,
      MEDIC_APPROVAL_SECRET_PARAMETER: 'medic-iam-check-approval-signing-key-0123456789',
      MEDIC_WEBHOOK_SECRET_PARAMETER: WEBHOOK_SECRET,
      MEDIC_STATUSPAGE_KEY_PARAMETER: statusPage.apiKey,
    };
    for (const [env, name] of Object.entries(secrets)) {
      await ssm.send(
        new PutParameterCommand({ Name: name, Type: 'SecureString', Value: values[env], Overwrite: true }),
      );
      process.env[env] = name;
    }
    const sns = new SNSClient(config);
    process.env.MEDIC_STAKEHOLDER_TOPIC_ARN = await ensureTopic(sns, new SQSClient(config));
    process.env.MEDIC_STATUS_TOPIC_ARN =
      (await sns.send(new CreateTopicCommand({ Name: `medic-${stage}-status` }))).TopicArn ?? '';
    const alarmsTopic =
      (await sns.send(new CreateTopicCommand({ Name: `medic-${stage}-alarms` }))).TopicArn ?? '';
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const tables = await ensureTables(new DynamoDBClient(config));
    process.env.MEDIC_SAFETY_TABLE = tables.get('SafetyTable') ?? '';
    process.env.MEDIC_INCIDENTS_TABLE = tables.get('IncidentsTable') ?? '';
    const machine = await new SFNClient(config).send(
      new CreateStateMachineCommand({
        name: `medic-${stage}-incident`,
        roleArn: `arn:aws:iam::${LOCAL_DEPLOYMENT.account}:role/medic-${stage}-states`,
        definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
      }),
    );
    process.env.MEDIC_STATE_MACHINE_ARN = machine.stateMachineArn ?? '';
    // Many incidents in one account within minutes: the fleet guard must not hold the later ones.
    Object.assign(process.env, {
      MEDIC_FLEET_MAX_INSTANCES: '1000',
      MEDIC_FLEET_MAX_GROUP_PERCENT: '100',
      MEDIC_VERIFY_POLLS: process.env.MEDIC_VERIFY_POLLS ?? '2',
      MEDIC_PROBE_TIMEOUT_MS: '300',
      // The kill switch of this deployment's stage, as its role names it.
      MEDIC_PAUSE_PARAMETER: `/medic/${stage}/pause`,
    });
    const ec2 = seedingEc2Client(config);
    const metricsDir = mkdtempSync(join(tmpdir(), 'medic-iam-metrics-'));
    cleanups.push(async () => rmSync(metricsDir, { recursive: true, force: true }));
    process.env.MEDIC_METRICS_FILE = join(metricsDir, 'emf.jsonl');

    // The entry points, while Step Functions is moto (their StartExecution lands there).
    const http = (await import('../../functions/intake-http.ts')).handler;
    const snsIntake = (await import('../../functions/intake-sns.ts')).handler;
    const probe = await setupScenario('healthy', { ec2, moto, now: new Date() });
    cleanups.push(() => probe.teardown());
    const probeInstance = probe.instanceIds[0] ?? '';
    const body = JSON.stringify({
      receiver: 'medic',
      status: 'firing',
      version: '4',
      groupKey: '{}:{alertname="InstanceDown"}',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'InstanceDown', instance_id: probeInstance, severity: 'page' },
          annotations: { summary: 'instance down' },
          startsAt: new Date().toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          fingerprint: 'a1b2c3d4e5f60718',
        },
      ],
    });
    const httpAnswer = (await asFunction('intakeHttp', () =>
      http(
        functionUrlEvent(body, { authorization: `Bearer ${WEBHOOK_SECRET}` }),
        lambdaContext('intakeHttp'),
      ),
    )) as { statusCode?: number };
    outcomes.intakeHttp = String(httpAnswer?.statusCode);
    await asFunction('intakeSns', () =>
      snsIntake(snsAlarmEvent(probeInstance, alarmsTopic), lambdaContext('intakeSns')),
    )
      .then(() => {
        outcomes.intakeSns = 'ok';
      })
      .catch((e: Error) => {
        outcomes.intakeSns = e.name;
      });

    // The state machine's own runs; approvals resume through the loopback stand-in for Step Functions.
    const callbacks = await startCallbackServer();
    cleanups.push(() => callbacks.close());
    process.env.AWS_ENDPOINT_URL_SFN = callbacks.endpoint;
    process.env.MEDIC_APPROVAL_URL = `${callbacks.endpoint}/approval`;
    const local = await loadLocalMachine();
    // Runs spend most of their time waiting (Wait states, probe timeouts): a few at once. Each
    // scenario has its own instances, fake hosts and execution; the fleet guard is off (above).
    const queue = [...scenarios];
    const worker = async () => {
      for (let name = queue.shift(); name; name = queue.shift()) {
        const started = performance.now();
        const now = new Date();
        // A scenario's own settings (a planned-work window around its clock) hold for its run only.
        const own = SCENARIOS[name]?.env?.(now);
        const scoped = own ? Object.freeze({ ...process.env, ...own }) : null;
        const world = await setupScenario(name, { ec2, moto: runMoto, now });
        cleanups.push(() => world.teardown());
        if (CMK_SCENARIOS.has(name) && world.instanceIds[0])
          await attachCmkVolume(ec2, runMoto.endpoint, world.instanceIds[0]);
        // Every instance serves a status page component: each function that tells users does.
        if (world.instanceIds.length > 0)
          await ec2.send(
            new CreateTagsCommand({
              Resources: world.instanceIds,
              Tags: [{ Key: 'medic:statuspage-component', Value: 'simwebsite01' }],
            }),
          );
        const runIt = () =>
          local.run(world.event, {
            executionName: `iam-${name}-${Date.now()}`,
            waitMs: 100,
            retryMs: 50,
            callbacks,
            approver: localApprover(SCENARIOS[name]?.approval ?? 'approve', () => undefined),
          });
        const run = scoped ? await withEnvironment(scoped, runIt) : await runIt();
        await world.teardown();
        const output = (run.output ?? run.lastOutputs.get('CloseAfterFailure')) as
          | { outcome?: string }
          | undefined;
        outcomes[name] = `${run.status} ${output?.outcome ?? ''}`.trim();
        say(`  ${name}: ${outcomes[name]} (${Math.round(performance.now() - started)} ms)`);
      }
    };
    const runMoto = moto;
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));

    // A ticket that waits in the outbox (Jira down at Record), then the scheduled drain files it.
    jira.setFaults({ failNext: 1_000 });
    const held = await setupScenario('healthy', { ec2, moto, now: new Date() });
    cleanups.push(() => held.teardown());
    const heldRun = await local.run(held.event, {
      executionName: `iam-outbox-${Date.now()}`,
      waitMs: 100,
      retryMs: 50,
    });
    await held.teardown();
    jira.setFaults({});
    outcomes.outbox = heldRun.status;
    const drain = (await import('../../functions/drain-outbox.ts')).handler;
    const drained = (await asFunction('drainOutbox', () =>
      drain(scheduledEvent('medic-iam-drain-outbox'), lambdaContext('drainOutbox')),
    )) as {
      filed?: unknown[];
    };
    outcomes.drainOutbox = `filed ${drained?.filed?.length ?? 0}`;

    // The scheduled sweep over everything the scenarios left behind.
    const sweep = (await import('../../functions/health-sweep.ts')).handler;
    const swept = (await asFunction('healthSweep', () =>
      sweep(scheduledEvent('medic-iam-health-sweep'), lambdaContext('healthSweep')),
    )) as {
      checked?: number;
    };
    outcomes.healthSweep = `checked ${swept?.checked ?? 0}`;

    const calls = recording.stop();
    const facts = await factsFor(calls, moto.endpoint);
    return { calls, facts, outcomes };
  } finally {
    recording.stop();
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await Promise.all([moto?.stop(), jira?.close(), statusPage?.close()]);
  }
}
