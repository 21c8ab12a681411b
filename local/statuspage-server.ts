/**
 * A local Statuspage for tests and `medic simulate`: a real HTTP server on 127.0.0.1 that answers
 * only the routes in statuspage-routes.generated.json (taken from Atlassian's published API
 * description), under /v1 as the real API does. It checks what the real API checks and what a
 * client gets wrong: the `Authorization: OAuth <key>` header, the page id, the body's wrapper key
 * and its fields (no field the route does not accept, enum values, `name` required and ≤ 255
 * characters, `body` ≤ 25,000, metadata values that are objects, known component ids), and the
 * per-token rate limit (1 request per second, a burst of 2 for jitter; answered 420 like the real API). Incidents and
 * components live in memory; every request is recorded, refused ones too.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export type StatusPageFaults = {
  /** Every request answers this status (e.g. 503: Statuspage is down). */
  status?: number;
  /** The next N requests answer 420 (rate limited) with Retry-After: `retryAfter` seconds. */
  rateLimitNext?: number;
  retryAfter?: string;
  /** Wait this long before answering. */
  delayMs?: number;
};

export type StatusPageServerOptions = {
  pageId?: string;
  apiKey?: string;
  /** Component id → name. */
  components?: Record<string, string>;
  faults?: StatusPageFaults;
  /**
   * The documented limit, 1 request per second per key, as a bucket of this many requests (default
   * 2: room for network and event-loop jitter, none for a client that does not space its requests).
   * 0 turns the check off.
   */
  burst?: number;
};

export type LocalStatusUpdate = {
  id: string;
  status: string;
  body: string;
  created_at: string;
  deliver_notifications: boolean;
};

export type LocalStatusIncident = {
  id: string;
  name: string;
  status: string;
  impact: string;
  impact_override: string | null;
  components: { id: string; name: string; status: string }[];
  metadata: Record<string, Record<string, unknown>>;
  incident_updates: LocalStatusUpdate[];
  created_at: string;
  updated_at: string;
  resolved_at: string | null;
  page_id: string;
  shortlink: string;
};

export type StatusRecordedRequest = {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  at: string;
  body: unknown;
  /** Why the server refused it (unknown route, bad field, rate limit …). */
  refused?: string;
};

export type LocalStatusPage = {
  /** The API base, as MEDIC_STATUSPAGE_URL takes it (…/v1). */
  baseUrl: string;
  pageId: string;
  apiKey: string;
  incidents(): LocalStatusIncident[];
  /** Every component status change, in order. */
  componentHistory(): { at: string; componentId: string; status: string }[];
  components(): Record<string, string>;
  requests(): StatusRecordedRequest[];
  setFaults(faults: StatusPageFaults): void;
  close(): Promise<void>;
};

type Field = { type: string | null; enum?: string[]; valueEnum?: string[] };
type Route = {
  method: string;
  path: string;
  operationId: string;
  query: string[];
  body: { wrapper: string; required: string[]; fields: Record<string, Field> } | null;
};
type Subset = { rateLimitPerSecond: number; rateLimitStatuses: number[]; routes: Route[] };

const SUBSET: Subset = JSON.parse(
  readFileSync(new URL('./statuspage-routes.generated.json', import.meta.url), 'utf8'),
) as Subset;

/** The routes this server answers: exactly the generated subset. */
export const STATUSPAGE_ROUTES: readonly Route[] = SUBSET.routes;

const compiled = SUBSET.routes.map((r) => {
  const names: string[] = [];
  const source = r.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { ...r, pattern: new RegExp(`^/v1${source}$`), names };
});

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function typeOk(field: Field, value: unknown): boolean {
  switch (field.type) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isRecord(value);
    default:
      return true;
  }
}

