/**
 * Generates local/confluence-routes.generated.json: the few Confluence Cloud REST v2 routes medic
 * uses, with the query parameters each accepts, taken from Atlassian's published OpenAPI
 * description, so the local Confluence and the contract test check medic's requests against the
 * real API without the 500 KB spec (which a fresh clone does not have).
 *
 * Confluence Data Center publishes no OpenAPI description here: its routes (REST `/rest/api/content`)
 * are listed by hand below, marked as such in the output, and only checked against the local
 * Data Center-shaped server.
 *
 * Usage: node scripts/gen-confluence-routes.ts [path/to/confluence-cloud-v2.openapi.json]
 * Exits 1 if a wanted route or query parameter is missing from (or deprecated in) the spec.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { type HttpMethod, REPO_ROOT, SpecError, sourceNameFor } from './gen-jira-routes.ts';

/** One wanted route as medic calls it (full path) and the query parameters medic sends on it. */
export type WantedConfluenceRoute = { method: HttpMethod; path: string; query: readonly string[] };

export type ConfluenceRoute = {
  method: HttpMethod;
  path: string;
  operationId: string;
  summary: string;
  /** Every query parameter the spec accepts on this route (the local server refuses others). */
  queryParameters: string[];
  /** Body representations the spec accepts for a page body (POST/PUT only). */
  representations?: string[];
};

export type ConfluenceRouteSubset = {
  provenance: {
    source: string;
    sourceSha256: string;
    openapi: string;
    title: string;
    version: string;
    serverBasePath: string;
    generatedBy: string;
    note: string;
  };
  routes: ConfluenceRoute[];
  dataCenterRoutes: (Omit<ConfluenceRoute, 'operationId'> & { operationId: string; source: string })[];
};

/** The v2 routes are served under this prefix on a Cloud site (the spec's server URL path). */
export const CLOUD_PREFIX = '/wiki/api/v2';

/** Adding a call to medic's Confluence adapter means adding it here first. */
export const WANTED_CONFLUENCE_ROUTES: readonly WantedConfluenceRoute[] = [
  { method: 'GET', path: `${CLOUD_PREFIX}/spaces`, query: ['keys', 'limit'] },
  { method: 'GET', path: `${CLOUD_PREFIX}/pages`, query: ['space-id', 'title', 'status', 'limit'] },
  { method: 'POST', path: `${CLOUD_PREFIX}/pages`, query: [] },
  { method: 'PUT', path: `${CLOUD_PREFIX}/pages/{id}`, query: [] },
];

/**
 * Confluence Data Center REST (`/rest/api/content`), hand-listed from Atlassian's Data Center REST
 * documentation: there is no published OpenAPI description to generate them from.
 */
export const DATA_CENTER_CONFLUENCE_ROUTES: ConfluenceRouteSubset['dataCenterRoutes'] = [
  {
    method: 'GET',
    path: '/rest/api/content',
    operationId: 'dc:getContent',
    summary: 'Get content (type, spaceKey, title filters)',
    queryParameters: ['type', 'spaceKey', 'title', 'status', 'expand', 'limit', 'start'],
    source: 'hand-listed (Confluence Data Center REST documentation)',
  },
  {
    method: 'POST',
    path: '/rest/api/content',
    operationId: 'dc:createContent',
    summary: 'Create content',
    queryParameters: [],
    representations: ['storage'],
    source: 'hand-listed (Confluence Data Center REST documentation)',
  },
  {
    method: 'PUT',
    path: '/rest/api/content/{id}',
    operationId: 'dc:updateContent',
    summary: 'Update content (version.number must be the current one plus one)',
    queryParameters: [],
    representations: ['storage'],
    source: 'hand-listed (Confluence Data Center REST documentation)',
  },
];

export const DEFAULT_CONFLUENCE_SPEC_PATH = resolve(
  REPO_ROOT,
  '../shared/confluence/confluence-cloud-v2.openapi.json',
);
export const CONFLUENCE_OUTPUT_PATH = resolve(REPO_ROOT, 'local/confluence-routes.generated.json');

const GENERATED_BY = 'node scripts/gen-confluence-routes.ts [path/to/confluence-cloud-v2.openapi.json]';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Follows one local `#/components/...` reference. */
function deref(spec: Record<string, unknown>, value: unknown): unknown {
  if (!isRecord(value) || typeof value.$ref !== 'string' || !value.$ref.startsWith('#/')) return value;
  let node: unknown = spec;
  for (const part of value.$ref.slice(2).split('/')) node = isRecord(node) ? node[part] : undefined;
  return node;
}

function requireString(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new SpecError(`OpenAPI spec has no ${what}`);
  return value;
}

/** The body representations a page create/update accepts (PageBodyWrite's `representation` enum). */
function representationsOf(spec: Record<string, unknown>, operation: Record<string, unknown>): string[] {
  const body = deref(spec, operation.requestBody);
  const schema = isRecord(body) && isRecord(body.content) ? body.content['application/json'] : undefined;
  const properties = isRecord(schema) && isRecord(schema.schema) ? schema.schema.properties : undefined;
  const bodyProperty = isRecord(properties) ? properties.body : undefined;
  const variants = isRecord(bodyProperty) && Array.isArray(bodyProperty.oneOf) ? bodyProperty.oneOf : [];
  const found = new Set<string>();
  for (const variant of variants) {
    const resolved = deref(spec, variant);
    const representation =
      isRecord(resolved) && isRecord(resolved.properties) ? resolved.properties.representation : undefined;
    if (isRecord(representation) && Array.isArray(representation.enum))
      for (const r of representation.enum) if (typeof r === 'string') found.add(r);
  }
  return [...found].sort();
}

