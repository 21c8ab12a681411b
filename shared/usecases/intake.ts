/**
 * Intake: normalise the trigger, resolve it to instances, read their medic:* tags, and open the
 * incident. Everything here happens before any acknowledgement, so it stays cheap: one
 * DescribeInstances for all targets.
 */

import { DEFAULT_AUTONOMY, formatAutonomy, runMode } from '../domain/autonomy.ts';
import type { IncidentState, InstanceCase, Mode, Settings } from '../domain/model.ts';
import { episodeKey, normalise } from '../domain/normalise.ts';
import type { IgnoredKind } from '../domain/scope.ts';
import { targetFromInstance } from '../domain/target.ts';
import { type Clock, entry } from '../domain/timeline.ts';
import { EventTooLargeError, InvalidTriggerError } from '../errors.ts';
import type { AutoScalingPort, Ec2Port, SafetyStorePort } from '../ports.ts';
import { activeStorm, type StormMemo, stormLabel } from './guard.ts';

export const MAX_TARGETS = 20;

export interface IntakeDeps {
  ec2: Ec2Port;
  autoScaling: AutoScalingPort;
  clock: Clock;
  settings: Settings;
  defaultPorts: number[];
  /**
   * The deploy-wide mode (MEDIC_MODE): alarm-started runs run in it, and a manual run's own mode
   * can only make a run stricter, never looser. Absent: auto.
   */
  deployMode?: Mode;
  /** Issue #5/#8: dedupe and the storm check, before any AWS lookup (absent: Admit does both). */
  gate?: IntakeGate;
}

/**
 * What Intake settles before it looks anything up. In an alarm storm most deliveries are
 * duplicates (EventBridge is at-least-once) or members of a storm already declared: each of those
 * ends here after one or two reads of the safety table, with no EC2 call and no lock.
 */
export interface IntakeGate {
  executionId: string;
  store: Pick<SafetyStorePort, 'claimEpisode' | 'stormsAt'>;
  fleetWindowMs: number;
  /** A storm this process has already seen (kept by the handler across invocations). */
  memo?: StormMemo;
}

// ---- issue #5: intake hardening (size, hostile text, OK transitions) ----

/** Far below the 256 KB Step Functions payload limit, so an accepted event always fits the state. */
export const MAX_EVENT_CHARS = 128_000;
const MAX_ALARM_NAME = 255;
const MAX_REASON = 2_000;

function eventSize(event: unknown): number {
  try {
    return JSON.stringify(event)?.length ?? 0;
  } catch (error) {
    throw new InvalidTriggerError(`the event cannot be serialised as JSON: ${(error as Error).message}`);
  }
}

/** Control characters would corrupt notifications and logs; text is otherwise kept verbatim. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
const MULTI_LINE_CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
const SINGLE_LINE_CONTROL = /[\u0000-\u001F\u007F\u2028\u2029]/g;

function clip(text: string, max: number, singleLine = false): string {
  const control = singleLine ? SINGLE_LINE_CONTROL : MULTI_LINE_CONTROL;
  const clean = text.replace(control, ' ');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** A CloudWatch transition out of ALARM: closes nothing by itself, but is noted on the open incident. */
function okTransition(event: unknown, deps: IntakeDeps): IncidentState | null {
  const e = event as {
    resources?: unknown;
    detail?: {
      alarmName?: unknown;
      state?: { value?: unknown; timestamp?: unknown };
      configuration?: { metrics?: { metricStat?: { metric?: { dimensions?: Record<string, unknown> } } }[] };
    };
  };
  const name = e.detail?.alarmName;
  const at = e.detail?.state?.timestamp;
  if (typeof name !== 'string' || typeof at !== 'string' || Number.isNaN(Date.parse(at))) return null;
  const metrics = Array.isArray(e.detail?.configuration?.metrics) ? e.detail.configuration.metrics : [];
  const instanceIds = [
    ...new Set(
      metrics.flatMap((m) => {
        const id = m?.metricStat?.metric?.dimensions?.InstanceId;
        return typeof id === 'string' && /^i-[0-9a-f]{8,17}$/.test(id) ? [id] : [];
      }),
    ),
  ];
  const arn = Array.isArray(e.resources)
    ? e.resources.find((r): r is string => typeof r === 'string' && r.includes(':alarm:'))
    : undefined;
  const key = episodeKey('ok', arn ?? name, at, name);
  const alarmName = clip(name, MAX_ALARM_NAME, true);
  return {
    incidentId: key,
    trigger: {
      source: 'cloudwatch-alarm',
      episodeKey: key,
      alarmName,
      alarmArn: arn,
      reason: `alarm moved to ${clip(String(e.detail?.state?.value), 40)}`,
      datapoints: [],
      enteredAlarmAt: new Date(at).toISOString(),
      instanceIds,
      autoScalingGroupNames: [],
      mode: 'auto',
    },
    settings: deps.settings,
    targets: [],
    timeline: [],
    cases: [],
    admission: { disposition: 'closed', detail: `alarm ${alarmName} left ALARM`, locks: [], executionId: '' },
  };
}

