/**
 * Every bound on what medic may do to an instance, once. Pure: the facts (the clock's `now`, the
 * safety store's counts, the kill switch as read, the fleet verdict) are gathered by the use case
 * and passed in; nothing here reads a clock, a table or a parameter.
 *
 * Order matters: the cheapest and most absolute bounds first (opt-in, freeze, maintenance, fleet),
 * then the ones that steer (AWS scheduled events), then the per-instance history (cooldown, flap,
 * budget). The first bound that holds decides, and its effect says what becomes of the case:
 * `hold` stops quietly, `page` hands over to a person, `skip` tries the next rung.
 */
import type { AutonomyLevel } from '../domain/autonomy.ts';
import type { ActionKind } from '../domain/model.ts';

export interface MaintenanceWindow {
  /** Weekly window in UTC (day 0 = Sunday) or an absolute interval. */
  kind: 'weekly' | 'interval';
  day?: number;
  startMinute?: number;
  endMinute?: number;
  start?: number;
  end?: number;
  text: string;
}

export type Bound =
  | 'opt-in'
  | 'change-freeze'
  | 'maintenance'
  | 'fleet'
  | 'aws-recovering'
  | 'planned-window'
  | 'scheduled-event'
  | 'cooldown'
  | 'flap'
  | 'budget'
  | 'autonomy'
  | 'pause';

/** What becomes of the case when a bound holds its action back. */
export type Effect = 'hold' | 'page' | 'skip';

export interface Held {
  bound: Bound;
  reason: string;
  effect: Effect;
}

/** The settings the bounds read (MEDIC_* through the validated config). */
export interface BoundSettings {
  budgetActions: number;
  budgetWindowMs: number;
  cooldownMs: number;
  flapEpisodes: number;
  flapWindowMs: number;
  changeFreeze: boolean;
  maintenanceWindows: MaintenanceWindow[];
}

/** The instance's history in the safety store, read for one decision. */
export interface History {
  lastClosed: Date | null;
  /** Incidents of this instance inside the flap window. */
  episodes: number;
  /** Automatic actions on this instance inside the budget window (this step's own claim excluded). */
  actionsUsed: number;
}

/** Everything the safety bounds need to judge one mutating action on one instance. */
export interface SafetyFacts {
  now: Date;
  instanceId: string;
  managed: boolean;
  /** The instance's medic:maintenance tag. */
  maintenanceTag: string | null | undefined;
  /** AWS scheduled events on the instance (codes), from the EC2 evidence. */
  scheduledEvents: string[];
  /** The fleet guard's verdict (why it tripped), or null. The use case trips the storm when it holds. */
  fleet: { why: string } | null;
  /**
   * AWS Health issues open now for the instance, its zone or EC2 in its region (the safety store's
   * memory of the Health events). Absent: none known.
   */
  awsIssues?: { scope: string; eventTypeCode: string; since: string; summary: string }[];
  history: History;
  settings: BoundSettings;
}

/** The kill switch as the use case read it: a pause, none, or a read that failed. */
export type PauseRead =
  | { paused: { by: string; at: string; reason: string; source: string } | null }
  | { unreadable: { name: string; message: string } };

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** `sun 02:00-04:00` (weekly, UTC) or `2026-11-25T14:00:00Z/2026-11-25T16:00:00Z`; comma-separated. */
export function parseMaintenanceWindows(text: string): MaintenanceWindow[] {
  const out: MaintenanceWindow[] = [];
  if (text.trim().toLowerCase() === 'none') return out;
  for (const raw of text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)) {
    const weekly = /^(sun|mon|tue|wed|thu|fri|sat)\s+(\d{2}):(\d{2})-(\d{2}):(\d{2})$/i.exec(raw);
    if (weekly) {
      const [, day = '', h1, m1, h2, m2] = weekly;
      out.push({
        kind: 'weekly',
        day: DAYS.indexOf(day.toLowerCase()),
        startMinute: Number(h1) * 60 + Number(m1),
        endMinute: Number(h2) * 60 + Number(m2),
        text: raw,
      });
      continue;
    }
    const [a, b] = raw.split('/');
    const start = Date.parse(a ?? '');
    const end = Date.parse(b ?? '');
    if (Number.isNaN(start) || Number.isNaN(end) || end <= start) {
      throw new Error(
        `invalid maintenance window "${raw}": use "sun 02:00-04:00" (UTC) or "<ISO start>/<ISO end>"`,
      );
    }
    out.push({ kind: 'interval', start, end, text: raw });
  }
  return out;
}

