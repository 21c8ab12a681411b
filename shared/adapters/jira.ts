/**
 * Jira adapter on jira-client, for both deployments, chosen by one setting (JIRA_DEPLOYMENT):
 * - `cloud`: REST v3, descriptions and comments in Atlassian Document Format (adf.ts). Search uses
 *   POST /rest/api/3/search/jql through jira-client's generic request: its searchJira() calls the
 *   old /search endpoint Jira Cloud is removing.
 * - `data-center`: REST v2, wiki markup with everything from alarms and hosts escaped (wiki.ts).
 *   Data Center has no /search/jql; it keeps POST /rest/api/2/search.
 * Transient failures (5xx, 429, timeouts, refused connections) are retried here with backoff and
 * jitter, then surface as JiraUnavailableError; 4xx surface as JiraRequestError.
 */
// Static imports so esbuild bundles them: the deployed record function ships no node_modules.
import jiraClientModule from 'jira-client';
import postmanRequestModule from 'postman-request';
import { toAdf } from '../domain/adf.ts';
import { type Deadline, NO_DEADLINE } from '../domain/deadline.ts';
import type { TicketDocument } from '../domain/document.ts';
import { toWiki } from '../domain/wiki.ts';
import { DeadlineExceededError, JiraRequestError, JiraUnavailableError } from '../errors.ts';
import type { RemoteLinkPort, TicketFound, TicketPort, TicketRef } from '../ports.ts';

interface JiraClientLike {
  doRequest(options: Record<string, unknown>): Promise<unknown>;
  makeRequestHeader(uri: string, options?: Record<string, unknown>): Record<string, unknown>;
  makeUri(options: { pathname: string; query?: Record<string, string> }): string;
  addNewIssue(issue: unknown): Promise<{ key: string; id: string; self: string }>;
  addCommentAdvanced(issueId: string, comment: unknown): Promise<unknown>;
  updateIssue(issueId: string, issueUpdate: unknown): Promise<unknown>;
  listTransitions(issueId: string): Promise<{ transitions?: JiraTransition[] }>;
  transitionIssue(issueId: string, issueTransition: unknown): Promise<unknown>;
}

interface JiraTransition {
  id: string;
  name: string;
  to?: { name?: string; statusCategory?: { key?: string } };
}

export type JiraDeployment = 'cloud' | 'data-center';

export interface JiraSettings {
  baseUrl: string;
  email: string;
  apiToken: string;
  projectKey: string;
  issueType: string;
  /** cloud → REST v3 + ADF; data-center → REST v2 + wiki markup. Default cloud. */
  deployment?: JiraDeployment;
  timeoutMs: number;
  /** Attempts per request for transient failures (default 3). */
  attempts?: number;
  /** Base backoff in ms (default 200); full jitter. */
  backoffMs?: number;
  /**
   * The caller's deadline: no attempt starts with less than MIN_ATTEMPT_MS left, and each attempt is
   * cut off when the deadline passes, whatever timeoutMs and the retries would otherwise allow.
   */
  deadline?: Deadline;
}

/** Below this much time left, an attempt could not get an answer anyway: it is not started. */
export const MIN_ATTEMPT_MS = 250;

interface HttpFailure {
  statusCode?: number;
  code?: string;
  body?: unknown;
}

/**
 * postman-request, rejecting with the status code kept (jira-client's own request drops it). Its
 * `timeout` only bounds the wait for response headers, so a hard timer aborts the request at
 * `limitMs()` too (a server that answers headers and then trickles the body is cut off as well).
 */
function requestKeepingStatus(options: Record<string, unknown>, limitMs: () => number): Promise<unknown> {
  const postmanRequest = postmanRequestModule as unknown as (
    o: Record<string, unknown>,
    cb: (err: (Error & { code?: string }) | null, res: { statusCode: number; body: unknown }) => void,
  ) => { abort(): void };
  const hardMs = Math.max(1, Math.min(Number(options.timeout ?? Number.POSITIVE_INFINITY), limitMs()));
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const request = postmanRequest({ ...options, timeout: hardMs }, (err, res) => {
      clearTimeout(timer);
      if (err)
        return reject({ code: err.code ?? 'ERR', message: err.message } satisfies HttpFailure & {
          message: string;
        });
      if (res.statusCode >= 400)
        return reject({ statusCode: res.statusCode, body: res.body } satisfies HttpFailure);
      resolve(res.body);
    });
    timer = setTimeout(() => {
      request.abort();
      reject({ code: 'ETIMEDOUT', message: `no answer within ${hardMs} ms` });
    }, hardMs + 50);
  });
}

