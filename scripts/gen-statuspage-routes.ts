/**
 * Generates local/statuspage-routes.generated.json: the few Statuspage REST routes medic uses, with
 * the request-body fields each accepts, taken from Atlassian's published Statuspage OpenAPI
 * description. The local Statuspage and the contract test check medic's requests against it, so
 * neither needs the 300 KB spec (which a fresh clone does not have).
 *
 * Usage: node scripts/gen-statuspage-routes.ts [path/to/statuspage-v1.openapi.yaml]
 * (default: DEFAULT_SPEC_PATH, the reference copy beside the repository).
 * Exits 1 if a wanted route is missing from (or deprecated in) the spec: medic must not call it.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { SpecError, sourceNameFor } from './gen-jira-routes.ts';

export type StatusPageMethod = 'GET' | 'POST' | 'PATCH';

/** One wanted route; `path` uses the spec's exact template spelling. */
export type WantedStatusRoute = { method: StatusPageMethod; path: string; body?: string };

/** One property of a request body's inner object (`incident`, `component`), as the spec allows it. */
export type BodyField = { type: string | null; enum?: string[]; valueEnum?: string[] };

export type StatusRoute = {
  method: StatusPageMethod;
  path: string;
  operationId: string;
  summary: string;
  /** Query parameters the spec names for the route. */
  query: string[];
  /** For routes with a JSON body: its single top-level key and the fields it may carry. */
  body: { wrapper: string; required: string[]; fields: Record<string, BodyField> } | null;
};

export type StatusPageRouteSubset = {
  provenance: {
    source: string;
    sourceSha256: string;
    openapi: string;
    title: string;
    version: string;
    generatedBy: string;
    note: string;
  };
  /** Each API token: this many requests per second, measured over a rolling 60 s window. */
  rateLimitPerSecond: number;
  /** Status codes the API answers when that limit is exceeded. */
  rateLimitStatuses: number[];
  routes: StatusRoute[];
};

/** The Statuspage routes medic uses. Adding a call to the adapter means adding it here first. */
export const WANTED_STATUS_ROUTES: readonly WantedStatusRoute[] = [
  { method: 'GET', path: '/pages/{page_id}/incidents/unresolved' },
  { method: 'GET', path: '/pages/{page_id}/incidents' },
  { method: 'POST', path: '/pages/{page_id}/incidents' },
  { method: 'PATCH', path: '/pages/{page_id}/incidents/{incident_id}' },
];

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_SPEC_PATH = resolve(REPO_ROOT, '../shared/statuspage/statuspage-v1.openapi.yaml');
export const OUTPUT_PATH = resolve(REPO_ROOT, 'local/statuspage-routes.generated.json');

const GENERATED_BY = 'node scripts/gen-statuspage-routes.ts [path/to/statuspage-v1.openapi.yaml]';

type Rec = Record<string, unknown>;
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

