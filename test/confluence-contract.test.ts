/**
 * Contract between medic's Confluence adapter, the local Confluence and Atlassian's published
 * Confluence Cloud REST v2 description: every request medic makes (method, path and query
 * parameters) is one the spec offers, so a test passing locally cannot hide a call real Confluence
 * does not have. Data Center has no published description here: its routes are hand-listed and
 * marked as such.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalConfluence, startConfluenceServer } from '../local/confluence-server.ts';
import { compilePathTemplate } from '../local/jira-server.ts';
import {
  buildConfluenceRouteSubset,
  CONFLUENCE_OUTPUT_PATH,
  type ConfluenceRouteSubset,
  DEFAULT_CONFLUENCE_SPEC_PATH,
  serializeConfluenceSubset,
  WANTED_CONFLUENCE_ROUTES,
} from '../scripts/gen-confluence-routes.ts';
import { SpecError, sourceNameFor } from '../scripts/gen-jira-routes.ts';
import { confluencePages } from '../shared/adapters/confluence.ts';
import type { ReviewDocument } from '../shared/domain/review.ts';

const committedText = readFileSync(CONFLUENCE_OUTPUT_PATH, 'utf8');
const committed = JSON.parse(committedText) as ConfluenceRouteSubset;
const DOC: ReviewDocument = {
  sections: [{ title: 'Summary and impact', blocks: [{ type: 'tasks', items: ['x'] }] }],
};

/** The route of the subset a recorded request took, or undefined when the subset has none. */
function routeFor(list: ConfluenceRouteSubset['routes'], method: string, path: string) {
  return list.find((r) => r.method === method && compilePathTemplate(r.path).pattern.test(path));
}

describe('Confluence OpenAPI subset', () => {
  let confluence: LocalConfluence | undefined;
  afterEach(async () => {
    await confluence?.close();
    confluence = undefined;
  });

  it('lists exactly the Cloud routes medic wants, with their operationIds and the storage representation', () => {
    // Act
    const listed = committed.routes.map((r) => `${r.method} ${r.path}`);
    // Assess
    expect(listed).toEqual(WANTED_CONFLUENCE_ROUTES.map((r) => `${r.method} ${r.path}`));
    expect(committed.routes.map((r) => r.operationId)).toEqual([
      'getSpaces',
      'getPages',
      'createPage',
      'updatePage',
    ]);
    for (const r of committed.routes.filter((x) => x.method !== 'GET'))
      expect(r.representations).toContain('storage');
    expect(committed.provenance.title).toBe('The Confluence Cloud REST API v2');
    for (const r of committed.dataCenterRoutes) expect(r.source).toMatch(/^hand-listed/);
  });

  it.each(['cloud', 'data-center'] as const)(
    'every request the %s adapter makes is a subset route with only the query parameters it accepts',
    async (flavour) => {
      // Prepare
      confluence = await startConfluenceServer();
      const pages = confluencePages({
        baseUrl: confluence.baseUrl,
        flavour,
        space: 'OPS',
        parentId: confluence.homepageId,
        email: 'medic@example.com',
        token: 'local-confluence-token',
        timeoutMs: 2_000,
      });
      // Act
      const made = await pages.create('[medic] contract', DOC);
      const found = await pages.findByTitle('[medic] contract');
      await pages.update(made.id, '[medic] contract', DOC, (found?.version ?? 0) + 1);
      // Assess
      const list = flavour === 'cloud' ? committed.routes : committed.dataCenterRoutes;
      const requests = confluence.requests();
      expect(requests.map((r) => r.status)).toEqual(requests.map(() => 200));
      for (const request of requests) {
        const route = routeFor(list, request.method, request.path);
        expect(route, `${request.method} ${request.path}`).toBeDefined();
        for (const name of Object.keys(request.query)) expect(route?.queryParameters).toContain(name);
      }
      expect(confluence.pages()[0]?.version).toBe(2);
    },
  );

  it('refuses a route outside the subset and a query parameter its route does not take', async () => {
    // Prepare
    confluence = await startConfluenceServer();
    const auth = {
      authorization: `Basic ${Buffer.from('medic@example.com:local-confluence-token').toString('base64')}`,
    };
    // Act
    const v1 = await fetch(`${confluence.baseUrl}/wiki/rest/api/content?title=x`, { headers: auth });
    const badQuery = await fetch(`${confluence.baseUrl}/wiki/api/v2/pages?spaceKey=OPS`, { headers: auth });
    // Assess
    expect(v1.status).toBe(404);
    expect(badQuery.status).toBe(400);
    expect(JSON.stringify(await badQuery.json())).toMatch(/no query parameter spaceKey/);
  });

  it('refuses to generate when the spec lacks a wanted route or query parameter', () => {
    // Prepare
    const minimal = {
      openapi: '3.0.3',
      info: { title: 't', version: '1' },
      servers: [{ url: 'https://{your-domain}/wiki/api/v2' }],
      paths: { '/pages': { get: { operationId: 'getPages', parameters: [{ name: 'title', in: 'query' }] } } },
    };
    // Act / Assess
    expect(() => buildConfluenceRouteSubset(JSON.stringify(minimal), 'x.json')).toThrow(SpecError);
    expect(() => buildConfluenceRouteSubset(JSON.stringify(minimal), 'x.json')).toThrow(
      /has no query parameter space-id/,
    );
  });

  it.skipIf(!existsSync(DEFAULT_CONFLUENCE_SPEC_PATH))(
    'matches a fresh generation from ../shared/confluence',
    () => {
      // Prepare
      const specText = readFileSync(DEFAULT_CONFLUENCE_SPEC_PATH, 'utf8');
      // Act
      const fresh = serializeConfluenceSubset(
        buildConfluenceRouteSubset(specText, sourceNameFor(DEFAULT_CONFLUENCE_SPEC_PATH)),
      );
      // Assess
      expect(fresh).toBe(committedText);
    },
  );
});
