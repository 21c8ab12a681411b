/**
 * Decide: the one Task that writes the case inside the per-instance loop. On the first pass it
 * assesses the evidence (classification and plan); on later passes it folds what the last step
 * answered (`$.result`: an action's or Verify's result, or the approval); then it walks the ladder's
 * gates (moves.ts) from the current rung until one rung has something to do, and returns the case
 * with the move the state machine's WhatNow? Choice dispatches on.
 *
 * The gates read the kill switch only for a mutating rung, and the console is captured before a
 * destructive action here, right before the move that performs it.
 */

import { modeOf } from '../domain/autonomy.ts';
import { ACTION_KINDS, type ActionKind, type Evidence, type InstanceCase } from '../domain/model.ts';
import { plannedTicketDraft } from '../domain/planned-ticket.ts';
import { foldResult } from '../domain/step-result.ts';
import { StepResultSchema } from '../domain/step-result-schema.ts';
import { append, type Clock, entry } from '../domain/timeline.ts';
import { recurrence } from '../policy/learning.ts';
import { type Move, pageWhy, readApproval, rungAction } from '../policy/moves.ts';
import { okBeforeRung } from '../policy/ok.ts';
import { boundsKey, type Home } from '../policy/org.ts';
import { type AfterWait, afterPlannedWait, plannedBeforeRung } from '../policy/planned.ts';
import type { Ec2Port, OkNotesPort, Outbox } from '../ports.ts';
import { assessCase } from './assess-case.ts';
import { type PrepareDeps, prepareRung } from './ladder.ts';

/** What the loop did last, as Decide's previous answer said (the state keeps `$.move`). */
export interface DecideInput {
  c: InstanceCase;
  /** The GatherEvidence branches, folded into the evidence on the first pass only. */
  evidence?: Evidence;
  move?: { kind: string; action?: string } | null;
  result?: unknown;
}

export type Decided = InstanceCase & { move: Move };

const isAction = (a: unknown): a is ActionKind => (ACTION_KINDS as readonly unknown[]).includes(a);

/** Folds the last step's answer into the case. */
function fold(input: DecideInput, clock: Clock): InstanceCase {
  const { c, move, result } = input;
  if (input.evidence) return assessCase(c, input.evidence, clock);
  if (!move || result === undefined) return c;
  if (move.kind === 'verify' && c.okCheck?.state === 'pending') return foldOkCheck(c, c.okCheck.okAt, result);
  if (move.kind === 'await-approval') {
    // The SendTaskSuccess output or the caught error (rejected, timed out): the gates read it.
    return { ...c, approval: (result ?? {}) as Record<string, unknown>, next: 'act' };
  }
  if (move.kind !== 'act') return c;
  const r = result as Record<string, unknown> | null;
  const parsed = StepResultSchema.safeParse(r);
  let k = parsed.success ? foldResult(c, parsed.data) : c;
  const error = r?.error as { Error?: unknown; Cause?: unknown } | undefined;
  if (error && typeof error.Error === 'string') {
    // The action's Task failed unexpectedly: Page records it against the rung and hands over.
    k = {
      ...k,
      action: isAction(move.action) ? move.action : (k.action ?? null),
      actionError: { Error: error.Error, ...(typeof error.Cause === 'string' ? { Cause: error.Cause } : {}) },
      pending: null,
      next: 'run',
    };
    return k;
  }
  if (!parsed.success) {
    // An answer that is neither a result nor a caught error is a wiring bug: said, then paged.
    return {
      ...k,
      action: 'page',
      next: 'run',
      timeline: append(
        k.timeline,
        entry(clock, {
          step: 'Decide',
          kind: 'error',
          instanceId: c.target.instanceId,
          summary: `the ${String(move.action)} step answered something that is not a result: ${JSON.stringify(r).slice(0, 200)}`,
        }),
      ),
    };
  }
  return k;
}

/**
 * Verify's answer to an OK check (policy/ok.ts): confirmed, the case ends resolved; otherwise the
 * ladder goes on with the rung it was about to run. Anything but a result counts as not confirmed,
 * so the OK is never checked twice.
 */
function foldOkCheck(c: InstanceCase, okAt: string, result: unknown): InstanceCase {
  const parsed = StepResultSchema.safeParse(result);
  const k: InstanceCase = parsed.success ? foldResult(c, parsed.data) : { ...c, next: 'act' };
  const confirmed = k.next === 'done' && k.outcome === 'resolved';
  return {
    ...k,
    next: confirmed ? 'done' : 'act',
    okCheck: { okAt, state: confirmed ? 'confirmed' : 'not-confirmed' },
  };
}

/** The OK notes of the open incident and the central deployment's own account and region (its lock key). */
export interface OkDeps {
  notes: OkNotesPort;
  home: Home;
}

/**
 * In front of a rung (not the first pass: the evidence has just been gathered): an OK the alarm
 * sent after the incident opened, not judged yet, sends the case to Verify first.
 */