/**
 * A well-formed alarm that names nothing medic can look at (an RDS or billing alarm, a
 * target-tracking alarm, medic's own alarm, an instance that is gone, an empty group): the run ends
 * quietly at the NotForMedic state — a log line and a metric, no ticket, no page. Malformed input
 * is different: it still fails with its named error and goes through CloseAfterFailure.
 */
export interface NotForMedic {
  notForMedic: { kind: IgnoredKind; reason: string; alarmName: string | null; source: string | null };
}

export function isNotForMedic(value: unknown): value is NotForMedic {
  return typeof value === 'object' && value !== null && 'notForMedic' in value;
}

function quietEnd(
  kind: IgnoredKind,
  reason: string,
  alarmName: string | null,
  source: string | null,
): NotForMedic {
  return {
    notForMedic: {
      kind,
      reason,
      alarmName: alarmName ? clip(alarmName, MAX_ALARM_NAME, true) : null,
      source,
    },
  };
}

function alarmNameOf(event: unknown): string | null {
  const name = (event as { detail?: { alarmName?: unknown } } | null)?.detail?.alarmName;
  return typeof name === 'string' ? name : null;
}

export async function intake(event: unknown, deps: IntakeDeps): Promise<IncidentState | NotForMedic> {
  const { clock } = deps;
  const size = eventSize(event);
  if (size > MAX_EVENT_CHARS) {
    throw new EventTooLargeError(
      `the event is ${size} characters of JSON; medic accepts at most ${MAX_EVENT_CHARS} (an alarm event is a few KB)`,
    );
  }
  let normalised: ReturnType<typeof normalise>;
  try {
    normalised = normalise(event, clock());
  } catch (error) {
    const e = error as Error & { kind?: string };
    if (e.name === 'NoTargetError' || e.name === 'NotForMedicError') {
      const kind = (e.name === 'NoTargetError' ? 'no-target' : e.kind) as IgnoredKind;
      return quietEnd(kind, e.message, alarmNameOf(event), 'cloudwatch-alarm');
    }
    const ok = e.name === 'NotAnAlarmTransitionError' ? okTransition(event, deps) : null;
    if (ok) return ok;
    throw error;
  }
  const requested = normalised.mode;
  const trigger = {
    ...normalised,
    mode: runMode(deps.deployMode ?? 'auto', requested),
    ...(normalised.alarmName ? { alarmName: clip(normalised.alarmName, MAX_ALARM_NAME, true) } : {}),
    reason: clip(normalised.reason, MAX_REASON),
  };
  if (deps.gate) {
    const held = await gate(trigger, deps.gate, deps);
    if (held) return held;
  }
  const fromGroups = await deps.autoScaling.inServiceInstances(trigger.autoScalingGroupNames);
  const ids = [...new Set([...trigger.instanceIds, ...fromGroups])];
  // A person who asked for a run is told what went wrong; an alarm that points at nothing is not paged.
  const byAlarm = trigger.source !== 'manual';
  if (ids.length === 0) {
    const reason = `no InService instance in auto scaling group(s) ${trigger.autoScalingGroupNames.join(', ')}: nothing to look at`;
    return quietEnd(byAlarm ? 'empty-group' : 'no-target', reason, trigger.alarmName ?? null, trigger.source);
  }
  const chosen = ids.slice(0, MAX_TARGETS);
  let found: Awaited<ReturnType<IntakeDeps['ec2']['describeInstances']>>;
  try {
    found = await deps.ec2.describeInstances(chosen);
  } catch (error) {
    if (!byAlarm || (error as Error).name !== 'InstanceNotFoundError') throw error;
    return quietEnd(
      'instance-not-found',
      (error as Error).message,
      trigger.alarmName ?? null,
      trigger.source,
    );
  }
  const targets = found.map((i) => targetFromInstance(i, deps.defaultPorts));
  const what = trigger.alarmName ? `alarm ${trigger.alarmName}` : `manual run by ${trigger.requestedBy}`;
  const timeline = [
    entry(clock, {
      step: 'Intake',
      kind: 'alarm',
      summary: `${what}: ${trigger.reason || 'no reason given'}`,
      detail: { enteredAlarmAt: trigger.enteredAlarmAt, source: trigger.source, mode: trigger.mode },
    }),
    entry(clock, {
      step: 'Intake',
      kind: 'note',
      summary: `targets: ${targets.map((t) => `${t.instanceId}${t.name ? ` (${t.name})` : ''}${t.managed ? '' : ' [not opted in]'}`).join(', ')}`,
    }),
  ];
  // Only a run that is not fully automatic says so here; the plan (Assess) shows each rung's mode.
  if (trigger.mode !== 'auto') {
    timeline.push(
      entry(clock, {
        step: 'Intake',
        kind: 'note',
        summary: `mode ${trigger.mode}${trigger.mode === requested ? '' : ` (deploy-wide MEDIC_MODE=${deps.deployMode}; the run asked for ${requested}, and a run may only be stricter)`}`,
        detail: {
          mode: trigger.mode,
          requestedMode: requested,
          autonomy: formatAutonomy(deps.settings.autonomy ?? DEFAULT_AUTONOMY),
        },
      }),
    );
  }
  if (ids.length > chosen.length) {
    timeline.push(
      entry(clock, {
        step: 'Intake',
        kind: 'note',
        summary: `${ids.length - chosen.length} more instances alarmed than the ${MAX_TARGETS} one incident handles; they were not investigated`,
      }),
    );
  }
  const cases: InstanceCase[] = targets.map((target) => ({
    incidentId: trigger.episodeKey,
    mode: trigger.mode,
    settings: deps.settings,
    target,
    evidence: null,
    assessment: null,
    rung: 0,
    pollsLeft: 0,
    lastActionAt: null,
    next: 'act',
    action: null,
    pending: null,
    approval: null,
    verifyProbe: null,
    verifySeen: {},
    actions: [],
    outcome: null,
    timeline: [],
    alarm: {
      name: trigger.alarmName ?? null,
      reason: trigger.reason,
      datapoints: trigger.datapoints.slice(-10),
      threshold: trigger.threshold ?? null,
      enteredAlarmAt: trigger.enteredAlarmAt,
    },
  }));
  return {
    incidentId: trigger.episodeKey,
    trigger,
    settings: deps.settings,
    targets,
    timeline,
    cases,
    ...(deps.gate ? { episodeClaimedBy: deps.gate.executionId } : {}),
  };
}

