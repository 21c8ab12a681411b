/**
 * The incident record against the local Jira over HTTP with the real adapter (jira-client), for
 * Jira Cloud (REST v3, ADF) and Data Center (REST v2, wiki markup): sections, timeline rows,
 * labels, priority, the duplicate (same episode) and reopen paths, attachments, notifications and
 * metrics. Every ADF document is validated against Atlassian's schema.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdfDoc, LocalJira } from '../local/jira-server.ts';
import { type JiraDeployment, renderedLength } from '../shared/adapters/jira.ts';
import type { IncidentMetrics } from '../shared/ports.ts';
import { finalTimeline, record } from '../shared/usecases/record.ts';
import { adfProblems } from './support/adf.ts';
import { inbox, resolvedIncident, TICKET_SECTIONS } from './support/incident.ts';
import { localTickets, startLocalJira } from './support/jira.ts';

const SECTIONS = TICKET_SECTIONS;

let jira: LocalJira;
beforeEach(async () => {
  jira = await startLocalJira();
});
afterEach(async () => {
  await jira.close();
});

function deps(deployment: JiraDeployment, clock = () => new Date(), extra: { reopenWindowMs?: number } = {}) {
  const notifier = inbox();
  const status = inbox();
  const metrics: IncidentMetrics[] = [];
  const tickets = localTickets(jira, { timeoutMs: 5_000, deployment, attempts: 2, backoffMs: 10 });
  return {
    notifier,
    status,
    metrics,
    deps: {
      tickets: async () => tickets,
      notifier,
      statusNotifier: status,
      metrics: { emit: (m: IncidentMetrics) => metrics.push(m) },
      clock,
      measure: (d: Parameters<typeof renderedLength>[1]) => renderedLength(deployment, d),
      ...extra,
    },
  };
}

/** What a reader sees: ADF as JSON text, wiki markup with its escapes undone. */
const plain = (body: unknown): string =>
  typeof body === 'string' ? body.replace(/\\(.)/g, '$1') : JSON.stringify(body);

type Node = { type: string; text?: string; content?: Node[]; marks?: { type: string }[] };
const textOf = (n: Node): string => (n.text ?? '') + (n.content ?? []).map(textOf).join('');

/** Headings and the timeline table's rows (first cell = time) from an ADF description. */
function adfOutline(doc: AdfDoc) {
  const content = doc.content as Node[];
  const headings = content.filter((n) => n.type === 'heading').map(textOf);
  const timelineAt = content.findIndex((n) => n.type === 'heading' && textOf(n) === 'Timeline');
  const table = content.slice(timelineAt).find((n) => n.type === 'table');
  const rows = (table?.content ?? []).map((r) => (r.content ?? []).map(textOf));
  return { headings, rows };
}

/** The same from a wiki-markup description. */
function wikiOutline(wiki: string) {
  const headings = [...wiki.matchAll(/^h2\. (.*)$/gm)].map((m) => (m[1] ?? '').replace(/\\(.)/g, '$1'));
  const block = wiki.split(/^h2\. Timeline$/m)[1]?.split(/^h2\. /m)[0] ?? '';
  const rows = block
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .map((l) =>
      l
        .replace(/^\|\|?|\|\|?$/g, '')
        .split(/(?<!\\)\|\|?/)
        .map((c) => c.replace(/\\(.)/g, '$1')),
    );
  return { headings, rows };
}

