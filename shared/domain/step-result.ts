/**
 * What an action Task or Verify returns: only what it changed, never the whole case. The state
 * machine puts it in `$.result` (ResultPath), so the case itself is written by one Task only —
 * Decide — and the action Tasks' answers stay small whatever the case carries (evidence, timeline).
 *
 * Between two Decide passes the case in the state is untouched: every Task of one action cycle
 * (the action, its polls, Verify and its polls) reads the case as Decide left it plus the result so
 * far, folds them, does its step, and returns the result of the whole cycle so far. Decide (and
 * FileCase, for a page or a failed case) folds it once.
 */
import * as z from 'zod';
import {
  ActionRecordSchema,
  INSTANCE_OUTCOMES,
  type InstanceCase,
  InstanceCaseSchema,
  PendingActionSchema,
  ProbeConfigSchema,
  TimelineEntrySchema,
} from './model.ts';

/**
 * in-progress: an action in flight, polled after a Wait; acted: done, Verify next; moved-on: the rung
 * could not be carried out (next rung); done: the case ends (dry run, held, paged); not-yet: Verify
 * polls again; recovered / not-recovered: Verify's verdict for the stop rule.
 */
export const STEP_STATUSES = [
  'in-progress',
  'acted',
  'moved-on',
  'done',
  'not-yet',
  'recovered',
  'not-recovered',
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

const ErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional() });

export const StepResultSchema = z.object({
  status: z.enum(STEP_STATUSES),
  /** The case's action records from this index on are replaced by `actions`. */
  actionsFrom: z.number().int().min(0),
  actions: z.array(ActionRecordSchema),
  timelineFrom: z.number().int().min(0),
  timeline: z.array(TimelineEntrySchema),
  rung: z.number().int().min(0),
  pollsLeft: z.number().int().min(0),
  lastActionAt: z.string().nullable(),
  pending: PendingActionSchema.nullable(),
  verifyProbe: ProbeConfigSchema.nullable(),
  verifySeen: z.record(z.string(), z.string()),
  outcome: z.enum(INSTANCE_OUTCOMES).nullable(),
  leftStopped: z
    .object({ state: z.string(), code: z.string(), message: z.string(), at: z.string() })
    .nullable(),
  /** Set by the ASL Catch of an action Task (`$.result.error`): the call failed unexpectedly. */
  error: ErrorSchema.optional(),
});
export type StepResult = z.infer<typeof StepResultSchema>;

/** A result that holds only the caught error (the Task failed on its first call). */
export const CaughtOnlySchema = z.object({ error: ErrorSchema });

/** What the Task's input may carry in `$.result`: a result so far, an error only, or nothing. */
export const PriorResultSchema = z.union([StepResultSchema, CaughtOnlySchema]).optional();
export type PriorResult = z.infer<typeof PriorResultSchema>;

function firstDifference<T>(before: readonly T[], after: readonly T[]): number {
  const n = Math.min(before.length, after.length);
  for (let i = 0; i < n; i++) if (JSON.stringify(before[i]) !== JSON.stringify(after[i])) return i;
  return n;
}

/** The status the step's answer leaves the loop in (the ASL's Choices read it). */
export type StepKind = 'action' | 'verify';
function statusOf(kind: StepKind, next: InstanceCase['next']): StepStatus {
  if (kind === 'verify')
    return next === 'verify' ? 'not-yet' : next === 'done' ? 'recovered' : 'not-recovered';
  if (next === 'poll') return 'in-progress';
  if (next === 'verify') return 'acted';
  return next === 'done' ? 'done' : 'moved-on';
}

/** What the step changed, from the case Decide left to the case after the step. */
export function resultOf(base: InstanceCase, after: InstanceCase, kind: StepKind): StepResult {
  const actionsFrom = firstDifference(base.actions, after.actions);
  const timelineFrom = firstDifference(base.timeline, after.timeline);
  return {
    status: statusOf(kind, after.next),
    actionsFrom,
    actions: after.actions.slice(actionsFrom),
    timelineFrom,
    timeline: after.timeline.slice(timelineFrom),
    rung: after.rung,
    pollsLeft: after.pollsLeft,
    lastActionAt: after.lastActionAt,
    pending: after.pending ?? null,
    verifyProbe: after.verifyProbe ?? null,
    verifySeen: after.verifySeen ?? {},
    outcome: after.outcome,
    leftStopped: after.leftStopped ?? null,
  };
}

/** The case with the step's result applied (the inverse of resultOf on the case Decide left). */
export function foldResult(c: InstanceCase, r: StepResult): InstanceCase {
  // The caught action error was Page's to record; the step's answer has moved past it.
  const { leftStopped, actionError: _recorded, ...rest } = c;
  return {
    ...rest,
    actions: [...c.actions.slice(0, r.actionsFrom), ...r.actions],
    timeline: [...c.timeline.slice(0, r.timelineFrom), ...r.timeline],
    rung: r.rung,
    pollsLeft: r.pollsLeft,
    lastActionAt: r.lastActionAt,
    pending: r.pending,
    verifyProbe: r.verifyProbe,
    verifySeen: r.verifySeen,
    outcome: r.outcome,
    ...(r.leftStopped ? { leftStopped: r.leftStopped } : leftStopped ? { leftStopped } : {}),
    next:
      r.status === 'in-progress'
        ? 'poll'
        : r.status === 'acted' || r.status === 'not-yet'
          ? 'verify'
          : r.status === 'done' || r.status === 'recovered'
            ? 'done'
            : 'act',
  };
}

/** The case as the step must see it: Decide's case with the cycle's result so far folded in. */
export function withPrior(c: InstanceCase, prior: PriorResult): InstanceCase {
  return prior && 'status' in prior ? foldResult(c, prior) : c;
}

/** An action cycle Task's input: the case as Decide left it, and the cycle's result so far. */
export const StepInputSchema = InstanceCaseSchema.extend({ result: PriorResultSchema });
