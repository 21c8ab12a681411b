/** The local Jira the tests file tickets in: its one account, and the ticket adapter pointed at it. */

import { type LocalJira, startJiraServer } from '../../local/jira-server.ts';
import { type JiraSettings, jiraTickets } from '../../shared/adapters/jira.ts';
import type { TicketPort } from '../../shared/ports.ts';

/** The account and project the local Jira serves (any other credentials get a 401). */
export const LOCAL_JIRA = { email: 'medic@example.com', apiToken: 'local-token', projectKey: 'OPS' };

export function startLocalJira(): Promise<LocalJira> {
  return startJiraServer(LOCAL_JIRA);
}

/** The ticket adapter on the local Jira's account, with the settings a test turns on. */
export function localTickets(
  jira: { baseUrl: string },
  settings: Partial<JiraSettings> & { timeoutMs: number },
): TicketPort {
  return jiraTickets({ baseUrl: jira.baseUrl, ...LOCAL_JIRA, issueType: 'Task', ...settings });
}