describe.each([
  ['cloud', 3],
  ['data-center', 2],
] as const)('Record on Jira %s (REST v%i)', (deployment, version) => {
  it('files a ticket with every section, labels, priority, and one timeline row per entry', async () => {
    // Prepare
    const state = resolvedIncident();
    const d = deps(deployment);

    // Act
    const out = await record(state, d.deps);

    // Assess: the ticket
    const [issue] = jira.issues();
    expect(out.ticket).toMatchObject({ key: issue?.key, created: true });
    expect(issue?.fields.summary).toBe(
      '[medic] resolved: web-1 (i-0abc123def4567890) — web-1 status check failed',
    );
    expect(issue?.fields.labels).toEqual(
      expect.arrayContaining(['medic', state.incidentId, 'os', 'i-0abc123def4567890']),
    );
    expect(issue?.fields.priority.name).toBe('Medium');
    const description = issue?.fields.description;
    const outline =
      version === 3 ? adfOutline(description as AdfDoc) : wikiOutline(description as unknown as string);
    if (version === 3) expect(adfProblems(description)).toEqual([]);
    else expect(typeof description).toBe('string');
    expect(outline.headings).toEqual(SECTIONS);

    // Assess: the timeline table is the run's timeline, in order, one row each (the ticket note
    // is appended after the description is built)
    const timeline = out.timeline.slice(0, -1);
    expect(outline.rows[0]).toEqual(['Time (UTC)', 'Step', 'Kind', 'What happened']);
    expect(outline.rows.slice(1).map((r) => [r[0], r[2]])).toEqual(timeline.map((e) => [e.at, e.kind]));
    expect(out.timeline.at(-1)?.summary).toMatch(
      new RegExp(`^filed Jira ticket ${issue?.key} \\(${deployment}`),
    );

    // Assess: only spec routes of this API version, all accepted
    const requests = jira.requests();
    expect(requests.every((r) => r.path.startsWith(`/rest/api/${version}/`) && r.status < 400)).toBe(true);
    expect(requests.map((r) => `${r.method} ${r.path.replace(/OPS-\d+/, '{key}')}`)).toEqual([
      `POST /rest/api/${version}/${version === 3 ? 'search/jql' : 'search'}`,
      `POST /rest/api/${version}/${version === 3 ? 'search/jql' : 'search'}`,
      `POST /rest/api/${version}/issue`,
    ]);
  });

  it('a repeated Record for the same episode comments and updates, never duplicates', async () => {
    // Prepare
    const state = resolvedIncident();
    await record(state, deps(deployment).deps);

    // Act
    const again = await record(state, deps(deployment).deps);

    // Assess
    const issues = jira.issues();
    expect(issues).toHaveLength(1);
    expect(again.ticket).toMatchObject({ key: issues[0]?.key, created: false });
    expect(issues[0]?.comments).toHaveLength(1);
    const comment = issues[0]?.comments[0]?.body;
    if (version === 3) expect(adfProblems(comment)).toEqual([]);
    expect(plain(comment)).toContain('medic updated this record: resolved');
    expect(again.timeline.at(-1)?.summary).toMatch(/^updated Jira ticket OPS-1/);
    expect(jira.requests().filter((r) => r.method === 'PUT')).toHaveLength(1);
  });

  it('reopens a recently closed ticket for the same instance and classification instead of filing another', async () => {
    // Prepare: an earlier episode, filed and then closed by a person
    const first = await record(
      resolvedIncident({ incidentId: 'medic-web-1-earlier-1' }),
      deps(deployment).deps,
    );
    const key = first.ticket?.key ?? '';
    const auth = `Basic ${Buffer.from('medic@example.com:local-token').toString('base64')}`;
    const closed = await fetch(`${jira.baseUrl}/rest/api/3/issue/${key}/transitions`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ transition: { id: '31' } }),
    });
    expect(closed.status).toBe(204);

    // Act: the same instance, the same classification, a new episode
    const second = await record(
      resolvedIncident({ incidentId: 'medic-web-1-later-2' }),
      deps(deployment).deps,
    );

    // Assess
    const issues = jira.issues();
    expect(issues).toHaveLength(1);
    expect(second.ticket).toMatchObject({ key, created: false });
    expect(issues[0]?.fields.status.name).toBe('To Do');
    expect(issues[0]?.fields.labels).toEqual(
      expect.arrayContaining(['medic-web-1-earlier-1', 'medic-web-1-later-2']),
    );
    const comment = plain(issues[0]?.comments.at(-1)?.body);
    expect(comment).toContain('Recurred: incident medic-web-1-later-2');
    expect(comment).toContain('Maintenance: this instance has had 1 earlier medic incident');
    expect(second.timeline.at(-1)?.summary).toMatch(new RegExp(`^reopened Jira ticket ${key}`));
  });

  it('files a new ticket when the closed one is older than the reopen window', async () => {
    // Prepare
    const first = await record(resolvedIncident({ incidentId: 'medic-web-1-old-1' }), deps(deployment).deps);
    const auth = `Basic ${Buffer.from('medic@example.com:local-token').toString('base64')}`;
    await fetch(`${jira.baseUrl}/rest/api/3/issue/${first.ticket?.key}/transitions`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ transition: { id: '31' } }),
    });
    const later = () => new Date(Date.now() + 4 * 24 * 3_600_000);

    // Act
    const second = await record(
      resolvedIncident({ incidentId: 'medic-web-1-new-2' }),
      deps(deployment, later, { reopenWindowMs: 72 * 3_600_000 }).deps,
    );

    // Assess
    expect(jira.issues()).toHaveLength(2);
    expect(second.ticket?.created).toBe(true);
    expect(jira.issues()[0]?.fields.status.name).toBe('Done');
  });

  it('attaches evidence too large for the description as JSON', async () => {
    // Prepare: an alarm whose raw event is large
    const state = {
      ...resolvedIncident(),
      trigger: { ...resolvedIncident().trigger, raw: 'x'.repeat(40_000) },
    };

    // Act
    await record(state, deps(deployment).deps);

    // Assess
    const [issue] = jira.issues();
    expect(issue?.attachments).toHaveLength(1);
    expect(issue?.attachments[0]?.filename).toBe(`medic-evidence-${state.incidentId}.json`);
    const bundle = JSON.parse(issue?.attachments[0]?.content ?? '{}');
    expect(bundle.incidentId).toBe(state.incidentId);
    expect(bundle.cases[0].evidence.reachability.checks[0].name).toBe('SSH 127.0.0.1:22');
    expect(plain(issue?.fields.description)).toContain(`attached as medic-evidence-${state.incidentId}.json`);
  });
});

