/**
 * A planned incident's ticket and notification before the wait for the planned-work window: Decide
 * queues the ticket on the Jira outbox when it sends the case to wait (and only then), and the
 * opened notification says the work is scheduled. Real use case, in-memory ports.
 */
import { describe, expect, it } from 'vitest';
import type { IncidentState, InstanceCase } from '../shared/domain/model.ts';
import { openedNotification } from '../shared/domain/notifications.ts';
import type { OutboxItem } from '../shared/ports.ts';
import { decide } from '../shared/usecases/decide.ts';
import { instanceCase, osAssessment } from './support/cases.ts';

// Saturday noon UTC: the window opens on Sunday 03:00 UTC, before AWS's deadline.
const clock = () => new Date('2026-03-28T12:00:00.000Z');
const planned = {
  eventArn: 'arn:aws:health:us-east-1::event/EC2/AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED/abc',
  eventTypeCode: 'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED',
  scheduledCode: 'instance-retirement',
  deadline: '2026-04-10T00:00:00.000Z',
  description: 'The instance is running on degraded hardware.',
  window: 'sun 03:00-05:00 UTC',
};

const APPROVED = { decision: 'approve', detail: 'approved by oncall' };

/** stop-start runs at approve in these cases; the person approved when the incident opened. */
function kase(over: Partial<InstanceCase> = {}): InstanceCase {
  return instanceCase({
    assessment: osAssessment(['stop-start', 'page']),
    planned,
    approval: APPROVED,
    ...over,
  } as never);
}

function memoryOutbox() {
  const items: OutboxItem[] = [];
  return { items, port: { enqueueOutbox: async (i: OutboxItem) => void items.push(i) } };
}

const deps = (outbox: ReturnType<typeof memoryOutbox>['port']) =>
  ({ clock, pause: [], ec2: { consoleOutput: async () => '' }, plannedTicket: outbox }) as never;

describe('the planned-work ticket is queued before the wait', () => {
  it('a wait for the window queues one ticket naming the event, deadline, window, action and evidence', async () => {
    // Prepare
    const outbox = memoryOutbox();
    // Act
    const decided = await decide({ c: kase(), move: null }, deps(outbox.port));
    // Assess
    expect(decided.move.kind).toBe('wait');
    expect(outbox.items).toHaveLength(1);
    const [item] = outbox.items;
    expect(item?.episodeKey).toBe('medic-test-1');
    expect(item?.draft.labels).toEqual(expect.arrayContaining(['medic', 'medic-test-1']));
    expect(item?.draft.summary).toBe(
      '[medic] PLANNED: AWS AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED for i-0123456789abcdef0: stop-start planned at 2026-03-29T03:00:00Z (deadline 2026-04-10T00:00:00.000Z)'.replace(
        'i-0123456789abcdef0',
        kase().target.instanceId,
      ),
    );
    const text = JSON.stringify(item?.draft.description);
    for (const said of [
      `AWS event: ${planned.eventTypeCode} (${planned.eventArn})`,
      "AWS's deadline: 2026-04-10T00:00:00.000Z",
      'Planned-work window: sun 03:00-05:00 UTC; the action waits until 2026-03-29T03:00:00Z',
      'Planned action: stop-start',
      'classification os',
    ])
      expect(text).toContain(said);
    expect(decided.timeline.map((e) => e.summary)).toContainEqual(
      expect.stringMatching(/^queued the planned-work ticket for Jira before the wait/),
    );
  });

  it('no wait (the window is open now): nothing is queued, Record files the ticket at the end', async () => {
    // Prepare
    const outbox = memoryOutbox();
    const inWindow = () => new Date('2026-03-29T03:30:00.000Z');
    // Act
    const decided = await decide({ c: kase(), move: null }, {
      ...(deps(outbox.port) as object),
      clock: inWindow,
    } as never);
    // Assess
    expect(decided.move.kind).not.toBe('wait');
    expect(outbox.items).toEqual([]);
  });

  it('a failed outbox write is said on the timeline and the case still waits', async () => {
    // Prepare
    const failing = {
      enqueueOutbox: async () => {
        throw Object.assign(new Error('throttled'), { name: 'AwsCallError' });
      },
    };
    // Act
    const decided = await decide({ c: kase(), move: null }, deps(failing));
    // Assess
    expect(decided.move.kind).toBe('wait');
    expect(decided.timeline.at(-1)).toMatchObject({ kind: 'error' });
    expect(decided.timeline.at(-1)?.summary).toMatch(
      /could not queue the planned-work ticket .*Record files it/,
    );
  });
});