/** What the body breaks of the route's schema subset; null when it is acceptable. */
function bodyProblem(route: Route, body: unknown, known: Set<string>): string | null {
  if (!route.body) return body === undefined ? null : 'this route takes no body';
  if (!isRecord(body)) return 'the body must be a JSON object';
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== route.body.wrapper)
    return `the body must be { "${route.body.wrapper}": { … } }, got keys ${keys.join(', ') || 'none'}`;
  const inner = body[route.body.wrapper];
  if (!isRecord(inner)) return `${route.body.wrapper} must be an object`;
  for (const name of route.body.required)
    if (inner[name] === undefined) return `${route.body.wrapper}.${name} is required`;
  for (const [name, value] of Object.entries(inner)) {
    const field = route.body.fields[name];
    if (!field) return `${route.body.wrapper}.${name} is not a field this route accepts`;
    if (!typeOk(field, value)) return `${route.body.wrapper}.${name} must be ${field.type}`;
    if (field.enum && !field.enum.includes(String(value)))
      return `${route.body.wrapper}.${name} must be one of ${field.enum.join(', ')}`;
    if (field.valueEnum && isRecord(value)) {
      for (const [id, status] of Object.entries(value)) {
        if (!known.has(id)) return `${route.body.wrapper}.${name}: unknown component ${id}`;
        if (!field.valueEnum.includes(String(status)))
          return `${route.body.wrapper}.${name}.${id} must be one of ${field.valueEnum.join(', ')}`;
      }
    }
  }
  if (typeof inner.name === 'string' && inner.name.length > 255) return 'name: at most 255 characters';
  if (typeof inner.body === 'string' && inner.body.length > 25_000) return 'body: at most 25000 characters';
  if (Array.isArray(inner.component_ids))
    for (const id of inner.component_ids)
      if (!known.has(String(id))) return `component_ids: unknown component ${String(id)}`;
  if (isRecord(inner.metadata))
    for (const [k, v] of Object.entries(inner.metadata))
      if (!isRecord(v)) return `metadata.${k}: top-level values must be objects`;
  return null;
}

