// `--param jira=off` (JIRA_BASE_URL=off): no Jira at all. Every execution still ends with a final
// notification that carries the timeline and a durable record of the ticket in the outbox, and
// no request ever leaves for a Jira site; the scheduled drain has nothing to file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as drainHandler } from '../functions/drain-outbox.ts';
import { scheduledEvent } from './support/aws-events.ts';
import { startWorld, type World } from './support/world.ts';

let w: World;

beforeAll(async () => {
  w = await startWorld();
  // startWorld points Jira at the local server; a deployment with jira=off has this instead.
  process.env.JIRA_BASE_URL = 'off';
}, 120_000);
afterAll(async () => {
  await w?.stop();
});

describe('jira=off', () => {
  it('an incident ends with a notification carrying the timeline and a durable outbox record, no Jira request', async () => {
    // Prepare
    const seeded = await w.seed('unreachable');
    const requestsBefore = w.s.jira.requests().length;
    // Act
    const run = await w.run(seeded.event);
    // Assess
    expect(run.status, JSON.stringify(run.error)).toBe('SUCCEEDED');
    expect(run.state?.ticket ?? null).toBeNull();
    expect(run.state?.timeline.map((e) => e.summary)).toContainEqual(
      expect.stringMatching(/^Jira is off for this deployment/),
    );
    const final = (await w.inbox()).find((m) =>
      /^\[medic\] (RESOLVED|SELF-RECOVERED|ESCALATED)/.test(m.subject),
    );
    expect(final?.body).toMatch(/Jira is off for this deployment/);
    expect(await w.safetyItems('OUTBOX')).toHaveLength(1);
    expect(w.s.jira.requests().length).toBe(requestsBefore);
  }, 120_000);

  it('the scheduled drain files nothing and reads nothing', async () => {
    // Prepare
    const before = (await w.s.moto.calls()).length;
    // Act
    const result = await drainHandler(scheduledEvent('medic-test-drain-outbox'), {} as never);
    // Assess
    expect(result).toEqual({ filed: [], retryLater: [], skipped: 0 });
    expect((await w.s.moto.calls()).length).toBe(before);
    expect(await w.safetyItems('OUTBOX')).toHaveLength(1);
  }, 60_000);
});