describe('the opened notification says the planned work is scheduled', () => {
  it('names the AWS event, the deadline and the window', () => {
    // Prepare
    const state = {
      incidentId: 'medic-test-1',
      trigger: { alarmName: 'AWS Health', reason: 'r', mode: 'auto', health: planned },
      targets: [],
      settings: { executionUrl: null },
    } as unknown as IncidentState;
    // Act
    const body = openedNotification(state).body;
    // Assess
    expect(body).toContain(
      'Planned work: AWS AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED (instance-retirement), deadline 2026-04-10T00:00:00.000Z',
    );
    expect(body).toContain('planned-work window (sun 03:00-05:00 UTC)');
  });
});

describe('at approve, the person is asked before the wait, not in the window', () => {
  const look = {
    ec2: async () => ({
      describeInstances: async (ids: string[]) =>
        ids.map((id) => ({ instanceId: id, state: 'running', tags: { 'medic:managed': 'true' } })),
      describeHealth: async () => ({
        scheduledEvents: [{ code: 'instance-retirement', description: 'degraded hardware' }],
      }),
    }),
  };

  it('asks when the incident opens, waits with the answer kept, and acts in the window without asking again', async () => {
    // Prepare
    const outbox = memoryOutbox();
    const opened = kase({ approval: null });
    // Act: the first pass asks
    const asked = await decide({ c: opened, move: null }, deps(outbox.port));
    // Assess
    expect(asked.move).toMatchObject({ kind: 'await-approval', action: 'stop-start' });
    expect(outbox.items).toEqual([]);
    // Act: AwaitApproval answered approve; Decide sends the case to wait, keeping the answer
    const { move: _m1, ...afterAsk } = asked;
    const waiting = await decide({ c: afterAsk, move: asked.move, result: APPROVED }, deps(outbox.port));
    // Assess
    expect(waiting.move.kind).toBe('wait');
    expect(waiting.approval).toEqual(APPROVED);
    expect(outbox.items).toHaveLength(1);
    // Act: the window opened; Decide looks again and runs the rung
    const inWindow = () => new Date('2026-03-29T03:10:00.000Z');
    const { move: _m2, ...afterWait } = waiting;
    const acting = await decide({ c: afterWait, move: waiting.move }, {
      ...(deps(outbox.port) as object),
      clock: inWindow,
      plannedLook: look,
    } as never);
    // Assess: acted at approve with no second request
    expect(acting.move).toMatchObject({ kind: 'act', action: 'stop-start', mode: 'approve' });
  });

  it('a rejection when it opens: no wait, a page', async () => {
    // Prepare
    const outbox = memoryOutbox();
    const asked = await decide({ c: kase({ approval: null }), move: null }, deps(outbox.port));
    const { move: _m, ...afterAsk } = asked;
    // Act
    const decided = await decide(
      { c: afterAsk, move: asked.move, result: { decision: 'reject', detail: 'not this week' } },
      deps(outbox.port),
    );
    // Assess
    expect(decided.move.kind).toBe('page');
    expect(decided.plannedWait).toBeUndefined();
  });

  it('a timeout when it opens: no wait, a page naming the deadline', async () => {
    // Prepare
    const outbox = memoryOutbox();
    const asked = await decide({ c: kase({ approval: null }), move: null }, deps(outbox.port));
    const { move: _m, ...afterAsk } = asked;
    // Act
    const decided = await decide(
      { c: afterAsk, move: asked.move, result: { Error: 'States.Timeout', Cause: '' } },
      deps(outbox.port),
    );
    // Assess
    expect(decided.move.kind).toBe('page');
    expect(decided.plannedWait).toBeUndefined();
    expect(JSON.stringify(decided.actions)).toContain('2026-04-10');
  });
});
