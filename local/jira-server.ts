/**
 * A local Jira for tests and `medic simulate`: a real HTTP server on 127.0.0.1 that answers only the
 * routes in jira-routes.generated.json (taken from Atlassian's OpenAPI spec): Jira Cloud REST v3
 * (ADF, validated against Atlassian's ADF JSON schema from @atlaskit/adf-schema) and the REST v2
 * twins Jira Data Center serves (wiki-markup strings), with
 * Jira's response shapes and the validation that catches real client mistakes (non-ADF descriptions,
 * labels with spaces, over-long summaries, the removed /search endpoint, old `startAt` paging).
 * Issues live in memory; every request is recorded so tests can assert what medic sent.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/** Injected failures, for retry/backoff/outbox tests. Checked in order: delay, failNext, status. */
export type JiraFaults = {
  /** Every request answers this status (e.g. 503) with a Jira-like error body. */
  status?: number;
  /** Wait this long before answering, to exercise client timeouts. */
  delayMs?: number;
  /** The next N requests answer 500; counts down to 0. */
  failNext?: number;
  /**
   * The next N issue creates are carried out, and their answer is held this long: a Jira under load
   * that files the issue after the client has given up on the request.
   */
  lateCreates?: { count: number; ms: number };
};

export type JiraServerOptions = {
  port?: number;
  email?: string;
  apiToken?: string;
  projectKey?: string;
  faults?: JiraFaults;
};

/** Atlassian Document Format root node; only its outer shape is checked here. */
export type AdfDoc = { type: 'doc'; version: 1; content: unknown[] };

export type JiraStatusCategory = { id: number; key: string; name: string; colorName: string };
export type JiraStatus = { id: string; name: string; statusCategory: JiraStatusCategory };

/** A body as sent: ADF through REST v3, a wiki-markup string through REST v2. */
export type JiraBody = AdfDoc | string;

export type LocalJiraComment = { id: string; body: JiraBody; created: string };

export type LocalJiraAttachment = {
  id: string;
  filename: string;
  mimeType: string;
  size: number;
  content: string;
  created: string;
};

export type LocalJiraIssue = {
  id: string;
  key: string;
  fields: {
    summary: string;
    /** The ADF document exactly as received (null when the issue was created without one). */
    description: JiraBody | null;
    labels: string[];
    priority: { id: string; name: string };
    issuetype: { id: string; name: string };
    project: { id: string; key: string; name: string };
    status: JiraStatus;
    created: string;
    updated: string;
  };
  comments: LocalJiraComment[];
  attachments: LocalJiraAttachment[];
  /** Issue links (POST /issueLink), as each side sees them. */
  links?: { type: string; direction: 'inward' | 'outward'; key: string }[];
  /** Remote issue links (e.g. the post-incident review page), keyed in Jira by globalId. */
  remoteLinks?: LocalJiraRemoteLink[];
};

export type LocalJiraRemoteLink = {
  id: number;
  globalId: string | null;
  relationship: string | null;
  object: { url: string; title: string; summary?: string };
};

export type RecordedRequest = {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  status: number;
  /** ISO-8601 time the request arrived. */
  at: string;
  /** Parsed JSON body, or undefined when empty or not JSON. */
  body: unknown;
};

export type LocalJira = {
  baseUrl: string;
  port: number;
  issues(): LocalJiraIssue[];
  requests(): RecordedRequest[];
  setFaults(faults: JiraFaults): void;
  close(): Promise<void>;
};

// ---------------------------------------------------------------------------------------------
// Route table: derived from the generated OpenAPI subset, never hand-written paths
// ---------------------------------------------------------------------------------------------

export type SubsetRoute = { method: string; path: string; operationId: string; summary: string };

const ROUTES_FILE = new URL('./jira-routes.generated.json', import.meta.url);

function loadSubsetRoutes(key: 'routes' | 'dataCenterRoutes' = 'routes'): SubsetRoute[] {
  const parsed: unknown = JSON.parse(readFileSync(ROUTES_FILE, 'utf8'));
  const routes = isRecord(parsed) ? parsed[key] : undefined;
  if (!Array.isArray(routes)) throw new Error(`${ROUTES_FILE.pathname} has no routes array`);
  return routes.map((route: unknown) => {
    if (!isRecord(route) || typeof route.method !== 'string' || typeof route.path !== 'string') {
      throw new Error(`${ROUTES_FILE.pathname} has a malformed route: ${JSON.stringify(route)}`);
    }
    return {
      method: route.method,
      path: route.path,
      operationId: String(route.operationId ?? ''),
      summary: String(route.summary ?? ''),
    };
  });
}

/** The Jira Cloud routes this server knows about (all of them exist in Atlassian's spec). */
export const SUBSET_ROUTES: readonly SubsetRoute[] = loadSubsetRoutes();

/**
 * REST v2 twins of spec routes, for Jira Data Center (wiki markup): each names the spec route it
 * mirrors (`/rest/api/2/x` ↔ `/rest/api/3/x`), checked by the generator against the spec.
 */
export const DATA_CENTER_ROUTES: readonly SubsetRoute[] = loadSubsetRoutes('dataCenterRoutes');

type CompiledRoute = SubsetRoute & { pattern: RegExp; paramNames: string[] };

/** `/rest/api/3/issue/{issueIdOrKey}` → `^/rest/api/3/issue/([^/]+)$` with param names. */
export function compilePathTemplate(template: string): { pattern: RegExp; paramNames: string[] } {
  const paramNames: string[] = [];
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const param = /^\{([^}]+)\}$/.exec(part);
      if (param?.[1] !== undefined) {
        paramNames.push(param[1]);
        return '([^/]+)';
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return { pattern: new RegExp(`^${source}$`), paramNames };
}

const COMPILED_ROUTES: readonly CompiledRoute[] = [...SUBSET_ROUTES, ...DATA_CENTER_ROUTES].map((route) => ({
  ...route,
  ...compilePathTemplate(route.path),
}));

function matchRoute(
  method: string,
  pathname: string,
): { route: CompiledRoute; params: Record<string, string> } | undefined {
  for (const route of COMPILED_ROUTES) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(pathname);
    if (!match) continue;
    const params: Record<string, string> = {};
    route.paramNames.forEach((name, index) => {
      params[name] = safeDecode(match[index + 1] ?? '');
    });
    return { route, params };
  }
  return undefined;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

// ---------------------------------------------------------------------------------------------
// Jira fixtures: one project, the simplified workflow, Jira Cloud's default priorities
// ---------------------------------------------------------------------------------------------

const PROJECT_ID = '10000';
const USER_ACCOUNT_ID = '712020:6d656469-6300-4000-8000-6c6f63616c00';

const STATUS_CATEGORIES = {
  new: { id: 2, key: 'new', name: 'To Do', colorName: 'blue-gray' },
  indeterminate: { id: 4, key: 'indeterminate', name: 'In Progress', colorName: 'yellow' },
  done: { id: 3, key: 'done', name: 'Done', colorName: 'green' },
} as const satisfies Record<string, JiraStatusCategory>;

const STATUSES = {
  todo: { id: '10000', name: 'To Do', statusCategory: STATUS_CATEGORIES.new },
  inProgress: { id: '3', name: 'In Progress', statusCategory: STATUS_CATEGORIES.indeterminate },
  done: { id: '10001', name: 'Done', statusCategory: STATUS_CATEGORIES.done },
} as const satisfies Record<string, JiraStatus>;

