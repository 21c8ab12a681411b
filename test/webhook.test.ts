// HTTP intake use case: authentication, body limit, all-or-nothing validation, dedupe by name.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { authenticate, signBody } from '../shared/domain/webhook-auth.ts';
import type { EpisodeClose, IncidentStorePort, WorkflowPort } from '../shared/ports.ts';
import { handleWebhook, type WebhookDeps } from '../shared/usecases/webhook.ts';

const SECRET = 'a-long-shared-webhook-secret-0123456789';
const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

function fakes() {
  const started: { name: string; input: unknown }[] = [];
  const closes: EpisodeClose[] = [];
  const names = new Set<string>();
  const workflow: WorkflowPort = {
    async start(name, input) {
      const fresh = !names.has(name);
      names.add(name);
      if (fresh) started.push({ name, input });
      return {
        executionArn: `arn:aws:states:us-east-1:123456789012:execution:medic:${name}`,
        started: fresh,
      };
    },
  };
  const store: IncidentStorePort = {
    async recordClose(close) {
      closes.push(close);
    },
    async putIncident() {},
    async incidentsFor() {
      return [];
    },
  };
  const logs: string[] = [];
  const deps: WebhookDeps = {
    secret: async () => SECRET,
    workflow,
    store,
    maxBodyBytes: 16_384,
    now: () => new Date('2024-05-01T10:00:00Z'),
    log: (message, detail) => logs.push(JSON.stringify({ message, ...detail })),
  };
  return { deps, started, closes, logs };
}

const post = (body: string, headers: Record<string, string>) => ({
  method: 'POST',
  headers,
  body,
  isBase64Encoded: false,
});

describe('webhook authentication (pure)', () => {
  const body = Buffer.from('{"a":1}');
  it.each([
    ['Bearer token', { authorization: `Bearer ${SECRET}` }, 'bearer'],
    ['X-Medic-Token', { 'x-medic-token': SECRET }, 'token'],
    ['HMAC signature', { 'x-medic-signature': signBody(SECRET, body) }, 'hmac'],
    ['rotated secret (second line)', { 'x-medic-token': SECRET }, 'token'],
    ['wrong token', { 'x-medic-token': `${SECRET}x` }, null],
    ['signature over another body', { 'x-medic-signature': signBody(SECRET, '{"a":2}') }, null],
    ['no credentials', {}, null],
    ['prefix of the secret', { authorization: `Bearer ${SECRET.slice(0, 20)}` }, null],
  ])('%s → %s', (what, headers, expected) => {
    // Prepare
    const stored = what.startsWith('rotated') ? `new-secret-not-yet-in-use-000\n${SECRET}` : SECRET;
    // Act
    const method = authenticate(headers, body, stored);
    // Assess
    expect(method).toBe(expected);
  });

  it('refuses everything when the stored secret is too short to be one', () => {
    // Prepare / Act
    const method = authenticate({ 'x-medic-token': 'short' }, body, 'short');
    // Assess
    expect(method).toBeNull();
  });
});

