/**
 * The Jira ticket port every function that files tickets shares (record, admit's storm ticket, the
 * outbox drainer, the health sweep): built once per Lambda sandbox, the API token read from SSM
 * (SecureString) on first use, never from the deployed stack's environment.
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import { jiraTickets } from './adapters/jira.ts';
import { ssmSecret } from './adapters/secret-parameter.ts';
import { jiraConfig, jiraOff } from './config.ts';
import { JiraDisabledError } from './errors.ts';
import type { TicketPort } from './ports.ts';

const ssm = new SSMClient({});
let tickets: TicketPort | undefined;

export async function ticketPort(): Promise<TicketPort> {
  if (tickets) return tickets;
  if (jiraOff()) {
    // Callers already keep a ticket Jira could not take: Record puts it in the durable outbox.
    throw new JiraDisabledError(
      'Jira is off for this deployment (--param jira=off): the ticket stays in the outbox; the SNS message carries the full timeline',
    );
  }
  const config = jiraConfig();
  const apiToken = config.JIRA_API_TOKEN ?? (await ssmSecret(ssm, config.JIRA_API_TOKEN_PARAMETER ?? '')());
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
