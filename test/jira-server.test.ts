/** The local Jira over real HTTP: the ticket lifecycle medic drives, and the errors it must handle. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalJira, startJiraServer } from '../local/jira-server.ts';

const AUTH = `Basic ${Buffer.from('medic@example.com:local-token').toString('base64')}`;

const adf = (text: string) => ({
  type: 'doc',
  version: 1,
  content: [{ type: 'paragraph', content: [{ type: 'text', text }] }],
});

const newIssue = (overrides: Record<string, unknown> = {}) => ({
  fields: {
    project: { key: 'OPS' },
    summary: '[medic] mitigated: i-0abc — StatusCheckFailed',
    description: adf('Instance failed its status checks.'),
    issuetype: { name: 'Task' },
    labels: ['medic', 'episode-i-0abc-20240501T100000Z'],
    priority: { name: 'High' },
    ...overrides,
  },
});

type Json = Record<string, unknown>;

describe('local Jira server', () => {
  let jira: LocalJira;

  /** JSON request with medic's credentials unless headers say otherwise. */
  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${jira.baseUrl}${path}`, {
      method,
      headers: { authorization: AUTH, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: (text === '' ? undefined : JSON.parse(text)) as Json };
  }

  beforeEach(async () => {
    jira = await startJiraServer();
  });

  afterEach(async () => {
    await jira.close();
  });

  it('creates, finds, comments on, closes and reopens an issue', async () => {
    // Prepare
    const label = 'episode-i-0abc-20240501T100000Z';

    // Act
    const created = await call('POST', '/rest/api/3/issue', newIssue());
    const key = created.json.key as string;
    const fetched = await call('GET', `/rest/api/3/issue/${key}`);
    const found = await call('POST', '/rest/api/3/search/jql', {
      jql: `project = OPS AND labels = "${label}"`,
      fields: ['summary', 'labels', 'status'],
    });
    const commented = await call('POST', `/rest/api/3/issue/${key}/comment`, {
      body: adf('Rebooted; healthy.'),
    });
    const comments = await call('GET', `/rest/api/3/issue/${key}/comment`);
    const beforeClose = await call('GET', `/rest/api/3/issue/${key}/transitions`);
    const toInProgress = await call('POST', `/rest/api/3/issue/${key}/transitions`, {
      transition: { id: '21' },
    });
    const toDone = await call('POST', `/rest/api/3/issue/${key}/transitions`, { transition: { id: '31' } });
    const whenDone = await call('GET', `/rest/api/3/issue/${key}/transitions`);
    const doneSearch = await call('POST', '/rest/api/3/search/jql', {
      jql: `labels = "${label}" AND statusCategory = Done ORDER BY created DESC`,
    });
    const reopened = await call('POST', `/rest/api/3/issue/${key}/transitions`, { transition: { id: '41' } });

    // Assess
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      id: '10001',
      key: 'OPS-1',
      self: `${jira.baseUrl}/rest/api/3/issue/10001`,
    });
    expect(fetched.status).toBe(200);
    expect(fetched.json).toMatchObject({
      key: 'OPS-1',
      fields: {
        summary: newIssue().fields.summary,
        description: adf('Instance failed its status checks.'),
        labels: ['medic', label],
        priority: { name: 'High' },
        issuetype: { name: 'Task' },
        project: { key: 'OPS' },
        status: { name: 'To Do', statusCategory: { key: 'new' } },
      },
    });
    expect(found.status).toBe(200);
    expect(found.json).toEqual({
      issues: [
        expect.objectContaining({
          key: 'OPS-1',
          fields: expect.objectContaining({ labels: ['medic', label] }),
        }),
      ],
      isLast: true,
    });
    expect(found.json).not.toHaveProperty('total');
    expect(commented.status).toBe(201);
    expect(commented.json).toMatchObject({ id: expect.any(String), body: adf('Rebooted; healthy.') });
    expect(comments.json).toMatchObject({
      startAt: 0,
      total: 1,
      comments: [{ body: adf('Rebooted; healthy.') }],
    });
    expect((beforeClose.json.transitions as Json[]).map((t) => t.id)).toEqual(['21', '31']);
    expect(beforeClose.json.transitions).toContainEqual(
      expect.objectContaining({
        id: '21',
        name: 'In Progress',
        to: expect.objectContaining({ name: 'In Progress' }),
      }),
    );
    expect([toInProgress.status, toDone.status, reopened.status]).toEqual([204, 204, 204]);
    expect(whenDone.json.transitions).toEqual([
      expect.objectContaining({ id: '41', name: 'Reopen', to: expect.objectContaining({ name: 'To Do' }) }),
    ]);
    expect(doneSearch.json).toEqual({ issues: [{ id: '10001' }], isLast: true });
    const [issue] = jira.issues();
    expect(issue?.fields.status.name).toBe('To Do');
    expect(issue?.comments).toEqual([
      { id: expect.any(String), body: adf('Rebooted; healthy.'), created: expect.any(String) },
    ]);
  });

  it('numbers issue keys in order and edits fields with PUT', async () => {
    // Prepare
    await call('POST', '/rest/api/3/issue', newIssue());

    // Act
    const second = await call('POST', '/rest/api/3/issue', newIssue({ labels: ['medic'] }));
    const edited = await call('PUT', '/rest/api/3/issue/OPS-2', {
      fields: { summary: '[medic] escalated: i-0abc — StatusCheckFailed' },
      update: { labels: [{ add: 'escalated' }] },
    });

    // Assess
    expect(second.json.key).toBe('OPS-2');
    expect(edited.status).toBe(204);
    expect(jira.issues()[1]?.fields).toMatchObject({
      summary: '[medic] escalated: i-0abc — StatusCheckFailed',
      labels: ['medic', 'escalated'],
    });
  });

  it('answers 404 in Jira wording for an unknown issue', async () => {
    // Prepare
    const path = '/rest/api/3/issue/OPS-999';

    // Act
    const response = await call('GET', path);

    // Assess
    expect(response.status).toBe(404);
    expect(response.json).toEqual({
      errorMessages: ['Issue does not exist or you do not have permission to see it.'],
      errors: {},
    });
  });

  it('rejects missing or wrong credentials with 401', async () => {
    // Prepare
    const wrong = `Basic ${Buffer.from('medic@example.com:nope').toString('base64')}`;

    // Act
    const missing = await fetch(`${jira.baseUrl}/rest/api/3/myself`);
    const bad = await call('GET', '/rest/api/3/myself', undefined, { authorization: wrong });
    const good = await call('GET', '/rest/api/3/myself');

    // Assess
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ errorMessages: [expect.any(String)], errors: {} });
    expect(bad.status).toBe(401);
    expect(good.json).toMatchObject({ emailAddress: 'medic@example.com', accountId: expect.any(String) });
  });

  it('answers 400 when the summary is missing', async () => {
    // Prepare
    const { summary: _omitted, ...fields } = newIssue().fields;

    // Act
    const response = await call('POST', '/rest/api/3/issue', { fields });

    // Assess
    expect(response.status).toBe(400);
    expect(response.json).toEqual({
      errorMessages: [],
      errors: { summary: 'You must specify a summary of the issue.' },
    });
    expect(jira.issues()).toEqual([]);
  });

  it('answers 400 when a description or comment is not an ADF document', async () => {
    // Prepare
    const { json: existing } = await call('POST', '/rest/api/3/issue', newIssue());

    // Act
    const wiki = await call('POST', '/rest/api/3/issue', newIssue({ description: 'h1. plain wiki markup' }));
    const noVersion = await call(
      'POST',
      '/rest/api/3/issue',
      newIssue({ description: { type: 'doc', content: [] } }),
    );
    const comment = await call('POST', `/rest/api/3/issue/${existing.key}/comment`, { body: 'plain text' });

    // Assess
    expect(wiki.status).toBe(400);
    expect((wiki.json.errors as Json).description).toMatch(/Atlassian Document/);
    expect(noVersion.status).toBe(400);
    expect(comment.status).toBe(400);
    expect(jira.issues()).toHaveLength(1);
  });

  it('answers 400 for labels with spaces, a foreign project and unsupported JQL', async () => {
    // Prepare
    await call('POST', '/rest/api/3/issue', newIssue());

    // Act
    const spaced = await call('POST', '/rest/api/3/issue', newIssue({ labels: ['two words'] }));
    const foreign = await call('POST', '/rest/api/3/issue', newIssue({ project: { key: 'ELSE' } }));
    const orJql = await call('POST', '/rest/api/3/search/jql', { jql: 'labels = medic OR labels = x' });
    const unbounded = await call(
      'GET',
      `/rest/api/3/search/jql?jql=${encodeURIComponent('ORDER BY created DESC')}`,
    );
    const oldPaging = await call('POST', '/rest/api/3/search/jql', { jql: 'project = OPS', startAt: 0 });

    // Assess
    expect(spaced.status).toBe(400);
    expect(foreign.status).toBe(400);
    expect((foreign.json.errors as Json).project).toBeDefined();
    expect(orJql.status).toBe(400);
    expect((orJql.json.errorMessages as string[])[0]).toMatch(/^Error in the JQL Query: /);
    expect(unbounded.status).toBe(400);
    expect(oldPaging.status).toBe(400);
  });

  it('searches with GET query parameters and pages with nextPageToken', async () => {
    // Prepare
    for (let i = 0; i < 3; i += 1) await call('POST', '/rest/api/3/issue', newIssue());
    const jql = encodeURIComponent('project = OPS AND labels in ("medic", "other") ORDER BY created DESC');

    // Act
    const first = await call('GET', `/rest/api/3/search/jql?jql=${jql}&maxResults=2&fields=summary`);
    const token = encodeURIComponent(first.json.nextPageToken as string);
    const second = await call(
      'GET',
      `/rest/api/3/search/jql?jql=${jql}&maxResults=2&fields=summary&nextPageToken=${token}`,
    );

    // Assess
    expect(first.json).toMatchObject({ isLast: false, issues: [{ key: 'OPS-3' }, { key: 'OPS-2' }] });
    expect(second.json).toMatchObject({ isLast: true, issues: [{ key: 'OPS-1' }] });
    expect(second.json).not.toHaveProperty('nextPageToken');
  });

  it('answers 400 for invalid JSON and 413 for bodies over 10 MB', async () => {
    // Prepare
    const url = `${jira.baseUrl}/rest/api/3/issue`;
    const headers = { authorization: AUTH, 'content-type': 'application/json' };

    // Act
    const invalid = await fetch(url, { method: 'POST', headers, body: '{"fields":' });
    const huge = await fetch(url, { method: 'POST', headers, body: 'x'.repeat(10 * 1024 * 1024 + 1) });

    // Assess
    expect(invalid.status).toBe(400);
    expect(huge.status).toBe(413);
  });

  it('records every request with its status and parsed body', async () => {
    // Prepare
    const body = newIssue();

    // Act
    await call('POST', '/rest/api/3/issue', body);
    await call('GET', '/rest/api/3/search/jql?jql=project%20%3D%20OPS&fields=summary');

    // Assess
    expect(jira.requests()).toEqual([
      { method: 'POST', path: '/rest/api/3/issue', query: {}, status: 201, at: expect.any(String), body },
      {
        method: 'GET',
        path: '/rest/api/3/search/jql',
        query: { jql: 'project = OPS', fields: 'summary' },
        status: 200,
        at: expect.any(String),
        body: undefined,
      },
    ]);
  });

  it('fails every request with the configured fault status', async () => {
    // Prepare
    jira.setFaults({ status: 503 });

    // Act
    const faulted = await call('POST', '/rest/api/3/issue', newIssue());
    const alsoFaulted = await call('GET', '/rest/api/3/myself');
    jira.setFaults({});
    const recovered = await call('GET', '/rest/api/3/myself');

    // Assess
    expect(faulted.status).toBe(503);
    expect(faulted.json).toMatchObject({ errorMessages: [expect.any(String)] });
    expect(alsoFaulted.status).toBe(503);
    expect(recovered.status).toBe(200);
    expect(jira.issues()).toEqual([]);
  });

  it('fails the next N requests with 500 and delays answers when asked', async () => {
    // Prepare
    await jira.close();
    jira = await startJiraServer({ faults: { failNext: 2, delayMs: 50 } });

    // Act
    const started = Date.now();
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await call('GET', '/rest/api/3/myself')).status);
    const elapsed = Date.now() - started;

    // Assess
    expect(statuses).toEqual([500, 500, 200]);
    expect(elapsed).toBeGreaterThanOrEqual(3 * 45);
  });
});