async function okFirst(c: InstanceCase, ok: OkDeps, clock: Clock): Promise<Decided | null> {
  const okAt = await ok.notes.newestOk(boundsKey(c.target.instanceId, c, ok.home));
  const verdict = okBeforeRung({
    openedAt: c.alarm?.enteredAlarmAt ?? c.timeline[0]?.at ?? null,
    okAt,
    judgedOkAt: c.okCheck && c.okCheck.state !== 'pending' ? c.okCheck.okAt : null,
    action: rungAction(c.assessment?.plan ?? [], c.rung),
    rung: c.rung,
  });
  if (verdict.kind === 'go-on') return null;
  return {
    ...c,
    okCheck: { okAt: verdict.okAt, state: 'pending' },
    next: 'verify',
    timeline: append(
      c.timeline,
      entry(clock, {
        step: 'Decide',
        kind: 'decision',
        instanceId: c.target.instanceId,
        summary: verdict.summary,
      }),
    ),
    move: { kind: 'verify', reasons: [verdict.summary] },
  };
}

/** What Decide reads about the instance after waiting for the planned-work window (its own account). */
export interface PlannedLookDeps {
  ec2(): Promise<Pick<Ec2Port, 'describeInstances' | 'describeHealth'>>;
}

const decision = (c: InstanceCase, clock: Clock, summary: string) =>
  append(
    c.timeline,
    entry(clock, { step: 'Decide', kind: 'decision', instanceId: c.target.instanceId, summary }),
  );

/** The instance as it is now, for the look after the wait (gone: no state). */
async function lookAgain(c: InstanceCase, look: PlannedLookDeps): Promise<AfterWait> {
  const ec2 = await look.ec2();
  const id = c.target.instanceId;
  let state: string | null = null;
  let managed = false;
  try {
    const [found] = await ec2.describeInstances([id]);
    state = found?.state ?? null;
    managed = found?.tags['medic:managed'] === 'true';
  } catch (error) {
    if ((error as Error).name !== 'InstanceNotFoundError') throw error;
  }
  const health = state === null ? null : await ec2.describeHealth(id);
  return afterPlannedWait({
    state,
    managed,
    scheduledEvents: health?.scheduledEvents ?? [],
    scheduledCode: c.planned?.scheduledCode ?? '',
  });
}

/**
 * A planned incident in front of a mutating rung: before the window, wait for it (the state
 * machine's WaitForWindow, until the window opens); after the wait, look at the instance again and
 * leave it alone when someone or AWS already dealt with it. Otherwise the gates decide as always.
 */
async function plannedFirst(
  c: InstanceCase,
  clock: Clock,
  look: PlannedLookDeps | undefined,
  ticket: Outbox | undefined,
): Promise<Decided | InstanceCase> {
  const planned = c.planned;
  if (!planned) return c;
  if (c.plannedWait?.state === 'waiting') {
    if (!look)
      throw new Error('a planned incident waited for its window but Decide has no EC2 to look again');
    const after = await lookAgain(c, look);
    const waited = { ...c.plannedWait, state: 'looked' as const };
    if (after.kind === 'leave') {
      const summary = `after the wait for the planned-work window: ${after.reason}; medic leaves it alone`;
      return {
        ...c,
        plannedWait: waited,
        next: 'done',
        outcome: 'held',
        timeline: decision(c, clock, summary),
        move: { kind: 'done', outcome: 'held', reasons: [summary] },
      };
    }
    return {
      ...c,
      plannedWait: waited,
      timeline: decision(
        c,
        clock,
        `after the wait for the planned-work window: ${c.target.instanceId} is still running, opted in and scheduled for ${planned.scheduledCode}`,
      ),
    };
  }
  const action = rungAction(c.assessment?.plan ?? [], c.rung);
  const step = plannedBeforeRung({
    planned,
    now: clock(),
    action,
    managed: c.target.managed,
    level: modeOf(c, action),
    waited: c.plannedWait !== undefined,
    approval: c.approval ? readApproval(c.approval).kind : null,
  });
  if (step.kind === 'gate') return c;
  if (step.kind === 'ask')
    return {
      ...c,
      action,
      next: 'approve',
      timeline: decision(c, clock, step.summary),
      move: { kind: 'await-approval', action, reasons: [step.summary] },
    };
  const waiting: InstanceCase = {
    ...c,
    plannedWait: { until: step.until, state: 'waiting' },
    timeline: decision(c, clock, step.summary),
  };
  const timeline = await ticketBeforeWait(
    waiting,
    { action, until: step.until, summary: step.summary },
    clock,
    ticket,
  );
  return {
    ...waiting,
    timeline,
    move: { kind: 'wait', until: step.until, reasons: [step.summary] },
  };
}

/**
 * The window may be days away: the ticket is handed to the Jira outbox now (one DynamoDB write, no
 * Jira client in Decide), and the scheduled drainer files it within minutes, long before the window.
 * The item is keyed by the episode, as Record's own outbox item is, and the drainer and Record both
 * find the ticket by the episode label, so the episode keeps one ticket. A failed write is said and
 * does not stop the wait: Record still files the ticket at the end.
 */