function resolveRef(spec: Rec, value: unknown): Rec {
  if (!isRecord(value)) return {};
  const ref = value.$ref;
  if (typeof ref !== 'string') return value;
  let node: unknown = spec;
  for (const part of ref.replace(/^#\//, '').split('/')) node = isRecord(node) ? node[part] : undefined;
  if (!isRecord(node)) throw new SpecError(`unresolvable $ref ${ref}`);
  return node;
}

function bodyOf(spec: Rec, operation: Rec, what: string): StatusRoute['body'] {
  const requestBody = resolveRef(spec, operation.requestBody);
  const content = isRecord(requestBody.content) ? requestBody.content['application/json'] : undefined;
  if (!isRecord(content)) return null;
  const outer = resolveRef(spec, content.schema);
  const outerProps = isRecord(outer.properties) ? outer.properties : {};
  const keys = Object.keys(outerProps);
  if (keys.length !== 1 || keys[0] === undefined)
    throw new SpecError(`${what}: expected one wrapper key in the body, found ${keys.join(', ') || 'none'}`);
  const wrapper = keys[0];
  const inner = resolveRef(spec, outerProps[wrapper]);
  const props = isRecord(inner.properties) ? inner.properties : {};
  const fields: Record<string, BodyField> = {};
  for (const [name, raw] of Object.entries(props)) {
    const p = resolveRef(spec, raw);
    // A map such as `components` ({ <component id>: <status> }) is described by one example key.
    const mapValues = isRecord(p.properties)
      ? Object.values(p.properties).map((v) => resolveRef(spec, v))
      : [];
    const valueEnum = mapValues.length === 1 ? mapValues[0]?.enum : undefined;
    fields[name] = {
      type: typeof p.type === 'string' ? p.type : null,
      ...(Array.isArray(p.enum) ? { enum: p.enum.map(String) } : {}),
      ...(Array.isArray(valueEnum) ? { valueEnum: valueEnum.map(String) } : {}),
    };
  }
  const required = Array.isArray(inner.required) ? inner.required.map(String) : [];
  return { wrapper, required, fields };
}

/** Pure subset extraction (no I/O): the contract test regenerates and compares byte for byte. */
export function buildStatusPageRouteSubset(specText: string, sourceName: string): StatusPageRouteSubset {
  let spec: unknown;
  try {
    spec = parseYaml(specText);
  } catch (error) {
    throw new SpecError(`OpenAPI spec is not valid YAML: ${(error as Error).message}`);
  }
  if (!isRecord(spec) || !isRecord(spec.info) || !isRecord(spec.paths))
    throw new SpecError('file does not look like an OpenAPI document (no info or paths)');
  const { info, paths } = spec;
  const description = typeof info.description === 'string' ? info.description : '';
  // The limit is stated in prose only; the subset carries it so the limiter and the fake agree.
  const rate = /limited to (\d+) request[s]? \/ second/i.exec(description);
  const statuses = /Error codes (\d{3}) or (\d{3}) indicate that you have exceeded the rate limit/i.exec(
    description,
  );
  if (!rate?.[1] || !statuses?.[1] || !statuses[2])
    throw new SpecError('the spec no longer states the per-token rate limit and its status codes');

  const problems: string[] = [];
  const routes: StatusRoute[] = [];
  for (const wanted of WANTED_STATUS_ROUTES) {
    const item = paths[wanted.path];
    const operation = isRecord(item) ? item[wanted.method.toLowerCase()] : undefined;
    if (!isRecord(operation)) {
      problems.push(`${wanted.method} ${wanted.path} is not in the spec`);
      continue;
    }
    if (operation.deprecated === true) {
      problems.push(`${wanted.method} ${wanted.path} is deprecated in the spec`);
      continue;
    }
    const what = `${wanted.method} ${wanted.path}`;
    const parameters = Array.isArray(operation.parameters) ? operation.parameters : [];
    routes.push({
      method: wanted.method,
      path: wanted.path,
      operationId: typeof operation.operationId === 'string' ? operation.operationId : '',
      summary: typeof operation.summary === 'string' ? operation.summary : '',
      query: parameters
        .map((p) => resolveRef(spec as Rec, p))
        .filter((p) => p.in === 'query')
        .map((p) => String(p.name)),
      body: bodyOf(spec, operation, what),
    });
  }
  if (problems.length > 0)
    throw new SpecError(
      `medic uses Statuspage routes the spec does not offer:\n  - ${problems.join('\n  - ')}`,
    );
  return {
    provenance: {
      source: sourceName,
      sourceSha256: createHash('sha256').update(specText).digest('hex'),
      openapi: String(spec.openapi ?? ''),
      title: String(info.title ?? ''),
      version: String(info.version ?? ''),
      generatedBy: GENERATED_BY,
      note: "Subset: only the method + path pairs medic calls and the body fields they accept, copied from Atlassian's Statuspage API description as published for API clients. Regenerate instead of editing by hand.",
    },
    rateLimitPerSecond: Number(rate[1]),
    rateLimitStatuses: [Number(statuses[1]), Number(statuses[2])],
    routes,
  };
}

export function serializeStatusSubset(subset: StatusPageRouteSubset): string {
  return `${JSON.stringify(subset, null, 2)}\n`;
}

function main(argv: readonly string[]): number {
  const specPath = argv[0] === undefined ? DEFAULT_SPEC_PATH : resolve(process.cwd(), argv[0]);
  let specText: string;
  try {
    specText = readFileSync(specPath, 'utf8');
  } catch (error) {
    console.error(`gen-statuspage-routes: cannot read ${specPath}: ${(error as Error).message}`);
    return 1;
  }
  try {
    const subset = buildStatusPageRouteSubset(specText, sourceNameFor(specPath));
    writeFileSync(OUTPUT_PATH, serializeStatusSubset(subset));
    console.log(
      `gen-statuspage-routes: wrote ${subset.routes.length} routes to ${relative(process.cwd(), OUTPUT_PATH)}`,
    );
    return 0;
  } catch (error) {
    if (error instanceof SpecError) {
      console.error(`gen-statuspage-routes: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));
