/**
 * End to end: recovery under load through `medic simulate` on moto, the local Jira and fake hosts on
 * 127.0.0.1. A host that answers one probe but fails a burst is not recovered (the next rung runs);
 * a host that holds up gets the burst's figures on its timeline and in its ticket.
 */
import { describe, expect, it } from 'vitest';
import { simulate as simulateInProcess } from '../local/simulate.ts';
import { useSubstrate } from './support/substrate.ts';

const s = useSubstrate({
  started: (started) => {
    Object.assign(process.env, started.env, { AWS_REGION: 'us-east-1', MEDIC_FLEET_MAX_INSTANCES: '100' });
  },
});

interface Result {
  outcome: string;
  actions: { kind: string; outcome: string; detail: string }[];
  timeline: { kind: string; step: string; summary: string }[];
  ticket: { key: string } | null;
}

async function simulate(scenario: string): Promise<Result> {
  const result = await simulateInProcess({ scenario });
  expect(result.status, JSON.stringify(result.error)).toBe('SUCCEEDED');
  return JSON.parse(JSON.stringify(result)) as Result;
}

const ticketText = (r: Result) =>
  JSON.stringify(s.jira.issues().find((i) => i.key === r.ticket?.key)?.fields.description ?? null);
const loadLines = (r: Result) => r.timeline.filter((e) => e.step === 'LoadCheck').map((e) => e.summary);

describe('medic simulate: recovery under load (medic:load-check)', () => {
  it('degraded-under-load: the reboot answers one probe but fails the burst, so stop/start runs and passes it', async () => {
    // Act
    const r = await simulate('degraded-under-load');
    // Assess
    expect(r.actions.map((a) => [a.kind, a.outcome])).toEqual([
      ['reboot', 'not-recovered'],
      ['stop-start', 'recovered'],
    ]);
    expect(r.outcome).toBe('resolved');
    const [failed, passed] = loadLines(r).filter((l) => !l.includes('moving to the next rung'));
    expect(failed).toMatch(/^answers one probe, fails under load: .*errors \d+(\.\d)?% over the 1% limit/);
    expect(passed).toMatch(/^load check passed: 200 requests at 20 connections/);
    expect(r.actions[0]?.detail).toMatch(/fails under load/);
    expect(ticketText(r)).toMatch(/answers one probe, fails under load/);
  }, 150_000);

  it('load-check-passes: the burst figures are on the timeline and in the ticket, and Method says how it was checked', async () => {
    // Act
    const r = await simulate('load-check-passes');
    // Assess
    expect(r.actions.map((a) => [a.kind, a.outcome])).toEqual([['reboot', 'recovered']]);
    const [line] = loadLines(r);
    expect(line).toMatch(
      /^load check passed: 200 requests at 10 connections in [\d.]+ s: \d+ req\/s, p50 \d+ ms, p99 \d+ ms \(limit 1000 ms\), errors 0\.0% \(limit 1%\)/,
    );
    const ticket = ticketText(r);
    expect(ticket).toContain('load check passed');
    expect(ticket).toMatch(/Recovery under load \(i-[0-9a-f]+, medic:load-check\)/);
    expect(ticket).toContain('hard caps 2000 requests, 50 connections, 15 s');
  }, 150_000);

  it('an instance without the tag runs no LoadCheck at all', async () => {
    // Act
    const r = await simulate('reboot-fixes');
    // Assess
    expect(loadLines(r)).toEqual([]);
    expect(ticketText(r)).not.toContain('Recovery under load');
  }, 150_000);
});
