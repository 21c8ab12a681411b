/** Scheduled health sweep (EventBridge schedule): one digest + one low-priority ticket of drift. */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import { agentMetrics } from '../shared/adapters/agent-metrics.ts';
import { cloudWatchAlarms } from '../shared/adapters/cloudwatch-alarms.ts';
import { documentClient } from '../shared/adapters/dynamo-document.ts';
import { managedFleet } from '../shared/adapters/fleet.ts';
import { lambdaLoadBurst } from '../shared/adapters/lambda-load-burst.ts';
import { dynamoLoadBaselines } from '../shared/adapters/safety/load-baselines.ts';
import { snsNotifier } from '../shared/adapters/sns.ts';
import { clientFor } from '../shared/aws-clients.ts';
import { ScheduledEventSchema } from '../shared/aws-events.ts';
import { coreConfig, orgConfig, safetyConfig, stressConfig } from '../shared/config.ts';
import { LOAD_CAPS } from '../shared/domain/load-check.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { ticketPort } from '../shared/jira-port.ts';
import { awsLambda, deadlineOf } from '../shared/lambda.ts';
import { healthSweep, type SweepScope, type SweepScopes } from '../shared/usecases/health-sweep.ts';

const ec2 = new EC2Client({});
const cloudwatch = new CloudWatchClient({});
const autoScaling = new AutoScalingClient({});
const sns = new SNSClient({});

/** The Availability Zones of each named Auto Scaling group (50 names per call, as AWS allows). */
async function groupZones(client: AutoScalingClient, names: string[]): Promise<Map<string, string[]>> {
  const zones = new Map<string, string[]>();
  for (let i = 0; i < names.length; i += 50) {
    const out = await client.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: names.slice(i, i + 50) }),
    );
    for (const g of out.AutoScalingGroups ?? []) {
      if (g.AutoScalingGroupName) zones.set(g.AutoScalingGroupName, g.AvailabilityZones ?? []);
    }
  }
  return zones;
}

/**
 * An organization (members or regions configured): every account × region, each read with clients
 * built there (a member account through its role, the session named after the sweep). Null: one
 * account and region, read with the function's own clients as before.
 */
function organizationScopes(day: string): SweepScopes | null {
  const org = orgConfig();
  const central = org.MEDIC_CENTRAL_ACCOUNT;
  const regions = org.MEDIC_REGIONS ?? [org.AWS_REGION];
  const accounts = [...new Set([central ?? '', ...(org.MEDIC_MEMBER_ACCOUNTS ?? [])])];
  if (!central || (accounts.length === 1 && regions.every((r) => r === org.AWS_REGION))) return null;
  return {
    scopes: accounts.flatMap((account) => regions.map((region): SweepScope => ({ account, region }))),
    home: { account: central, region: org.AWS_REGION },
    async read(scope) {
      const where = { ...scope, incidentId: `health-sweep-${day}` };
      const [ec2In, cloudwatchIn, autoScalingIn] = await Promise.all([
        clientFor('ec2', (k) => new EC2Client(k), where),
        clientFor('cloudwatch', (k) => new CloudWatchClient(k), where),
        clientFor('autoscaling', (k) => new AutoScalingClient(k), where),
      ]);
      const fleet = await managedFleet(ec2In);
      const groups = [...new Set(fleet.flatMap((i) => (i.autoScalingGroup ? [i.autoScalingGroup] : [])))];
      const [metrics, alarms, zones] = await Promise.all([
        agentMetrics(
          cloudwatchIn,
          fleet.map((i) => i.instanceId),
        ),
        cloudWatchAlarms(cloudwatchIn).medicAlarms(),
        groupZones(autoScalingIn, groups),
      ]);
      return { fleet, metrics, alarms: new Set(alarms.map((a) => a.AlarmName ?? '')), zones };
    },
  };
}

/** The routine stress check, when the LoadCheck function is deployed and the check is not turned off. */
function stress() {
  const c = stressConfig();
  if (!c.MEDIC_LOAD_CHECK_FUNCTION || c.MEDIC_SWEEP_STRESS_MAX === 0) return undefined;
  const burst = lambdaLoadBurst(new LambdaClient({}), c.MEDIC_LOAD_CHECK_FUNCTION);
  return {
    burst: (_id: string, url: string, check: { requests: number; concurrency: number }) =>
      burst.burst(url, {
        requests: check.requests,
        connections: check.concurrency,
        maxSeconds: LOAD_CAPS.seconds,
      }),
    baselines: dynamoLoadBaselines(documentClient(new DynamoDBClient({})), safetyConfig().MEDIC_SAFETY_TABLE),
    maxPerSweep: c.MEDIC_SWEEP_STRESS_MAX,
  };
}

export const handler = awsLambda(
  ScheduledEventSchema,
  async (_event, context) => {
    const scopes = organizationScopes(systemClock().toISOString().slice(0, 10));
    return healthSweep({
      fleet: () => managedFleet(ec2),
      agentMetrics: (ids) => agentMetrics(cloudwatch, ids),
      alarmNames: async () =>
        new Set((await cloudWatchAlarms(cloudwatch).medicAlarms()).map((a) => a.AlarmName ?? '')),
      asgZones: (names) => groupZones(autoScaling, names),
      notifier: snsNotifier(sns, coreConfig().MEDIC_STAKEHOLDER_TOPIC_ARN),
      tickets: ticketPort,
      clock: systemClock,
      deadline: deadlineOf(context),
      stress: stress(),
      ...(scopes ? { scopes } : {}),
    });
  },
  {
    outcome: (result) => ({
      checked: result.checked,
      drift: result.drift.length,
      ticket: result.ticket?.key ?? null,
      ticketError: result.ticketError,
      stressed: result.stressed.length,
    }),
  },
);
