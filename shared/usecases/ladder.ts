/**
 * The mitigation ladder (SPEC §3.5): the plan is walked one rung at a time. PrepareRung picks the
 * rung, applies the gates that come before any mutating call (opt-in, approval), and captures what
 * a destructive action would destroy. Each action then runs in its own Task (restart-service,
 * reboot, stop-start, failover, page), hands over to Verify, and a rung that does not restore
 * service moves the case one rung down. The helpers here are shared by those action use cases.
 */
import { DEFAULT_AUTONOMY, describePlan, modeOf } from '../domain/autonomy.ts';

export { modeOf };

import {
  type ActionKind,
  type ActionRecord,
  type InstanceCase,
  LADDER_DEFAULTS,
  type ProbeConfig,
} from '../domain/model.ts';
import { leftStoppedHeadline } from '../domain/stop-start-policy.ts';
import { append, type Clock, entry } from '../domain/timeline.ts';
import type { PauseRead } from '../policy/bounds.ts';
import { pauseBound } from '../policy/bounds.ts';
import {
  afterDryRun,
  gateRung,
  MUTATING,
  needsPause,
  pageWhy,
  readApproval,
  rungAction,
  VERBS,
} from '../policy/moves.ts';
import type { Ec2ActionsPort, NotifierPort, PauseScope, PauseSwitchPort } from '../ports.ts';

export { MUTATING, VERBS };

/** Actions that lose in-memory state: console output is captured before them. */
const DESTRUCTIVE: ReadonlySet<ActionKind> = new Set(['reboot', 'stop-start', 'failover']);
const CONSOLE_TAIL_LINES = 25;

export function who(c: InstanceCase): string {
  return c.target.name ? `${c.target.name} (${c.target.instanceId})` : c.target.instanceId;
}

/** Appends one action record (and its timeline line) to the case. */
export function recordAction(
  c: InstanceCase,
  clock: Clock,
  kind: ActionKind,
  outcome: ActionRecord['outcome'],
  detail: string,
  at = clock().toISOString(),
): InstanceCase {
  const action: ActionRecord = { kind, instanceId: c.target.instanceId, at, outcome, detail };
  const timelineKind =
    outcome === 'paged' || outcome === 'timed-out' || outcome === 'rejected' ? 'escalation' : 'action';
  return {
    ...c,
    actions: [...c.actions, action],
    timeline: append(
      c.timeline,
      entry(clock, {
        step: stepOf(kind),
        kind: timelineKind,
        instanceId: c.target.instanceId,
        summary: detail,
      }),
    ),
  };
}

export function note(
  c: InstanceCase,
  clock: Clock,
  step: string,
  summary: string,
  kind: 'note' | 'action' = 'note',
) {
  return {
    ...c,
    timeline: append(c.timeline, entry(clock, { step, kind, instanceId: c.target.instanceId, summary })),
  };
}

function stepOf(kind: ActionKind): string {
  const names: Record<ActionKind, string> = {
    'restart-service': 'RestartService',
    reboot: 'Reboot',
    'stop-start': 'StopStart',
    failover: 'Failover',
    page: 'Page',
  };
  return names[kind];
}

/** The plan with the mode each rung runs at, for the timeline, the ticket and announcements. */
export function planOf(c: InstanceCase): string {
  return describePlan(c.assessment?.plan ?? [], c.mode, c.settings.autonomy ?? DEFAULT_AUTONOMY);
}

/** The action is done: verify it (bounded polls), then the next rung if it did not help. */
export function handToVerify(
  c: InstanceCase,
  startedAt: string,
  probe: ProbeConfig | null = null,
): InstanceCase {
  return {
    ...c,
    rung: c.rung + 1,
    pending: null,
    pollsLeft: c.settings.verifyPolls,
    lastActionAt: startedAt,
    verifyProbe: probe,
    verifySeen: {},
    next: 'verify',
  };
}

/** The rung could not be carried out: move one rung down the ladder (ends at the page). */
export function nextRung(c: InstanceCase): InstanceCase {
  return { ...c, rung: c.rung + 1, pending: null, next: 'act' };
}

/**
 * Dry run: the rung is recorded as "would have …". A dry-run run ends there (nothing changed, so
 * there is nothing to verify); a rung that is dry-run only by its action's autonomy moves on, so
 * the instance that is still down reaches the page.
 */
export function dryRunDone(c: InstanceCase, clock: Clock, kind: ActionKind, detail: string): InstanceCase {
  if (afterDryRun(c.mode) === 'next-rung')
    return nextRung(recordAction(c, clock, kind, 'would-have', detail));
  return {
    ...recordAction(c, clock, kind, 'would-have', detail),
    pending: null,
    next: 'done',
    outcome: 'dry-run',
  };
}

