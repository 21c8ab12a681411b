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