export function activeWindow(windows: MaintenanceWindow[], now: Date): MaintenanceWindow | null {
  const minute = now.getUTCHours() * 60 + now.getUTCMinutes();
  return (
    windows.find((w) =>
      w.kind === 'interval'
        ? now.getTime() >= (w.start ?? 0) && now.getTime() < (w.end ?? 0)
        : now.getUTCDay() === w.day && minute >= (w.startMinute ?? 0) && minute < (w.endMinute ?? 0),
    ) ?? null
  );
}

/** `medic:maintenance=true`, or an ISO time until which the instance is in maintenance. */
export function tagHoldsActions(tag: string | null | undefined, now: Date): boolean {
  if (!tag) return false;
  if (tag.trim().toLowerCase() === 'true') return true;
  const until = Date.parse(tag);
  return !Number.isNaN(until) && until > now.getTime();
}

/** Opt-in: medic acts only on instances tagged medic:managed=true; the others go to a person. */
export function optInBound(instanceId: string, managed: boolean): Held | null {
  return managed
    ? null
    : { bound: 'opt-in', reason: `${instanceId} is not tagged medic:managed=true`, effect: 'page' };
}

/**
 * The per-action autonomy (MEDIC_AUTONOMY, made stricter by the run's mode): `off` means the team
 * never wants medic to do this, which is not a failure — the ladder moves on to the next rung.
 */
export function autonomyBound(action: ActionKind, level: AutonomyLevel): Held | null {
  if (level !== 'off') return null;
  return {
    bound: 'autonomy',
    reason: `autonomy for ${action} is off (MEDIC_AUTONOMY), so medic never does it`,
    effect: 'skip',
  };
}

/**
 * The kill switch. A switch that cannot be read (access denied, a value that is not medic's) holds
 * too: medic cannot prove it may act, so it fails closed. (A transient read failure never reaches
 * here: the use case rethrows it so the Task's Retry reads again.)
 */
export function pauseBound(read: PauseRead): Held | null {
  if ('unreadable' in read) {
    const e = read.unreadable;
    return {
      bound: 'pause',
      reason: `could not read the kill switch (${e.name}: ${e.message.slice(0, 200)}): failing closed, medic takes no action it cannot prove is allowed`,
      effect: 'page',
    };
  }
  const p = read.paused;
  if (!p) return null;
  return {
    bound: 'pause',
    reason: `medic is paused by ${p.by} since ${p.at}: "${p.reason}" (${p.source}); \`medic resume\` lifts it`,
    effect: 'page',
  };
}

/**
 * The safety bounds before a mutating call, in order; the first that holds decides. Opt-in is the
 * same rule as optInBound (it is checked again here because the facts may come from a later read).
 */