describe('Record: a description too long for Jira', () => {
  it('keeps the first and last timeline rows, says how many were omitted, and attaches the rest', async () => {
    // Prepare: 250 verbose entries would exceed Jira's 32,767-character description limit
    const base = resolvedIncident();
    const [c] = base.cases ?? [];
    if (!c) throw new Error('fixture has a case');
    const noisy = Array.from({ length: 250 }, (_, i) => ({
      at: new Date(Date.parse('2026-03-01T03:00:10.000Z') + i * 100).toISOString(),
      step: 'Verify',
      kind: 'verify' as const,
      instanceId: c.target.instanceId,
      summary: `not yet recovered, poll ${i}: ${'SSH refused; HTTP ECONNREFUSED; '.repeat(10)}`,
    }));
    const state = { ...base, cases: [{ ...c, timeline: [...c.timeline, ...noisy] }] };
    const d = deps('cloud');

    // Act
    const out = await record(state, d.deps);

    // Assess
    const [issue] = jira.issues();
    const { rows } = adfOutline(issue?.fields.description as AdfDoc);
    const omitted = rows.findIndex((r) => / entries omitted here: /.test(r[3] ?? ''));
    expect(omitted).toBeGreaterThan(1);
    expect(rows.slice(1, omitted).map((r) => r[0])).toEqual(
      state.timeline
        .concat(c.timeline)
        .slice(0, omitted - 1)
        .map((e) => e.at)
        .sort(),
    );
    expect(rows.at(-1)?.[0]).toBe(out.timeline.at(-2)?.at);
    expect(rows[omitted]?.[3]).toMatch(/^\d+ entries omitted here: see medic-evidence-.*\.json$/);
    expect(JSON.stringify(issue?.fields.description).length).toBeLessThan(32_767);
    expect(issue?.attachments).toHaveLength(1);
    expect(JSON.parse(issue?.attachments[0]?.content ?? '{}').timeline.length).toBeGreaterThan(250);
  });
});