export async function startStatusPageServer(options: StatusPageServerOptions = {}): Promise<LocalStatusPage> {
  const pageId = options.pageId ?? 'medicpage01';
  const apiKey = options.apiKey ?? 'local-statuspage-key';
  const burst = options.burst ?? 2;
  const perSecond = SUBSET.rateLimitPerSecond;
  let faults: StatusPageFaults = { ...(options.faults ?? {}) };
  const components = new Map<string, { id: string; name: string; status: string }>(
    Object.entries(options.components ?? {}).map(([id, name]) => [id, { id, name, status: 'operational' }]),
  );
  const incidents: LocalStatusIncident[] = [];
  const history: { at: string; componentId: string; status: string }[] = [];
  const recorded: StatusRecordedRequest[] = [];
  let tokens = burst;
  let tokensAt = Date.now();
  let seq = 0;
  const newId = (prefix: string) => `${prefix}${(++seq).toString(36).padStart(10, '0')}`;

  function setComponents(map: unknown): void {
    if (!isRecord(map)) return;
    for (const [id, status] of Object.entries(map)) {
      const c = components.get(id);
      if (!c || c.status === status) continue;
      c.status = String(status);
      history.push({ at: new Date().toISOString(), componentId: id, status: c.status });
    }
  }

  function apply(incident: LocalStatusIncident, inner: Record<string, unknown>, now: string): void {
    if (typeof inner.status === 'string') incident.status = inner.status;
    if (typeof inner.impact_override === 'string') {
      incident.impact_override = inner.impact_override;
      incident.impact = inner.impact_override;
    }
    if (isRecord(inner.metadata))
      incident.metadata = { ...incident.metadata, ...(inner.metadata as LocalStatusIncident['metadata']) };
    const ids = new Set([
      ...incident.components.map((c) => c.id),
      ...(Array.isArray(inner.component_ids) ? inner.component_ids.map(String) : []),
      ...(isRecord(inner.components) ? Object.keys(inner.components) : []),
    ]);
    setComponents(inner.components);
    incident.components = [...ids].flatMap((id) => {
      const c = components.get(id);
      return c ? [{ ...c }] : [];
    });
    if (typeof inner.body === 'string' || typeof inner.status === 'string') {
      incident.incident_updates.unshift({
        id: newId('u'),
        status: incident.status,
        body: typeof inner.body === 'string' ? inner.body : '',
        created_at: now,
        deliver_notifications: inner.deliver_notifications !== false,
      });
    }
    incident.updated_at = now;
    if (incident.status === 'resolved') incident.resolved_at ??= now;
  }

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: (error as Error).message });
    });
  });

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  async function readBody(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > 1_000_000) throw new Error('body too large');
      chunks.push(chunk as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (!text) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      return { unparsable: text.slice(0, 200) };
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = await readBody(req);
    const at = new Date();
    const entry: StatusRecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      at: at.toISOString(),
      body,
    };
    recorded.push(entry);
    const answer = (status: number, payload: unknown, refused?: string, headers?: Record<string, string>) => {
      entry.status = status;
      if (refused) entry.refused = refused;
      send(res, status, payload, headers);
    };
    if (faults.delayMs) await sleep(faults.delayMs);
    if (faults.status) return answer(faults.status, { error: 'injected failure' }, 'injected failure');

    const route = compiled.find((r) => r.method === entry.method && r.pattern.test(url.pathname));
    if (!route)
      return answer(404, { error: 'The requested resource could not be found.' }, 'route not in the subset');
    if (req.headers.authorization !== `OAuth ${apiKey}`)
      return answer(401, { error: 'Could not authenticate' }, 'bad or missing Authorization: OAuth <key>');
    tokens = Math.min(burst, tokens + ((at.getTime() - tokensAt) / 1_000) * perSecond);
    tokensAt = at.getTime();
    const limited = (faults.rateLimitNext ?? 0) > 0 || (burst > 0 && tokens < 1);
    if (limited) {
      if ((faults.rateLimitNext ?? 0) > 0)
        faults = { ...faults, rateLimitNext: (faults.rateLimitNext ?? 0) - 1 };
      return answer(420, { error: 'Rate limit exceeded' }, 'rate limited', {
        'retry-after': faults.retryAfter ?? '1',
      });
    }
    tokens -= 1;
    for (const name of url.searchParams.keys())
      if (!route.query.includes(name))
        return answer(400, { error: `unknown query parameter ${name}` }, `query ${name}`);
    const params = Object.fromEntries(
      route.names.map((n, i) => [n, decodeURIComponent(route.pattern.exec(url.pathname)?.[i + 1] ?? '')]),
    );
    if (params.page_id !== pageId) return answer(404, { error: 'page not found' }, 'unknown page');
    const problem = bodyProblem(route, body, new Set(components.keys()));
    if (problem) return answer(422, { error: problem }, problem);
    const now = at.toISOString();
    const newestFirst = () => [...incidents].sort((a, b) => b.created_at.localeCompare(a.created_at));

    switch (route.operationId) {
      case 'getPagesPageIdIncidentsUnresolved':
        return answer(
          200,
          newestFirst().filter((i) => i.status !== 'resolved'),
        );
      case 'getPagesPageIdIncidents': {
        const q = url.searchParams.get('q')?.toLowerCase();
        const limit = Math.min(100, Number(url.searchParams.get('limit') ?? 100) || 100);
        const matching = newestFirst().filter(
          (i) =>
            !q ||
            i.name.toLowerCase().includes(q) ||
            i.incident_updates.some((u) => u.body.toLowerCase().includes(q)),
        );
        return answer(200, matching.slice(0, limit));
      }
      case 'postPagesPageIdIncidents': {
        const inner = (body as { incident: Record<string, unknown> }).incident;
        const incident: LocalStatusIncident = {
          id: newId('i'),
          name: String(inner.name),
          status: 'investigating',
          impact: 'none',
          impact_override: null,
          components: [],
          metadata: {},
          incident_updates: [],
          created_at: now,
          updated_at: now,
          resolved_at: null,
          page_id: pageId,
          shortlink: 'https://stspg.io/local',
        };
        apply(incident, { status: 'investigating', ...inner }, now);
        incidents.push(incident);
        return answer(201, incident);
      }
      case 'patchPagesPageIdIncidentsIncidentId': {
        const incident = incidents.find((i) => i.id === params.incident_id);
        if (!incident) return answer(404, { error: 'incident not found' }, 'unknown incident');
        apply(incident, (body as { incident: Record<string, unknown> }).incident, now);
        return answer(200, incident);
      }
      default:
        return answer(
          501,
          { error: `${route.operationId} is in the subset but not served here` },
          'not served',
        );
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    pageId,
    apiKey,
    incidents: () => structuredClone(incidents),
    componentHistory: () => [...history],
    components: () => Object.fromEntries([...components.values()].map((c) => [c.id, c.status])),
    requests: () => structuredClone(recorded),
    setFaults(next) {
      faults = { ...next };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
