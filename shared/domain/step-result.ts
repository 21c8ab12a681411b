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
  type ActionRecord,
  type InstanceCase,
  InstanceCaseSchema,
  type InstanceOutcome,
  type PendingAction,
  type ProbeConfig,
  type TimelineEntry,
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

/** What an action Task or Verify answers (validated where it is folded: step-result-schema.ts). */
export interface StepResult {
  status: StepStatus;
  /** The case's action records from this index on are replaced by `actions`. */
  actionsFrom: number;
  actions: ActionRecord[];
  timelineFrom: number;
  timeline: TimelineEntry[];
  rung: number;
  pollsLeft: number;
  lastActionAt: string | null;
  pending: PendingAction | null;
  verifyProbe: ProbeConfig | null;
  verifySeen: Record<string, string>;
  outcome: InstanceOutcome | null;
  leftStopped: { state: string; code: string; message: string; at: string } | null;
  /** Set by the ASL Catch of an action Task (`$.result.error`): the call failed unexpectedly. */
  error?: { Error: string; Cause?: string | undefined };
}

/**
 * What a cycle Task finds in `$.result`: this cycle's own earlier answer, carried unchanged by the
 * state machine, or nothing. (Decide and FileCase validate what they fold with the zod schema; the
 * action bundles stay without it, they sit on the path to the first action.)
 */
export type PriorResult = StepResult | { error: NonNullable<StepResult['error']> } | undefined;

/** The prior result when the value has a result's shape; anything else is no prior. */
export function asPrior(value: unknown): PriorResult {
  const v = value as Partial<StepResult> | null | undefined;
  return v && typeof v === 'object' && typeof v.status === 'string' && Array.isArray(v.actions)
    ? (v as StepResult)
    : undefined;
}

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

/**
 * The case as the step must see it: Decide's case with the cycle's result so far folded in. The
 * result is this cycle's own earlier answer, carried by the state machine unchanged.
 */
export function withPrior(c: InstanceCase, prior: PriorResult): InstanceCase {
  return prior && 'status' in prior ? foldResult(c, prior) : c;
}

/** An action cycle Task's input: the case as Decide left it, and the cycle's result so far. */
export const StepInputSchema = InstanceCaseSchema.extend({ result: z.unknown().optional() });
