/**
 * End to end: a planned incident that arrives before the planned-work window, through `medic
 * simulate --scenario NAME --json` against moto and the local Jira with the real ASL (its
 * WaitForWindow state waits until the window opens, seconds ahead in these scenarios) and the real
 * handlers. What is asserted is what reached EC2 and when, and what the timeline says.
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
    timeline: { at: string; step: string; kind: string; summary: string }[];
  };
  const calls = (await s.moto.calls()).filter(
    (c) => /^(StopInstances|StartInstances)$/.test(c.action) && c.params.DryRun !== 'true',
  );
  const windowStart = /planned-work window (\S+)\//.exec(
    result.timeline.map((e) => e.summary).join('\n'),
  )?.[1];
  return { result, calls, windowStart: Date.parse(windowStart ?? '') };
}

describe('a planned retirement before the planned-work window', () => {
  it('waits for the window, looks again, and stop/starts inside it', async () => {
    // Act
    const { result, calls, windowStart } = await simulate('retirement-window-ahead');
    // Assess: one stop/start, and not before the window opened
    expect(result.outcome).toBe('resolved');
    expect(result.actions.map((a) => [a.kind, a.outcome])).toEqual([['stop-start', 'recovered']]);
    expect(calls.map((c) => c.action)).toEqual(['StopInstances', 'StartInstances']);
    expect(Number.isNaN(windowStart)).toBe(false);
    expect(Date.parse(calls[0]?.at ?? '')).toBeGreaterThanOrEqual(windowStart);
    const said = result.timeline.map((e) => e.summary);
    expect(said).toContainEqual(
      expect.stringMatching(
        /waiting for the planned-work window \S+–\S+ \(AWS's deadline \S+\) before stop-start/,
      ),
    );
    expect(said).toContainEqual(
      expect.stringMatching(
        /after the wait for the planned-work window: i-\S+ is still running, opted in and scheduled for instance-retirement/,
      ),
    );
  }, 240_000);

  it('files the ticket before the wait, before the first StopInstances, and keeps one ticket', async () => {
    // Prepare: the local Jira lives across the tests of this file; only this run's tickets count
    const before = new Set(s.jira.issues().map((i) => i.key));
    // Act
    const { result, calls } = await simulate('retirement-window-ahead');
    // Assess: the local Jira received the ticket before moto served the first StopInstances
    const issues = s.jira.issues().filter((i) => !before.has(i.key));
    expect(issues).toHaveLength(1);
    const [issue] = issues;
    const created = Date.parse((issue?.fields.created ?? '').replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
    expect(Number.isNaN(created)).toBe(false);
    expect(calls[0]?.action).toBe('StopInstances');
    expect(created).toBeLessThan(Date.parse(calls[0]?.at ?? ''));
    // What was queued before the wait names AWS's event, the action, the window's start and the deadline
    // (Record later replaces the description with the whole record)
    expect(result.timeline.map((e) => e.summary)).toContainEqual(
      expect.stringMatching(
        /^queued the planned-work ticket for Jira before the wait \("\[medic\] PLANNED: AWS \S*RETIREMENT\S* for i-\S+: stop-start planned at \S+ \(deadline \S+\)"\)/,
      ),
    );
    // Record found the same ticket at the end (updated, not filed again)
    expect(result.timeline.map((e) => e.summary)).toContainEqual(
      expect.stringMatching(new RegExp(`^updated Jira ticket ${issue?.key} `)),
    );
  }, 240_000);

  it('leaves the instance alone when someone stopped it while medic waited', async () => {
    // Act
    const { result, calls } = await simulate('retirement-stopped-while-waiting');
    // Assess: the person's stop is the only one; medic neither started nor stopped anything
    expect(calls.map((c) => c.action)).toEqual(['StopInstances']);
    expect(result.outcome).toBe('held');
    expect(result.actions).toEqual([]);
    expect(result.timeline.map((e) => e.summary)).toContainEqual(
      expect.stringMatching(
        /after the wait for the planned-work window: the instance is stopped .*medic leaves it alone/,
      ),
    );
  }, 240_000);

  it('at approve: asks before the wait, then stop/starts in the window without a second request', async () => {
    // Act
    const { result, calls, windowStart } = await simulate('retirement-window-approve');
    // Assess: one request, recorded before the wait; the action ran inside the window
    const lines = result.timeline.map((e) => e.summary);
    const asked = lines.findIndex((l) => /asking now, before the wait, for stop-start/.test(l));
    const waited = lines.findIndex((l) =>
      /waiting for the planned-work window .*approved before the wait/.test(l),
    );
    expect(asked).toBeGreaterThanOrEqual(0);
    expect(waited).toBeGreaterThan(asked);
    // The approval request is an SNS Publish with the signed links: one, sent before the window opened
    const requests = (await s.moto.calls()).filter(
      (c) => c.action === 'Publish' && /APPROVAL/i.test(JSON.stringify(c.params)),
    );
    expect(requests).toHaveLength(1);
    expect(Date.parse(requests[0]?.at ?? '')).toBeLessThan(windowStart);
    const approvedAt = /approved via signed link from \S+ at (\S+)\)/.exec(lines.join('\n'))?.[1];
    expect(Date.parse(approvedAt ?? '')).toBeLessThan(windowStart);
    expect(calls.map((c) => c.action)).toEqual(['StopInstances', 'StartInstances']);
    expect(Date.parse(calls[0]?.at ?? '')).toBeGreaterThanOrEqual(windowStart);
    expect(result.outcome).toBe('resolved');
  }, 240_000);
});
