/**
 * End to end: the AWS Health scenarios as a user runs them (`medic simulate --scenario NAME
 * --json`), against moto and the local Jira with the real ASL and handlers. What is asserted is what
 * moto and Jira received: a planned stop/start inside the window whose ticket names AWS's
 * deadline, a page with the deadline when no window comes first, and no action at all while AWS
 * is recovering the instance.
 */
import { describe, expect, it } from 'vitest';
import { runMedic, useSubstrate } from './support/substrate.ts';

const s = useSubstrate({ resetEachTest: true });

type Action = { kind: string; instanceId: string; outcome: string; detail: string };
type Entry = { step: string; kind: string; summary: string };

async function simulate(scenario: string, env: Record<string, string> = {}) {
  const run = await runMedic(['simulate', '--scenario', scenario, '--json'], { ...s.env, ...env }, 150_000);
  expect(run.code, run.stderr).toBe(0);
  const result = JSON.parse(run.stdout) as {
    outcome: string;
    classification: string;
    targets: string[];
    actions: Action[];
    timeline: Entry[];
    ticket: { key: string } | null;
  };
  const mutating = (await s.moto.calls()).filter(
    (c) => /^(RebootInstances|StopInstances|StartInstances)$/.test(c.action) && c.params.DryRun !== 'true',
  );
  const issue = s.jira.issues().find((i) => i.key === result.ticket?.key);
  return { result, mutating, description: JSON.stringify(issue?.fields.description ?? '') };
}

const deadlineOf = (timeline: Entry[]) =>
  /deadline (\d{4}-\d\d-\d\dT[\d:.]+Z)/.exec(timeline.map((e) => e.summary).join('\n'))?.[1];

describe('medic simulate --scenario retirement-scheduled', () => {
  it('stop/starts the instance inside the planned-work window, and the ticket names the deadline', async () => {
    // Act
    const { result, mutating, description } = await simulate('retirement-scheduled');
    // Assess: a planned stop/start, verified
    const [instanceId] = result.targets;
    expect(result).toMatchObject({ outcome: 'resolved', classification: 'hardware' });
    expect(result.actions.map((a) => [a.kind, a.instanceId, a.outcome])).toEqual([
      ['stop-start', instanceId, 'recovered'],
    ]);
    expect(mutating.map((c) => c.action)).toEqual(['StopInstances', 'StartInstances']);
    // Assess: the deadline is AWS's startTime, about two weeks out, and the ticket leads with it
    const deadline = deadlineOf(result.timeline);
    expect(deadline).toBeDefined();
    expect(Date.parse(deadline ?? '') - Date.now()).toBeGreaterThan(13 * 86_400_000);
    expect(description).toContain('AWS deadline: ');
    expect(description).toContain(deadline);
  }, 200_000);

  it('with no planned-work window it pages with the deadline and touches nothing', async () => {
    // Act
    const { result, mutating, description } = await simulate('retirement-scheduled', {
      MEDIC_MAINTENANCE_WINDOW: 'none',
    });
    // Assess
    expect(mutating).toEqual([]);
    expect(result.actions.map((a) => [a.kind, a.outcome])).toEqual([
      ['stop-start', 'held'],
      ['page', 'paged'],
    ]);
    const deadline = deadlineOf(result.timeline);
    expect(result.actions[0]?.detail).toContain(`before AWS's deadline ${deadline}`);
    expect(description).toContain('AWS deadline: ');
    expect(description).toMatch(/a person must stop\/start the instance before then/);
  }, 200_000);
});

describe('medic simulate --scenario auto-recovery-in-progress', () => {
  it('takes no action, held because AWS is recovering the instance, and says so', async () => {
    // Act
    const { result, mutating, description } = await simulate('auto-recovery-in-progress');
    // Assess: no mutating call reached EC2
    expect(mutating).toEqual([]);
    expect(result.outcome).toBe('held');
    expect(result.actions.map((a) => [a.kind, a.outcome])).toEqual([['stop-start', 'held']]);
    expect(result.actions[0]?.detail).toMatch(
      /^held by aws-recovering: AWS is recovering i-[0-9a-f]+: AWS Health AWS_EC2_OPERATIONAL_ISSUE open since/,
    );
    // Assess: the timeline and the ticket say why
    expect(result.timeline.map((e) => e.summary).join('\n')).toMatch(/held stop-start: AWS is recovering/);
    expect(description).toContain('AWS is recovering');
  }, 200_000);
});
