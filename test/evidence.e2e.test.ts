/**
 * End to end (issue 3): each fault scenario through `medic simulate --scenario NAME --json`, against
 * a real moto (with the launcher's fault injection) and the local Jira. One simulate run per
 * scenario; what is asserted is the classification plus the evidence a person would look for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMedic, type Substrate, startSubstrate } from './support/substrate.ts';

let s: Substrate;

beforeAll(async () => {
  s = await startSubstrate();
});
afterAll(async () => {
  await s?.stop();
});

interface Result {
  targets: string[];
  classification: string;
  outcome: string;
  actions: { kind: string; outcome: string }[];
  timeline: { kind: string; summary: string; instanceId?: string }[];
  ticket: { key: string } | null;
}

async function simulate(scenario: string): Promise<Result> {
  const run = await runMedic(['simulate', '--scenario', scenario, '--json'], s.env);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Result;
}

/** Mutating EC2 calls that reached moto for this run's instance (the moto is shared by the file). */
async function mutations(r: Result): Promise<string[]> {
  return (await s.moto.calls())
    .filter((c) => /^(Reboot|Stop|Start|Terminate)Instances$/.test(c.action))
    .filter((c) => Object.values(c.params).includes(r.targets[0]))
    .map((c) => c.action);
}

const evidence = (r: Result) => r.timeline.filter((e) => e.kind === 'evidence').map((e) => e.summary);
const decision = (r: Result) => r.timeline.find((e) => e.kind === 'decision')?.summary ?? '';
const ticketText = (r: Result) =>
  JSON.stringify(s.jira.issues().find((i) => i.key === r.ticket?.key)?.fields.description ?? null);

describe('medic simulate: every fault scenario is classified from its evidence', () => {
  it('system-check-failed → hardware: stop-start first, never a reboot loop', async () => {
    // Act
    const r = await simulate('system-check-failed');
    // Assess
    expect(r.classification).toBe('hardware');
    expect(evidence(r)).toEqual(
      expect.arrayContaining([
        'system status check: impaired [fail]',
        expect.stringMatching(/^scheduled events: instance-retirement \(2030-01-01/),
      ]),
    );
    expect(r.actions[0]?.kind).toBe('stop-start');
    expect(await mutations(r)).toEqual([]);
  });

  it('network-partition → network: status checks pass, nothing accepts TCP', async () => {
    // Act
    const r = await simulate('network-partition');
    // Assess
    expect(r.classification).toBe('network');
    expect(evidence(r)).toEqual(
      expect.arrayContaining([
        'system status check: ok [pass]',
        expect.stringMatching(/^SSH 127\.0\.0\.1:\d+: TCP refused \[fail\]$/),
        expect.stringMatching(/^SSM agent: SSM agent ConnectionLost/),
      ]),
    );
  });

  it('app-down → application: SSH answers, health 503, the unit failed, the logs say why', async () => {
    // Act
    const r = await simulate('app-down');
    // Assess
    expect(r.classification).toBe('application');
    expect(r.actions[0]?.kind).toBe('restart-service');
    const lines = evidence(r);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^SSH 127\.0\.0\.1:\d+: SSH-2\.0-OpenSSH/),
        expect.stringMatching(/^HTTP http:\/\/127\.0\.0\.1:\d+\/health: 503 in \d+ ms \[fail\]$/),
        'service webapp.service: failed [fail]',
        'failed systemd units: webapp.service [fail]',
        expect.stringMatching(/^errors in \/medic\/sim\/web-5: 2 error lines in the window; last: FATAL/),
      ]),
    );
    // Assess: the INFO line was read but is not an error line
    expect(lines.join('\n')).not.toContain('GET /health 200');
  });

  it('disk-full → resource:disk: evidence and a page, nothing deleted or rebooted; the ticket shows each check', async () => {
    // Act
    const r = await simulate('disk-full');
    // Assess
    expect(r.classification).toBe('resource:disk');
    expect(r.actions.map((a) => [a.kind, a.outcome])).toEqual([['page', 'paged']]);
    expect(await mutations(r)).toEqual([]);
    expect(evidence(r)).toEqual(
      expect.arrayContaining([
        'disk usage (df): / 100 %, /boot 31 % [fail]',
        expect.stringMatching(/^disk used path=\/.*: latest 100 %, max 100 % \(10 samples\) \[fail\]$/),
      ]),
    );
    const ticket = ticketText(r);
    for (const cell of [
      'disk usage (df)',
      '/ 100 %, /boot 31 %',
      'FAIL',
      'SSM Run Command (AWS-RunShellScript)',
    ]) {
      expect(ticket).toContain(`"text":"${cell}"`);
    }
    expect(ticket).toContain('No space left on device');
  });

  it('memory-leak → resource:memory: the agent metric and free agree', async () => {
    // Act
    const r = await simulate('memory-leak');
    // Assess
    expect(r.classification).toBe('resource:memory');
    expect(evidence(r)).toEqual(
      expect.arrayContaining([
        'memory used: latest 97 %, max 97 % (10 samples) [fail]',
        expect.stringMatching(/^memory \(free\): 97\.5 % used/),
      ]),
    );
    expect(r.actions[0]?.kind).toBe('restart-service');
  });

  it('agent-missing → the evidence names the monitoring gap instead of calling memory and disk healthy', async () => {
    // Act
    const r = await simulate('agent-missing');
    // Assess
    expect(r.classification).toBe('transient');
    const lines = evidence(r);
    expect(lines.filter((l) => l.startsWith('monitoring gap:'))).toHaveLength(2);
    expect(lines.some((l) => /^memory used:/.test(l))).toBe(false);
    expect(lines).toEqual(
      expect.arrayContaining([expect.stringMatching(/^SSM agent: monitoring gap: not an SSM managed node/)]),
    );
    expect(decision(r)).toMatch(/monitoring gap/);
    expect(ticketText(r)).toMatch(
      /Monitoring gap on i-[0-9a-f]+: install and configure the CloudWatch agent/,
    );
  });
});