type Transition = { id: string; name: string; to: JiraStatus; from: readonly string[] };

/** Simplified workflow: To Do → In Progress → Done; Done is left only through "Reopen". */
const TRANSITIONS: readonly Transition[] = [
  { id: '11', name: 'To Do', to: STATUSES.todo, from: [STATUSES.inProgress.id] },
  { id: '21', name: 'In Progress', to: STATUSES.inProgress, from: [STATUSES.todo.id] },
  { id: '31', name: 'Done', to: STATUSES.done, from: [STATUSES.todo.id, STATUSES.inProgress.id] },
  { id: '41', name: 'Reopen', to: STATUSES.todo, from: [STATUSES.done.id] },
];

const PRIORITIES = [
  { id: '1', name: 'Highest' },
  { id: '2', name: 'High' },
  { id: '3', name: 'Medium' },
  { id: '4', name: 'Low' },
  { id: '5', name: 'Lowest' },
] as const;
const DEFAULT_PRIORITY = PRIORITIES[2];

const ISSUE_TYPES = [
  { id: '10001', name: 'Task' },
  { id: '10002', name: 'Bug' },
  { id: '10003', name: 'Incident' },
] as const;

/** Fields this Jira knows; anything else in `fields` is rejected like an off-screen field. */
const ISSUE_FIELD_NAMES = [
  'summary',
  'description',
  'labels',
  'priority',
  'issuetype',
  'project',
  'status',
  'created',
  'updated',
  'comment',
  'issuelinks',
] as const;
const CREATE_FIELDS = new Set(['project', 'summary', 'description', 'issuetype', 'labels', 'priority']);
const EDIT_FIELDS = new Set(['summary', 'description', 'labels', 'priority']);

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const MAX_SEARCH_RESULTS = 5000;
const ADF_ERROR = 'Operation value must be an Atlassian Document (see the Atlassian Document Format)';
const ISSUE_NOT_FOUND = 'Issue does not exist or you do not have permission to see it.';

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Jira's timestamp format: 2024-05-01T10:00:00.000+0000. */
function jiraTime(date = new Date()): string {
  return date.toISOString().replace('Z', '+0000');
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

function jiraError(status: number, errorMessages: string[], errors: Record<string, string> = {}): Reply {
  return { status, body: { errorMessages, errors } };
}

/** Checks the ADF envelope and that every node has a type (text nodes a text); returns a reason. */
function adfProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'not an object';
  if (value.type !== 'doc') return 'root node type must be "doc"';
  if (value.version !== 1) return 'root node version must be 1';
  if (!Array.isArray(value.content)) return 'root node must have a content array';
  const stack: unknown[] = [...value.content];
  while (stack.length > 0) {
    const node = stack.pop();
    if (!isRecord(node) || typeof node.type !== 'string' || node.type === '') return 'a node has no type';
    if (node.type === 'text' && typeof node.text !== 'string') return 'a text node has no text';
    if (node.content !== undefined) {
      if (!Array.isArray(node.content)) return `a ${node.type} node has a non-array content`;
      stack.push(...node.content);
    }
    if (node.marks !== undefined && !Array.isArray(node.marks))
      return `a ${node.type} node has non-array marks`;
  }
  return undefined;
}

const require = createRequire(import.meta.url);
type SchemaCheck = ((value: unknown) => boolean) & {
  errors?: { instancePath: string; message?: string }[] | null;
};
let adfSchemaCheck: SchemaCheck | undefined;

/** Atlassian's ADF JSON schema (@atlaskit/adf-schema, draft-04), compiled once per process on first use. */
export function adfSchemaProblem(value: unknown): string | undefined {
  if (!adfSchemaCheck) {
    const Ajv = require('ajv-draft-04') as new (
      o: Record<string, unknown>,
    ) => {
      compile(schema: unknown): SchemaCheck;
    };
    adfSchemaCheck = new Ajv({ strict: false, allErrors: false }).compile(
      require('@atlaskit/adf-schema/dist/json-schema/v1/full.json'),
    );
  }
  if (adfSchemaCheck(value)) return undefined;
  const first = adfSchemaCheck.errors?.[0];
  return `does not match the ADF schema at ${first?.instancePath || '/'}: ${first?.message ?? 'invalid'}`;
}

function isAdfDoc(value: unknown): value is AdfDoc {
  return adfProblem(value) === undefined && adfSchemaProblem(value) === undefined;
}

function adfOrSchemaProblem(value: unknown): string | undefined {
  return adfProblem(value) ?? adfSchemaProblem(value);
}

const WIKI_ERROR = 'Operation value must be a string';

/** v3 takes ADF, v2 takes a wiki-markup string: each rejects the other, as real Jira does. */
function bodyProblem(version: 2 | 3, value: unknown): string | undefined {
  if (version === 2) return typeof value === 'string' ? undefined : WIKI_ERROR;
  return isAdfDoc(value) ? undefined : `${ADF_ERROR}: ${adfOrSchemaProblem(value)}`;
}

function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of params) {
    const previous = out[key];
    out[key] =
      previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  return out;
}

/** Parses a non-negative integer query/body value; undefined when absent, NaN when invalid. */
function intParam(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'number' ? value : Number(value);
  return Number.isInteger(number) && number >= 0 ? number : Number.NaN;
}

// ---------------------------------------------------------------------------------------------
// Field selection (`fields` parameter of GET issue and the enhanced search)
// ---------------------------------------------------------------------------------------------

type FieldSelection = { idOnly: boolean; fields: string[] };

/**
 * Jira's `fields` semantics: `*all`/`*navigable`, `id`, named fields, `-name` exclusions. The
 * default differs by route: GET issue returns all fields, /search/jql returns ids only.
 */
function selectFields(requested: readonly string[], fallback: '*all' | 'id'): FieldSelection {
  const tokens = requested
    .flatMap((entry) => entry.split(','))
    .map((token) => token.trim())
    .filter((token) => token !== '');
  if (tokens.length === 0) tokens.push(fallback);
  let all = false;
  const include = new Set<string>();
  const exclude = new Set<string>();
  for (const token of tokens) {
    if (token === '*all' || token === '*navigable') all = true;
    else if (token.startsWith('-')) exclude.add(token.slice(1));
    else if (token !== 'id' && token !== 'key') include.add(token);
  }
  if (!all && include.size === 0 && exclude.size > 0) all = true;
  const fields = ISSUE_FIELD_NAMES.filter((name) => (all || include.has(name)) && !exclude.has(name));
  return { idOnly: tokens.every((token) => token === 'id'), fields };
}

// ---------------------------------------------------------------------------------------------
// Tiny JQL: `field = value`, `field in (a, b)` joined by AND, optional `ORDER BY created [ASC|DESC]`
// ---------------------------------------------------------------------------------------------

export type JqlField = 'project' | 'labels' | 'status' | 'statuscategory';
export type JqlClause = { field: JqlField; values: string[] };
export type JqlQuery = { clauses: JqlClause[]; orderByCreated?: 'ASC' | 'DESC' };

/** A JQL problem; `message` is what Jira puts in errorMessages. */
export class JqlError extends Error {
  override name = 'JqlError';
}

type JqlToken = { kind: 'word' | 'string' | 'punct'; text: string; position: number };