describe('handleWebhook', () => {
  it('starts one execution per firing alert, named by its episode key, with the trigger as input', async () => {
    // Prepare
    const { deps, started } = fakes();
    const body = fixture('alertmanager-v4-firing.json');
    // Act
    const response = await handleWebhook(post(body, { Authorization: `Bearer ${SECRET}` }), deps);
    // Assess
    expect(response.statusCode).toBe(202);
    expect(started).toHaveLength(2);
    const reply = JSON.parse(response.body);
    expect(reply.started.map((s: { episodeKey: string }) => s.episodeKey)).toEqual(
      started.map((s) => s.name),
    );
    expect(started[0]?.input).toMatchObject({
      medicTrigger: { source: 'alertmanager', instanceIds: ['i-0a1b2c3d4e5f60718'] },
    });
  });

  it('a repeated delivery joins the running execution instead of starting another', async () => {
    // Prepare
    const { deps, started } = fakes();
    const body = fixture('datadog-triggered.json');
    const headers = { 'x-medic-signature': signBody(SECRET, body) };
    // Act
    await handleWebhook(post(body, headers), deps);
    const again = await handleWebhook(post(body, headers), deps);
    // Assess
    expect(started).toHaveLength(1);
    expect(JSON.parse(again.body)).toMatchObject({ started: [], joined: [{ episodeKey: started[0]?.name }] });
  });

  it('resolved closes the episode in the incident store and starts nothing', async () => {
    // Prepare
    const { deps, started, closes } = fakes();
    // Act
    const response = await handleWebhook(
      post(fixture('alertmanager-v4-resolved.json'), { 'x-medic-token': SECRET }),
      deps,
    );
    // Assess
    expect(response.statusCode).toBe(202);
    expect(started).toEqual([]);
    expect(closes).toEqual([
      expect.objectContaining({ source: 'alertmanager', instanceIds: ['i-0a1b2c3d4e5f60718'] }),
    ]);
  });

  it.each([
    ['no credentials', {}],
    ['a wrong token', { 'x-medic-token': 'not-the-secret-but-long-enough' }],
    ['a signature made with another key', { 'x-medic-signature': signBody('another-key-0123456789', '{}') }],
  ])('401 with %s, and nothing started or parsed', async (_what, headers) => {
    // Prepare
    const { deps, started, closes } = fakes();
    // Act
    const response = await handleWebhook(post(fixture('alertmanager-v4-firing.json'), headers), deps);
    // Assess
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body)).toEqual({ error: 'UnauthorizedError' });
    expect(started).toEqual([]);
    expect(closes).toEqual([]);
  });

  it.each([
    ['not JSON', '{"alerts": [', /not valid JSON/],
    ['an unknown shape', '{"hello": "world"}', /unrecognised/],
    [
      'one good and one bad alert',
      JSON.stringify({
        ...JSON.parse(fixture('alertmanager-v4-firing.json')),
        alerts: [
          JSON.parse(fixture('alertmanager-v4-firing.json')).alerts[0],
          { status: 'firing', labels: { alertname: 'NoHost' }, startsAt: '2024-05-01T09:00:00Z' },
        ],
      }),
      /alerts\[1\].*instance_id/,
    ],
  ])('400 for %s, with the reason, and nothing started', async (_what, body, reason) => {
    // Prepare
    const { deps, started } = fakes();
    // Act
    const response = await handleWebhook(post(body, { 'x-medic-token': SECRET }), deps);
    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).reason).toMatch(reason);
    expect(started).toEqual([]);
  });

  it('413 for a body above the limit, before authentication or parsing', async () => {
    // Prepare
    const { deps, started } = fakes();
    const big = JSON.stringify({ pad: 'x'.repeat(20_000) });
    // Act
    const declaredOnly = await handleWebhook(
      post('{}', { 'x-medic-token': SECRET, 'content-length': '999999' }),
      deps,
    );
    const actual = await handleWebhook(post(big, { 'x-medic-token': SECRET }), deps);
    // Assess
    expect([declaredOnly.statusCode, actual.statusCode]).toEqual([413, 413]);
    expect(started).toEqual([]);
  });

  it('405 for anything but POST', async () => {
    // Prepare
    const { deps } = fakes();
    // Act
    const response = await handleWebhook({ ...post('', {}), method: 'GET' }, deps);
    // Assess
    expect(response.statusCode).toBe(405);
  });

  it('never hands the secret or the credentials headers to the log', async () => {
    // Prepare
    const { deps, logs } = fakes();
    const body = fixture('datadog-triggered.json');
    // Act
    await handleWebhook(post(body, { 'x-medic-token': SECRET }), deps);
    await handleWebhook(post(body, { 'x-medic-token': `${SECRET}-wrong` }), deps);
    await handleWebhook(post('{"x":1}', { authorization: `Bearer ${SECRET}` }), deps);
    // Assess
    expect(logs.length).toBe(3);
    expect(logs.join('\n')).not.toContain(SECRET.slice(0, 12));
  });
});
