/**
 * `medic simulate --scenario prometheus-disk-full --json`, run as a person runs it: an Alertmanager
 * webhook for a host without the CloudWatch agent, whose Prometheus filesystem series is exhausted.
 * The scenario's Prometheus is the loopback API stand-in (local/prometheus-api.ts), so this runs on
 * a machine without the prometheus binary; the real Prometheus is test/prometheus.e2e.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { runMedic, useSubstrate } from './support/substrate.ts';

const s = useSubstrate();

interface Result {
  status: string;
  classification: string;
  outcome: string;
  actions: { kind: string; outcome: string }[];
  timeline: { kind: string; summary: string }[];
  ticket: { key: string } | null;
}

describe('scenario prometheus-disk-full', () => {
  it('classifies resource:disk from Prometheus evidence rows, names no monitoring gap, pages and files the ticket', async () => {
    // Act
    const run = await runMedic(['simulate', '--scenario', 'prometheus-disk-full', '--json'], s.env);
    // Assess
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout) as Result;
    expect(r.status).toBe('SUCCEEDED');
    expect(r.classification).toBe('resource:disk');
    expect(r.actions.map((a) => a.kind)).toEqual(['page']);
    const evidence = r.timeline.filter((e) => e.kind === 'evidence').map((e) => e.summary);
    expect(evidence).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Prometheus scrape \(up\): up=1 at .* \(instance="etl-1:9100"\) \[pass\]$/),
        expect.stringMatching(/^filesystem used mountpoint=\/, .*: latest 99\.8 %.* \[fail\]$/),
        expect.stringMatching(/^memory used: latest 42 %.* \[pass\]$/),
      ]),
    );
    expect(evidence.filter((l) => l.startsWith('monitoring gap:'))).toEqual([]);
    const decision = r.timeline.find((e) => e.kind === 'decision')?.summary ?? '';
    expect(decision).toMatch(/classified resource:disk .*Prometheus filesystem used mountpoint=\//);
    // The ticket's evidence table names the source of each row.
    const issue = s.jira.issues().find((i) => i.key === r.ticket?.key);
    const description = JSON.stringify(issue?.fields.description ?? null);
    expect(description).toMatch(/prometheus/);
    expect(description).not.toMatch(/Monitoring gap on i-/);
  });
});
