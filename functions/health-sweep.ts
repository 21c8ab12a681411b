/** Scheduled health sweep (EventBridge schedule): one digest + one low-priority ticket of drift. */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { agentMetrics } from '../shared/adapters/agent-metrics.ts';
import { cloudWatchAlarms } from '../shared/adapters/cloudwatch-alarms.ts';
import { managedFleet } from '../shared/adapters/fleet.ts';
import { jiraTickets } from '../shared/adapters/jira.ts';
import { ssmSecret } from '../shared/adapters/secret-parameter.ts';
import { snsNotifier } from '../shared/adapters/sns.ts';
import { coreConfig, jiraConfig } from '../shared/config.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, logger } from '../shared/lambda.ts';
import type { TicketPort } from '../shared/ports.ts';
import { healthSweep } from '../shared/usecases/health-sweep.ts';

const ec2 = new EC2Client({});
const cloudwatch = new CloudWatchClient({});
const autoScaling = new AutoScalingClient({});
const sns = new SNSClient({});
const ssm = new SSMClient({});
let tickets: TicketPort | undefined;

async function ticketPort(): Promise<TicketPort> {
  if (tickets) return tickets;
  const config = jiraConfig();
  const apiToken = config.JIRA_API_TOKEN ?? (await ssmSecret(ssm, config.JIRA_API_TOKEN_PARAMETER ?? '')());
  tickets = jiraTickets({
    baseUrl: config.JIRA_BASE_URL,
    email: config.JIRA_EMAIL,
    apiToken,
    projectKey: config.JIRA_PROJECT_KEY,
    issueType: config.JIRA_ISSUE_TYPE,
    timeoutMs: config.JIRA_TIMEOUT_MS,
  });
  return tickets;
}

export const handler = lambda(async () => {
  const result = await healthSweep({
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
  });
  logger.info('health sweep done', {
    checked: result.checked,
    drift: result.drift.length,
    ticket: result.ticket?.key ?? null,
    ticketError: result.ticketError,
  });
  return result;
});
