/**
 * Intake, the read-only half of Admit: normalise the trigger, resolve it to instances, read their
 * medic:* tags and build the incident. No claim, no lock, no notice here (admission decides those,
 * shared/usecases/admit.ts), so the local pre-flight can run it on its own. One DescribeInstances
 * for all targets.
 */

import { DEFAULT_AUTONOMY, formatAutonomy, runMode } from '../domain/autonomy.ts';
import { type HealthSignal, isHealthEvent } from '../domain/health.ts';
import type { IncidentState, InstanceCase, Mode, Settings, Target } from '../domain/model.ts';
import { episodeKey, normalise, readHealth } from '../domain/normalise.ts';
import type { IgnoredKind } from '../domain/scope.ts';
import { targetFromInstance } from '../domain/target.ts';
import { type Clock, entry } from '../domain/timeline.ts';
import { EventTooLargeError, InstanceNotFoundError, InvalidTriggerError } from '../errors.ts';
import { type Home, whereOfAlarmArn } from '../policy/org.ts';
import type { AutoScalingPort, Ec2Port } from '../ports.ts';

export const MAX_TARGETS = 20;

export interface IntakeDeps {
  ec2: Pick<Ec2Port, 'describeInstances'>;
  autoScaling: AutoScalingPort;
  clock: Clock;
  settings: Settings;
  defaultPorts: number[];
  /**
   * The deploy-wide mode (MEDIC_MODE): alarm-started runs run in it, and a manual run's own mode
   * can only make a run stricter, never looser. Absent: auto.
   */
  deployMode?: Mode;
  /** The central deployment's account and region: the run's own when the trigger names none. */
  home?: Home;
  /**
   * The lookups in the alarm's own account and region (shared/aws-clients.ts); absent: `ec2` and
   * `autoScaling` as given. A MemberAccountError from it leaves the targets observed only.
   */
  lookupsIn?: (where: {
    account?: string | undefined;
    region?: string | undefined;
    incidentId: string;
  }) => Promise<Pick<IntakeDeps, 'ec2' | 'autoScaling'>>;
  /** MEDIC_MAINTENANCE_WINDOW as read: a planned incident keeps the window it started with. */
  plannedWindow?: string | null;
}

/**
 * The account and region the alarm is in: the event's own (EventBridge `account`/`region`), else
 * the alarm ARN's, else the central deployment's. Cases act, and their bounds are kept, there.
 */
function placed<T extends { account?: string; region?: string; alarmArn?: string }>(
  trigger: T,
  home: Home | undefined,
): T {
  const arn = whereOfAlarmArn(trigger.alarmArn);
  const account = trigger.account || arn.account || home?.account;
  const region = trigger.region || arn.region || home?.region;
  return { ...trigger, ...(account ? { account } : {}), ...(region ? { region } : {}) };
}

