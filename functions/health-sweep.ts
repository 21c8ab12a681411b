/** Scheduled health sweep (EventBridge schedule): one digest + one low-priority ticket of drift. */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import { agentMetrics } from '../shared/adapters/agent-metrics.ts';
import { cloudWatchAlarms } from '../shared/adapters/cloudwatch-alarms.ts';
import { managedFleet } from '../shared/adapters/fleet.ts';
import { snsNotifier } from '../shared/adapters/sns.ts';
import { ScheduledEventSchema } from '../shared/aws-events.ts';
import { coreConfig } from '../shared/config.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { ticketPort } from '../shared/jira-port.ts';
import { awsLambda, deadlineOf } from '../shared/lambda.ts';
import { healthSweep } from '../shared/usecases/health-sweep.ts';

const ec2 = new EC2Client({});
const cloudwatch = new CloudWatchClient({});
const autoScaling = new AutoScalingClient({});
const sns = new SNSClient({});

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
    }),
  {
    outcome: (result) => ({
      checked: result.checked,
      drift: result.drift.length,
      ticket: result.ticket?.key ?? null,
      ticketError: result.ticketError,
    }),
  },
);
