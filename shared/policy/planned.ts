/**
 * A planned incident (AWS scheduled a retirement or maintenance) that arrives before the next
 * planned-work window: medic waits for the window, then looks again before it touches anything.
 * The wait is a Step Functions Wait state until the window's start (`TimestampPath`): a Standard
 * workflow may wait up to a year, no Lambda runs meanwhile. Pure: the use cases read the instance.
 */
import type { AutonomyLevel } from '../domain/autonomy.ts';
import type { ActionKind } from '../domain/model.ts';
import { parsePlannedWindow, plannedVerdict } from './bounds.ts';
import { MUTATING } from './moves.ts';

export interface PlannedFacts {
  planned: { eventTypeCode: string; deadline: string | null; window?: string | null | undefined };
  now: Date;
  action: ActionKind;
  managed: boolean;
  level: AutonomyLevel;
  /** The case waited for a window already: it is not sent to wait again (the gate decides). */
  waited: boolean;
  /**
   * At approve: what the person answered when the planned incident opened (null: not asked yet).
   * The answer is kept on the case and the gates read it again in the window.
   */
  approval?: 'approved' | 'rejected' | 'timed-out' | 'error' | null;
}

export type PlannedStep =
  | { kind: 'gate' }
  | { kind: 'wait'; until: string; summary: string }
  /** Ask the person now, before the wait: the window is often at night, when nobody answers. */
  | { kind: 'ask'; summary: string };

/**
 * Step Functions reads a Wait's timestamp to the second (RFC 3339, uppercase T and Z); a window's
 * start is rounded up to the next second so the wait never ends before the window opens.
 */
export function waitTimestamp(ms: number): string {
  return `${new Date(Math.ceil(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/**
 * In front of a planned incident's rung: wait for the next window when one opens before AWS's
 * deadline and the rung would act there; otherwise the gates decide now (act inside the window,
 * page with the deadline when no window comes first, hold what is not opted in).
 */
export function plannedBeforeRung(f: PlannedFacts): PlannedStep {
  if (f.waited || !f.managed || !MUTATING.has(f.action)) return { kind: 'gate' };
  // Nothing would be done in the window (switched off, or only "would have"): no reason to wait.
  if (f.level === 'off' || f.level === 'dry-run') return { kind: 'gate' };
  let windows: ReturnType<typeof parsePlannedWindow>;
  try {
    windows = parsePlannedWindow(f.planned.window);
  } catch {
    return { kind: 'gate' };
  }
  const verdict = plannedVerdict(f.now, f.planned.deadline, windows);
  if (verdict.kind !== 'next-window') return { kind: 'gate' };
  const until = waitTimestamp(verdict.window.start);
  const due = f.planned.deadline ? `AWS's deadline ${f.planned.deadline}` : 'no deadline from AWS';
  const window = `${new Date(verdict.window.start).toISOString()}–${new Date(verdict.window.end).toISOString()}`;
  if (f.level === 'approve') {
    const answer = f.approval ?? null;
    if (answer === null)
      return {
        kind: 'ask',
        summary: `AWS ${f.planned.eventTypeCode}: ${f.action} runs at approve; asking now, before the wait, for ${f.action} in the planned-work window ${window} (${due})`,
      };
    // Rejected, timed out or not asked: no wait; the gates page with the deadline and the answer.
    if (answer !== 'approved') return { kind: 'gate' };
  }
  return {
    kind: 'wait',
    until,
    summary: `AWS ${f.planned.eventTypeCode}: waiting for the planned-work window ${window} (${due}) before ${f.action}${f.level === 'approve' ? ' (approved before the wait: not asked again)' : ''}; medic looks at the instance again then`,
  };
}

/** What the instance looks like after the wait (one DescribeInstances and DescribeInstanceStatus). */
export interface AfterWaitFacts {
  /** null: EC2 no longer knows the instance (terminated long ago). */
  state: string | null;
  managed: boolean;
  /**
   * The scheduled events EC2 lists for the instance now. A completed (or cancelled) event is still
   * listed for up to a week, its description starting "[Completed]" (or "[Canceled]").
   */
  scheduledEvents: readonly { code: string; description: string }[];
  /** The scheduled event the incident is about (e.g. instance-retirement, system-maintenance). */
  scheduledCode: string;
}

export type AfterWait = { kind: 'go-on' } | { kind: 'leave'; reason: string };

/**
 * Do no harm after a long wait: only a running instance that is still opted in and still has the
 * scheduled event is touched. Someone may have stopped and started it already (the event is gone
 * with the old host), AWS may have retired it (stopped or terminated), or it was opted out.
 */
export function afterPlannedWait(f: AfterWaitFacts): AfterWait {
  if (f.state === null || f.state === 'terminated' || f.state === 'shutting-down')
    return { kind: 'leave', reason: `the instance is ${f.state ?? 'gone'}: nothing to move` };
  if (f.state !== 'running')
    return {
      kind: 'leave',
      reason: `the instance is ${f.state} (stopped by someone, or already retired by AWS): medic does not start or stop it`,
    };
  if (!f.managed)
    return { kind: 'leave', reason: 'the instance is no longer opted in (tag medic:managed=true)' };
  const open = f.scheduledEvents.filter(
    (e) => !/^\[(completed|canceled|cancelled)\]/i.test(e.description.trim()),
  );
  if (!open.some((e) => e.code === f.scheduledCode))
    return {
      kind: 'leave',
      reason: `EC2 no longer lists the scheduled ${f.scheduledCode} (someone already stopped and started it, or AWS cancelled or completed it)`,
    };
  return { kind: 'go-on' };
}
