/**
 * The Jira ticket port every function that files tickets shares (record, admit's storm ticket, the
 * outbox drainer, the health sweep). The API token is read from SSM (SecureString) once per Lambda
 * sandbox, never from the deployed stack's environment; the port itself is cheap and is bound to
 * the caller's deadline, so no Jira call outlives the invocation that made it.
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import { jiraTickets } from './adapters/jira.ts';
import { ssmSecret } from './adapters/secret-parameter.ts';
import { jiraConfig, jiraOff, perEnvironment } from './config.ts';
import type { Deadline } from './domain/deadline.ts';
import { JiraDisabledError } from './errors.ts';
import type { RemoteLinkPort, TicketPort } from './ports.ts';

const ssm = new SSMClient({});
/** Per sandbox (per run locally): the token read and the port bound to no deadline. */
const cache = /* @__PURE__ */ perEnvironment(() => ({
  apiToken: undefined as Promise<string> | undefined,
  unbounded: undefined as (TicketPort & RemoteLinkPort) | undefined,
}));

export async function ticketPort(deadline?: Deadline): Promise<TicketPort & RemoteLinkPort> {
  const cached = cache();
  if (!deadline && cached.unbounded) return cached.unbounded;
  if (jiraOff()) {
    // Callers already keep a ticket Jira could not take: Record puts it in the durable outbox.
    throw new JiraDisabledError(
      'Jira is off for this deployment (--param jira=off): the ticket stays in the outbox; the SNS message carries the full timeline',
    );
  }
  const config = jiraConfig();
  cached.apiToken ??= config.JIRA_API_TOKEN
    ? Promise.resolve(config.JIRA_API_TOKEN)
    : ssmSecret(ssm, config.JIRA_API_TOKEN_PARAMETER ?? '')();
  // A failed read is not cached: the next invocation asks SSM again.
  const token = await cached.apiToken.catch((error: unknown) => {
    cached.apiToken = undefined;
    throw error;
  });
  const port = jiraTickets({
    baseUrl: config.JIRA_BASE_URL,
    email: config.JIRA_EMAIL,
    apiToken: token,
    projectKey: config.JIRA_PROJECT_KEY,
    issueType: config.JIRA_ISSUE_TYPE,
    timeoutMs: config.JIRA_TIMEOUT_MS,
    deployment: config.JIRA_DEPLOYMENT,
    ...(deadline ? { deadline } : {}),
  });
  if (!deadline) cached.unbounded = port;
  return port;
}