/** Progress message to stakeholders at the start of each rung. */
export async function announce(c: InstanceCase, notifier: NotifierPort, kind: ActionKind): Promise<void> {
  const plan = c.assessment?.plan ?? [];
  const mode = modeOf(c, kind);
  const dry = mode === 'dry-run';
  await notifier.publish({
    subject: `[medic] ${dry ? 'DRY RUN' : 'ACTION'}: ${kind} ${who(c)} (rung ${c.rung + 1} of ${plan.length})`,
    body: [
      `medic ${dry ? 'would now' : 'is about to'} ${VERBS[kind]} ${who(c)} for incident ${c.incidentId} (this rung runs ${mode}${mode === 'approve' ? ', approved' : ''}).`,
      `Plan: ${planOf(c)}`,
      `Tried so far: ${c.actions.map((a) => `${a.kind}: ${a.outcome}`).join(', ') || 'nothing'}`,
    ].join('\n'),
    severity: 'warning',
    attributes: {
      event: 'action',
      action: kind,
      incident: c.incidentId,
      instance: c.target.instanceId,
      ...placeAttributes(c),
    },
  });
}

export { type ApprovalDecision, readApproval } from '../policy/moves.ts';

/** The case's account and region as SNS message attributes (subscribers filter on them). */
function placeAttributes(c: InstanceCase): Record<string, string> {
  return { ...(c.account ? { account: c.account } : {}), ...(c.region ? { region: c.region } : {}) };
}

export interface PrepareDeps {
  ec2: Pick<Ec2ActionsPort, 'consoleOutput'>;
  clock: Clock;
  /** The stage's kill switches (`medic pause`, the optional pause alarm); deployed, always given. */
  pause?: readonly PauseSwitchPort[];
}

/**
 * Reads the kill switches into the fact the policy judges: the first pause found, none, or a read
 * that failed. A transient failure (AwsTransientError) is thrown instead, so the Task's Retry reads
 * again before anything is decided; when those retries run out the case fails, which takes no
 * action either.
 */
export async function readPause(
  switches: readonly PauseSwitchPort[],
  where?: PauseScope,
): Promise<PauseRead> {
  try {
    for (const s of switches) {
      const paused = await s.read(where);
      if (paused) return { paused };
    }
    return { paused: null };
  } catch (error) {
    const e = error as Error;
    if (e.name === 'AwsTransientError') throw error;
    return { unreadable: { name: e.name, message: e.message } };
  }
}

/** Why the kill switch holds medic, or null (fails closed: see pauseBound). */
export async function pauseReason(switches: readonly PauseSwitchPort[]): Promise<string | null> {
  return pauseBound(await readPause(switches))?.reason ?? null;
}

/**
 * PrepareRung: choose plan[rung]; gate it (opt-in, autonomy, the kill switch, approval); capture
 * console output before a destructive action. Sets `action` (what RunAction dispatches on) and `next`.
 */
export async function prepareRung(c: InstanceCase, deps: PrepareDeps): Promise<InstanceCase> {
  const { clock } = deps;
  const action = rungAction(c.assessment?.plan ?? [], c.rung);
  let k: InstanceCase = { ...c, action, pending: null };
  if (action === 'page') return { ...k, approval: null, next: 'run' };
  // The pause of everything, of the case's account and of its region: any of them holds the rung.
  const where = { account: c.account ?? null, region: c.region ?? null };
  const pause = deps.pause && needsPause(action) ? await readPause(deps.pause, where) : undefined;
  const move = gateRung({
    action,
    instanceId: c.target.instanceId,
    managed: c.target.managed,
    level: modeOf(c, action),
    ...(pause ? { pause } : {}),
    approval: c.approval ? readApproval(c.approval) : null,
    approvalTimeoutSeconds: c.settings.approvalTimeoutSeconds ?? LADDER_DEFAULTS.approvalTimeoutSeconds,
    ...(c.planned ? { planned: c.planned, now: clock() } : {}),
  });
  switch (move.kind) {
    case 'await-approval':
      return { ...k, next: 'approve' };
    case 'skip':
      // The team switched this action off: not a failure, the ladder moves on.
      k = note(k, clock, 'PrepareRung', `skipped ${action}: ${move.reason}; next rung`);
      return nextRung({ ...k, approval: null });
    case 'page': {
      k = { ...k, approval: null };
      if (move.record) k = recordAction(k, clock, action, move.record.outcome, move.record.detail);
      return { ...k, action: 'page', ...(move.outcome ? { outcome: move.outcome } : {}), next: 'run' };
    }
    case 'act':
      if (move.mode === 'approve' && c.approval)
        k = note({ ...k, approval: null }, clock, 'AwaitApproval', move.reasons.join('; '));
      if (DESTRUCTIVE.has(action)) k = await captureConsole(k, deps, action);
      return { ...k, next: 'run' };
    default:
      throw new Error(`the rung's gates answered ${move.kind}, which PrepareRung does not handle`);
  }
}

