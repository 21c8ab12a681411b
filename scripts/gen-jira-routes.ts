/**
 * Generates local/jira-routes.generated.json: the few Jira Cloud REST routes medic uses, taken
 * from Atlassian's published OpenAPI description so the local Jira and the contract test can check
 * medic's requests against the real API without the 2.4 MB spec (which a fresh clone does not have).
 *
 * Usage: node scripts/gen-jira-routes.ts [path/to/jira-cloud-platform.openapi.json]
 * (default: DEFAULT_SPEC_PATH, the reference copy beside the repository).
 * Exits 1 if a wanted route is missing from (or deprecated in) the spec: medic must not call it.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/** One wanted route as medic calls it; `path` uses the spec's exact template spelling. */
export type WantedRoute = { method: HttpMethod; path: string };

export type GeneratedRoute = WantedRoute & { operationId: string; summary: string };

export type JiraRouteSubset = {
  provenance: {
    source: string;
    sourceSha256: string;
    openapi: string;
    title: string;
    version: string;
    license: { name: string; url?: string };
    generatedBy: string;
    note: string;
  };
  routes: GeneratedRoute[];
  /** Jira Data Center's REST v2 twins of spec routes (wiki markup instead of ADF). */
  dataCenterRoutes: (GeneratedRoute & { specPath: string; deprecatedInCloud: boolean })[];
};

/** The Jira routes medic uses. Adding a call to medic's Jira adapter means adding it here first. */
export const WANTED_ROUTES: readonly WantedRoute[] = [
  { method: 'POST', path: '/rest/api/3/issue' },
  { method: 'GET', path: '/rest/api/3/issue/{issueIdOrKey}' },
  { method: 'PUT', path: '/rest/api/3/issue/{issueIdOrKey}' },
  { method: 'POST', path: '/rest/api/3/issue/{issueIdOrKey}/comment' },
  { method: 'GET', path: '/rest/api/3/issue/{issueIdOrKey}/comment' },
  { method: 'POST', path: '/rest/api/3/search/jql' },
  { method: 'GET', path: '/rest/api/3/search/jql' },
  { method: 'GET', path: '/rest/api/3/issue/{issueIdOrKey}/transitions' },
  { method: 'POST', path: '/rest/api/3/issue/{issueIdOrKey}/transitions' },
  { method: 'POST', path: '/rest/api/3/issue/{issueIdOrKey}/attachments' },
  { method: 'GET', path: '/rest/api/3/myself' },
  { method: 'POST', path: '/rest/api/3/issueLink' },
  // The post-incident review page, linked from the ticket (idempotent on globalId).
  { method: 'POST', path: '/rest/api/3/issue/{issueIdOrKey}/remotelink' },
  { method: 'GET', path: '/rest/api/3/issue/{issueIdOrKey}/remotelink' },
];

/**
 * REST v2 routes medic calls on Jira Data Center (JIRA_DEPLOYMENT=data-center). Atlassian publishes
 * v2 and v3 as the same operations (v3 adds ADF), so each is checked against its v3 twin in the
 * spec. Data Center has no /search/jql: its search is POST /rest/api/2/search, the twin of the v3
 * /search that the Cloud spec marks deprecated — allowed here only, never for Cloud.
 */
export const DATA_CENTER_WANTED: readonly (WantedRoute & { deprecatedOk?: boolean })[] = [
  { method: 'POST', path: '/rest/api/2/issue' },
  { method: 'GET', path: '/rest/api/2/issue/{issueIdOrKey}' },
  { method: 'PUT', path: '/rest/api/2/issue/{issueIdOrKey}' },
  { method: 'POST', path: '/rest/api/2/issue/{issueIdOrKey}/comment' },
  { method: 'GET', path: '/rest/api/2/issue/{issueIdOrKey}/transitions' },
  { method: 'POST', path: '/rest/api/2/issue/{issueIdOrKey}/transitions' },
  { method: 'POST', path: '/rest/api/2/issue/{issueIdOrKey}/attachments' },
  { method: 'POST', path: '/rest/api/2/search', deprecatedOk: true },
  { method: 'POST', path: '/rest/api/2/issueLink' },
  { method: 'POST', path: '/rest/api/2/issue/{issueIdOrKey}/remotelink' },
  { method: 'GET', path: '/rest/api/2/issue/{issueIdOrKey}/remotelink' },
];

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_SPEC_PATH = resolve(REPO_ROOT, '../shared/jira/jira-cloud-platform.openapi.json');
export const OUTPUT_PATH = resolve(REPO_ROOT, 'local/jira-routes.generated.json');

const GENERATED_BY = 'node scripts/gen-jira-routes.ts [path/to/jira-cloud-platform.openapi.json]';

/** Thrown for any problem with the spec, so the CLI can print one clear line and exit 1. */
export class SpecError extends Error {
  override name = 'SpecError';
}

