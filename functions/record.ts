/** Record Task: Jira ticket (create, update or reopen), the final SNS message and the run's metrics. */
import { appendFileSync } from 'node:fs';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import * as z from 'zod';
import { jiraTickets, renderedLength } from '../shared/adapters/jira.ts';
import { powertoolsMetrics } from '../shared/adapters/metrics.ts';
import { snsNotifier } from '../shared/adapters/sns.ts';
import { secureParameter } from '../shared/adapters/ssm-secret.ts';
import { coreConfig, jiraConfig } from '../shared/config.ts';
import { IncidentStateSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import type { TicketPort } from '../shared/ports.ts';
import { fallbackState, record } from '../shared/usecases/record.ts';

const sns = new SNSClient({});
const ssm = new SSMClient({});
let tickets: TicketPort | undefined;

async function ticketPort(): Promise<TicketPort> {
  if (tickets) return tickets;
  const config = jiraConfig();
  const apiToken =
    config.JIRA_API_TOKEN ?? (await secureParameter(ssm, config.JIRA_API_TOKEN_PARAMETER ?? ''));
  tickets = jiraTickets({
    baseUrl: config.JIRA_BASE_URL,
    email: config.JIRA_EMAIL,
    apiToken,
    projectKey: config.JIRA_PROJECT_KEY,
    issueType: config.JIRA_ISSUE_TYPE,
    timeoutMs: config.JIRA_TIMEOUT_MS,
    deployment: config.JIRA_DEPLOYMENT,
  });
  return tickets;
}

const Input = z.object({ state: z.unknown(), executionName: z.string().nullish() });

export const handler = lambda(async (event) => {
  const input = parseWith(Input, event, 'Record');
  const parsed = IncidentStateSchema.safeParse(input.state);
  // On the catch-all path Intake may have failed before an incident existed.
  const state = parsed.success
    ? parsed.data
    : (input.state as { error?: unknown } | null)?.error
      ? fallbackState(input.state, input.executionName ?? null, systemClock)
      : parseWith(IncidentStateSchema, input.state, 'Record');
  const core = coreConfig();
  // Read per run, not from the cached config: local runs point each run at its own file.
  const metricsFile = process.env.MEDIC_METRICS_FILE || core.MEDIC_METRICS_FILE;
  // A Jira misconfiguration must not stop the notification: read the deployment defensively.
  const deployment = process.env.JIRA_DEPLOYMENT === 'data-center' ? 'data-center' : 'cloud';
  const reopenHours = Number(process.env.JIRA_REOPEN_WINDOW_HOURS ?? 72);
  return record(state, {
    tickets: ticketPort,
    notifier: snsNotifier(sns, core.MEDIC_STAKEHOLDER_TOPIC_ARN),
    ...(core.MEDIC_STATUS_TOPIC_ARN ? { statusNotifier: snsNotifier(sns, core.MEDIC_STATUS_TOPIC_ARN) } : {}),
    metrics: powertoolsMetrics((line) =>
      metricsFile ? appendFileSync(metricsFile, `${line}\n`) : process.stdout.write(`${line}\n`),
    ),
    clock: systemClock,
    reopenWindowMs: (Number.isFinite(reopenHours) ? reopenHours : 72) * 3_600_000,
    measure: (doc) => renderedLength(deployment, doc),
  });
});
