/**
 * The mitigation ladder as pure decisions: which rung, the gates in front of it (opt-in, autonomy,
 * the kill switch, a person's approval), the stop rule after Verify, and why a person is paged.
 * Every function takes facts and answers; the use cases read the facts and perform the effects.
 */
import type { AutonomyLevel } from '../domain/autonomy.ts';
import type { ActionKind, ActionRecord, InstanceOutcome } from '../domain/model.ts';
import { APPROVAL_REJECTED } from '../errors.ts';
import {
  autonomyBound,
  type Bound,
  type Effect,
  type Held,
  optInBound,
  type PauseRead,
  pauseBound,
  plannedBound,
} from './bounds.ts';

export const MUTATING: ReadonlySet<ActionKind> = new Set([
  'restart-service',
  'reboot',
  'stop-start',
  'failover',
]);

export const VERBS: Record<ActionKind, string> = {
  'restart-service': 'restart the service on',
  reboot: 'reboot',
  'stop-start': 'stop and start',
  failover: 'fail over',
  page: 'page on-call for',
};

/** What the rung's action record says when a gate decided instead of the action. */
export interface RungRecord {
  action: ActionKind;
  outcome: ActionRecord['outcome'];
  detail: string;
}

/** The next thing the per-instance loop does, with the reasons that led there. */
export type Move = (
  | { kind: 'act'; action: ActionKind; mode: Exclude<AutonomyLevel, 'off'> }
  | { kind: 'await-approval'; action: ActionKind }
  | { kind: 'verify' }
  /** A planned incident waits for its planned-work window (the state machine's Wait, until then). */
  | { kind: 'wait'; until: string }
  | { kind: 'page'; why: string }
  | { kind: 'hold'; bound: Bound; reason: string }
  | { kind: 'done'; outcome: InstanceOutcome }
  /** The rung is not done (autonomy off, a scheduled event): the ladder moves one rung down. */
  | { kind: 'skip'; action: ActionKind; bound: Bound; reason: string }
) & {
  reasons: string[];
  /** The record the gate leaves against the rung (held, rejected, timed out…), if any. */
  record?: RungRecord;
  /** The case's outcome this move fixes (a person's "no" or a hold keeps the case held). */
  outcome?: InstanceOutcome;
};

/** The rung's action: plan[rung], and past the end of the plan a person is paged. */
export function rungAction(plan: readonly ActionKind[], rung: number): ActionKind {
  return plan[rung] ?? 'page';
}

export type ApprovalDecision =
  | { kind: 'approved'; detail: string }
  | { kind: 'rejected'; detail: string }
  | { kind: 'timed-out'; detail: string }
  | { kind: 'error'; detail: string };

/** Reads what AwaitApproval left: the SendTaskSuccess output or the caught error. */
export function readApproval(approval: Record<string, unknown>): ApprovalDecision {
  const error = typeof approval.Error === 'string' ? approval.Error : null;
  const cause = typeof approval.Cause === 'string' ? approval.Cause : '';
  if (error === 'States.Timeout' || error === 'States.HeartbeatTimeout')
    return { kind: 'timed-out', detail: 'no decision before the approval timeout' };
  if (error === APPROVAL_REJECTED) return { kind: 'rejected', detail: cause || 'rejected' };
  if (error) return { kind: 'error', detail: `${error}: ${cause}` };
  if (approval.decision === 'approve')
    return { kind: 'approved', detail: String(approval.detail ?? 'approved') };
  return { kind: 'error', detail: `unexpected approval result ${JSON.stringify(approval).slice(0, 200)}` };
}

/** The facts the gates of one rung judge. */
export interface RungFacts {
  action: ActionKind;
  instanceId: string;
  managed: boolean;
  /** The rung's mode: the stricter of the run's mode and the action's autonomy. */
  level: AutonomyLevel;
  /** The kill switch as read; absent when it was not read (a page, or no switch wired). */
  pause?: PauseRead;
  /** What AwaitApproval answered for this rung; null when nobody was asked yet. */
  approval: ApprovalDecision | null;
  approvalTimeoutSeconds: number;
  /** A planned incident (AWS scheduled a change) and the time the gate is judged at. */
  planned?: { eventTypeCode: string; deadline: string | null; window?: string | null | undefined };
  now?: Date;
}

/** Whether the gates of this rung need the kill switch read (only a mutating rung does). */
export function needsPause(action: ActionKind): boolean {
  return MUTATING.has(action);
}

const toPage = (held: Held, record: RungRecord, why: string): Move => ({
  kind: 'page',
  why,
  reasons: [held.reason],
  record,
  outcome: 'held',
});

/**
 * The gates in front of one rung, in order: opt-in, autonomy, the kill switch (before every mutating
 * rung, and again after an approval, right before acting), then approval. A page always runs.
 */