/** What a reboot or stop would destroy: the console's last lines go into the incident record. */
async function captureConsole(c: InstanceCase, deps: PrepareDeps, action: ActionKind): Promise<InstanceCase> {
  const id = c.target.instanceId;
  let summary: string;
  let detail: Record<string, unknown> | undefined;
  try {
    const output = await deps.ec2.consoleOutput(id);
    const lines = (output ?? '').split(/\r?\n/).filter((l) => l.trim() !== '');
    const tail = lines.slice(-CONSOLE_TAIL_LINES);
    summary = `before ${action}: captured console output of ${id} (${lines.length} lines; last: ${tail.at(-1) ?? 'empty'})`;
    detail = { source: 'EC2 GetConsoleOutput', tail: tail.join('\n').slice(-1_800) };
  } catch (error) {
    summary = `before ${action}: could not capture console output of ${id}: ${(error as Error).name}: ${(error as Error).message}`;
  }
  return {
    ...c,
    timeline: append(
      c.timeline,
      entry(deps.clock, {
        step: 'PrepareRung',
        kind: 'evidence',
        instanceId: id,
        summary,
        ...(detail ? { detail } : {}),
      }),
    ),
  };
}

/** The terminal rung: a person gets a high-severity page with the evidence and what was tried. */
export async function page(
  c: InstanceCase,
  deps: { notifier: NotifierPort; clock: Clock },
): Promise<InstanceCase> {
  const { actionError: _handled, ...rest } = c;
  let k: InstanceCase = { ...rest, pending: null };
  if (c.actionError) {
    // An action Task failed unexpectedly: record it against the rung, then hand over to a person.
    k = recordAction(
      k,
      deps.clock,
      c.action ?? 'page',
      'failed',
      `${c.action ?? 'action'} failed: ${c.actionError.Error}: ${String(c.actionError.Cause ?? '').slice(0, 300)}`,
    );
  }
  const tried = k.actions.filter((a) => a.kind !== 'page');
  const why = pageWhy({
    actions: k.actions,
    outcome: k.outcome,
    leftStopped: c.leftStopped,
    cause: c.assessment?.cause,
  });
  const checks = [...(c.evidence?.ec2.checks ?? []), ...(c.evidence?.reachability.checks ?? [])];
  // A stop/start that left the instance down is what the person must hear first (subject and body).
  const left = c.leftStopped ? leftStoppedHeadline(c.target.instanceId, c.leftStopped) : null;
  await deps.notifier.publish({
    subject: left
      ? `[medic] PAGE: ${left}`
      : `[medic] PAGE: ${who(c)} needs a person — ${c.assessment?.classification ?? 'unknown'}`,
    body: [
      ...(left ? [`${left}. Start it (or restore it) by hand: medic will not try again.`] : []),
      `medic is handing incident ${c.incidentId} to a person.`,
      `Instance: ${who(c)}`,
      `Why: ${why}`,
      `Assessment: ${c.assessment?.classification ?? 'unknown'} — ${c.assessment?.reasons.join('; ') ?? ''}`,
      `Plan: ${c.assessment?.plan.join(' → ') ?? 'none'}`,
      'Tried:',
      ...(tried.length
        ? tried.map((a) => `  - ${a.at} ${a.kind}: ${a.outcome} — ${a.detail}`)
        : ['  - nothing']),
      'Evidence:',
      ...(checks.length
        ? checks.map((x) => `  - ${x.name}: ${x.value} [${x.status}]`)
        : ['  - none gathered']),
      c.settings.executionUrl ? `Execution: ${c.settings.executionUrl}` : '',
    ]
      .filter(Boolean)
      .join('\n'),
    severity: 'critical',
    attributes: {
      event: 'page',
      incident: c.incidentId,
      instance: c.target.instanceId,
      ...placeAttributes(c),
    },
  });
  k = recordAction(k, deps.clock, 'page', 'paged', `paged on-call: ${why}`);
  return { ...k, next: 'done', outcome: k.outcome ?? 'escalated' };
}
