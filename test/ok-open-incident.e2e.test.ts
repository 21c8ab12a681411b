/**
 * End to end: an alarm back to OK while its incident is still on the ladder, through `medic
 * simulate --scenario NAME --json` against moto and the local Jira with the real ASL and handlers.
 * The OK is delivered as its own execution (Admit notes it on the open incident) right after the
 * reboot's Verify gave up. What is asserted is what reached EC2 and what the timeline says: the
 * remaining rungs are not run when Verify agrees the host is back, and run when it does not.
 */
import { describe, expect, it } from 'vitest';
import { runMedic, useSubstrate } from './support/substrate.ts';

const s = useSubstrate({ resetEachTest: true });

async function simulate(scenario: string) {
  const run = await runMedic(['simulate', '--scenario', scenario, '--json'], s.env, 200_000);
  expect(run.code, run.stderr).toBe(0);
  const result = JSON.parse(run.stdout) as {
    outcome: string;
    actions: { kind: string; outcome: string }[];
    timeline: { step: string; kind: string; summary: string }[];
    ticket: { key: string } | null;
  };
  const mutating = (await s.moto.calls())
    .filter(
      (c) => /^(RebootInstances|StopInstances|StartInstances)$/.test(c.action) && c.params.DryRun !== 'true',
    )
    .map((c) => c.action);
  const issue = s.jira.issues().find((i) => i.key === result.ticket?.key);
  return { result, mutating, description: JSON.stringify(issue?.fields.description ?? '') };
}

const said = (timeline: { summary: string }[]) => timeline.map((e) => e.summary).join('\n');

describe('an alarm back to OK with an open incident', () => {
  it('Verify agrees the host is back: the case ends resolved and the remaining rungs are not run', async () => {
    // Act
    const { result, mutating, description } = await simulate('alarm-ok-confirmed');
    // Assess: only the reboot reached EC2; the rung keeps its own verdict (it did not fix it)
    expect(mutating).toEqual(['RebootInstances']);
    expect(result.outcome).toBe('resolved');
    expect(result.actions.map((a) => [a.kind, a.outcome])).toEqual([['reboot', 'not-recovered']]);
    // Assess: the OK is noted, then checked, and the timeline and ticket say why the ladder stopped
    const text = said(result.timeline);
    expect(text).toMatch(/alarm "web-61 status check failed" returned to OK/);
    expect(text).toMatch(/alarm back to OK \(\S+\) and Verify agrees: remaining rungs not run; SSH \S+ back/);
    expect(description).toContain('Verify agrees: remaining rungs not run');
  }, 240_000);

  it('Verify disagrees: the timeline says the OK was not confirmed and the ladder goes on', async () => {
    // Act
    const { result, mutating } = await simulate('alarm-ok-not-confirmed');
    // Assess
    expect(mutating).toEqual(['RebootInstances', 'StopInstances', 'StartInstances']);
    expect(result.outcome).toBe('resolved');
    expect(result.actions.map((a) => [a.kind, a.outcome])).toEqual([
      ['reboot', 'not-recovered'],
      ['stop-start', 'recovered'],
    ]);
    const text = said(result.timeline);
    expect(text).toMatch(/alarm "web-62 status check failed" returned to OK/);
    expect(text).toMatch(/alarm's OK \(\S+\) was not confirmed by Verify: the ladder goes on/);
    expect(text).not.toMatch(/remaining rungs not run/);
  }, 240_000);
});