function parseFailure(error: unknown): HttpFailure {
  // jira-client wraps every failure as new Error(JSON.stringify(original)).
  try {
    return JSON.parse((error as Error).message) as HttpFailure;
  } catch {
    return { code: 'UNKNOWN' };
  }
}

function describe(f: HttpFailure): string {
  const body = f.body as { errorMessages?: string[]; errors?: Record<string, string> } | undefined;
  const messages = [...(body?.errorMessages ?? []), ...Object.values(body?.errors ?? {})].join('; ');
  return f.statusCode
    ? `HTTP ${f.statusCode}${messages ? `: ${messages}` : ''}`
    : `network error ${f.code ?? ''}`;
}

/** Renders for the deployment: what the description/comment body must be. */
export function renderFor(deployment: JiraDeployment, doc: TicketDocument): unknown {
  return deployment === 'cloud' ? toAdf(doc) : toWiki(doc);
}

/** Size Jira counts against its 32,767-character description limit. */
export function renderedLength(deployment: JiraDeployment, doc: TicketDocument): number {
  const rendered = renderFor(deployment, doc);
  return typeof rendered === 'string' ? rendered.length : JSON.stringify(rendered).length;
}

export function jiraTickets(settings: JiraSettings): TicketPort & RemoteLinkPort {
  type JiraCtor = new (o: Record<string, unknown>) => JiraClientLike;
  const loaded = jiraClientModule as unknown as JiraCtor | { default: JiraCtor };
  const JiraApi = 'default' in loaded ? loaded.default : loaded;
  const deployment = settings.deployment ?? 'cloud';
  const url = new URL(settings.baseUrl);
  const deadline = settings.deadline ?? NO_DEADLINE;
  const client = new JiraApi({
    protocol: url.protocol.replace(':', ''),
    host: url.hostname,
    port: url.port || undefined,
    base: url.pathname.replace(/\/$/, ''),
    username: settings.email,
    password: settings.apiToken,
    apiVersion: deployment === 'cloud' ? '3' : '2',
    strictSSL: true,
    timeout: settings.timeoutMs,
    request: (options: Record<string, unknown>) => requestKeepingStatus(options, () => deadline.leftMs()),
  });
  const attempts = settings.attempts ?? 3;
  const backoffMs = settings.backoffMs ?? 200;
  const browse = (key: string) => `${settings.baseUrl.replace(/\/$/, '')}/browse/${key}`;
  const render = (doc: TicketDocument) => renderFor(deployment, doc);

  async function withRetry<T>(what: string, call: () => Promise<T>): Promise<T> {
    let last: HttpFailure = {};
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (deadline.leftMs() < MIN_ATTEMPT_MS) {
        throw new DeadlineExceededError(
          `Jira ${what} not attempted: the function's time is nearly up${attempt > 1 ? ` (after ${attempt - 1} attempt(s): ${describe(last)})` : ''}`,
        );
      }
      try {
        return await call();
      } catch (error) {
        last = parseFailure(error);
        const status = last.statusCode;
        if (status !== undefined && status < 500 && status !== 429) {
          throw new JiraRequestError(`Jira ${what} rejected: ${describe(last)}`);
        }
        if (attempt < attempts) {
          const pause = Math.random() * backoffMs * 2 ** (attempt - 1);
          await new Promise((r) => setTimeout(r, Math.max(0, Math.min(pause, deadline.leftMs()))));
        }
      }
    }
    throw new JiraUnavailableError(`Jira ${what} failed after ${attempts} attempts: ${describe(last)}`);
  }

  const port: TicketPort & RemoteLinkPort = {
    flavour: deployment,

    async search(labels) {
      // Labels are medic-made ([A-Za-z0-9_.-] only) and quoted: nothing from an alarm reaches JQL unescaped.
      const clauses = labels.map((l) => `labels = "${l.replace(/[^A-Za-z0-9_.-]/g, '')}"`);
      const jql = `project = "${settings.projectKey}" AND ${clauses.join(' AND ')} ORDER BY created DESC`;
      const body = { jql, fields: ['labels', 'status', 'updated'], maxResults: 20 };
      const result = (await withRetry('search', () =>
        client.doRequest(
          client.makeRequestHeader(
            client.makeUri({ pathname: deployment === 'cloud' ? '/search/jql' : '/search' }),
            { method: 'POST', body },
          ),
        ),
      )) as {
        issues?: {
          key: string;
          fields?: { labels?: string[]; updated?: string; status?: { statusCategory?: { key?: string } } };
        }[];
      };
      return (result.issues ?? []).map(
        (i) =>
          ({
            key: i.key,
            url: browse(i.key),
            labels: i.fields?.labels ?? [],
            done: i.fields?.status?.statusCategory?.key === 'done',
            updated: i.fields?.updated
              ? new Date(i.fields.updated.replace(/([+-]\d\d)(\d\d)$/, '$1:$2')).toISOString()
              : null,
          }) satisfies TicketFound,
      );
    },

    async create(draft) {
      // A create that got no answer (timed out, connection dropped) may still have been filed: Jira
      // under load finishes the request after the client gives up. Before trying again, look for
      // the issue by its labels (the episode's label makes them unique), so a retry never files a
      // second ticket for one incident. A create Jira answered with 5xx did not happen.
      let unanswered = false;
      const created = await withRetry('create issue', async () => {
        if (unanswered) {
          const [found] = await port.search(draft.labels);
          if (found) return { key: found.key };
        }
        try {
          return (await client.addNewIssue({
            fields: {
              project: { key: settings.projectKey },
              issuetype: { name: settings.issueType },
              summary: draft.summary,
              description: render(draft.description),
              labels: draft.labels,
              priority: { name: draft.priority },
            },
          })) as { key: string };
        } catch (error) {
          if (parseFailure(error).statusCode === undefined) unanswered = true;
          throw error;
        }
      });
      return { key: created.key, url: browse(created.key) } satisfies TicketRef;
    },

    async update(key, change) {
      const fields: Record<string, unknown> = {};
      if (change.summary !== undefined) fields.summary = change.summary;
      if (change.priority !== undefined) fields.priority = { name: change.priority };
      if (change.description !== undefined) fields.description = render(change.description);
      const update = change.addLabels?.length
        ? { labels: change.addLabels.map((l) => ({ add: l })) }
        : undefined;
      await withRetry('update issue', () =>
        client.updateIssue(key, { fields, ...(update ? { update } : {}) }),
      );
    },

    async comment(key, body) {
      await withRetry('comment', () => client.addCommentAdvanced(key, { body: render(body) }));
    },

    async reopen(key) {
      const { transitions = [] } = await withRetry('list transitions', () => client.listTransitions(key));
      const open = transitions.filter((x) => x.to?.statusCategory?.key !== 'done');
      const chosen = open.find((x) => /reopen/i.test(x.name)) ?? open[0];
      if (!chosen) {
        throw new JiraRequestError(
          `Jira offers no transition out of the done status for ${key} (available: ${transitions.map((x) => x.name).join(', ') || 'none'})`,
        );
      }
      await withRetry('transition', () => client.transitionIssue(key, { transition: { id: chosen.id } }));
      return chosen.name;
    },

    async link(key, relatedKey) {
      // "Relates" is on every Jira site; the new ticket is the outward side ("relates to" the old one).
      await withRetry('link issues', () =>
        client.doRequest(
          client.makeRequestHeader(client.makeUri({ pathname: '/issueLink' }), {
            method: 'POST',
            body: { type: { name: 'Relates' }, inwardIssue: { key: relatedKey }, outwardIssue: { key } },
          }),
        ),
      );
    },

    async attach(key, file) {
      await withRetry('attach', () =>
        client.doRequest(
          client.makeRequestHeader(
            client.makeUri({ pathname: `/issue/${encodeURIComponent(key)}/attachments` }),
            {
              method: 'POST',
              headers: { 'X-Atlassian-Token': 'no-check' },
              formData: {
                file: {
                  value: Buffer.from(file.content, 'utf8'),
                  options: { filename: file.name, contentType: file.contentType },
                },
              },
            },
          ),
        ),
      );
    },

    async remoteLink(key, link) {
      // Jira replaces the link with the same globalId, so a rerun never adds a second one.
      await withRetry('remote link', () =>
        client.doRequest(
          client.makeRequestHeader(
            client.makeUri({ pathname: `/issue/${encodeURIComponent(key)}/remotelink` }),
            {
              method: 'POST',
              body: {
                globalId: link.globalId.slice(0, 255),
                relationship: 'post-incident review',
                object: {
                  url: link.url,
                  title: link.title,
                  ...(link.summary ? { summary: link.summary } : {}),
                },
              },
            },
          ),
        ),
      );
    },
  };
  return port;
}
