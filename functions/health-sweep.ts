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
import { ScheduledEventSchema } from '../shared/aws-events.ts';
import { coreConfig, safetyConfig, stressConfig } from '../shared/config.ts';
import { LOAD_CAPS } from '../shared/domain/load-check.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { ticketPort } from '../shared/jira-port.ts';
import { awsLambda, deadlineOf } from '../shared/lambda.ts';
import { healthSweep } from '../shared/usecases/health-sweep.ts';

const ec2 = new EC2Client({});
const cloudwatch = new CloudWatchClient({});
const autoScaling = new AutoScalingClient({});
const sns = new SNSClient({});

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
  async (_event, context) =>
    healthSweep({
      fleet: () => managedFleet(ec2),
      agentMetrics: (ids) => agentMetrics(cloudwatch, ids),
      alarmNames: async () =>
        new Set((await cloudWatchAlarms(cloudwatch).medicAlarms()).map((a) => a.AlarmName ?? '')),
      asgZones: async (names) => {
        const zones = new Map<string, string[]>();
        for (let i = 0; i < names.length; i += 50) {
          const out = await autoScaling.send(
            new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: names.slice(i, i + 50) }),
          );
          for (const g of out.AutoScalingGroups ?? []) {
            if (g.AutoScalingGroupName) zones.set(g.AutoScalingGroupName, g.AvailabilityZones ?? []);
          }
        }
        return zones;
      },
      notifier: snsNotifier(sns, coreConfig().MEDIC_STAKEHOLDER_TOPIC_ARN),
      tickets: ticketPort,
      clock: systemClock,
      deadline: deadlineOf(context),
      stress: stress(),
    }),
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
