/**
 * Contract between medic's Statuspage adapter, the local Statuspage and Atlassian's published
 * Statuspage API description: the local server answers only the generated subset and refuses what
 * the real API refuses, so a test passing locally cannot hide a request the real API does not take.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type LocalStatusPage,
  STATUSPAGE_ROUTES,
  startStatusPageServer,
} from '../local/statuspage-server.ts';
import { sourceNameFor } from '../scripts/gen-jira-routes.ts';
import {
  buildStatusPageRouteSubset,
  DEFAULT_SPEC_PATH,
  OUTPUT_PATH,
  type StatusPageRouteSubset,
  serializeStatusSubset,
  WANTED_STATUS_ROUTES,
} from '../scripts/gen-statuspage-routes.ts';
import { statusPage } from '../shared/adapters/statuspage.ts';
import { deadlineIn } from '../shared/domain/deadline.ts';
import { statusPlan } from '../shared/policy/statuspage.ts';
import { publishPlan } from '../shared/usecases/status-page.ts';

const committedText = readFileSync(OUTPUT_PATH, 'utf8');
const committed = JSON.parse(committedText) as StatusPageRouteSubset;
const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`;

let page: LocalStatusPage | undefined;
afterEach(async () => {
  await page?.close();
  page = undefined;
});

const plan = statusPlan(
  'medic-ep-contract',
  [
    {
      componentId: 'web01',
      classification: 'os',
      outcome: 'resolved',
      mode: 'auto',
      hasPeers: false,
      actions: [{ kind: 'reboot', outcome: 'succeeded', detail: 'rebooted' }],
    },
  ],
  'resolved',
);
if (!plan) throw new Error('the contract plan must exist');

function adapterFor(p: LocalStatusPage, over: Partial<Parameters<typeof statusPage>[0]> = {}) {
  return statusPage({ baseUrl: p.baseUrl, pageId: p.pageId, apiKey: p.apiKey, timeoutMs: 2_000, ...over });
}

describe('Statuspage OpenAPI subset', () => {
  it('lists exactly the routes medic wants, with the limit the spec states and its provenance', () => {
    // Act
    const listed = committed.routes.map(key);
    // Assess
    expect(listed).toEqual(WANTED_STATUS_ROUTES.map(key));
    expect(STATUSPAGE_ROUTES.map(key)).toEqual(listed);
    expect([committed.rateLimitPerSecond, committed.rateLimitStatuses]).toEqual([1, [420, 429]]);
    expect(committed.provenance.source).toMatch(/statuspage-v1\.openapi\.yaml$/);
    expect(committed.provenance.sourceSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(committed.provenance.generatedBy).toContain('scripts/gen-statuspage-routes.ts');
  });

  it.skipIf(!existsSync(DEFAULT_SPEC_PATH))('regenerates byte for byte from the reference spec', () => {
    // Prepare
    const spec = readFileSync(DEFAULT_SPEC_PATH, 'utf8');
    // Act
    const regenerated = serializeStatusSubset(
      buildStatusPageRouteSubset(spec, sourceNameFor(DEFAULT_SPEC_PATH)),
    );
    // Assess
    expect(regenerated).toBe(committedText);
  });
});

describe('the local Statuspage refuses what the real API would', () => {
  it('a route outside the subset, a wrong key, a field the route does not take, an unknown component', async () => {
    // Prepare
    page = await startStatusPageServer({ components: { web01: 'Website' }, burst: 0 });
    const auth = { Authorization: `OAuth ${page.apiKey}`, 'Content-Type': 'application/json' };
    const incidents = `${page.baseUrl}/pages/${page.pageId}/incidents`;
    // Act
    const answers = await Promise.all([
      fetch(`${page.baseUrl}/pages/${page.pageId}/components/web01`, { method: 'DELETE', headers: auth }),
      fetch(incidents, { method: 'POST', headers: { ...auth, Authorization: 'Bearer x' }, body: '{}' }),
      fetch(incidents, {
        method: 'POST',
        headers: auth,
        // `impact` is what the API returns; a create takes `impact_override`.
        body: JSON.stringify({ incident: { name: 'x', impact: 'critical' } }),
      }),
      fetch(incidents, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ incident: { name: 'x', components: { nope01: 'major_outage' } } }),
      }),
      fetch(incidents, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ incident: { name: 'x', metadata: { medic: 'flat string' } } }),
      }),
    ]);
    // Assess
    expect(answers.map((a) => a.status)).toEqual([404, 401, 422, 422, 422]);
    expect(page.requests().every((r) => r.refused)).toBe(true);
    expect(page.incidents()).toEqual([]);
  });

  it('answers 420 to a third request with the same key within a second', async () => {
    // Prepare
    page = await startStatusPageServer();
    const get = () =>
      fetch(`${page?.baseUrl}/pages/${page?.pageId}/incidents/unresolved`, {
        headers: { Authorization: `OAuth ${page?.apiKey}` },
      });
    // Act
    const answers = [await get(), await get(), await get()];
    // Assess
    expect(answers.map((a) => a.status)).toEqual([200, 200, 420]);
  });
});

describe('the adapter against the local Statuspage', () => {
  it('publishes a plan with requests the API takes, spaced by the token bucket; a second publish posts nothing', async () => {
    // Prepare: the default server refuses a third request within a second
    page = await startStatusPageServer({ components: { web01: 'Website' } });
    const port = adapterFor(page);
    // Act
    const first = await publishPlan(plan, port);
    const again = await publishPlan(plan, port);
    // Assess
    expect(page.requests().filter((r) => r.refused)).toEqual([]);
    expect(page.requests().every((r) => STATUSPAGE_ROUTES.some((x) => x.method === r.method))).toBe(true);
    expect(first).toMatchObject({ status: 'resolved', postedNow: ['opened', 'step-reboot', 'resolved'] });
    expect(again).toEqual({ incidentId: first.incidentId, status: 'resolved', postedNow: [] });
    expect(page.incidents()).toHaveLength(1);
    expect(page.componentHistory().map((h) => h.status)).toEqual(['major_outage', 'operational']);
    const updates = page.incidents()[0]?.incident_updates ?? [];
    // Caught up in one go: only the latest update notifies subscribers.
    expect(updates.map((u) => [u.status, u.deliver_notifications]).reverse()).toEqual([
      ['investigating', false],
      ['identified', false],
      ['resolved', true],
    ]);
  }, 30_000);

  it('an open incident (escalated) published again, or after a shorter plan, gets no update twice', async () => {
    // Prepare
    page = await startStatusPageServer({ apiKey: 'key-open', components: { web01: 'Website' } });
    const escalated = statusPlan(
      'medic-ep-open',
      [
        {
          componentId: 'web01',
          classification: 'os',
          outcome: 'escalated',
          mode: 'auto',
          hasPeers: false,
          actions: [{ kind: 'reboot', outcome: 'succeeded', detail: 'x' }],
        },
      ],
      'escalated',
    );
    if (!escalated) throw new Error('the escalated plan must exist');
    const port = adapterFor(page);
    // Act
    const first = await publishPlan(escalated, port);
    const again = await publishPlan(escalated, port);
    const earlier = await publishPlan({ ...escalated, updates: escalated.updates.slice(0, 1) }, port);
    // Assess
    expect(first.postedNow).toEqual(['opened', 'step-reboot', 'handed-over']);
    expect([again.postedNow, earlier.postedNow]).toEqual([[], []]);
    expect(page.incidents()).toHaveLength(1);
    expect(page.incidents()[0]?.incident_updates).toHaveLength(3);
    expect(page.incidents()[0]?.status).toBe('identified');
  }, 30_000);

  it('retries 420 after Retry-After, a bounded number of times; other 4xx are not retried', async () => {
    // Prepare
    // Its own key: the fake sleeps below spend that key's bucket without waiting.
    page = await startStatusPageServer({
      apiKey: 'key-retries',
      burst: 0,
      faults: { rateLimitNext: 2, retryAfter: '2' },
    });
    const pauses: number[] = [];
    const sleep = async (ms: number) => {
      pauses.push(ms);
    };
    // Act
    const found = await adapterFor(page, { sleep }).findIncident('none');
    page.setFaults({ rateLimitNext: 100, retryAfter: '1' });
    const before = page.requests().length;
    const limited = await adapterFor(page, { sleep, attempts: 3 })
      .findIncident('none')
      .catch((e: Error) => e);
    const limitedRequests = page.requests().length - before;
    page.setFaults({});
    const rejected = await adapterFor(page, { sleep, apiKey: 'wrong' })
      .findIncident('none')
      .catch((e: Error) => e);
    // Assess
    expect(found).toBeNull();
    expect(pauses.filter((p) => p === 2_000)).toHaveLength(2);
    expect((limited as Error).name).toBe('StatusPageUnavailableError');
    expect(limitedRequests).toBe(3);
    expect((rejected as Error).name).toBe('StatusPageRequestError');
    expect(page.requests().at(-1)?.status).toBe(401);
  });

  it('never waits past the deadline for a Retry-After that does not fit', async () => {
    // Prepare
    page = await startStatusPageServer({
      apiKey: 'key-deadline',
      burst: 0,
      faults: { rateLimitNext: 5, retryAfter: '30' },
    });
    const started = Date.now();
    // Act
    const error = await adapterFor(page, { deadline: deadlineIn(3_000) })
      .findIncident('none')
      .catch((e: Error) => e);
    // Assess
    expect((error as Error).name).toBe('StatusPageUnavailableError');
    expect(Date.now() - started).toBeLessThan(2_500);
  });
});
