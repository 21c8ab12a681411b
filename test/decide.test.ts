/**
 * Decide and the results the action cycle answers: an action Task, its polls and Verify return only
 * what they changed; Decide folds it and chooses the move. Real use cases, in-memory ports.
 */
import { describe, expect, it } from 'vitest';
import type { InstanceCase } from '../shared/domain/model.ts';
import { foldResult, resultOf, StepInputSchema } from '../shared/domain/step-result.ts';
import { StepResultSchema } from '../shared/domain/step-result-schema.ts';
import type { NotifierPort } from '../shared/ports.ts';
import { decide } from '../shared/usecases/decide.ts';
import { reboot } from '../shared/usecases/reboot.ts';
import { runStep } from '../shared/usecases/step.ts';
import { verify } from '../shared/usecases/verify.ts';
import { instanceCase, osAssessment } from './support/cases.ts';

const clock = () => new Date('2026-01-01T00:00:00.000Z');
const notifier: NotifierPort = { publish: async () => ({ messageId: 'm' }) };
const ec2 = { consoleOutput: async () => 'boot\nkernel: hung task\n' };

function kase(over: Partial<InstanceCase> = {}, managed = true): InstanceCase {
  const assessment = osAssessment(['reboot', 'stop-start', 'page']);
  return instanceCase({ settings: { verifyPolls: 2 }, target: { managed }, assessment, ...over });
}

/** A probe port whose answers are scripted: up or down. */
const probes = (up: boolean) => ({
  tcp: async (_h: string, port: number) => ({ port, open: up, ms: 1, error: up ? null : 'refused' }),
  http: async () => ({ status: up ? 200 : null, ms: 1, error: up ? null : 'refused' }),
});

describe('the action cycle answers only its result', () => {
  it('the first call of a cycle has no $.result: the Task input parses without one', () => {
    // Act / Assess
    expect(StepInputSchema.safeParse(kase()).success).toBe(true);
    expect(StepInputSchema.safeParse({ ...kase(), result: { status: 'in-progress' } }).success).toBe(true);
  });

  it('a reboot answers "acted" with its record, and the answer is much smaller than the case', async () => {
    // Prepare
    const base = {
      ...kase(),
      timeline: Array.from({ length: 50 }, () => ({
        at: 'T',
        step: 'x',
        kind: 'note' as const,
        summary: 'e'.repeat(200),
      })),
    };
    // Act
    const r = await runStep(base, undefined, 'action', (c) =>
      reboot(c, { ec2: { reboot: async () => undefined }, notifier, clock }),
    );
    // Assess
    expect(r.status).toBe('acted');
    expect(r.actions.map((a) => [a.kind, a.outcome])).toEqual([['reboot', 'succeeded']]);
    expect(r).toMatchObject({ actionsFrom: 0, timelineFrom: 50, rung: 1, pollsLeft: 2 });
    expect(JSON.stringify(r).length).toBeLessThan(JSON.stringify(base).length / 5);
    expect(StepResultSchema.safeParse(r).success).toBe(true);
  });

  it('folding the result gives the case the step produced', async () => {
    // Prepare
    const base = kase();
    const after = await reboot(base, { ec2: { reboot: async () => undefined }, notifier, clock });
    // Act
    const folded = foldResult(base, resultOf(base, after, 'action'));
    // Assess
    expect(folded).toEqual(after);
  });

  it('Verify polls accumulate in one result across the cycle: not yet, then not recovered', async () => {
    // Prepare
    const base = kase();
    const acted = await runStep(base, undefined, 'action', (c) =>
      reboot(c, { ec2: { reboot: async () => undefined }, notifier, clock }),
    );
    const deps = { probes: probes(false), timeoutMs: 50, loopbackOnly: true, clock } as never;
    // Act
    const first = await runStep(base, acted, 'verify', (c) => verify(c, deps));
    const second = await runStep(base, first, 'verify', (c) => verify(c, deps));
    // Assess
    expect(first.status).toBe('not-yet');
    expect(second.status).toBe('not-recovered');
    expect(second.actions.map((a) => [a.kind, a.outcome])).toEqual([['reboot', 'not-recovered']]);
    expect(second.timeline.filter((e) => e.step === 'Verify').length).toBe(3);
  });
});

describe('Decide: facts → policy → move', () => {
  it('after a reboot that did not restore service, the next rung: stop-start waits for a person (default autonomy)', async () => {
    // Prepare
    const base = kase();
    const acted = await runStep(base, undefined, 'action', (c) =>
      reboot(c, { ec2: { reboot: async () => undefined }, notifier, clock }),
    );
    const down = { ...acted, status: 'not-recovered' as const, pollsLeft: 0 };
    // Act
    const d = await decide(
      {
        c: { ...base, settings: { ...base.settings } },
        move: { kind: 'act', action: 'reboot' },
        result: down,
      },
      { ec2, clock },
    );
    // Assess
    expect(d.move).toMatchObject({ kind: 'await-approval', action: 'stop-start' });
    expect(d.rung).toBe(1);
    expect(d.actions.map((a) => a.kind)).toEqual(['reboot']);
  });

  it('recovered: the case is done, resolved', async () => {
    // Prepare
    const base = kase();
    const acted = await runStep(base, undefined, 'action', (c) =>
      reboot(c, { ec2: { reboot: async () => undefined }, notifier, clock }),
    );
    // Act
    const d = await decide(
      {
        c: base,
        move: { kind: 'act', action: 'reboot' },
        result: { ...acted, status: 'recovered', outcome: 'resolved' },
      },
      { ec2, clock },
    );
    // Assess
    expect(d.move).toMatchObject({ kind: 'done', outcome: 'resolved' });
  });

  it('not opted in: the rung is held and the move is the page', async () => {
    // Act
    const d = await decide({ c: kase({}, false) }, { ec2, clock });
    // Assess
    expect(d.move.kind).toBe('page');
    expect(d.outcome).toBe('held');
    expect(d.actions.map((a) => [a.kind, a.outcome])).toEqual([['reboot', 'held']]);
  });

  it('an action Task that failed (caught into $.result.error) goes to the page with the error', async () => {
    // Act
    const d = await decide(
      {
        c: kase({ action: 'reboot' }),
        move: { kind: 'act', action: 'reboot' },
        result: { error: { Error: 'Sandbox.Timedout', Cause: 'gone' } },
      },
      { ec2, clock },
    );
    // Assess
    expect(d.move.kind).toBe('page');
    expect(d.actionError).toMatchObject({ Error: 'Sandbox.Timedout' });
    expect(d.action).toBe('reboot');
  });

  it('approval rejected: recorded, paged, held', async () => {
    // Prepare
    const c = kase({ rung: 1, action: 'stop-start' });
    // Act
    const d = await decide(
      {
        c,
        move: { kind: 'await-approval', action: 'stop-start' },
        result: { Error: 'ApprovalRejected', Cause: 'not now' },
      },
      { ec2, clock },
    );
    // Assess
    expect(d.move.kind).toBe('page');
    expect(d.outcome).toBe('held');
    expect(d.actions.map((a) => [a.kind, a.outcome])).toEqual([['stop-start', 'rejected']]);
  });

  it('a reboot move captures the console first (what the reboot destroys)', async () => {
    // Act
    const d = await decide({ c: kase() }, { ec2, clock });
    // Assess
    expect(d.move).toMatchObject({ kind: 'act', action: 'reboot', mode: 'auto' });
    expect(d.timeline.at(-1)?.summary).toMatch(/before reboot: captured console output/);
  });
});