// ---- hardening: size, hostile text, OK transitions ----

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
function okTransition(event: unknown, deps: Pick<IntakeDeps, 'settings' | 'home'>): IncidentState | null {
  const e = event as {
    account?: unknown;
    region?: unknown;
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
    trigger: placed(
      {
        source: 'cloudwatch-alarm',
        episodeKey: key,
        alarmName,
        alarmArn: arn,
        reason: `alarm moved to ${clip(String(e.detail?.state?.value), 40)}`,
        datapoints: [],
        enteredAlarmAt: new Date(at).toISOString(),
        instanceIds,
        autoScalingGroupNames: [],
        mode: 'auto' as const,
        ...(typeof e.account === 'string' ? { account: e.account } : {}),
        ...(typeof e.region === 'string' ? { region: e.region } : {}),
      },
      deps.home,
    ),
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

/** What the trigger is, before any lookup: an alarm to admit, an OK transition, or not medic's. */
export type ReadTrigger =
  | { kind: 'alarm'; trigger: IncidentState['trigger']; requested: Mode }
  | { kind: 'ok-transition'; state: IncidentState }
  | { kind: 'not-for-medic'; quiet: NotForMedic }
  /** An AWS Health issue or recovery outcome: remembered by Admit, noted on open incidents. */
  | { kind: 'health'; signal: HealthNote; state: IncidentState };

export type HealthNote = Extract<HealthSignal, { kind: 'issue' | 'recovered' }>;

/** The run's record of a Health note: like an OK transition, it ends at NotANewIncident. */
function healthNoteState(signal: HealthNote, deps: Pick<IntakeDeps, 'settings'>, now: Date): IncidentState {
  const code = signal.kind === 'issue' ? signal.issue.eventTypeCode : signal.eventTypeCode;
  const arn = signal.kind === 'issue' ? signal.issue.eventArn : code;
  const at = signal.kind === 'issue' ? signal.issue.since : signal.at;
  const state = signal.kind === 'issue' ? (signal.open ? 'open' : 'closed') : signal.outcome;
  const instanceIds =
    signal.kind === 'recovered'
      ? signal.instanceIds
      : signal.scopes.flatMap((s) => (s.kind === 'instance' ? [s.instanceId] : []));
  // Each status of a Health event is its own delivery (open, then closed).
  const key = episodeKey('aws', `${arn}|${state}|${instanceIds.join(',')}`, at || now.toISOString(), code);
  return {
    incidentId: key,
    trigger: {
      source: 'aws-health',
      episodeKey: key,
      alarmName: `AWS Health ${code}`,
      reason: `AWS Health ${code} ${state}`,
      datapoints: [],
      enteredAlarmAt: at || now.toISOString(),
      instanceIds,
      autoScalingGroupNames: [],
      mode: 'auto',
    },
    settings: deps.settings,
    targets: [],
    timeline: [],
    cases: [],
  };
}

/** Size check and normalisation (pure but for the clock): throws the named error of bad input. */
export function readTrigger(
  event: unknown,
  deps: Pick<IntakeDeps, 'clock' | 'settings' | 'deployMode' | 'home'>,
): ReadTrigger {
  const size = eventSize(event);
  if (size > MAX_EVENT_CHARS) {
    throw new EventTooLargeError(
      `the event is ${size} characters of JSON; medic accepts at most ${MAX_EVENT_CHARS} (an alarm event is a few KB)`,
    );
  }
  if (isHealthEvent(event)) {
    const signal = readHealth(event, deps.clock());
    if (signal.kind === 'issue' || signal.kind === 'recovered')
      return { kind: 'health', signal, state: healthNoteState(signal, deps, deps.clock()) };
  }
  let normalised: ReturnType<typeof normalise>;
  try {
    normalised = normalise(event, deps.clock());
  } catch (error) {
    const e = error as Error & { kind?: string };
    if (e.name === 'NoTargetError' || e.name === 'NotForMedicError') {
      const kind = (e.name === 'NoTargetError' ? 'no-target' : e.kind) as IgnoredKind;
      return {
        kind: 'not-for-medic',
        quiet: quietEnd(
          kind,
          e.message,
          alarmNameOf(event),
          isHealthEvent(event) ? 'aws-health' : 'cloudwatch-alarm',
        ),
      };
    }
    const ok = e.name === 'NotAnAlarmTransitionError' ? okTransition(event, deps) : null;
    if (ok) return { kind: 'ok-transition', state: ok };
    throw error;
  }
  const requested = normalised.mode;
  const trigger = {
    ...placed(normalised, deps.home),
    mode: runMode(deps.deployMode ?? 'auto', requested),
    ...(normalised.alarmName ? { alarmName: clip(normalised.alarmName, MAX_ALARM_NAME, true) } : {}),
    reason: clip(normalised.reason, MAX_REASON),
  };
  return { kind: 'alarm', trigger, requested };
}

/** The instances the trigger names, looked up: at most MAX_TARGETS, with their medic:* tags. */
export type ResolvedTargets =
  /** unreachable: why the alarm's account could not be read (its targets are then observed only). */
  | { kind: 'found'; targets: Target[]; alarmed: number; unreachable?: string }
  | { kind: 'empty-group'; reason: string }
  | { kind: 'instance-not-found'; reason: string };

export async function resolveTargets(
  trigger: IncidentState['trigger'],
  deps: Pick<IntakeDeps, 'ec2' | 'autoScaling' | 'defaultPorts' | 'lookupsIn'>,
): Promise<ResolvedTargets> {
  let lookups: Pick<IntakeDeps, 'ec2' | 'autoScaling'> = deps;
  if (deps.lookupsIn) {
    try {
      lookups = await deps.lookupsIn({
        account: trigger.account,
        region: trigger.region,
        incidentId: trigger.episodeKey,
      });
    } catch (error) {
      if ((error as Error).name !== 'MemberAccountError') throw error;
      return unreachableTargets(trigger, (error as Error).message);
    }
  }
  const fromGroups = await lookups.autoScaling.inServiceInstances(trigger.autoScalingGroupNames);
  const ids = [...new Set([...trigger.instanceIds, ...fromGroups])];
  if (ids.length === 0) {
    return {
      kind: 'empty-group',
      reason: `no InService instance in auto scaling group(s) ${trigger.autoScalingGroupNames.join(', ')}: nothing to look at`,
    };
  }
  try {
    const found = await lookups.ec2.describeInstances(ids.slice(0, MAX_TARGETS));
    return {
      kind: 'found',
      targets: found.map((i) => targetFromInstance(i, deps.defaultPorts)),
      alarmed: ids.length,
    };
  } catch (error) {
    if ((error as Error).name !== 'InstanceNotFoundError') throw error;
    return { kind: 'instance-not-found', reason: (error as Error).message };
  }
}

/**
 * The alarm's account cannot be read (not served, or its member role cannot be assumed): the
 * instances the alarm names become observed-only targets — nothing known about them, never acted
 * on — so the run records why, files the ticket and pages. An alarm that names only a group has
 * no instance to name: it ends as one whose instance is not found.
 */
function unreachableTargets(trigger: IncidentState['trigger'], why: string): ResolvedTargets {
  const ids = trigger.instanceIds.slice(0, MAX_TARGETS);
  if (ids.length === 0) return { kind: 'instance-not-found', reason: why };
  return {
    kind: 'found',
    alarmed: trigger.instanceIds.length,
    unreachable: why,
    targets: ids.map((instanceId) => ({
      instanceId,
      name: null,
      managed: false,
      state: 'unknown',
      availabilityZone: null,
      instanceType: null,
      privateIp: null,
      service: null,
      probe: { address: null, ports: [], sshPort: null, healthUrl: null },
    })),
  };
}

/** A quiet end for an alarm whose targets cannot be looked at (a person's run fails instead). */
export function targetsNotForMedic(
  trigger: IncidentState['trigger'],
  kind: IgnoredKind,
  reason: string,
): NotForMedic {
  return quietEnd(kind, reason, trigger.alarmName ?? null, trigger.source);
}

/** The incident as Investigate takes it: the trigger, its targets, one case per target. */
export function openedState(
  trigger: IncidentState['trigger'],
  requested: Mode,
  resolved: Extract<ResolvedTargets, { kind: 'found' }>,
  deps: Pick<IntakeDeps, 'clock' | 'settings' | 'deployMode' | 'plannedWindow'>,
): IncidentState {
  const { clock } = deps;
  const { targets } = resolved;
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
      summary: `targets: ${targets.map((t) => `${t.instanceId}${t.name ? ` (${t.name})` : ''}${t.managed ? '' : ' [not opted in]'}`).join(', ')}${trigger.account ? ` in account ${trigger.account}${trigger.region ? `, region ${trigger.region}` : ''}` : ''}`,
      detail: {
        ...(trigger.account ? { account: trigger.account } : {}),
        ...(trigger.region ? { region: trigger.region } : {}),
        availabilityZones: [
          ...new Set(targets.flatMap((t) => (t.availabilityZone ? [t.availabilityZone] : []))),
        ],
      },
    }),
  ];
  if (resolved.unreachable) {
    timeline.push(
      entry(clock, {
        step: 'Intake',
        kind: 'escalation',
        summary: `${resolved.unreachable}; nothing is read or done there: observed only, a person is paged`,
        detail: { account: trigger.account ?? null, region: trigger.region ?? null },
      }),
    );
  }
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
  if (resolved.alarmed > targets.length) {
    timeline.push(
      entry(clock, {
        step: 'Intake',
        kind: 'note',
        summary: `${resolved.alarmed - targets.length} more instances alarmed than the ${MAX_TARGETS} one incident handles; they were not investigated`,
      }),
    );
  }
  if (trigger.health) {
    timeline.push(
      entry(clock, {
        step: 'Intake',
        kind: 'note',
        summary: `planned incident: AWS ${trigger.health.eventTypeCode}, deadline ${trigger.health.deadline ?? 'not given by AWS'}; planned-work window ${deps.plannedWindow || 'none (MEDIC_MAINTENANCE_WINDOW)'}`,
        detail: { eventArn: trigger.health.eventArn, deadline: trigger.health.deadline },
      }),
    );
  }
  const planned = trigger.health ? { ...trigger.health, window: deps.plannedWindow ?? null } : undefined;
  const cases: InstanceCase[] = targets.map((target) => ({
    ...(planned ? { planned } : {}),
    incidentId: trigger.episodeKey,
    ...(trigger.account ? { account: trigger.account } : {}),
    ...(trigger.region ? { region: trigger.region } : {}),
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
      ...(trigger.prometheusInstance ? { prometheusInstance: trigger.prometheusInstance } : {}),
    },
    ...(trigger.account ? { account: trigger.account } : {}),
    ...(trigger.region ? { region: trigger.region } : {}),
  }));
  return { incidentId: trigger.episodeKey, trigger, settings: deps.settings, targets, timeline, cases };
}

/**
 * Read-only intake (the local pre-flight): what the incident would be, or why the run would end
 * quietly; bad input throws its named error. Admit runs the same steps with admission between them.
 */
export async function intake(event: unknown, deps: IntakeDeps): Promise<IncidentState | NotForMedic> {
  const read = readTrigger(event, deps);
  if (read.kind === 'ok-transition' || read.kind === 'health') return read.state;
  if (read.kind === 'not-for-medic') return read.quiet;
  const resolved = await resolveTargets(read.trigger, deps);
  if (resolved.kind === 'found') return openedState(read.trigger, read.requested, resolved, deps);
  // A person who asked for a run is told what went wrong; an alarm that points at nothing is not paged.
  const byAlarm = read.trigger.source !== 'manual';
  if (resolved.kind === 'instance-not-found' && !byAlarm) throw new InstanceNotFoundError(resolved.reason);
  const kind = resolved.kind === 'empty-group' && !byAlarm ? 'no-target' : resolved.kind;
  return targetsNotForMedic(read.trigger, kind, resolved.reason);
}