/** Pure subset extraction (no I/O), so the contract test can regenerate and compare byte for byte. */
export function buildConfluenceRouteSubset(specText: string, sourceName: string): ConfluenceRouteSubset {
  let spec: unknown;
  try {
    spec = JSON.parse(specText);
  } catch (error) {
    throw new SpecError(`OpenAPI spec is not valid JSON: ${(error as Error).message}`);
  }
  if (!isRecord(spec) || !isRecord(spec.info) || !isRecord(spec.paths)) {
    throw new SpecError('file does not look like an OpenAPI document (no info or paths)');
  }
  const { info, paths } = spec;
  const servers = Array.isArray(spec.servers) ? spec.servers : [];
  const serverUrl = isRecord(servers[0]) && typeof servers[0].url === 'string' ? servers[0].url : '';
  if (!serverUrl.endsWith(CLOUD_PREFIX)) {
    throw new SpecError(`the spec's server URL ${serverUrl || '(none)'} does not end in ${CLOUD_PREFIX}`);
  }
  const problems: string[] = [];
  const routes: ConfluenceRoute[] = [];
  for (const wanted of WANTED_CONFLUENCE_ROUTES) {
    const specPath = wanted.path.slice(CLOUD_PREFIX.length);
    const pathItem = paths[specPath];
    const operation = isRecord(pathItem) ? pathItem[wanted.method.toLowerCase()] : undefined;
    if (!isRecord(operation)) {
      problems.push(`${wanted.method} ${wanted.path} is not in the spec`);
      continue;
    }
    if (operation.deprecated === true) {
      problems.push(`${wanted.method} ${wanted.path} is deprecated in the spec`);
      continue;
    }
    const parameters = [
      ...(isRecord(pathItem) && Array.isArray(pathItem.parameters) ? pathItem.parameters : []),
      ...(Array.isArray(operation.parameters) ? operation.parameters : []),
    ]
      .map((p) => deref(spec as Record<string, unknown>, p))
      .filter(
        (p): p is Record<string, unknown> => isRecord(p) && p.in === 'query' && typeof p.name === 'string',
      );
    const queryParameters = parameters.map((p) => String(p.name)).sort();
    for (const q of wanted.query) {
      if (!queryParameters.includes(q))
        problems.push(`${wanted.method} ${wanted.path} has no query parameter ${q}`);
    }
    const representations =
      wanted.method === 'GET' ? [] : representationsOf(spec as Record<string, unknown>, operation);
    if (wanted.method !== 'GET' && !representations.includes('storage')) {
      problems.push(`${wanted.method} ${wanted.path} does not accept a storage-format body`);
    }
    routes.push({
      method: wanted.method,
      path: wanted.path,
      operationId: requireString(operation.operationId, `operationId for ${wanted.method} ${specPath}`),
      summary: typeof operation.summary === 'string' ? operation.summary : '',
      queryParameters,
      ...(representations.length > 0 ? { representations } : {}),
    });
  }
  if (problems.length > 0) {
    throw new SpecError(
      `medic uses Confluence routes the spec does not offer:\n  - ${problems.join('\n  - ')}`,
    );
  }
  return {
    provenance: {
      source: sourceName,
      sourceSha256: createHash('sha256').update(specText).digest('hex'),
      openapi: requireString(spec.openapi, 'openapi version'),
      title: requireString(info.title, 'info.title'),
      version: requireString(info.version, 'info.version'),
      serverBasePath: CLOUD_PREFIX,
      generatedBy: GENERATED_BY,
      note: "Subset: only the method + path pairs (and their query parameters) medic calls, copied from Atlassian's published Confluence Cloud REST API v2 description. dataCenterRoutes are hand-listed (Data Center publishes no description here). Regenerate instead of editing by hand.",
    },
    routes,
    dataCenterRoutes: DATA_CENTER_CONFLUENCE_ROUTES,
  };
}

export function serializeConfluenceSubset(subset: ConfluenceRouteSubset): string {
  return `${JSON.stringify(subset, null, 2)}\n`;
}

function main(argv: readonly string[]): number {
  const specPath = argv[0] === undefined ? DEFAULT_CONFLUENCE_SPEC_PATH : resolve(process.cwd(), argv[0]);
  let specText: string;
  try {
    specText = readFileSync(specPath, 'utf8');
  } catch (error) {
    console.error(`gen-confluence-routes: cannot read ${specPath}: ${(error as Error).message}`);
    return 1;
  }
  try {
    const subset = buildConfluenceRouteSubset(specText, sourceNameFor(specPath));
    writeFileSync(CONFLUENCE_OUTPUT_PATH, serializeConfluenceSubset(subset));
    console.log(
      `gen-confluence-routes: wrote ${subset.routes.length} routes to ${relative(process.cwd(), CONFLUENCE_OUTPUT_PATH)}`,
    );
    return 0;
  } catch (error) {
    if (error instanceof SpecError) {
      console.error(`gen-confluence-routes: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));
