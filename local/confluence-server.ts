/**
 * A local Confluence for tests and `medic simulate`: a real HTTP server on 127.0.0.1 that answers
 * only the routes in confluence-routes.generated.json — Confluence Cloud REST v2 (from Atlassian's
 * published description, with the query parameters each route accepts) and the hand-listed Data
 * Center `/rest/api/content` routes — with Confluence's rules that catch real client mistakes: a
 * storage body that is not well-formed XHTML (or uses elements medic does not render), a second page
 * with the same title in a space, an update whose version is not the current one plus one (409).
 * Pages live in memory; every request is recorded so tests can assert what medic sent.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compilePathTemplate } from './jira-server.ts';
import { storageProblem } from './storage-format.ts';

export type ConfluenceFaults = {
  /** Every request answers 503 (Confluence down behind its load balancer). */
  down?: boolean;
  /** The next N requests answer 500. */
  failNext?: number;
};

export type ConfluenceServerOptions = {
  email?: string;
  token?: string;
  spaceKey?: string;
  faults?: ConfluenceFaults;
};

export type LocalConfluencePage = {
  id: string;
  title: string;
  spaceId: string;
  spaceKey: string;
  parentId: string | null;
  version: number;
  /** The storage-format body exactly as received. */
  body: string;
  url: string;
};

export type ConfluenceRequest = {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  body: unknown;
};

export type LocalConfluence = {
  baseUrl: string;
  spaceKey: string;
  spaceId: string;
  homepageId: string;
  pages(): LocalConfluencePage[];
  requests(): ConfluenceRequest[];
  setFaults(faults: ConfluenceFaults): void;
  close(): Promise<void>;
};

type SubsetRoute = {
  method: string;
  path: string;
  operationId: string;
  queryParameters: string[];
  representations?: string[];
};

const ROUTES_FILE = new URL('./confluence-routes.generated.json', import.meta.url);

function loadRoutes(): { cloud: SubsetRoute[]; dataCenter: SubsetRoute[] } {
  const parsed = JSON.parse(readFileSync(ROUTES_FILE, 'utf8')) as {
    routes?: SubsetRoute[];
    dataCenterRoutes?: SubsetRoute[];
  };
  if (!Array.isArray(parsed.routes) || !Array.isArray(parsed.dataCenterRoutes))
    throw new Error(`${ROUTES_FILE.pathname} has no routes`);
  return { cloud: parsed.routes, dataCenter: parsed.dataCenterRoutes };
}

export const CONFLUENCE_ROUTES = loadRoutes();

const COMPILED = [...CONFLUENCE_ROUTES.cloud, ...CONFLUENCE_ROUTES.dataCenter].map((r) => ({
  ...r,
  ...compilePathTemplate(r.path),
}));

type Json = Record<string, unknown>;
const isJson = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

/** Confluence Cloud's v2 error shape. */
const fail = (status: number, title: string, detail?: string): Reply => ({
  status,
  body: {
    errors: [{ status, code: title.toUpperCase().replace(/\W+/g, '_'), title, detail: detail ?? null }],
  },
});

const MAX_BODY_BYTES = 5 * 1024 * 1024;