const JQL_FIELDS: readonly JqlField[] = ['project', 'labels', 'status', 'statuscategory'];
const JQL_RESERVED_WORDS = new Set(['and', 'or', 'not', 'in', 'is', 'order', 'by', 'empty', 'null', 'was']);
const UNBOUNDED_JQL =
  'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.';

function jqlSyntaxError(detail: string, position: number): JqlError {
  return new JqlError(`Error in the JQL Query: ${detail} (line 1, character ${position + 1})`);
}

function tokenizeJql(jql: string): JqlToken[] {
  const tokens: JqlToken[] = [];
  let i = 0;
  while (i < jql.length) {
    const char = jql.charAt(i);
    if (/\s/.test(char)) {
      i += 1;
    } else if (char === '"' || char === "'") {
      const start = i;
      let text = '';
      i += 1;
      while (i < jql.length && jql.charAt(i) !== char) {
        if (jql.charAt(i) === '\\') {
          const escaped = jql.charAt(i + 1);
          if (escaped === 'u' && /^[0-9a-fA-F]{4}$/.test(jql.slice(i + 2, i + 6))) {
            text += String.fromCharCode(Number.parseInt(jql.slice(i + 2, i + 6), 16));
            i += 6;
            continue;
          }
          text += escaped === 'n' ? '\n' : escaped === 't' ? '\t' : escaped === 'r' ? '\r' : escaped;
          i += 2;
        } else {
          text += jql.charAt(i);
          i += 1;
        }
      }
      if (i >= jql.length) throw jqlSyntaxError('The quoted string has not been completed.', start);
      i += 1;
      tokens.push({ kind: 'string', text, position: start });
    } else if ('(),='.includes(char)) {
      tokens.push({ kind: 'punct', text: char, position: i });
      i += 1;
    } else if ('!~<>'.includes(char)) {
      const operator = /^(!=|!~|<=|>=|~|<|>|!)/.exec(jql.slice(i))?.[0] ?? char;
      throw jqlSyntaxError(`The operator '${operator}' is not supported by medic's local Jira.`, i);
    } else {
      const start = i;
      while (i < jql.length && !/[\s(),="'!~<>]/.test(jql.charAt(i))) i += 1;
      const text = jql.slice(start, i);
      const reserved = /[^A-Za-z0-9_-]/.exec(text);
      if (reserved) {
        const code = reserved[0].charCodeAt(0).toString(16).padStart(4, '0');
        throw jqlSyntaxError(
          `The character '${reserved[0]}' is a reserved JQL character. You must enclose it in a string or use the escape '\\u${code}' instead.`,
          start + reserved.index,
        );
      }
      tokens.push({ kind: 'word', text, position: start });
    }
  }
  return tokens;
}

/** Parses the JQL subset medic uses; anything else is a 400, as real Jira would answer. */
export function parseJql(jql: string): JqlQuery {
  const tokens = tokenizeJql(jql);
  let index = 0;
  const peek = (): JqlToken | undefined => tokens[index];
  const isWord = (token: JqlToken | undefined, word: string): boolean =>
    token?.kind === 'word' && token.text.toLowerCase() === word;
  const describe = (token: JqlToken | undefined): string =>
    token ? `'${token.text}'` : 'the end of the query';
  const endPosition = jql.length;

  const expectPunct = (text: string): void => {
    const token = peek();
    if (token?.kind !== 'punct' || token.text !== text) {
      throw jqlSyntaxError(`Expecting '${text}' but got ${describe(token)}.`, token?.position ?? endPosition);
    }
    index += 1;
  };

  const readValue = (): string => {
    const token = peek();
    if (
      token?.kind === 'string' ||
      (token?.kind === 'word' && !JQL_RESERVED_WORDS.has(token.text.toLowerCase()))
    ) {
      index += 1;
      return token.text;
    }
    throw jqlSyntaxError(`Expecting a value but got ${describe(token)}.`, token?.position ?? endPosition);
  };

  const readClause = (): JqlClause => {
    const fieldToken = peek();
    if (fieldToken?.kind !== 'word' && fieldToken?.kind !== 'string') {
      throw jqlSyntaxError(
        `Expecting a field name but got ${describe(fieldToken)}.`,
        fieldToken?.position ?? endPosition,
      );
    }
    const field = JQL_FIELDS.find((name) => name === fieldToken.text.toLowerCase());
    if (!field) {
      throw jqlSyntaxError(
        `Field '${fieldToken.text}' is not supported by medic's local Jira (supported: project, labels, status, statusCategory).`,
        fieldToken.position,
      );
    }
    index += 1;
    const operator = peek();
    if (operator?.kind === 'punct' && operator.text === '=') {
      index += 1;
      return { field, values: [readValue()] };
    }
    if (isWord(operator, 'in')) {
      index += 1;
      expectPunct('(');
      const values = [readValue()];
      while (peek()?.kind === 'punct' && peek()?.text === ',') {
        index += 1;
        values.push(readValue());
      }
      expectPunct(')');
      return { field, values };
    }
    throw jqlSyntaxError(
      `Expecting operator '=' or 'in' but got ${describe(operator)}.`,
      operator?.position ?? endPosition,
    );
  };

  const readOrderBy = (): 'ASC' | 'DESC' => {
    index += 1; // ORDER
    if (!isWord(peek(), 'by'))
      throw jqlSyntaxError(`Expecting 'BY' but got ${describe(peek())}.`, peek()?.position ?? endPosition);
    index += 1;
    const field = peek();
    if (!isWord(field, 'created')) {
      throw jqlSyntaxError(
        `Ordering by ${describe(field)} is not supported by medic's local Jira (only 'created').`,
        field?.position ?? endPosition,
      );
    }
    index += 1;
    const direction = peek();
    if (isWord(direction, 'asc') || isWord(direction, 'desc')) {
      index += 1;
      return direction?.text.toUpperCase() === 'DESC' ? 'DESC' : 'ASC';
    }
    return 'ASC';
  };

  const query: JqlQuery = { clauses: [] };
  while (index < tokens.length) {
    if (isWord(peek(), 'order')) {
      query.orderByCreated = readOrderBy();
      if (index < tokens.length) {
        throw jqlSyntaxError(
          `Expecting the end of the query but got ${describe(peek())}.`,
          peek()?.position ?? endPosition,
        );
      }
      break;
    }
    if (query.clauses.length > 0) {
      if (!isWord(peek(), 'and')) {
        throw jqlSyntaxError(
          `Expecting 'AND' or 'ORDER BY' but got ${describe(peek())}.`,
          peek()?.position ?? endPosition,
        );
      }
      index += 1;
    }
    query.clauses.push(readClause());
  }
  if (query.clauses.length === 0) throw new JqlError(UNBOUNDED_JQL);
  return query;
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

type Account = { accountId: string; emailAddress: string; displayName: string };

type State = {
  baseUrl: string;
  projectKey: string;
  account: Account;
  issues: LocalJiraIssue[];
  nextIssueNumber: number;
  nextIssueId: number;
  nextCommentId: number;
};

type Context = {
  /** 3 for /rest/api/3 (Cloud, ADF), 2 for /rest/api/2 (Data Center, wiki markup). */
  version: 2 | 3;
  contentType: string;
  raw: Buffer;
  headers: Record<string, string | undefined>;
  state: State;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
};

type Handler = (ctx: Context) => Reply;

function issueSelf(state: State, issue: LocalJiraIssue): string {
  return `${state.baseUrl}/rest/api/3/issue/${issue.id}`;
}

function userJson(state: State): Record<string, unknown> {
  return {
    self: `${state.baseUrl}/rest/api/3/user?accountId=${encodeURIComponent(state.account.accountId)}`,
    accountId: state.account.accountId,
    accountType: 'atlassian',
    emailAddress: state.account.emailAddress,
    displayName: state.account.displayName,
    active: true,
    timeZone: 'Etc/UTC',
  };
}

function statusJson(state: State, status: JiraStatus): Record<string, unknown> {
  return {
    self: `${state.baseUrl}/rest/api/3/status/${status.id}`,
    id: status.id,
    name: status.name,
    description: '',
    statusCategory: {
      self: `${state.baseUrl}/rest/api/3/statuscategory/${status.statusCategory.id}`,
      ...status.statusCategory,
    },
  };
}

function commentJson(
  state: State,
  issue: LocalJiraIssue,
  comment: LocalJiraComment,
): Record<string, unknown> {
  const author = userJson(state);
  return {
    self: `${issueSelf(state, issue)}/comment/${comment.id}`,
    id: comment.id,
    author,
    body: comment.body,
    updateAuthor: author,
    created: comment.created,
    updated: comment.created,
    jsdPublic: true,
  };
}

function fieldJson(state: State, issue: LocalJiraIssue, name: string): unknown {
  const { fields } = issue;
  switch (name) {
    case 'priority':
      return { self: `${state.baseUrl}/rest/api/3/priority/${fields.priority.id}`, ...fields.priority };
    case 'issuetype':
      return {
        self: `${state.baseUrl}/rest/api/3/issuetype/${fields.issuetype.id}`,
        ...fields.issuetype,
        subtask: false,
      };
    case 'project':
      return {
        self: `${state.baseUrl}/rest/api/3/project/${fields.project.id}`,
        ...fields.project,
        projectTypeKey: 'software',
      };
    case 'status':
      return statusJson(state, fields.status);
    case 'comment':
      return {
        comments: issue.comments.map((comment) => commentJson(state, issue, comment)),
        self: `${issueSelf(state, issue)}/comment`,
        maxResults: issue.comments.length,
        total: issue.comments.length,
        startAt: 0,
      };
    case 'issuelinks':
      // As Jira shows them: the other issue under inwardIssue / outwardIssue, the type by name.
      return (issue.links ?? []).map((l) => ({
        type: { name: l.type },
        [l.direction === 'outward' ? 'inwardIssue' : 'outwardIssue']: { key: l.key },
      }));
    default:
      return fields[name as keyof LocalJiraIssue['fields']];
  }
}

/** IssueBean as Jira renders it; `selection.idOnly` gives the enhanced search's `{id}` rows. */
function issueJson(state: State, issue: LocalJiraIssue, selection: FieldSelection): Record<string, unknown> {
  if (selection.idOnly) return { id: issue.id };
  const fields: Record<string, unknown> = {};
  for (const name of selection.fields) fields[name] = fieldJson(state, issue, name);
  return {
    expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
    id: issue.id,
    self: issueSelf(state, issue),
    key: issue.key,
    fields,
  };
}

function findIssue(state: State, idOrKey: string | undefined): LocalJiraIssue | undefined {
  if (idOrKey === undefined) return undefined;
  const upper = idOrKey.toUpperCase();
  return state.issues.find((issue) => issue.id === idOrKey || issue.key === upper);
}

function cannotSet(name: string): string {
  return `Field '${name}' cannot be set. It is not on the appropriate screen, or unknown.`;
}

type FieldPatch = Partial<Pick<LocalJiraIssue['fields'], 'summary' | 'description' | 'labels' | 'priority'>>;

/** Validates the editable fields present in `fields`, collecting Jira-style per-field errors. */
function validateCommonFields(
  fields: Record<string, unknown>,
  errors: Record<string, string>,
  version: 2 | 3 = 3,
): FieldPatch {
  const patch: FieldPatch = {};
  if ('summary' in fields) {
    const summary = fields.summary;
    if (typeof summary !== 'string' || summary.trim() === '')
      errors.summary = 'You must specify a summary of the issue.';
    else if (/[\r\n]/.test(summary))
      errors.summary = 'The summary is invalid because it contains newline characters.';
    else if (summary.length > 255) errors.summary = 'Summary must be less than 255 characters.';
    else patch.summary = summary;
  }
  if ('description' in fields) {
    const problem = fields.description === null ? undefined : bodyProblem(version, fields.description);
    if (problem) errors.description = problem;
    else patch.description = fields.description as JiraBody | null;
  }
  if ('labels' in fields) {
    const labels = fields.labels;
    if (!Array.isArray(labels) || !labels.every((label) => typeof label === 'string')) {
      errors.labels = 'data was not an array of strings';
    } else {
      const spaced = labels.find((label) => /\s/.test(label));
      const long = labels.find((label) => label.length > 255);
      const empty = labels.some((label) => label === '');
      if (spaced !== undefined) errors.labels = `The label '${spaced}' contains spaces which is invalid.`;
      else if (long !== undefined) errors.labels = 'The label must not exceed 255 characters.';
      else if (empty) errors.labels = 'The label must not be empty.';
      else patch.labels = [...new Set(labels)];
    }
  }
  if ('priority' in fields) {
    const wanted = fields.priority;
    const priority = isRecord(wanted)
      ? PRIORITIES.find((p) => p.id === String(wanted.id) || p.name === wanted.name)
      : undefined;
    if (priority) patch.priority = { id: priority.id, name: priority.name };
    else
      errors.priority = `Specify a valid 'id' or 'name' for Priority (one of ${PRIORITIES.map((p) => p.name).join(', ')})`;
  }
  return patch;
}

const createIssue: Handler = ({ state, body, version }) => {
  const fields = isRecord(body) && isRecord(body.fields) ? body.fields : {};
  const errors: Record<string, string> = {};
  for (const name of Object.keys(fields)) if (!CREATE_FIELDS.has(name)) errors[name] = cannotSet(name);

  const project = fields.project;
  const projectOk =
    isRecord(project) &&
    ((typeof project.key === 'string' && project.key.toUpperCase() === state.projectKey) ||
      String(project.id) === PROJECT_ID);
  if (!projectOk) errors.project = 'Specify a valid project ID or key';

  if (!('summary' in fields)) errors.summary = 'You must specify a summary of the issue.';

  const wantedType = fields.issuetype;
  const issuetype = isRecord(wantedType)
    ? ISSUE_TYPES.find((t) => t.id === String(wantedType.id) || t.name === wantedType.name)
    : undefined;
  if (wantedType === undefined) errors.issuetype = 'Specify an issue type';
  else if (!issuetype) errors.issuetype = 'The issue type selected is invalid.';

  const patch = validateCommonFields(fields, errors, version);
  if (Object.keys(errors).length > 0 || !issuetype || patch.summary === undefined) {
    return jiraError(400, [], errors);
  }

  const now = jiraTime();
  const issue: LocalJiraIssue = {
    id: String(state.nextIssueId++),
    key: `${state.projectKey}-${state.nextIssueNumber++}`,
    fields: {
      summary: patch.summary,
      description: patch.description ?? null,
      labels: patch.labels ?? [],
      priority: patch.priority ?? { id: DEFAULT_PRIORITY.id, name: DEFAULT_PRIORITY.name },
      issuetype: { id: issuetype.id, name: issuetype.name },
      project: { id: PROJECT_ID, key: state.projectKey, name: `${state.projectKey} (medic local Jira)` },
      status: STATUSES.todo,
      created: now,
      updated: now,
    },
    comments: [],
    attachments: [],
  };
  state.issues.push(issue);
  return { status: 201, body: { id: issue.id, key: issue.key, self: issueSelf(state, issue) } };
};

const getIssue: Handler = ({ state, params, query }) => {
  const issue = findIssue(state, params.issueIdOrKey);
  if (!issue) return jiraError(404, [ISSUE_NOT_FOUND]);
  return { status: 200, body: issueJson(state, issue, selectFields(query.getAll('fields'), '*all')) };
};

/** Applies `update.labels` operations (`add`/`remove`/`set`), the usual way to tag an existing issue. */
function applyLabelOperations(
  labels: string[],
  operations: unknown,
  errors: Record<string, string>,
): string[] {
  if (!Array.isArray(operations)) {
    errors.labels = 'data was not an array';
    return labels;
  }
  let result = [...labels];
  for (const operation of operations) {
    const [verb, value] = isRecord(operation) ? (Object.entries(operation)[0] ?? []) : [];
    const checked = validateCommonFields({ labels: verb === 'set' ? value : [value] }, errors).labels;
    if (!checked) return labels;
    if (verb === 'add') result = [...new Set([...result, ...checked])];
    else if (verb === 'remove') result = result.filter((label) => !checked.includes(label));
    else if (verb === 'set') result = checked;
    else {
      errors.labels = `Unsupported operation '${String(verb)}' for labels (add, remove, set)`;
      return labels;
    }
  }
  return result;
}

const editIssue: Handler = ({ state, params, query, body, version }) => {
  const issue = findIssue(state, params.issueIdOrKey);
  if (!issue) return jiraError(404, [ISSUE_NOT_FOUND]);
  if (!isRecord(body)) return jiraError(400, ['The request body is missing or is not a JSON object.']);

  const fields = isRecord(body.fields) ? body.fields : {};
  const update = isRecord(body.update) ? body.update : {};
  const errors: Record<string, string> = {};
  for (const name of Object.keys(fields)) if (!EDIT_FIELDS.has(name)) errors[name] = cannotSet(name);
  for (const name of Object.keys(update)) if (name !== 'labels') errors[name] = cannotSet(name);
  if ('labels' in fields && 'labels' in update)
    errors.labels = 'Field labels can be set in either fields or update, not both.';
  const patch = validateCommonFields(fields, errors, version);
  const labels =
    'labels' in update ? applyLabelOperations(issue.fields.labels, update.labels, errors) : undefined;
  if (Object.keys(errors).length > 0) return jiraError(400, [], errors);

  Object.assign(issue.fields, patch, labels ? { labels } : {}, { updated: jiraTime() });
  if (query.get('returnIssue') === 'true') {
    return { status: 200, body: issueJson(state, issue, selectFields([], '*all')) };
  }
  return { status: 204 };
};

function addCommentTo(state: State, issue: LocalJiraIssue, body: JiraBody): LocalJiraComment {
  const comment: LocalJiraComment = { id: String(state.nextCommentId++), body, created: jiraTime() };
  issue.comments.push(comment);
  issue.fields.updated = comment.created;
  return comment;
}

const addComment: Handler = ({ state, params, body, version }) => {
  const issue = findIssue(state, params.issueIdOrKey);
  if (!issue) return jiraError(404, [ISSUE_NOT_FOUND]);
  const commentBody = isRecord(body) ? body.body : undefined;
  if (commentBody === undefined || commentBody === null) {
    return jiraError(400, [], { comment: 'Comment body can not be empty!' });
  }
  const problem = bodyProblem(version, commentBody);
  if (problem) return jiraError(400, [], { comment: problem });
  const comment = addCommentTo(state, issue, commentBody as JiraBody);
  return { status: 201, body: commentJson(state, issue, comment) };
};

const getComments: Handler = ({ state, params, query }) => {
  const issue = findIssue(state, params.issueIdOrKey);
  if (!issue) return jiraError(404, [ISSUE_NOT_FOUND]);
  const startAt = intParam(query.get('startAt')) ?? 0;
  const maxResults = intParam(query.get('maxResults')) ?? 100;
  const orderBy = query.get('orderBy') ?? 'created';
  if (Number.isNaN(startAt) || Number.isNaN(maxResults)) {
    return jiraError(400, ['startAt and maxResults must be non-negative integers.']);
  }
  if (!['created', '+created', '-created'].includes(orderBy)) {
    return jiraError(400, [`Ordering by '${orderBy}' is not supported; use created, +created or -created.`]);
  }
  const ordered = orderBy === '-created' ? [...issue.comments].reverse() : issue.comments;
  return {
    status: 200,
    body: {
      startAt,
      maxResults,
      total: issue.comments.length,
      comments: ordered
        .slice(startAt, startAt + maxResults)
        .map((comment) => commentJson(state, issue, comment)),
    },
  };
};

function matchesClause(issue: LocalJiraIssue, clause: JqlClause): boolean {
  const { fields } = issue;
  return clause.values.some((value) => {
    const lower = value.toLowerCase();
    switch (clause.field) {
      case 'project':
        return lower === fields.project.key.toLowerCase() || value === fields.project.id;
      case 'labels':
        return fields.labels.includes(value);
      case 'status':
        return lower === fields.status.name.toLowerCase() || value === fields.status.id;
      case 'statuscategory': {
        const category = fields.status.statusCategory;
        return [category.key, category.name.toLowerCase(), String(category.id)].includes(lower);
      }
      default: {
        const unsupported: never = clause.field;
        throw new JqlError(`unsupported JQL field ${String(unsupported)}`);
      }
    }
  });
}

/** Jira answers 400 when a JQL value names no project/status: catches typos instead of empty results. */
function unknownJqlValue(state: State, clause: JqlClause): string | undefined {
  const known: Record<JqlField, string[] | undefined> = {
    project: [state.projectKey.toLowerCase(), PROJECT_ID],
    labels: undefined,
    status: Object.values(STATUSES).flatMap((s) => [s.name.toLowerCase(), s.id]),
    statuscategory: Object.values(STATUS_CATEGORIES).flatMap((c) => [
      c.key,
      c.name.toLowerCase(),
      String(c.id),
    ]),
  };
  const allowed = known[clause.field];
  const bad = allowed ? clause.values.find((value) => !allowed.includes(value.toLowerCase())) : undefined;
  const fieldName = clause.field === 'statuscategory' ? 'statusCategory' : clause.field;
  return bad === undefined ? undefined : `The value '${bad}' does not exist for the field '${fieldName}'.`;
}

const SEARCH_BODY_KEYS = new Set([
  'jql',
  'fields',
  'maxResults',
  'nextPageToken',
  'expand',
  'properties',
  'fieldsByKeys',
  'reconcileIssues',
]);

type SearchRequest = { jql: unknown; fields: string[]; maxResults: unknown; nextPageToken: unknown };

/** Shared by GET (query string) and POST (JSON body) /rest/api/3/search/jql. */
function search(state: State, request: SearchRequest): Reply {
  if (request.jql !== undefined && typeof request.jql !== 'string')
    return jiraError(400, ['jql must be a string.']);
  let jql: JqlQuery;
  try {
    jql = parseJql(request.jql ?? '');
  } catch (error) {
    if (error instanceof JqlError) return jiraError(400, [error.message]);
    throw error;
  }
  const unknownValues = jql.clauses
    .map((clause) => unknownJqlValue(state, clause))
    .filter((m) => m !== undefined);
  if (unknownValues.length > 0) return jiraError(400, unknownValues);

  const requestedMax = intParam(request.maxResults) ?? 50;
  if (Number.isNaN(requestedMax) || requestedMax === 0)
    return jiraError(400, ['maxResults must be a positive integer.']);
  const maxResults = Math.min(requestedMax, MAX_SEARCH_RESULTS);

  let offset = 0;
  if (request.nextPageToken !== undefined && request.nextPageToken !== null) {
    const decoded =
      typeof request.nextPageToken === 'string'
        ? /^offset:(\d+)$/.exec(Buffer.from(request.nextPageToken, 'base64url').toString('utf8'))
        : null;
    if (!decoded?.[1]) return jiraError(400, ['The provided next page token is invalid or expired.']);
    offset = Number(decoded[1]);
  }

  const matching = state.issues.filter((issue) =>
    jql.clauses.every((clause) => matchesClause(issue, clause)),
  );
  if (jql.orderByCreated) {
    const sign = jql.orderByCreated === 'DESC' ? -1 : 1;
    matching.sort(
      (a, b) => sign * (a.fields.created.localeCompare(b.fields.created) || Number(a.id) - Number(b.id)),
    );
  }
  const page = matching.slice(offset, offset + maxResults);
  const isLast = offset + page.length >= matching.length;
  const selection = selectFields(request.fields, 'id');
  return {
    status: 200,
    body: {
      issues: page.map((issue) => issueJson(state, issue, selection)),
      isLast,
      ...(isLast
        ? {}
        : { nextPageToken: Buffer.from(`offset:${offset + page.length}`).toString('base64url') }),
    },
  };
}

const searchGet: Handler = ({ state, query }) =>
  search(state, {
    jql: query.get('jql') ?? undefined,
    fields: query.getAll('fields'),
    maxResults: query.get('maxResults') ?? undefined,
    nextPageToken: query.get('nextPageToken') ?? undefined,
  });

const searchPost: Handler = ({ state, body }) => {
  if (!isRecord(body)) return jiraError(400, ['The request body must be a JSON object.']);
  const unknown = Object.keys(body).filter((key) => !SEARCH_BODY_KEYS.has(key));
  // The enhanced search pages with nextPageToken; `startAt` & co. belong to the removed /search.
  if (unknown.length > 0)
    return jiraError(
      400,
      unknown.map((key) => `Unrecognized field "${key}"`),
    );
  const fields = body.fields ?? [];
  if (!Array.isArray(fields) || !fields.every((field) => typeof field === 'string')) {
    return jiraError(400, ['fields must be an array of strings.']);
  }
  return search(state, {
    jql: body.jql,
    fields,
    maxResults: body.maxResults,
    nextPageToken: body.nextPageToken,
  });
};

function transitionJson(state: State, transition: Transition): Record<string, unknown> {
  return {
    id: transition.id,
    name: transition.name,
    to: statusJson(state, transition.to),
    hasScreen: false,
    isGlobal: false,
    isInitial: false,
    isAvailable: true,
    isConditional: false,
    isLooped: false,
  };
}

const getTransitions: Handler = ({ state, params, query }) => {
  const issue = findIssue(state, params.issueIdOrKey);
  if (!issue) return jiraError(404, [ISSUE_NOT_FOUND]);
  const only = query.get('transitionId');
  const available = TRANSITIONS.filter(
    (t) => t.from.includes(issue.fields.status.id) && (only === null || t.id === only),
  );
  return {
    status: 200,
    body: { expand: 'transitions', transitions: available.map((t) => transitionJson(state, t)) },
  };
};

const doTransition: Handler = ({ state, params, body, version }) => {
  const issue = findIssue(state, params.issueIdOrKey);
  if (!issue) return jiraError(404, [ISSUE_NOT_FOUND]);
  const wanted = isRecord(body) && isRecord(body.transition) ? body.transition.id : undefined;
  if (wanted === undefined || wanted === null || wanted === '')
    return jiraError(400, ["Missing 'transition' identifier"]);
  const transition = TRANSITIONS.find(
    (t) => t.id === String(wanted) && t.from.includes(issue.fields.status.id),
  );
  if (!transition) return jiraError(400, [`Transition id '${String(wanted)}' is not valid for this issue.`]);

  // No transition screens in the simplified workflow: only a comment may ride along.
  const fields = isRecord(body) && isRecord(body.fields) ? body.fields : {};
  const update = isRecord(body) && isRecord(body.update) ? body.update : {};
  const errors: Record<string, string> = {};
  for (const name of Object.keys(fields)) errors[name] = cannotSet(name);
  for (const name of Object.keys(update)) if (name !== 'comment') errors[name] = cannotSet(name);
  const commentBodies: JiraBody[] = [];
  if ('comment' in update) {
    const operations = Array.isArray(update.comment) ? update.comment : [];
    for (const operation of operations) {
      const added = isRecord(operation) && isRecord(operation.add) ? operation.add.body : undefined;
      const problem = bodyProblem(version, added);
      if (problem) errors.comment = problem;
      else commentBodies.push(added as JiraBody);
    }
  }
  if (Object.keys(errors).length > 0) return jiraError(400, [], errors);

  issue.fields.status = transition.to;
  issue.fields.updated = jiraTime();
  for (const commentBody of commentBodies) addCommentTo(state, issue, commentBody);
  return { status: 204 };
};

const getMyself: Handler = ({ state }) => ({ status: 200, body: userJson(state) });

/** One `file` part of a multipart/form-data body: enough for what jira-client sends. */
function multipartFiles(
  contentType: string,
  raw: Buffer,
): { filename: string; mimeType: string; content: Buffer }[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const mark = boundary?.[1] ?? boundary?.[2];
  if (!mark) return [];
  const text = raw.toString('latin1');
  const files = [];
  for (const part of text.split(`--${mark}`)) {
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const head = part.slice(0, split);
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    const filename = /filename="([^"]*)"/i.exec(head)?.[1];
    if (name !== 'file' || filename === undefined) continue;
    const body = part.slice(split + 4).replace(/\r\n$/, '');
    files.push({
      filename,
      mimeType: /content-type:\s*([^\r\n]+)/i.exec(head)?.[1]?.trim() ?? 'application/octet-stream',
      content: Buffer.from(body, 'latin1'),
    });
  }
  return files;
}

const addAttachment: Handler = ({ state, params, contentType, raw, headers }) => {
  const issue = findIssue(state, params.issueIdOrKey);
  if (!issue) return jiraError(404, [ISSUE_NOT_FOUND]);
  // Jira's XSRF check: attachments need this header, or the request is refused.
  if ((headers['x-atlassian-token'] ?? '').toLowerCase().replace('-', '') !== 'nocheck')
    return jiraError(403, ['XSRF check failed: send X-Atlassian-Token: no-check']);
  if (!contentType.toLowerCase().startsWith('multipart/form-data'))
    return jiraError(415, ['Attachments must be sent as multipart/form-data.']);
  const files = multipartFiles(contentType, raw);
  if (files.length === 0) return jiraError(400, ['No file part named "file" in the request.']);
  const created = files.map((f) => {
    const attachment: LocalJiraAttachment = {
      id: String(state.nextCommentId++),
      filename: f.filename,
      mimeType: f.mimeType,
      size: f.content.length,
      content: f.content.toString('utf8'),
      created: jiraTime(),
    };
    issue.attachments.push(attachment);
    return attachment;
  });
  return {
    status: 200,
    body: created.map(({ content: _c, ...a }) => ({
      ...a,
      self: `${state.baseUrl}/rest/api/3/attachment/${a.id}`,
      author: userJson(state),
    })),
  };
};

/** Data Center's search (POST /rest/api/2/search): startAt paging, total. Cloud removes it from v3. */
const REMOTE_LINK_KEYS = new Set(['globalId', 'application', 'relationship', 'object']);

/**
 * Jira's createOrUpdateRemoteIssueLink: `object.url` and `object.title` are required; a link whose
 * globalId matches an existing one is replaced (200), anything else is created (201).
 */
const addRemoteLink: Handler = ({ state, params, body }) => {
  const issue = findIssue(state, params.issueIdOrKey);
  if (!issue) return jiraError(404, [ISSUE_NOT_FOUND]);
  if (!isRecord(body)) return jiraError(400, ['The request body is not a remote issue link.']);
  const errors: Record<string, string> = {};
  for (const name of Object.keys(body))
    if (!REMOTE_LINK_KEYS.has(name)) errors[name] = `'${name}' is not a remote link field.`;
  const object = isRecord(body.object) ? body.object : undefined;
  if (typeof object?.title !== 'string' || object.title === '') errors.title = "'title' is required.";
  if (typeof object?.url !== 'string' || !/^https?:\/\//.test(object.url)) errors.url = "'url' is required.";
  const globalId = body.globalId;
  if (globalId !== undefined && (typeof globalId !== 'string' || globalId.length > 255)) {
    errors.globalId = 'globalId must be a string of at most 255 characters.';
  }
  if (Object.keys(errors).length > 0 || !object) return jiraError(400, [], errors);
  if (!issue.remoteLinks) issue.remoteLinks = [];
  const links = issue.remoteLinks;
  const existing = typeof globalId === 'string' ? links.find((l) => l.globalId === globalId) : undefined;
  const link: LocalJiraRemoteLink = {
    id: existing?.id ?? 10000 + links.length,
    globalId: typeof globalId === 'string' ? globalId : null,
    relationship: typeof body.relationship === 'string' ? body.relationship : null,
    object: {
      url: String(object.url),
      title: String(object.title),
      ...(typeof object.summary === 'string' ? { summary: object.summary } : {}),
    },
  };
  if (existing) links.splice(links.indexOf(existing), 1, link);
  else links.push(link);
  const self = `${state.baseUrl}/rest/api/3/issue/${issue.key}/remotelink/${link.id}`;
  return { status: existing ? 200 : 201, body: { id: link.id, self } };
};

const getRemoteLinks: Handler = ({ state, params }) => {
  const issue = findIssue(state, params.issueIdOrKey);
  if (!issue) return jiraError(404, [ISSUE_NOT_FOUND]);
  return { status: 200, body: structuredClone(issue.remoteLinks ?? []) };
};

const searchV2: Handler = ({ state, body }) => {
  if (!isRecord(body)) return jiraError(400, ['The request body must be a JSON object.']);
  const fields = body.fields ?? [];
  if (!Array.isArray(fields) || !fields.every((field) => typeof field === 'string'))
    return jiraError(400, ['fields must be an array of strings.']);
  const startAt = intParam(body.startAt) ?? 0;
  if (Number.isNaN(startAt)) return jiraError(400, ['startAt must be a non-negative integer.']);
  const reply = search(state, {
    jql: body.jql,
    fields: fields.length ? fields : ['*navigable'],
    maxResults: body.maxResults,
    nextPageToken: undefined,
  });
  if (reply.status !== 200 || !isRecord(reply.body)) return reply;
  const all = reply.body.issues as unknown[];
  return {
    status: 200,
    body: { startAt, maxResults: all.length, total: all.length, issues: all.slice(startAt) },
  };
};

/** The link types a new Jira Cloud site has; an unknown type is a 404, as Jira answers. */
const LINK_TYPES = new Set(['Blocks', 'Cloners', 'Duplicate', 'Relates']);

const linkIssues: Handler = ({ state, body }) => {
  const b = isRecord(body) ? body : {};
  const type = isRecord(b.type) ? b.type.name : undefined;
  const keyOf = (side: unknown) => (isRecord(side) && typeof side.key === 'string' ? side.key : undefined);
  const inward = findIssue(state, keyOf(b.inwardIssue));
  const outward = findIssue(state, keyOf(b.outwardIssue));
  if (typeof type !== 'string' || !LINK_TYPES.has(type))
    return jiraError(404, [`No issue link type with name '${String(type)}' found.`]);
  if (!inward || !outward) return jiraError(404, [ISSUE_NOT_FOUND]);
  // A duplicate link is answered as created, and not stored twice.
  const add = (issue: LocalJiraIssue, direction: 'inward' | 'outward', key: string) => {
    issue.links ??= [];
    if (!issue.links.some((l) => l.type === type && l.direction === direction && l.key === key))
      issue.links.push({ type, direction, key });
  };
  add(outward, 'outward', inward.key);
  add(inward, 'inward', outward.key);
  return { status: 201 };
};

type ImplementedRoute = { method: string; path: string; handler: Handler };

/** What this server implements; each must be in the generated subset (checked at start-up). */
const ROUTE_HANDLERS: readonly ImplementedRoute[] = [
  { method: 'POST', path: '/rest/api/3/issue', handler: createIssue },
  { method: 'GET', path: '/rest/api/3/issue/{issueIdOrKey}', handler: getIssue },
  { method: 'PUT', path: '/rest/api/3/issue/{issueIdOrKey}', handler: editIssue },
  { method: 'POST', path: '/rest/api/3/issue/{issueIdOrKey}/comment', handler: addComment },
  { method: 'GET', path: '/rest/api/3/issue/{issueIdOrKey}/comment', handler: getComments },
  { method: 'POST', path: '/rest/api/3/search/jql', handler: searchPost },
  { method: 'GET', path: '/rest/api/3/search/jql', handler: searchGet },
  { method: 'GET', path: '/rest/api/3/issue/{issueIdOrKey}/transitions', handler: getTransitions },
  { method: 'POST', path: '/rest/api/3/issue/{issueIdOrKey}/transitions', handler: doTransition },
  { method: 'GET', path: '/rest/api/3/myself', handler: getMyself },
  { method: 'POST', path: '/rest/api/3/issue/{issueIdOrKey}/attachments', handler: addAttachment },
  // Data Center (REST v2): the same handlers, wiki-markup bodies; search is DC's own.
  { method: 'POST', path: '/rest/api/2/issue', handler: createIssue },
  { method: 'GET', path: '/rest/api/2/issue/{issueIdOrKey}', handler: getIssue },
  { method: 'PUT', path: '/rest/api/2/issue/{issueIdOrKey}', handler: editIssue },
  { method: 'POST', path: '/rest/api/2/issue/{issueIdOrKey}/comment', handler: addComment },
  { method: 'GET', path: '/rest/api/2/issue/{issueIdOrKey}/transitions', handler: getTransitions },
  { method: 'POST', path: '/rest/api/2/issue/{issueIdOrKey}/transitions', handler: doTransition },
  { method: 'POST', path: '/rest/api/2/issue/{issueIdOrKey}/attachments', handler: addAttachment },
  { method: 'POST', path: '/rest/api/2/search', handler: searchV2 },
  { method: 'POST', path: '/rest/api/3/issueLink', handler: linkIssues },
  { method: 'POST', path: '/rest/api/2/issueLink', handler: linkIssues },
  { method: 'POST', path: '/rest/api/3/issue/{issueIdOrKey}/remotelink', handler: addRemoteLink },
  { method: 'GET', path: '/rest/api/3/issue/{issueIdOrKey}/remotelink', handler: getRemoteLinks },
  { method: 'POST', path: '/rest/api/2/issue/{issueIdOrKey}/remotelink', handler: addRemoteLink },
  { method: 'GET', path: '/rest/api/2/issue/{issueIdOrKey}/remotelink', handler: getRemoteLinks },
];

export const IMPLEMENTED_ROUTES: readonly { method: string; path: string }[] = ROUTE_HANDLERS.map(
  ({ method, path }) => ({ method, path }),
);

const HANDLERS = new Map(ROUTE_HANDLERS.map((r) => [`${r.method} ${r.path}`, r.handler]));

function assertImplementedRoutesInSubset(): void {
  const known = new Set([...SUBSET_ROUTES, ...DATA_CENTER_ROUTES].map((r) => `${r.method} ${r.path}`));
  const extra = [...HANDLERS.keys()].filter((key) => !known.has(key));
  if (extra.length > 0) {
    throw new Error(
      `local Jira implements routes missing from jira-routes.generated.json: ${extra.join(', ')}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP plumbing
// ---------------------------------------------------------------------------------------------

type RawBody = { bytes: Buffer; tooLarge: boolean };

/** Reads the body, draining (not keeping) anything past the limit so the client still gets the 413. */
function readBody(req: IncomingMessage): Promise<RawBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => resolve({ bytes: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge }));
    req.on('error', reject);
  });
}

function isJsonContentType(header: string | undefined): boolean {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() === 'application/json';
}

function authorized(header: string | undefined, email: string, apiToken: string): boolean {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) return false;
  return Buffer.from(match[1], 'base64').toString('utf8') === `${email}:${apiToken}`;
}

/** Starts the local Jira on 127.0.0.1 (ephemeral port unless `port` is given). */
export async function startJiraServer(options: JiraServerOptions = {}): Promise<LocalJira> {
  assertImplementedRoutesInSubset();
  const email = options.email ?? 'medic@example.com';
  const apiToken = options.apiToken ?? 'local-token';
  let faults: JiraFaults = { ...options.faults };
  const recorded: RecordedRequest[] = [];
  const state: State = {
    baseUrl: '',
    projectKey: (options.projectKey ?? 'OPS').toUpperCase(),
    account: { accountId: USER_ACCOUNT_ID, emailAddress: email, displayName: 'medic (local Jira)' },
    issues: [],
    nextIssueNumber: 1,
    nextIssueId: 10001,
    nextCommentId: 10001,
  };

  async function answer(req: IncomingMessage, url: URL, raw: RawBody, parsed: unknown): Promise<Reply> {
    const method = req.method ?? 'GET';
    if (raw.tooLarge) return jiraError(413, [`The request body exceeds ${MAX_BODY_BYTES} bytes.`]);
    if (faults.delayMs) await sleep(faults.delayMs);
    if (faults.failNext && faults.failNext > 0) {
      faults = { ...faults, failNext: faults.failNext - 1 };
      return jiraError(500, ['medic local Jira: injected fault (failNext)']);
    }
    if (faults.status !== undefined) {
      const retry = faults.status === 429 || faults.status === 503 ? { 'retry-after': '1' } : undefined;
      return {
        ...jiraError(faults.status, [`medic local Jira: injected fault (status ${faults.status})`]),
        headers: retry,
      };
    }

    const matched = matchRoute(method, url.pathname);
    if (!matched) {
      return jiraError(404, [
        `medic local Jira: no such route ${method} ${url.pathname} (not in the Jira Cloud platform OpenAPI subset)`,
      ]);
    }
    if (!authorized(req.headers.authorization, email, apiToken)) {
      return {
        ...jiraError(401, ['You are not authenticated. Authentication required to perform this operation.']),
        headers: { 'www-authenticate': 'Basic realm="medic local Jira"' },
      };
    }
    const handler = HANDLERS.get(`${matched.route.method} ${matched.route.path}`);
    if (!handler) {
      return jiraError(501, [
        `medic local Jira: ${method} ${matched.route.path} (${matched.route.operationId}) is in the OpenAPI subset but not implemented`,
      ]);
    }
    const contentType = req.headers['content-type'] ?? '';
    const multipart = matched.route.path.endsWith('/attachments');
    if (raw.bytes.length > 0 && !multipart) {
      if (!isJsonContentType(req.headers['content-type'])) {
        return jiraError(415, ['Unsupported Media Type: send the body as Content-Type: application/json.']);
      }
      if (parsed === undefined) return jiraError(400, ['The request body is not valid JSON.']);
    }
    return handler({
      state,
      params: matched.params,
      query: url.searchParams,
      body: parsed,
      version: matched.route.path.startsWith('/rest/api/2/') ? 2 : 3,
      contentType,
      raw: raw.bytes,
      headers: req.headers as Record<string, string | undefined>,
    });
  }

  function send(res: ServerResponse, reply: Reply): void {
    const headers: Record<string, string> = { ...reply.headers };
    if (reply.body === undefined || reply.status === 204) {
      res.writeHead(reply.status, headers).end();
      return;
    }
    const payload = JSON.stringify(reply.body);
    headers['content-type'] = 'application/json;charset=UTF-8';
    headers['content-length'] = String(Buffer.byteLength(payload));
    res.writeHead(reply.status, headers).end(payload);
  }

  const server = createServer((req, res) => {
    const at = new Date().toISOString();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const respond = async (): Promise<void> => {
      const raw = await readBody(req);
      let parsed: unknown;
      if (raw.bytes.length > 0) {
        try {
          parsed = JSON.parse(raw.bytes.toString('utf8'));
        } catch {
          parsed = undefined;
        }
      }
      let reply: Reply;
      try {
        reply = await answer(req, url, raw, parsed);
        const late = faults.lateCreates;
        if (
          late &&
          late.count > 0 &&
          req.method === 'POST' &&
          /^\/rest\/api\/[23]\/issue$/.test(url.pathname)
        ) {
          faults = { ...faults, lateCreates: { ...late, count: late.count - 1 } };
          await sleep(late.ms);
        }
      } catch (error) {
        reply = jiraError(500, [`medic local Jira: internal error: ${(error as Error).message}`]);
      }
      recorded.push({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: queryObject(url.searchParams),
        status: reply.status,
        at,
        body: parsed,
      });
      send(res, reply);
    };
    respond().catch((error: unknown) => {
      if (!res.headersSent) send(res, jiraError(500, [`medic local Jira: ${(error as Error).message}`]));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  state.baseUrl = `http://127.0.0.1:${port}`;

  return {
    baseUrl: state.baseUrl,
    port,
    issues: () => structuredClone(state.issues),
    requests: () => structuredClone(recorded),
    setFaults: (next) => {
      faults = { ...next };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