async function ticketBeforeWait(
  c: InstanceCase,
  wait: { action: ActionKind; until: string; summary: string },
  clock: Clock,
  outbox: Outbox | undefined,
) {
  const draft = plannedTicketDraft(c, wait);
  if (!outbox || !draft) return c.timeline;
  const at = clock().toISOString();
  try {
    await outbox.enqueueOutbox({
      episodeKey: c.incidentId,
      draft,
      attempts: 0,
      nextAttemptAt: at,
      lastError: 'filed before the wait for the planned-work window',
    });
  } catch (error) {
    return append(
      c.timeline,
      entry(clock, {
        step: 'Decide',
        kind: 'error',
        instanceId: c.target.instanceId,
        summary: `could not queue the planned-work ticket (${(error as Error).name}: ${(error as Error).message}); Record files it at the end`,
      }),
    );
  }
  return append(
    c.timeline,
    entry(clock, {
      step: 'Decide',
      kind: 'note',
      instanceId: c.target.instanceId,
      summary: `queued the planned-work ticket for Jira before the wait ("${draft.summary}"): the outbox drainer files it within minutes`,
    }),
  );
}

/** How long after a resolved incident a new one for the same classification means the fix did not hold. */
export const DEFAULT_RECURRENCE_MS = 24 * 3_600_000;

/**
 * Once the case is classified (the first pass): a resolved incident of the same instance and
 * classification inside the window means that fix did not hold, so the ladder starts one rung
 * above it (policy/learning.ts). Record links the tickets and Close marks the old fix.
 */
export function judgeRecurrence(c: InstanceCase, clock: Clock, windowMs: number): InstanceCase {
  if (!c.assessment || !c.priorFixes?.length) return c;
  const r = recurrence({
    now: clock(),
    incidentId: c.incidentId,
    instanceId: c.target.instanceId,
    classification: c.assessment.classification,
    plan: c.assessment.plan,
    windowMs,
    previous: c.priorFixes,
  });
  if (!r) return c;
  return {
    ...c,
    rung: Math.max(c.rung, r.startRung),
    recurrenceOf: r.of,
    timeline: append(
      c.timeline,
      entry(clock, { step: 'Decide', kind: 'decision', instanceId: c.target.instanceId, summary: r.summary }),
    ),
  };
}

/** Facts → policy → move. Bounded: at most one pass per rung of the plan, then the page. */
export async function decide(
  input: DecideInput,
  deps: PrepareDeps & {
    recurrenceWindowMs?: number;
    ok?: OkDeps;
    plannedLook?: PlannedLookDeps;
    /** The Jira outbox: a planned incident's ticket is queued before the wait for the window. */
    plannedTicket?: Outbox;
  },
): Promise<Decided> {
  let c = fold(input, deps.clock);
  if (input.evidence) c = judgeRecurrence(c, deps.clock, deps.recurrenceWindowMs ?? DEFAULT_RECURRENCE_MS);
  if (!input.evidence && c.next === 'act' && deps.ok) {
    const verifyFirst = await okFirst(c, deps.ok, deps.clock);
    if (verifyFirst) return verifyFirst;
  }
  if (c.planned && c.next === 'act') {
    const planned = await plannedFirst(c, deps.clock, deps.plannedLook, deps.plannedTicket);
    if ('move' in planned) return planned as Decided;
    c = planned;
  }
  const plan = c.assessment?.plan ?? [];
  for (let i = 0; i <= plan.length + 1; i++) {
    if (c.actionError)
      return { ...c, move: { kind: 'page', why: 'the action failed', reasons: [c.actionError.Error] } };
    switch (c.next) {
      case 'done':
        return {
          ...c,
          move: { kind: 'done', outcome: c.outcome ?? 'escalated', reasons: [c.outcome ?? 'escalated'] },
        };
      case 'verify':
        return { ...c, move: { kind: 'verify', reasons: ['the action is done: verify it'] } };
      case 'approve':
        return approve(c);
      case 'run':
        return run(c);
      default:
        // 'act' (a new rung) and 'poll' (nothing in flight survives a Decide pass): gate plan[rung].
        c = await prepareRung(c, deps);
    }
  }
  throw new Error(`Decide walked past the end of the plan (${plan.join(' → ')}) without a move`);
}

function approve(c: InstanceCase): Decided {
  const action = c.action ?? 'page';
  return {
    ...c,
    move: { kind: 'await-approval', action, reasons: [`${action} runs at approve: a person decides`] },
  };
}

function run(c: InstanceCase): Decided {
  const action = c.action ?? 'page';
  if (action === 'page') {
    return {
      ...c,
      move: {
        kind: 'page',
        why: pageWhy({
          actions: c.actions,
          outcome: c.outcome,
          leftStopped: c.leftStopped,
          cause: c.assessment?.cause,
        }),
        reasons: [`rung ${c.rung + 1}: page`],
      },
    };
  }
  const mode = modeOf(c, action);
  return {
    ...c,
    move: {
      kind: 'act',
      action,
      mode: mode === 'off' ? 'dry-run' : mode,
      reasons: [`rung ${c.rung + 1} of ${(c.assessment?.plan ?? []).length}: ${action} (${mode})`],
    },
  };
}