/** Claims the episode; a duplicate, or an alarm during a declared storm, ends the run here. */
async function gate(
  trigger: IncidentState['trigger'],
  g: IntakeGate,
  deps: IntakeDeps,
): Promise<IncidentState | null> {
  const { clock } = deps;
  const decided = (
    disposition: 'duplicate' | 'storm',
    detail: string,
    summary: string,
    kind: 'decision' | 'escalation',
  ): IncidentState => ({
    incidentId: trigger.episodeKey,
    trigger,
    settings: deps.settings,
    targets: [],
    timeline: [entry(clock, { step: 'Intake', kind, summary })],
    cases: [],
    admission: { disposition, detail, locks: [], executionId: g.executionId },
    episodeClaimedBy: g.executionId,
    settledBy: 'Intake',
  });
  const claim = await g.store.claimEpisode(trigger.episodeKey, g.executionId, clock());
  if (claim === 'duplicate') {
    return decided(
      'duplicate',
      `episode ${trigger.episodeKey} is already handled`,
      `duplicate delivery of episode ${trigger.episodeKey}: already handled by another execution, ending here`,
      'decision',
    );
  }
  const storm = await activeStorm({
    store: g.store,
    clock,
    settings: { fleetWindowMs: g.fleetWindowMs },
    memo: g.memo,
  });
  if (!storm) return null;
  const minutes = Math.round(g.fleetWindowMs / 60_000);
  return decided(
    'storm',
    `fleet guard: storm ${stormLabel(storm)} in progress`,
    `held by the fleet guard: storm ${stormLabel(storm)} was declared less than ${minutes} min ago (already paged); medic looks up and acts on no new alarm until it ends`,
    'escalation',
  );
}