export function gateRung(f: RungFacts): Move {
  const { action, instanceId: id } = f;
  if (action === 'page') return { kind: 'act', action, mode: 'auto', reasons: ['the last rung'] };
  const optIn = optInBound(id, f.managed);
  if (optIn) {
    const detail = `held: ${id} is not opted in (tag medic:managed=true), so medic will not ${VERBS[action]} it`;
    return toPage(
      optIn,
      { action, outcome: 'held', detail },
      'instance is not opted in to automatic actions',
    );
  }
  // A planned incident acts only inside the planned-work window before AWS's deadline; outside it a
  // person is paged with the deadline, before anyone is asked to approve.
  if (f.planned && f.now && MUTATING.has(action)) {
    const held = plannedBound(f.planned, f.now);
    if (held)
      return toPage(
        held,
        { action, outcome: 'held', detail: `held by planned-window: ${held.reason}` },
        held.reason,
      );
  }
  const off = autonomyBound(action, f.level);
  if (off) return { kind: 'skip', action, bound: off.bound, reason: off.reason, reasons: [off.reason] };
  const level = f.level as Exclude<AutonomyLevel, 'off'>;
  if (f.pause && MUTATING.has(action)) {
    const paused = pauseBound(f.pause);
    if (paused) {
      const detail = `held by paused: ${paused.reason}`;
      return toPage(paused, { action, outcome: 'held', detail }, detail);
    }
  }
  if (level === 'approve' && MUTATING.has(action)) {
    const d = f.approval;
    if (!d)
      return { kind: 'await-approval', action, reasons: [`${action} runs at approve: a person decides`] };
    if (d.kind === 'rejected') {
      const detail = `a person rejected: ${VERBS[action]} ${id} (${d.detail})`;
      return {
        kind: 'page',
        why: 'a person rejected the next action; medic takes no further action',
        reasons: [detail],
        record: { action, outcome: 'rejected', detail },
        outcome: 'held',
      };
    }
    if (d.kind === 'timed-out') {
      const detail = `approval to ${VERBS[action]} ${id} timed out after ${f.approvalTimeoutSeconds} s: not done, escalating`;
      return {
        kind: 'page',
        why: 'nobody approved the next action in time',
        reasons: [detail],
        record: { action, outcome: 'timed-out', detail },
      };
    }
    if (d.kind === 'error') {
      const detail = `could not ask for approval: ${d.detail}`;
      return {
        kind: 'page',
        why: 'no automatic action applies',
        reasons: [detail],
        record: { action, outcome: 'failed', detail },
      };
    }
    return { kind: 'act', action, mode: level, reasons: [`approved: ${VERBS[action]} ${id} (${d.detail})`] };
  }
  return { kind: 'act', action, mode: level, reasons: [`${action} runs at ${level}`] };
}

/** What the safety bounds' verdict does to the ladder (see bounds.ts for each bound's effect). */
export function afterHeld(
  effect: Effect,
  rung: number,
  planLength: number,
): { rung: number; next: 'act' | 'done'; outcome?: InstanceOutcome } {
  switch (effect) {
    case 'hold':
      return { rung, next: 'done', outcome: 'held' };
    case 'skip':
      return { rung: rung + 1, next: 'act' };
    case 'page':
      // Jump to the end of the ladder: the next pass pages a person.
      return { rung: planLength, next: 'act' };
  }
}

/**
 * The stop rule after one Verify poll: back → resolved; not yet with polls left → verify again;
 * out of polls → the rung did not help, the next one is tried.
 */
export function afterVerify(recovered: boolean, pollsLeft: number): 'resolved' | 'again' | 'next-rung' {
  if (recovered) return 'resolved';
  return pollsLeft > 0 ? 'again' : 'next-rung';
}

/**
 * A dry run records "would have …". A dry-run *run* ends there (nothing changed, nothing to verify);
 * a rung that is dry-run only by its action's autonomy moves on, so an instance still down is paged.
 */
export function afterDryRun(runMode: string): 'done' | 'next-rung' {
  return runMode === 'dry-run' ? 'done' : 'next-rung';
}

/** Why a person is paged, from what the ladder went through (the page's "Why:" line). */
export function pageWhy(f: {
  actions: readonly Pick<ActionRecord, 'kind' | 'outcome' | 'detail'>[];
  outcome: InstanceOutcome | null;
  leftStopped: { state: string } | null | undefined;
  /** The assessment's named cause (recent-change): the page says what changed and who made it. */
  cause?: string | null | undefined;
}): string {
  const tried = f.actions.filter((a) => a.kind !== 'page');
  if (f.cause && !f.leftStopped && tried.length === 0)
    return `a recent change explains the symptom, so medic does not act: ${f.cause}`;
  const held = tried.findLast((a) => a.outcome === 'held');
  if (f.leftStopped) return `stop/start left the instance ${f.leftStopped.state}`;
  if (f.outcome === 'held') {
    if (tried.some((a) => a.outcome === 'rejected'))
      return 'a person rejected the next action; medic takes no further action';
    return held?.detail.startsWith('held by paused:')
      ? held.detail
      : 'instance is not opted in to automatic actions';
  }
  if (tried.some((a) => a.outcome === 'timed-out')) return 'nobody approved the next action in time';
  if (tried.some((a) => MUTATING.has(a.kind))) return 'the actions medic may take did not restore service';
  return 'no automatic action applies';
}