export function safetyBound(action: ActionKind, f: SafetyFacts): Held | null {
  const { settings, now } = f;
  const id = f.instanceId;
  const optIn = optInBound(id, f.managed);
  if (optIn) return optIn;
  if (settings.changeFreeze) {
    return { bound: 'change-freeze', reason: 'a change freeze is on (MEDIC_CHANGE_FREEZE)', effect: 'hold' };
  }
  const window = activeWindow(settings.maintenanceWindows, now);
  if (window) {
    return { bound: 'maintenance', reason: `maintenance window ${window.text} is active`, effect: 'hold' };
  }
  if (tagHoldsActions(f.maintenanceTag, now)) {
    return {
      bound: 'maintenance',
      reason: `${id} is in maintenance (tag medic:maintenance=${f.maintenanceTag})`,
      effect: 'hold',
    };
  }
  if (f.fleet) {
    return {
      bound: 'fleet',
      reason: `fleet guard: ${f.fleet.why} in incidents within the window`,
      effect: 'hold',
    };
  }
  const aws = awsRecoveringBound(id, f.awsIssues ?? []);
  if (aws) return aws;
  // A reboot stays on the same host: AWS's own scheduled maintenance makes it pointless, while a
  // stop/start (new hardware) or a failover still helps.
  if (f.scheduledEvents.length > 0 && action === 'reboot') {
    return {
      bound: 'scheduled-event',
      reason: `AWS declared ${f.scheduledEvents.join(', ')} for ${id}: a reboot will not help, trying the next rung`,
      effect: 'skip',
    };
  }
  const closed = f.history.lastClosed;
  if (closed && now.getTime() - closed.getTime() < settings.cooldownMs) {
    return {
      bound: 'cooldown',
      reason: `${id} had an incident closed at ${closed.toISOString()}, inside the ${Math.round(settings.cooldownMs / 60_000)} min cooldown`,
      effect: 'page',
    };
  }
  if (f.history.episodes >= settings.flapEpisodes) {
    return {
      bound: 'flap',
      reason: `${id} is flapping: ${f.history.episodes} incidents within ${Math.round(settings.flapWindowMs / 60_000)} min (limit ${settings.flapEpisodes})`,
      effect: 'page',
    };
  }
  if (f.history.actionsUsed >= settings.budgetActions) {
    return {
      bound: 'budget',
      reason: `${id} already had ${f.history.actionsUsed} automatic actions within ${Math.round(settings.budgetWindowMs / 3_600_000)} h (budget ${settings.budgetActions})`,
      effect: 'page',
    };
  }
  return null;
}

/** The windows the history reads cover, from `now` (the use case reads exactly these). */
export function historyWindows(now: Date, s: Pick<BoundSettings, 'flapWindowMs' | 'budgetWindowMs'>) {
  return {
    flapSince: new Date(now.getTime() - s.flapWindowMs),
    budgetSince: new Date(now.getTime() - s.budgetWindowMs),
  };
}

/**
 * AWS is working on it: an open AWS Health issue for the instance (its automatic recovery, an
 * operational issue naming it), its zone or EC2 in its region. A reboot or stop/start now would
 * fight AWS's own recovery (simplified automatic recovery does not even run while a service event
 * is open), so medic holds its own actions and says why; the Health event that closes the issue,
 * or the recovery's SUCCESS/FAILURE, lifts the hold.
 */
function zoneText(key: string): string {
  const [account, zone] = key.split('#');
  return zone ? `${zone} of account ${account}` : key;
}

export function awsRecoveringBound(
  instanceId: string,
  issues: { scope: string; eventTypeCode: string; since: string; summary: string }[],
): Held | null {
  const first = issues[0];
  if (!first) return null;
  const where = first.scope.startsWith('INSTANCE#')
    ? instanceId
    : first.scope.startsWith('AZ#')
      ? `zone ${zoneText(first.scope.slice(3))}`
      : `EC2 in ${first.scope.split('#')[1] ?? 'its region'}`;
  return {
    bound: 'aws-recovering',
    reason: `AWS is recovering ${where}: AWS Health ${first.eventTypeCode} open since ${first.since}${first.summary ? ` (${first.summary.slice(0, 160)})` : ''}${issues.length > 1 ? ` and ${issues.length - 1} more` : ''}; medic holds its own actions until AWS closes it`,
    effect: 'hold',
  };
}

// ---- planned incidents: AWS scheduled a change; medic stop/starts inside the planned-work window ----

/** One occurrence of a window: [start, end) in ms since the epoch. */
export interface WindowSpan {
  start: number;
  end: number;
}

/**
 * MEDIC_MAINTENANCE_WINDOW: when medic may do planned work (a stop/start ahead of an AWS retirement
 * or maintenance). Same forms as MEDIC_MAINTENANCE_WINDOWS (`sun 03:00-05:00`, weekly in UTC, an
 * optional trailing `UTC` allowed; or `<ISO start>/<ISO end>`), comma-separated; `none` or empty:
 * no planned window, so every planned incident is paged with its deadline.
 */
