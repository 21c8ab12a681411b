/**
 * Jira adapter (Jira Cloud REST v3) on jira-client. Search uses POST /rest/api/3/search/jql through
 * jira-client's generic request: its searchJira() calls the old /search endpoint Jira Cloud removes.
 * Transient failures (5xx, 429, timeouts, refused connections) are retried here with backoff and
 * jitter, then surface as JiraUnavailableError; 4xx surface as JiraRequestError.
 */
import { createRequire } from 'node:module';
import { JiraRequestError, JiraUnavailableError } from '../errors.ts';
import type { TicketPort, TicketRef } from '../ports.ts';

const require = createRequire(import.meta.url);

interface JiraClientLike {
  doRequest(options: Record<string, unknown>): Promise<unknown>;
  makeRequestHeader(uri: string, options?: Record<string, unknown>): Record<string, unknown>;
  makeUri(options: { pathname: string; query?: Record<string, string> }): string;
  addNewIssue(issue: unknown): Promise<{ key: string; id: string; self: string }>;
  addCommentAdvanced(issueId: string, comment: unknown): Promise<unknown>;
}

export interface JiraSettings {
  baseUrl: string;
  email: string;
  apiToken: string;
  projectKey: string;
  issueType: string;
  timeoutMs: number;
  /** Attempts per request for transient failures (default 3). */
  attempts?: number;
  /** Base backoff in ms (default 200); full jitter. */
  backoffMs?: number;
}

interface HttpFailure {
  statusCode?: number;
  code?: string;
  body?: unknown;
}

/** postman-request, rejecting with the status code kept (jira-client's own request drops it). */
function requestKeepingStatus(options: Record<string, unknown>): Promise<unknown> {
  const postmanRequest = require('postman-request') as (
    o: Record<string, unknown>,
    cb: (err: (Error & { code?: string }) | null, res: { statusCode: number; body: unknown }) => void,
  ) => void;
  return new Promise((resolve, reject) => {
    postmanRequest(options, (err, res) => {
      if (err)
        return reject({ code: err.code ?? 'ERR', message: err.message } satisfies HttpFailure & {
          message: string;
        });
      if (res.statusCode >= 400)
        return reject({ statusCode: res.statusCode, body: res.body } satisfies HttpFailure);
      resolve(res.body);
    });
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

export function jiraTickets(settings: JiraSettings): TicketPort {
  type JiraCtor = new (o: Record<string, unknown>) => JiraClientLike;
  const loaded = require('jira-client') as JiraCtor | { default: JiraCtor };
  const JiraApi = 'default' in loaded ? loaded.default : loaded;
  const url = new URL(settings.baseUrl);
  const client = new JiraApi({
    protocol: url.protocol.replace(':', ''),
    host: url.hostname,
    port: url.port || undefined,
    base: url.pathname.replace(/\/$/, ''),
    username: settings.email,
    password: settings.apiToken,
    apiVersion: '3',
    strictSSL: true,
    timeout: settings.timeoutMs,
    request: requestKeepingStatus,
  });
  const attempts = settings.attempts ?? 3;
  const backoffMs = settings.backoffMs ?? 200;
  const browse = (key: string) => `${settings.baseUrl.replace(/\/$/, '')}/browse/${key}`;

  async function withRetry<T>(what: string, call: () => Promise<T>): Promise<T> {
    let last: HttpFailure = {};
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        return await call();
      } catch (error) {
        last = parseFailure(error);
        const status = last.statusCode;
        if (status !== undefined && status < 500 && status !== 429) {
          throw new JiraRequestError(`Jira ${what} rejected: ${describe(last)}`);
        }
        if (attempt < attempts) {
          await new Promise((r) => setTimeout(r, Math.random() * backoffMs * 2 ** (attempt - 1)));
        }
      }
    }
    throw new JiraUnavailableError(`Jira ${what} failed after ${attempts} attempts: ${describe(last)}`);
  }

  return {
    async findByLabel(label) {
      // The label is an episode key ([A-Za-z0-9_-] only), quoted: nothing from an alarm reaches JQL unescaped.
      const safe = label.replace(/[^A-Za-z0-9_-]/g, '');
      const jql = `project = "${settings.projectKey}" AND labels = "${safe}" ORDER BY created DESC`;
      const result = (await withRetry('search', () =>
        client.doRequest(
          client.makeRequestHeader(client.makeUri({ pathname: '/search/jql' }), {
            method: 'POST',
            body: { jql, fields: ['summary', 'status', 'labels'], maxResults: 1 },
          }),
        ),
      )) as { issues?: { key: string }[] };
      const first = result.issues?.[0];
      return first ? ({ key: first.key, url: browse(first.key) } satisfies TicketRef) : null;
    },

    async create(draft) {
      const created = await withRetry('create issue', () =>
        client.addNewIssue({
          fields: {
            project: { key: settings.projectKey },
            issuetype: { name: settings.issueType },
            summary: draft.summary,
            description: draft.description,
            labels: draft.labels,
            priority: { name: draft.priority },
          },
        }),
      );
      return { key: created.key, url: browse(created.key) };
    },

    async comment(key, body) {
      await withRetry('comment', () => client.addCommentAdvanced(key, { body }));
    },
  };
}
