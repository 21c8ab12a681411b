/**
 * The safety fault matrix, end to end on moto + the local Jira: for each fault, the final state a user
 * sees (ticket, messages, lock) and that no action was taken twice.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as drainHandler } from '../functions/drain-outbox.ts';
import type { EventLog } from '../local/engine.ts';
import { scheduledEvent } from './support/aws-events.ts';
import { startWorld, type World } from './support/world.ts';

let w: World;

beforeAll(async () => {
  // Short Jira timeout and fewer adapter attempts keep the Jira faults quick; bounds stay at defaults.
  w = await startWorld({ JIRA_TIMEOUT_MS: '1500' });
});
afterAll(async () => {
  await w?.stop();
});
beforeEach(async () => {
  await w.reset();
});

const labelled = (label: string) => w.s.jira.issues().filter((i) => i.fields.labels.includes(label));
const drain = () =>
  drainHandler(scheduledEvent('medic-test-drain-outbox'), {} as never) as Promise<{
    filed: unknown[];
    retryLater: unknown[];
  }>;

async function expectCleanEnd(incidentId: string) {
  expect(await w.safetyItems('LOCK#')).toEqual([]);
  expect(labelled(incidentId)).toHaveLength(1);
  expect((await w.mutatingCalls()).map((c) => c.action)).toEqual(['RebootInstances']);
}

describe('Jira faults', () => {
  it('Jira answers 500 twice: the adapter retries, one ticket, nothing in the outbox', async () => {
    // Prepare
    const { event } = await w.seed('unreachable');
    w.s.jira.setFaults({ failNext: 2 });
    // Act
    const run = await w.run(event);
    // Assess
    expect(run.state?.outcome).toBe('resolved');
    expect(run.state?.ticket?.key).toMatch(/^OPS-/);
    await expectCleanEnd(run.state?.incidentId ?? '?');
    expect(await w.safetyItems('OUTBOX')).toEqual([]);
  });

  it('Jira files the issue but answers after the client gave up: the retry finds it, one ticket', async () => {
    // Prepare
    const { event } = await w.seed('unreachable');
    w.s.jira.setFaults({ lateCreates: { count: 1, ms: 2_500 } });
    // Act
    const run = await w.run(event);
    // Assess
    expect(run.state?.outcome).toBe('resolved');
    expect(run.state?.ticket?.key).toMatch(/^OPS-/);
    await expectCleanEnd(run.state?.incidentId ?? '?');
    expect(await w.safetyItems('OUTBOX')).toEqual([]);
  });

  it('Jira times out (and may create the issue late): outbox, then drained — no duplicate', async () => {
    // Prepare
    const { event } = await w.seed('unreachable');
    w.s.jira.setFaults({ delayMs: 2_500 });
    // Act
    const run = await w.run(event);
    w.s.jira.setFaults({});
    await new Promise((r) => setTimeout(r, 3_000)); // let the late requests land in Jira
    const drained = await drain();
    const again = await drain();
    // Assess
    const id = run.state?.incidentId ?? '?';
    expect(run.state?.ticket).toBeNull();
    expect(run.state?.timeline.map((e) => e.summary)).toContain(
      'the ticket is queued in the outbox and will be filed when Jira answers',
    );
    expect(drained.filed).toHaveLength(1);
    expect(again.filed).toEqual([]);
    expect(labelled(id)).toHaveLength(1);
    expect(await w.safetyItems('OUTBOX')).toEqual([]);
  });

  it('Jira down for the whole run: the final message carries the timeline, the outbox files it once Jira is back', async () => {
    // Prepare
    const { event } = await w.seed('unreachable');
    w.s.jira.setFaults({ status: 503 });
    // Act
    const run = await w.run(event);
    const whileDown = await drain();
    w.s.jira.setFaults({});
    const outboxBefore = await w.safetyItems('OUTBOX');
    // the drainer backs off; make the item due now, as time passing would
    const { UpdateItemCommand } = await import('@aws-sdk/client-dynamodb');
    await w.dynamo.send(
      new UpdateItemCommand({
        TableName: process.env.MEDIC_SAFETY_TABLE,
        Key: { pk: { S: 'OUTBOX' }, sk: { S: run.state?.incidentId ?? '?' } },
        UpdateExpression: 'SET nextAttemptAt = :now',
        ExpressionAttributeValues: { ':now': { S: new Date().toISOString() } },
      }),
    );
    const drained = await drain();
    const again = await drain();
    // Assess: what the user saw meanwhile
    const id = run.state?.incidentId ?? '?';
    expect(run.status).toBe('SUCCEEDED');
    expect(run.state?.outcome).toBe('resolved');
    const final = (await w.inbox()).find((m) => m.subject.startsWith('[medic] RESOLVED'));
    expect(final?.body).toContain('Ticket: not filed (see the timeline below).');
    expect(final?.body).toContain('rebooted');
    expect(whileDown.retryLater).toHaveLength(1);
    expect(outboxBefore).toHaveLength(1);
    // Assess: filed exactly once after Jira came back
    expect(drained.filed).toHaveLength(1);
    expect(again.filed).toEqual([]);
    await expectCleanEnd(id);
  });
});

describe('AWS faults', () => {
  it('SNS throttled: retried with backoff; each message is delivered exactly once', async () => {
    // Prepare
    const { event } = await w.seed('unreachable');
    await w.s.moto.addAwsError({
      service: 'sns',
      action: 'Publish',
      code: 'Throttling',
      status: 400,
      count: 4,
    });
    // Act
    const run = await w.run(event);
    // Assess
    expect(run.state?.outcome).toBe('resolved');
    const subjects = (await w.inbox()).map((m) => m.subject.replace(/:.*/, ''));
    expect(subjects).toEqual(['[medic] OPENED', '[medic] ACTION', '[medic] RESOLVED']);
    await expectCleanEnd(run.state?.incidentId ?? '?');
  });

  it('EC2 RequestLimitExceeded on the reboot: the claim is given back, the retry reboots once', async () => {
    // Prepare
    const { event } = await w.seed('unreachable');
    await w.s.moto.addAwsError({
      service: 'ec2',
      action: 'RebootInstances',
      code: 'RequestLimitExceeded',
      status: 503,
      count: 2,
    });
    // Act
    const run = await w.run(event);
    // Assess
    expect(run.state?.outcome).toBe('resolved');
    expect(run.state?.cases?.[0]?.actions.map((a) => [a.kind, a.outcome])).toEqual([['reboot', 'recovered']]);
    await expectCleanEnd(run.state?.incidentId ?? '?');
  });

  it('the Mitigate handler dies mid-action (the reboot reached AWS, the answer was lost): never rebooted twice', async () => {
    // Prepare
    const { event } = await w.seed('unreachable');
    await w.s.moto.addAwsError({
      service: 'ec2',
      action: 'RebootInstances',
      code: 'InternalError',
      status: 500,
      count: 1,
      passThrough: true,
    });
    // Act
    const run = await w.run(event);
    // Assess
    const c = run.state?.cases?.[0];
    expect(c?.timeline.map((e) => e.summary)).toContainEqual(
      expect.stringMatching(
        /reboot of i-\w+ was already issued by an earlier attempt of this step: not repeating it/,
      ),
    );
    expect(run.state?.outcome).toBe('resolved');
    await expectCleanEnd(run.state?.incidentId ?? '?');
  });

  it('moto restarts between steps: the run carries on, one reboot, one ticket, the lock released', async () => {
    // Prepare
    const { event } = await w.seed('unreachable');
    let restarted = false;
    const onEvent = (e: EventLog) => {
      if (!restarted && e.type === 'StateExited' && e.state?.name === 'Admit') {
        restarted = true;
        void w.s.moto.restart(1_500);
      }
    };
    // Act
    const run = await w.run(event, { onEvent, retryMs: 1_500 });
    // Assess
    expect(restarted).toBe(true);
    expect(run.status).toBe('SUCCEEDED');
    expect(['resolved', 'escalated']).toContain(run.state?.outcome);
    expect(await w.safetyItems('LOCK#')).toEqual([]);
    expect(labelled(run.state?.incidentId ?? '?')).toHaveLength(1);
    expect(
      (await w.mutatingCalls()).filter((c) => c.action === 'RebootInstances').length,
    ).toBeLessThanOrEqual(1);
    const subjects = (await w.inbox()).map((m) => m.subject.replace(/:.*/, ''));
    expect(subjects.filter((s) => s === '[medic] OPENED')).toHaveLength(1);
  });
});