type Operation = { operationId?: unknown; summary?: unknown; deprecated?: unknown };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireString(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new SpecError(`OpenAPI spec has no ${what}`);
  return value;
}

/**
 * Pure subset extraction (no I/O) so the contract test can regenerate and compare byte for byte.
 * `specText` is the raw file, hashed for provenance; `sourceName` is how the source is named in it.
 */
export function buildJiraRouteSubset(specText: string, sourceName: string): JiraRouteSubset {
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
  const license = isRecord(info.license) ? info.license : {};

  const problems: string[] = [];
  const routes: GeneratedRoute[] = [];
  for (const wanted of WANTED_ROUTES) {
    const pathItem = paths[wanted.path];
    const operation: Operation | undefined = isRecord(pathItem)
      ? (pathItem[wanted.method.toLowerCase()] as Operation | undefined)
      : undefined;
    if (!isRecord(operation)) {
      problems.push(`${wanted.method} ${wanted.path} is not in the spec`);
      continue;
    }
    if (operation.deprecated === true) {
      problems.push(`${wanted.method} ${wanted.path} is deprecated in the spec (Atlassian is removing it)`);
      continue;
    }
    routes.push({
      method: wanted.method,
      path: wanted.path,
      operationId: requireString(operation.operationId, `operationId for ${wanted.method} ${wanted.path}`),
      summary: typeof operation.summary === 'string' ? operation.summary : '',
    });
  }
  const dataCenterRoutes: JiraRouteSubset['dataCenterRoutes'] = [];
  for (const wanted of DATA_CENTER_WANTED) {
    const specPath = wanted.path.replace(/^\/rest\/api\/2\//, '/rest/api/3/');
    const pathItem = paths[specPath];
    const operation: Operation | undefined = isRecord(pathItem)
      ? (pathItem[wanted.method.toLowerCase()] as Operation | undefined)
      : undefined;
    if (!isRecord(operation)) {
      problems.push(`${wanted.method} ${wanted.path} has no twin ${specPath} in the spec`);
      continue;
    }
    if (operation.deprecated === true && !wanted.deprecatedOk) {
      problems.push(`${wanted.method} ${specPath} (twin of ${wanted.path}) is deprecated in the spec`);
      continue;
    }
    dataCenterRoutes.push({
      method: wanted.method,
      path: wanted.path,
      specPath,
      deprecatedInCloud: operation.deprecated === true,
      operationId: requireString(operation.operationId, `operationId for ${wanted.method} ${specPath}`),
      summary: typeof operation.summary === 'string' ? operation.summary : '',
    });
  }
  if (problems.length > 0) {
    throw new SpecError(`medic uses Jira routes the spec does not offer:\n  - ${problems.join('\n  - ')}`);
  }

  return {
    provenance: {
      source: sourceName,
      sourceSha256: createHash('sha256').update(specText).digest('hex'),
      openapi: requireString(spec.openapi, 'openapi version'),
      title: requireString(info.title, 'info.title'),
      version: requireString(info.version, 'info.version'),
      license: {
        name: requireString(license.name, 'info.license.name'),
        ...(typeof license.url === 'string' ? { url: license.url } : {}),
      },
      generatedBy: GENERATED_BY,
      note: "Subset: only the method + path pairs medic calls, copied from Atlassian's published Jira Cloud platform OpenAPI description (Apache-2.0). Regenerate instead of editing by hand.",
    },
    routes,
    dataCenterRoutes,
  };
}

/** Deterministic serialisation (no timestamps) so regenerating an unchanged spec changes nothing. */
export function serializeSubset(subset: JiraRouteSubset): string {
  return `${JSON.stringify(subset, null, 2)}\n`;
}

/** Names the source as seen from the repo root, so the generated header carries no machine path. */
export function sourceNameFor(specPath: string): string {
  const rel = relative(REPO_ROOT, specPath);
  return rel.startsWith('/') ? basename(specPath) : rel.split('\\').join('/');
}

function main(argv: readonly string[]): number {
  const specPath = argv[0] === undefined ? DEFAULT_SPEC_PATH : resolve(process.cwd(), argv[0]);
  let specText: string;
  try {
    specText = readFileSync(specPath, 'utf8');
  } catch (error) {
    console.error(`gen-jira-routes: cannot read ${specPath}: ${(error as Error).message}`);
    return 1;
  }
  try {
    const subset = buildJiraRouteSubset(specText, sourceNameFor(specPath));
    writeFileSync(OUTPUT_PATH, serializeSubset(subset));
    console.log(
      `gen-jira-routes: wrote ${subset.routes.length} routes to ${relative(process.cwd(), OUTPUT_PATH)}`,
    );
    return 0;
  } catch (error) {
    if (error instanceof SpecError) {
      console.error(`gen-jira-routes: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));
