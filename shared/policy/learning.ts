/**
 * What medic learns from its own record, as pure rules over the incidents it kept: a fix that did
 * not hold (the same instance alarms again for the same reason soon after a "resolved"), and how
 * well each action has worked per classification. No I/O and no clock: the caller reads the
 * incidents (a bounded Query) and `now`.
 */
import type { ActionKind } from '../domain/model.ts';

/** One finished incident of one instance, as the incident store keeps it. */
export interface ClosedIncident {
  incidentId: string;
  instanceId: string;
  classification: string | null;
  outcome: string;
  startedAt: string;
  endedAt: string | null;
  ticketKey: string | null;
  /** The mutating actions medic carried out (not held, not "would have"), in order. */
  actions?: ActionKind[];
  /** The action Verify agreed fixed it (resolved incidents only). */
  fixedBy?: ActionKind | null;
  /** Its index in the plan. */
  fixedRung?: number | null;
  timeToMitigateSeconds?: number | null;
  /** The incident that showed this fix did not hold, if any. */
  recurredBy?: string | null;
}

/** A fix that did not hold: the incident it belonged to, and where the new ladder starts. */
export interface Recurrence {
  of: ClosedIncident;
  /** The first rung of the new plan: one above the rung that failed to hold. */
  startRung: number;
  summary: string;
}

/**
 * Recurrence: an alarm for the same instance and classification within `windowMs` of a resolved
 * incident means the fix did not hold. The newest such incident counts; one already marked by
 * another incident is not marked again (a retried Decide finds its own mark and keeps it). The new
 * ladder starts one rung above the action that fixed it, so the same fix is not simply repeated;
 * past the end of the plan a person is paged.
 */
export function recurrence(f: {
  now: Date;
  incidentId: string;
  instanceId: string;
  classification: string;
  plan: readonly ActionKind[];
  windowMs: number;
  previous: readonly ClosedIncident[];
}): Recurrence | null {
  const since = f.now.getTime() - f.windowMs;
  const candidates = f.previous
    .filter(
      (p) =>
        p.incidentId !== f.incidentId &&
        p.instanceId === f.instanceId &&
        p.classification === f.classification &&
        p.outcome === 'resolved' &&
        p.endedAt !== null &&
        Date.parse(p.endedAt) >= since &&
        Date.parse(p.endedAt) <= f.now.getTime(),
    )
    .sort((a, b) => Date.parse(b.endedAt ?? '') - Date.parse(a.endedAt ?? ''));
  const of = candidates[0];
  if (!of || (of.recurredBy && of.recurredBy !== f.incidentId)) return null;
  const inPlan = of.fixedBy ? f.plan.indexOf(of.fixedBy) : -1;
  const failed = inPlan >= 0 ? inPlan : (of.fixedRung ?? -1);
  const startRung = Math.min(failed + 1, f.plan.length);
  const hours = Math.round(f.windowMs / 3_600_000);
  const fix = of.fixedBy ?? 'the last fix';
  const next = f.plan[startRung] ?? 'page';
  return {
    of,
    startRung,
    summary: `recurrence: ${f.instanceId} was resolved by ${fix} in ${of.incidentId}${of.ticketKey ? ` (${of.ticketKey})` : ''} at ${of.endedAt}, less than ${hours} h ago, for the same classification (${f.classification}): that fix did not hold; starting at rung ${startRung + 1} (${next})`,
  };
}

/** How one action has worked for one classification. */
export interface FixStats {
  classification: string;
  action: ActionKind;
  /** Incidents in which medic carried the action out. */
  attempts: number;
  /** Incidents Verify agreed it fixed. */
  verified: number;
  /** Of those, incidents whose fix did not hold (the same alarm came back within the window). */
  recurred: number;
  /** Median time from alarm to mitigation over the verified fixes; null with none. */
  medianTimeToMitigateSeconds: number | null;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? null) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * Per classification × action, over the incidents that ended at or after `since`. Each incident
 * counts once per action it carried out (a reboot tried twice in one incident is one attempt).
 */
export function effectiveness(incidents: readonly ClosedIncident[], since: Date): FixStats[] {
  const rows = new Map<string, FixStats & { ttm: number[] }>();
  for (const i of incidents) {
    if (!i.endedAt || Date.parse(i.endedAt) < since.getTime()) continue;
    const classification = i.classification ?? 'unknown';
    for (const action of new Set(i.actions ?? [])) {
      if (action === 'page') continue;
      const key = `${classification}\u0000${action}`;
      const row = rows.get(key) ?? {
        classification,
        action,
        attempts: 0,
        verified: 0,
        recurred: 0,
        medianTimeToMitigateSeconds: null,
        ttm: [],
      };
      row.attempts++;
      if (i.outcome === 'resolved' && i.fixedBy === action) {
        row.verified++;
        if (i.recurredBy) row.recurred++;
        if (typeof i.timeToMitigateSeconds === 'number') row.ttm.push(i.timeToMitigateSeconds);
      }
      rows.set(key, row);
    }
  }
  return [...rows.values()]
    .map(({ ttm, ...row }) => ({ ...row, medianTimeToMitigateSeconds: median(ttm) }))
    .sort((a, b) => a.classification.localeCompare(b.classification) || a.action.localeCompare(b.action));
}

/** The line the ticket quotes next to the plan, e.g. "reboot fixed 7 of 9 `os` incidents…". */
export function effectivenessLine(s: FixStats, days: number): string {
  const recurred = s.verified ? `; ${s.recurred} recurred` : '';
  return `${s.action} fixed ${s.verified} of ${s.attempts} \`${s.classification}\` incidents on this fleet in ${days} days${recurred}`;
}

/** The lines for a plan: one per mutating rung with a track record, in plan order. */
export function planTrackRecord(
  stats: readonly FixStats[],
  classification: string,
  plan: readonly ActionKind[],
  days: number,
): string[] {
  return [...new Set(plan)].flatMap((action) => {
    const s = stats.find((r) => r.classification === classification && r.action === action);
    return s && s.attempts > 0 ? [effectivenessLine(s, days)] : [];
  });
}
