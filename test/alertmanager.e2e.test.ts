/**
 * A real Alertmanager (Debian's prometheus-alertmanager) pages a local medic: `medic serve` runs as
 * a person runs it, Alertmanager's webhook receiver points at it with bearer authorization, an
 * alert is fired through Alertmanager's own API (POST /api/v2/alerts), and the incident must run
 * and file its ticket in the local Jira. Then SIGTERM: exit 0, the port free.
 *
 * Everything listens on 127.0.0.1; Alertmanager's cluster listener is switched off (an empty
 * --cluster.listen-address), so it gossips with nobody. Without the binary the Alertmanager test
 * is skipped and says which Debian package brings it (.ci/run installs it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, describe, expect, it } from 'vitest';
import { setupScenario } from '../local/scenarios.ts';
import { accepts, DEBIAN_TOOLS, freePort, missingTool, startServe, until } from './support/serve.ts';
import { runMedic, useSubstrate } from './support/substrate.ts';

const SECRET = 'alertmanager-e2e-secret-0123456789';

describe('medic serve refuses to listen off loopback', () => {
  it.each(['0.0.0.0', '::'])(
    '--host %s → UnsafeListenAddressError, exit 2, nothing started',
    async (host) => {
      // Act
      const run = await runMedic(
        ['serve', '--host', host, '--port', '0'],
        { MEDIC_WEBHOOK_SECRET: SECRET },
        30_000,
      );
      // Assess
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^medic: UnsafeListenAddressError: medic serve listens on loopback only/m);
      expect(run.stdout).not.toMatch(/listening/);
    },
  );
});

const skip = missingTool('alertmanager');
if (skip) console.warn(`alertmanager.e2e: skipping the real Alertmanager test: ${skip}`);

describe.skipIf(skip !== null)('a real Alertmanager pages medic serve', () => {
  // The scenario seeding's own clients (metrics, logs) take their keys from the environment.
  const s = useSubstrate({
    started: () =>
      Object.assign(process.env, {
        AWS_ACCESS_KEY_ID: 'medic-local',
        AWS_SECRET_ACCESS_KEY: 'medic-local',
        AWS_REGION: 'us-east-1',
      }),
  });
  const dir = mkdtempSync(join(tmpdir(), 'medic-am-'));
  let alertmanager: ChildProcess | null = null;
  afterAll(async () => {
    if (alertmanager && alertmanager.exitCode === null) {
      const exited = new Promise((r) => alertmanager?.once('exit', r));
      alertmanager.kill('SIGTERM');
      const timer = setTimeout(() => alertmanager?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('fires an alert through Alertmanager; medic serve authenticates it, runs the incident and files the ticket; SIGTERM stops it cleanly', async () => {
    // Prepare: an instance not opted in (evidence, ticket and page; nothing is touched)
    const ec2 = new EC2Client({
      endpoint: s.moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 't', secretAccessKey: 't' },
    });
    const world = await setupScenario('not-opted-in', {
      ec2,
      moto: s.moto,
      now: new Date(),
      clientConfig: { endpoint: s.moto.endpoint, region: 'us-east-1' },
    });
    const instanceId = world.instanceIds[0] ?? '';
    const serve = await startServe({ ...s.env, MEDIC_WEBHOOK_SECRET: SECRET });
    try {
      const amPort = await freePort();
      writeFileSync(
        join(dir, 'alertmanager.yml'),
        [
          'route:',
          '  receiver: medic',
          "  group_by: ['alertname', 'instance']",
          '  group_wait: 1s',
          '  group_interval: 1s',
          '  repeat_interval: 1h',
          'receivers:',
          '  - name: medic',
          '    webhook_configs:',
          `      - url: ${serve.url}/`,
          '        send_resolved: false',
          '        http_config:',
          '          authorization:',
          '            type: Bearer',
          `            credentials: ${SECRET}`,
          '',
        ].join('\n'),
      );
      alertmanager = spawn(
        DEBIAN_TOOLS.alertmanager.bin,
        [
          `--config.file=${join(dir, 'alertmanager.yml')}`,
          `--storage.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${amPort}`,
          '--cluster.listen-address=',
          '--log.level=warn',
        ],
        { stdio: 'ignore' },
      );
      const am = `http://127.0.0.1:${amPort}`;
      await until('Alertmanager ready', 30_000, async () => {
        const r = await fetch(`${am}/-/ready`, { signal: AbortSignal.timeout(1_000) });
        return r.ok ? true : null;
      });

      // Act: what Prometheus would send, through Alertmanager's own API
      const fired = await fetch(`${am}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([
          {
            labels: {
              alertname: 'HostUnreachable',
              instance: 'web-7:9100',
              instance_id: instanceId,
              severity: 'page',
            },
            annotations: { summary: 'web-7 stopped answering' },
            startsAt: new Date().toISOString(),
          },
        ]),
        signal: AbortSignal.timeout(5_000),
      });
      const line = await serve.waitForLine(/ POST \/ \d{3} /, 60_000);
      const done = await serve.waitForLine(/ 202 episode am-HostUnreachable-.* ticket /, 150_000);

      // Assess: Alertmanager took the alert, medic authenticated its delivery and ran the incident
      expect(fired.status).toBe(200);
      expect(line).toMatch(/ POST \/ 202 /);
      // Not opted in: evidence, ticket and page, the actions held.
      expect(done).toMatch(/outcome held ticket OPS-\d+$/);
      const key = /ticket (OPS-\d+)$/.exec(done)?.[1];
      const issue = s.jira.issues().find((i) => i.key === key);
      expect(issue?.fields.summary).toMatch(new RegExp(`^\\[medic\\] .*${instanceId}.*HostUnreachable`));
      expect(issue?.fields.labels).toContain('medic');
      // The whole episode ran from this one alert: nothing touched the instance (not opted in).
      const mutating = (await s.moto.calls()).filter((c) => /^(Reboot|Stop|Start)Instances$/.test(c.action));
      expect(mutating).toEqual([]);

      // Act: stop as a terminal's Ctrl-C or a service manager would
      const code = await serve.stop('SIGTERM');
      // Assess
      expect(code).toBe(0);
      expect(serve.lines.at(-1)).toBe('medic serve: stopped');
      expect(await accepts(serve.port)).toBe(false);
    } finally {
      await serve.stop('SIGKILL');
      await world.teardown();
    }
  }, 240_000);
});