export async function startConfluenceServer(options: ConfluenceServerOptions = {}): Promise<LocalConfluence> {
  const email = options.email ?? 'medic@example.com';
  const token = options.token ?? 'local-confluence-token';
  const spaceKey = options.spaceKey ?? 'OPS';
  const spaceId = '98304';
  const homepageId = '98305';
  let faults: ConfluenceFaults = { ...options.faults };
  const pages: LocalConfluencePage[] = [];
  const recorded: ConfluenceRequest[] = [];
  let nextId = 131073;
  let baseUrl = '';

  const authorized = (header: string | undefined): boolean => {
    const basic = /^Basic\s+(\S+)$/i.exec(header ?? '');
    if (basic?.[1]) return Buffer.from(basic[1], 'base64').toString('utf8') === `${email}:${token}`;
    const bearer = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    return bearer?.[1] === token;
  };

  const cloudJson = (p: LocalConfluencePage) => ({
    id: p.id,
    status: 'current',
    title: p.title,
    spaceId: p.spaceId,
    parentId: p.parentId,
    version: { number: p.version },
    _links: { webui: `/spaces/${p.spaceKey}/pages/${p.id}`, base: `${baseUrl}/wiki` },
  });
  const dcJson = (p: LocalConfluencePage) => ({
    id: p.id,
    type: 'page',
    status: 'current',
    title: p.title,
    space: { key: p.spaceKey },
    version: { number: p.version },
    _links: { webui: `/pages/viewpage.action?pageId=${p.id}`, base: baseUrl },
  });

  /** Checks a storage body against the representations the route accepts. */
  function bodyProblem(route: SubsetRoute, body: unknown): string | undefined {
    if (!isJson(body)) return 'body is required';
    if (body.representation !== 'storage' || !(route.representations ?? []).includes('storage'))
      return `representation ${String(body.representation)} is not the storage format medic sends`;
    return storageProblem(body.value);
  }

  function titleTaken(title: string, exceptId?: string): boolean {
    return pages.some((p) => p.title === title && p.id !== exceptId);
  }

  function createPage(title: unknown, parentId: unknown, value: string): LocalConfluencePage | Reply {
    if (typeof title !== 'string' || title.trim() === '' || title.length > 255)
      return fail(400, 'Bad Request', 'title is required (at most 255 characters)');
    if (titleTaken(title)) return fail(400, 'Bad Request', 'A page with this title already exists');
    if (parentId !== undefined && parentId !== homepageId && !pages.some((p) => p.id === parentId))
      return fail(404, 'Not Found', `parent ${String(parentId)} does not exist`);
    const id = String(nextId++);
    const page: LocalConfluencePage = {
      id,
      title,
      spaceId,
      spaceKey,
      parentId: typeof parentId === 'string' ? parentId : homepageId,
      version: 1,
      body: value,
      url: `${baseUrl}/wiki/spaces/${spaceKey}/pages/${id}`,
    };
    pages.push(page);
    return page;
  }

  function updatePage(id: string, body: Json, title: unknown, value: string): LocalConfluencePage | Reply {
    const page = pages.find((p) => p.id === id);
    if (!page) return fail(404, 'Not Found', `page ${id} does not exist`);
    if (body.id !== undefined && String(body.id) !== id) return fail(400, 'Bad Request', 'id does not match');
    const version = isJson(body.version) ? body.version.number : undefined;
    if (typeof version !== 'number' || version !== page.version + 1)
      return fail(
        409,
        'Conflict',
        `Version must be incremented on update. Current version is: ${page.version}`,
      );
    if (typeof title !== 'string' || title.trim() === '')
      return fail(400, 'Bad Request', 'title is required');
    if (titleTaken(title, id)) return fail(400, 'Bad Request', 'A page with this title already exists');
    page.title = title;
    page.version = version;
    page.body = value;
    return page;
  }

  function answer(method: string, url: URL, headers: IncomingMessage['headers'], body: unknown): Reply {
    if (faults.down) return { ...fail(503, 'Service Unavailable'), headers: { 'retry-after': '1' } };
    if (faults.failNext && faults.failNext > 0) {
      faults = { ...faults, failNext: faults.failNext - 1 };
      return fail(500, 'Internal Server Error', 'medic local Confluence: injected fault');
    }
    let matched: (typeof COMPILED)[number] | undefined;
    let params: string[] = [];
    for (const route of COMPILED) {
      const m = route.method === method ? route.pattern.exec(url.pathname) : null;
      if (m) {
        matched = route;
        params = m.slice(1).map((x) => decodeURIComponent(x));
        break;
      }
    }
    if (!matched)
      return fail(404, 'Not Found', `medic local Confluence: no such route ${method} ${url.pathname}`);
    if (!authorized(headers.authorization)) return fail(401, 'Unauthorized');
    for (const name of url.searchParams.keys()) {
      if (!matched.queryParameters.includes(name))
        return fail(400, 'Bad Request', `${matched.operationId} has no query parameter ${name}`);
    }
    const q = url.searchParams;
    switch (matched.operationId) {
      case 'getSpaces': {
        const keys = q.getAll('keys').flatMap((k) => k.split(','));
        const results =
          keys.length === 0 || keys.includes(spaceKey) ? [{ id: spaceId, key: spaceKey, homepageId }] : [];
        return { status: 200, body: { results, _links: {} } };
      }
      case 'getPages': {
        const spaceIds = q.getAll('space-id').flatMap((k) => k.split(','));
        if (spaceIds.some((s) => !/^\d+$/.test(s)))
          return fail(400, 'Bad Request', 'space-id must be numeric');
        const title = q.get('title');
        const results = pages
          .filter(
            (p) =>
              (spaceIds.length === 0 || spaceIds.includes(p.spaceId)) &&
              (title === null || p.title === title),
          )
          .slice(0, Number(q.get('limit') ?? 25))
          .map((p) => ({
            ...cloudJson(p),
            ...(q.get('body-format') === 'storage'
              ? { body: { storage: { representation: 'storage', value: p.body } } }
              : {}),
          }));
        return { status: 200, body: { results, _links: {} } };
      }
      case 'createPage': {
        if (!isJson(body)) return fail(400, 'Bad Request', 'body is required');
        if (body.spaceId !== spaceId)
          return fail(404, 'Not Found', `space ${String(body.spaceId)} does not exist`);
        if (body.status !== undefined && body.status !== 'current') return fail(400, 'Bad Request', 'status');
        const problem = bodyProblem(matched, body.body);
        if (problem) return fail(400, 'Bad Request', `body: ${problem}`);
        const page = createPage(body.title, body.parentId, String((body.body as Json).value));
        return 'id' in page ? { status: 200, body: cloudJson(page) } : page;
      }
      case 'updatePage': {
        if (!isJson(body)) return fail(400, 'Bad Request', 'body is required');
        if (body.status !== 'current') return fail(400, 'Bad Request', 'status is required');
        const problem = bodyProblem(matched, body.body);
        if (problem) return fail(400, 'Bad Request', `body: ${problem}`);
        const page = updatePage(params[0] ?? '', body, body.title, String((body.body as Json).value));
        return 'id' in page ? { status: 200, body: cloudJson(page) } : page;
      }
      case 'dc:getContent': {
        if (q.get('type') !== 'page') return fail(400, 'Bad Request', 'type=page is required');
        const title = q.get('title');
        const results = pages
          .filter((p) => p.spaceKey === q.get('spaceKey') && (title === null || p.title === title))
          .map((p) => ({
            ...dcJson(p),
            ...((q.get('expand') ?? '').split(',').includes('body.storage')
              ? { body: { storage: { representation: 'storage', value: p.body } } }
              : {}),
          }));
        return { status: 200, body: { results, size: results.length } };
      }
      case 'dc:createContent': {
        if (!isJson(body) || body.type !== 'page') return fail(400, 'Bad Request', 'type page is required');
        if (!isJson(body.space) || body.space.key !== spaceKey)
          return fail(404, 'Not Found', 'no such space');
        const storage = isJson(body.body) ? body.body.storage : undefined;
        const problem = bodyProblem(matched, storage);
        if (problem) return fail(400, 'Bad Request', `body: ${problem}`);
        const ancestors = Array.isArray(body.ancestors) ? body.ancestors : [];
        const parent = isJson(ancestors[0]) ? String(ancestors[0].id) : undefined;
        const page = createPage(body.title, parent, String((storage as Json).value));
        return 'id' in page ? { status: 200, body: dcJson(page) } : page;
      }
      case 'dc:updateContent': {
        if (!isJson(body) || body.type !== 'page') return fail(400, 'Bad Request', 'type page is required');
        const storage = isJson(body.body) ? body.body.storage : undefined;
        const problem = bodyProblem(matched, storage);
        if (problem) return fail(400, 'Bad Request', `body: ${problem}`);
        const page = updatePage(params[0] ?? '', body, body.title, String((storage as Json).value));
        return 'id' in page ? { status: 200, body: dcJson(page) } : page;
      }
      default:
        return fail(501, 'Not Implemented', `${matched.operationId} is in the subset but not implemented`);
    }
  }

  function send(res: ServerResponse, reply: Reply): void {
    const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res
      .writeHead(reply.status, {
        ...reply.headers,
        ...(payload
          ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }
          : {}),
      })
      .end(payload);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const method = req.method ?? 'GET';
      let body: unknown;
      let reply: Reply;
      if (size > MAX_BODY_BYTES) reply = fail(413, 'Payload Too Large', 'over 5 MB');
      else {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          body = text ? JSON.parse(text) : undefined;
          if (text && !/^application\/json/i.test(req.headers['content-type'] ?? ''))
            reply = fail(415, 'Unsupported Media Type');
          else reply = answer(method, url, req.headers, body);
        } catch (error) {
          reply = fail(400, 'Bad Request', `body is not JSON: ${(error as Error).message}`);
        }
      }
      recorded.push({
        method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        status: reply.status,
        body,
      });
      send(res, reply);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    spaceKey,
    spaceId,
    homepageId,
    pages: () => structuredClone(pages),
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
