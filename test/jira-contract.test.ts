/**
 * Contract between medic's local Jira and Atlassian's published Jira Cloud OpenAPI description:
 * the local server may only answer routes that exist in the spec, so a test passing locally cannot
 * hide a call to a route real Jira does not have (e.g. the removed POST /rest/api/3/search).
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { IMPLEMENTED_ROUTES, type LocalJira, startJiraServer } from '../local/jira-server.ts';
import {
  buildJiraRouteSubset,
  DEFAULT_SPEC_PATH,
  type JiraRouteSubset,
  OUTPUT_PATH,
  SpecError,
  serializeSubset,
  sourceNameFor,
  WANTED_ROUTES,
} from '../scripts/gen-jira-routes.ts';

const committedText = readFileSync(OUTPUT_PATH, 'utf8');
const committed = JSON.parse(committedText) as JiraRouteSubset;
const routeKey = (route: { method: string; path: string }): string => `${route.method} ${route.path}`;
const basicAuth = `Basic ${Buffer.from('medic@example.com:local-token').toString('base64')}`;

describe('Jira OpenAPI subset', () => {
  let jira: LocalJira | undefined;

  afterEach(async () => {
    await jira?.close();
    jira = undefined;
  });

  it('contains every route the local Jira implements', () => {
    // Prepare
    const subset = new Set([...committed.routes, ...committed.dataCenterRoutes].map(routeKey));

    // Act
    const missing = IMPLEMENTED_ROUTES.map(routeKey).filter((key) => !subset.has(key));

    // Assess
    expect(IMPLEMENTED_ROUTES.length).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });

  it('lists exactly the routes medic wants, each with its operationId', () => {
    // Prepare
    const wanted = WANTED_ROUTES.map(routeKey);

    // Act
    const listed = committed.routes.map(routeKey);

    // Assess
    expect(listed).toEqual(wanted);
    for (const route of committed.routes) expect(route.operationId).toMatch(/^\w+$/);
  });

  it('names its source in the provenance', () => {
    // Prepare
    const { provenance } = committed;

    // Act
    const generator = provenance.generatedBy;

    // Assess
    expect(provenance.source).toMatch(/jira-cloud-platform\.openapi\.json$/);
    expect(provenance.title).toBe('The Jira Cloud platform REST API');
    expect(provenance.version).not.toBe('');
    expect(provenance.license.name).toBe('Apache 2.0');
    expect(provenance.sourceSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(provenance.note).toMatch(/subset/i);
    expect(generator).toContain('scripts/gen-jira-routes.ts');
  });

  it('answers 404 for a route outside the subset (the old /search endpoint being removed)', async () => {
    // Prepare
    jira = await startJiraServer();

    // Act
    const response = await fetch(`${jira.baseUrl}/rest/api/3/search`, {
      method: 'POST',
      headers: { authorization: basicAuth, 'content-type': 'application/json' },
      body: JSON.stringify({ jql: 'project = OPS', startAt: 0 }),
    });
    const body = (await response.json()) as { errorMessages: string[] };

    // Assess
    expect(response.status).toBe(404);
    expect(body.errorMessages[0]).toBe(
      'medic local Jira: no such route POST /rest/api/3/search (not in the Jira Cloud platform OpenAPI subset)',
    );
    expect(jira.requests()).toMatchObject([{ method: 'POST', path: '/rest/api/3/search', status: 404 }]);
  });

  it('serves the Data Center (REST v2) twins only where the spec has the v3 route, and rejects others', async () => {
    // Prepare
    jira = await startJiraServer();
    const twins = committed.dataCenterRoutes;

    // Act
    const response = await fetch(`${jira.baseUrl}/rest/api/2/search/jql`, {
      method: 'POST',
      headers: { authorization: basicAuth, 'content-type': 'application/json' },
      body: JSON.stringify({ jql: 'project = OPS' }),
    });

    // Assess: every twin names a spec route; only DC's own search is deprecated in Cloud
    for (const route of twins)
      expect(route.specPath).toBe(route.path.replace('/rest/api/2/', '/rest/api/3/'));
    expect(twins.filter((r) => r.deprecatedInCloud).map((r) => r.path)).toEqual(['/rest/api/2/search']);
    expect(response.status).toBe(404);
  });

  it('takes a multipart attachment only with the XSRF header, as Jira does', async () => {
    // Prepare: an issue to attach to
    jira = await startJiraServer();
    const created = await fetch(`${jira.baseUrl}/rest/api/3/issue`, {
      method: 'POST',
      headers: { authorization: basicAuth, 'content-type': 'application/json' },
      body: JSON.stringify({
        fields: { project: { key: 'OPS' }, issuetype: { name: 'Task' }, summary: 'attach here' },
      }),
    });
    const { key } = (await created.json()) as { key: string };
    const form = () => {
      const data = new FormData();
      data.append('file', new Blob(['{"ok":true}'], { type: 'application/json' }), 'evidence.json');
      return data;
    };

    // Act
    const refused = await fetch(`${jira.baseUrl}/rest/api/3/issue/${key}/attachments`, {
      method: 'POST',
      headers: { authorization: basicAuth },
      body: form(),
    });
    const accepted = await fetch(`${jira.baseUrl}/rest/api/3/issue/${key}/attachments`, {
      method: 'POST',
      headers: { authorization: basicAuth, 'x-atlassian-token': 'no-check' },
      body: form(),
    });

    // Assess
    expect(refused.status).toBe(403);
    expect(accepted.status).toBe(200);
    expect(jira.issues()[0]?.attachments).toMatchObject([
      { filename: 'evidence.json', mimeType: 'application/json', content: '{"ok":true}' },
    ]);
  });

  it('refuses to generate when the spec lacks a wanted route', () => {
    // Prepare
    const spec = JSON.stringify({
      openapi: '3.0.1',
      info: { title: 'trimmed', version: '1', license: { name: 'Apache 2.0' } },
      paths: { '/rest/api/3/myself': { get: { operationId: 'getCurrentUser' } } },
    });

    // Act
    const generate = () => buildJiraRouteSubset(spec, 'trimmed.json');

    // Assess
    expect(generate).toThrow(SpecError);
    expect(generate).toThrow('POST /rest/api/3/search/jql is not in the spec');
  });

  it.skipIf(!existsSync(DEFAULT_SPEC_PATH))('matches a fresh generation from ../shared/jira', () => {
    // Prepare
    const specText = readFileSync(DEFAULT_SPEC_PATH, 'utf8');

    // Act
    const regenerated = serializeSubset(buildJiraRouteSubset(specText, sourceNameFor(DEFAULT_SPEC_PATH)));

    // Assess
    expect(regenerated).toBe(committedText);
  });
});
