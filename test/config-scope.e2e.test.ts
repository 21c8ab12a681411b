/**
 * Two simulated incidents at once in one process, each with its own settings: its own Jira (and
 * project key), approval callback endpoint and signing secret, metrics file, deploy-wide mode and
 * per-action autonomy. On Lambda each sandbox has one environment; the local runner gives each run
 * its own environment object instead of rewriting `process.env`, so neither run may see the other's
 * settings, and `process.env` is left as it was.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalMoto, startMoto } from '../local/moto.ts';
import { type SimulationResult, simulate } from '../local/simulate.ts';

let moto: LocalMoto;
let reports: string;
const RUN_TIMEOUT_MS = 180_000;

beforeAll(async () => {
  moto = await startMoto();
  reports = mkdtempSync(join(tmpdir(), 'medic-config-scope-'));
});
afterAll(async () => {
  await moto?.stop();
  rmSync(reports, { recursive: true, force: true });
});

// The settings a run has (SDK endpoints, region and keys, medic's, Jira's). Not every AWS_ name:
// Powertools sets its own SDK user-agent id (AWS_SDK_UA_APP_ID) when it is first imported.
const SETTINGS =
  /^(AWS_ENDPOINT_URL|AWS_REGION$|AWS_ACCESS_KEY_ID$|AWS_SECRET_ACCESS_KEY$|AWS_SESSION_TOKEN$|AWS_PROFILE$|MEDIC_|JIRA_|POWERTOOLS_)/;
function settingsOfThisProcess(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => SETTINGS.test(k)));
}

describe('two simulated runs in one process keep their own configuration', () => {
  it(
    'an approve-mode run and a dry-run run, side by side, each see only their own settings',
    async () => {
      // Prepare: one moto; no Jira given, so each run starts its own; nothing in process.env.
      const shared = {
        AWS_ENDPOINT_URL: moto.endpoint,
        MEDIC_FLEET_MAX_INSTANCES: '100',
        // Verify's patience is not what this test is about: enough polls that a host slow to come
        // back on a busy machine is still seen back by the first rung.
        MEDIC_VERIFY_POLLS: '6',
        MEDIC_SIM_WAIT_MS: '200',
        MEDIC_LOG_LEVEL: 'SILENT',
      };
      const approving = { ...shared, JIRA_PROJECT_KEY: 'ALPHA', MEDIC_AUTONOMY: 'reboot=approve' };
      const dryRun = { ...shared, JIRA_PROJECT_KEY: 'BRAVO', MEDIC_MODE: 'dry-run' };
      const before = settingsOfThisProcess();
      // Act
      const [a, b] = (await Promise.all([
        simulate({ scenario: 'reboot-fixes', env: approving, reportPath: join(reports, 'a.html') }),
        simulate({ scenario: 'unreachable', env: dryRun, reportPath: join(reports, 'b.html') }),
      ])) as [SimulationResult, SimulationResult];
      // Assess: each run did what its own mode and autonomy say.
      expect([a.status, a.error], JSON.stringify(a.error)).toEqual(['SUCCEEDED', null]);
      expect([b.status, b.error], JSON.stringify(b.error)).toEqual(['SUCCEEDED', null]);
      expect(a.outcome).toBe('resolved');
      expect(a.actions.map((x) => [x.kind, x.outcome])).toEqual([['reboot', 'recovered']]);
      expect(a.timeline.some((e) => /approved/.test(e.summary))).toBe(true);
      expect(b.outcome).toBe('dry-run');
      expect(b.actions.map((x) => [x.kind, x.outcome])).toEqual([['reboot', 'would-have']]);
      // … filed its ticket in its own Jira, under its own project …
      expect(a.endpoints.jira).not.toBe(b.endpoints.jira);
      expect(a.ticket?.key).toMatch(/^ALPHA-\d+$/);
      expect(b.ticket?.key).toMatch(/^BRAVO-\d+$/);
      expect(a.ticket?.url?.startsWith(a.endpoints.jira)).toBe(true);
      expect(b.ticket?.url?.startsWith(b.endpoints.jira)).toBe(true);
      // … and wrote its metrics to its own file (each run reads back only its own).
      expect(a.metrics[0]).toMatchObject({ outcome: 'resolved', Incidents: 1 });
      expect(b.metrics[0]).toMatchObject({ outcome: 'dry-run', Incidents: 1 });
      // Nothing was written into the process's environment.
      expect(settingsOfThisProcess()).toEqual(before);
    },
    RUN_TIMEOUT_MS,
  );
});