describe('Record: what the people and the dashboards get', () => {
  it('sends a phone-friendly final message with filter attributes, a user-facing status, and metrics once', async () => {
    // Prepare
    const d = deps('cloud');

    // Act
    await record(resolvedIncident(), d.deps);

    // Assess: stakeholders
    expect(d.notifier.sent).toHaveLength(1);
    const [final] = d.notifier.sent;
    expect(final?.subject).toBe('[medic] RESOLVED: web-1 - reboot fixed it in 52 s');
    expect(final?.subject).toMatch(/^[\x20-\x7e]{1,100}$/);
    expect(final?.attributes).toMatchObject({
      severity: 'medium',
      instance: 'i-0abc123def4567890',
      outcome: 'resolved',
      classification: 'os',
      event: 'resolved',
    });
    expect(final?.body).toContain('Ticket: OPS-1 (created)');
    expect(final?.body).toContain('Time to first action: 7 s. Time to mitigate: 52 s.');
    // Assess: the user-facing status carries no internal detail
    expect(d.status.sent).toHaveLength(1);
    expect(JSON.stringify(d.status.sent)).not.toMatch(/i-0abc|OPS-1|reboot|10\.0\.0\.12/);
    expect(d.status.sent[0]?.subject).toBe('Resolved: nginx');
    // Assess: metrics, once per run
    expect(d.metrics).toEqual([
      {
        classification: 'os',
        outcome: 'resolved',
        timeToFirstActionSeconds: 7,
        timeToMitigateSeconds: 52,
        actions: 1,
        guardHolds: 0,
        // The incident's region (and account, when known) also count it by place.
        region: 'us-east-1',
      },
    ]);
  });

  it('still notifies and emits metrics when Jira is down, and says so on the timeline', async () => {
    // Prepare
    jira.setFaults({ status: 503 });
    const d = deps('cloud');

    // Act
    const out = await record(resolvedIncident(), d.deps);

    // Assess
    expect(out.ticket).toBeNull();
    expect(out.timeline.at(-1)?.summary).toMatch(/^could not file the Jira ticket: JiraUnavailableError/);
    expect(d.notifier.sent[0]?.body).toContain('Ticket: not filed');
    expect(d.metrics).toHaveLength(1);
  });

  it('escalated: critical severity, Highest priority, a subject that says a person is needed', async () => {
    // Prepare
    const base = resolvedIncident();
    const [c] = base.cases ?? [];
    if (!c) throw new Error('fixture has a case');
    const state = {
      ...base,
      cases: [
        {
          ...c,
          outcome: 'escalated' as const,
          actions: [
            { ...(c.actions[0] as (typeof c.actions)[number]), outcome: 'not-recovered' as const },
            {
              kind: 'page' as const,
              instanceId: c.target.instanceId,
              at: c.timeline[5]?.at ?? '',
              outcome: 'paged' as const,
              detail: 'paged',
            },
          ],
          timeline: c.timeline.slice(0, 5),
        },
      ],
    };
    const d = deps('cloud');

    // Act
    await record(state, d.deps);

    // Assess
    expect(jira.issues()[0]?.fields.priority.name).toBe('Highest');
    expect(d.notifier.sent[0]?.subject).toBe(
      '[medic] ESCALATED: web-1 - needs a person (os, 1 actions tried)',
    );
    expect(d.notifier.sent[0]?.attributes).toMatchObject({ severity: 'critical', event: 'escalated' });
    expect(d.metrics[0]?.timeToMitigateSeconds).toBeNull();
  });
});

describe('Record: what failed along the way is on the final timeline', () => {
  it('names each caught error once, with its step, its instance when it has one, and its cause', () => {
    // Prepare
    const base = resolvedIncident();
    const c = base.cases?.[0];
    if (!c) throw new Error('fixture has no case');
    const state = {
      ...base,
      cases: [
        {
          ...c,
          fileError: { Error: 'Sandbox.Timedout', Cause: 'lost' },
          caseError: { Error: 'Boom', Cause: 'x' },
        },
      ],
      ackError: { Error: 'SNS.Down', Cause: 'y' },
      error: { Error: 'States.TaskFailed', Cause: 'z' },
    };
    const clock = () => new Date('2026-01-01T00:00:00.000Z');
    // Act
    const errors = finalTimeline(state, clock).filter((e) => e.kind === 'error');
    // Assess
    expect(errors.map((e) => [e.step, e.instanceId ?? null, e.summary])).toEqual([
      [
        'FileCase',
        c.target.instanceId,
        'the case was not stored in the incident store, so it travels whole: Sandbox.Timedout: lost',
      ],
      ['Investigate', c.target.instanceId, 'stopped on an unexpected error: Boom: x'],
      ['Acknowledge', null, 'the stakeholders were not told the incident opened: SNS.Down: y'],
      ['CatchAll', null, 'medic failed: States.TaskFailed: z'],
    ]);
  });
});
