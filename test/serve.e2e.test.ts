/**
 * `medic serve` as a person runs it, without Alertmanager: a `curl`-style POST is authenticated by
 * the real intake handler (401 without the secret, nothing started), an authenticated Alertmanager
 * body runs the incident to a ticket, one line per request says so, and SIGTERM stops it: exit 0,
 * the port free. (test/alertmanager.e2e.test.ts drives the same server from a real Alertmanager.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { setupScenario } from '../local/scenarios.ts';
import { accepts, startServe } from './support/serve.ts';
import { useSubstrate } from './support/substrate.ts';

const SECRET = 'serve-e2e-secret-0123456789abcdef';

const s = useSubstrate({
  started: () =>
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'medic-local',
      AWS_SECRET_ACCESS_KEY: 'medic-local',
      AWS_REGION: 'us-east-1',
    }),
});

describe('medic serve', () => {
  it('401 without the secret (nothing started), 202 with it and a ticket; one line each; SIGTERM → exit 0, port freed', async () => {
    // Prepare
    const world = await setupScenario('not-opted-in', {
      ec2: new EC2Client({
        endpoint: s.moto.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 't', secretAccessKey: 't' },
      }),
      moto: s.moto,
      now: new Date(),
      clientConfig: { endpoint: s.moto.endpoint, region: 'us-east-1' },
    });
    const instanceId = world.instanceIds[0] ?? '';
    const fixture = JSON.parse(
      readFileSync(join(import.meta.dirname, 'fixtures', 'alertmanager-v4-firing.json'), 'utf8'),
    ) as { alerts: { labels: Record<string, string>; startsAt: string }[] };
    const [first] = fixture.alerts;
    if (!first) throw new Error('fixture has no alert');
    const body = JSON.stringify({
      ...fixture,
      alerts: [
        {
          ...first,
          startsAt: new Date().toISOString(),
          labels: { ...first.labels, instance_id: instanceId },
        },
      ],
    });
    const serve = await startServe({ ...s.env, MEDIC_WEBHOOK_SECRET: SECRET });
    try {
      // Act
      const anonymous = await fetch(`${serve.url}/`, {
        method: 'POST',
        body,
        signal: AbortSignal.timeout(10_000),
      });
      const rejected = await serve.waitForLine(/ POST \/ 401 /, 10_000);
      const accepted = await fetch(`${serve.url}/`, {
        method: 'POST',
        body,
        headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
        signal: AbortSignal.timeout(20_000),
      });
      const answer = (await accepted.json()) as { started: { episodeKey: string }[] };
      const done = await serve.waitForLine(/ POST \/ 202 episode /, 150_000);
      // Assess
      expect(anonymous.status).toBe(401);
      expect(rejected).toMatch(/ POST \/ 401 UnauthorizedError$/);
      expect(accepted.status).toBe(202);
      expect(answer.started.map((x) => x.episodeKey)).toHaveLength(1);
      expect(done).toContain(`episode ${answer.started[0]?.episodeKey} outcome held ticket OPS-`);
      const key = /ticket (OPS-\d+)$/.exec(done)?.[1];
      expect(s.jira.issues().map((i) => i.key)).toEqual([key]);

      // Act
      const code = await serve.stop('SIGTERM');
      // Assess
      expect(code).toBe(0);
      expect(serve.lines.slice(-2)).toEqual(['medic serve: SIGTERM, stopping', 'medic serve: stopped']);
      expect(await accepts(serve.port)).toBe(false);
    } finally {
      await serve.stop('SIGKILL');
      await world.teardown();
    }
  }, 240_000);
});