export function parsePlannedWindow(text: string | null | undefined): MaintenanceWindow[] {
  if (!text) return [];
  return parseMaintenanceWindows(
    text
      .split(',')
      .map((w) => w.trim().replace(/\s+utc$/i, ''))
      .join(','),
  );
}

/** The occurrences of the windows, in order, from the one holding `from` on, up to `until`. */
export function windowSpans(windows: MaintenanceWindow[], from: Date, until: number): WindowSpan[] {
  const spans: WindowSpan[] = [];
  const week = 7 * 86_400_000;
  for (const w of windows) {
    if (w.kind === 'interval') {
      spans.push({ start: w.start ?? 0, end: w.end ?? 0 });
      continue;
    }
    const dayStart = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate());
    const back = (from.getUTCDay() - (w.day ?? 0) + 7) % 7;
    // A window running past midnight (23:00-01:00) ends the next day.
    const length = (((w.endMinute ?? 0) - (w.startMinute ?? 0) + 1440) % 1440 || 1440) * 60_000;
    for (let t = dayStart - back * 86_400_000 + (w.startMinute ?? 0) * 60_000; t <= until; t += week) {
      spans.push({ start: t, end: t + length });
    }
  }
  return spans.filter((s) => s.end > from.getTime() && s.start < until).sort((a, b) => a.start - b.start);
}

/** What a planned incident does now: act inside the window, or hand over with the deadline. */
export type PlannedVerdict =
  | { kind: 'act'; window: WindowSpan }
  | { kind: 'next-window'; window: WindowSpan; deadline: string | null }
  | { kind: 'no-window'; deadline: string | null };

/**
 * The planned-work decision, pure. The stop/start happens inside a window that ends before AWS's
 * deadline (a window AWS's own change would cut short is no window); a later window than now is
 * named, and with none before the deadline a person must act, told the deadline. No deadline from
 * AWS: any window within the next 14 days will do.
 */
export function plannedVerdict(
  now: Date,
  deadline: string | null,
  windows: MaintenanceWindow[],
): PlannedVerdict {
  const due = deadline ? Date.parse(deadline) : Number.NaN;
  const until = Number.isNaN(due) ? now.getTime() + 14 * 86_400_000 : due;
  const spans = windowSpans(windows, now, until).filter((s) => Number.isNaN(due) || s.end <= due);
  const current = spans.find((s) => s.start <= now.getTime() && now.getTime() < s.end);
  if (current) return { kind: 'act', window: current };
  const next = spans.find((s) => s.start > now.getTime());
  return next ? { kind: 'next-window', window: next, deadline } : { kind: 'no-window', deadline };
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The gate in front of a planned incident's mutating rung: inside the window it lets the rung run
 * (autonomy and approval still apply); otherwise it pages with the deadline.
 */
export function plannedBound(
  planned: { eventTypeCode: string; deadline: string | null; window?: string | null | undefined },
  now: Date,
): Held | null {
  let windows: MaintenanceWindow[];
  try {
    windows = parsePlannedWindow(planned.window);
  } catch (error) {
    return {
      bound: 'planned-window',
      reason: `MEDIC_MAINTENANCE_WINDOW cannot be read (${(error as Error).message}): AWS ${planned.eventTypeCode} is due ${planned.deadline ?? 'at a time AWS did not give'}`,
      effect: 'page',
    };
  }
  const v = plannedVerdict(now, planned.deadline, windows);
  const due = planned.deadline ? `before AWS's deadline ${planned.deadline}` : 'AWS gave no deadline';
  if (v.kind === 'act') return null;
  if (v.kind === 'next-window') {
    return {
      bound: 'planned-window',
      reason: `AWS ${planned.eventTypeCode}: the next planned-work window is ${iso(v.window.start)}–${iso(v.window.end)}, ${due}; medic does not act outside it: stop/start the instance in that window (or run medic then)`,
      effect: 'page',
    };
  }
  return {
    bound: 'planned-window',
    reason: `AWS ${planned.eventTypeCode}: no planned-work window (MEDIC_MAINTENANCE_WINDOW=${planned.window || 'none'}) ends ${due}: a person must stop/start the instance before then`,
    effect: 'page',
  };
}
