/**
 * Learn, at Close: keep each finished case in the fix record (what was tried, what Verify agreed
 * fixed it), mark the fix a recurrence showed did not hold, and emit the fix metrics. Also the read
 * side: the track record a ticket quotes next to its plan, and the stats `medic stats` prints —
 * each one bounded Query per classification, never a Scan.
 */
import { type ActionKind, CLASSIFICATIONS, type IncidentState } from '../domain/model.ts';
import { effectiveness, type FixStats, planTrackRecord } from '../policy/learning.ts';
import type { FixMetricsPort, FixRecordPort } from '../ports.ts';
import { closedIncidents } from './incident-summary.ts';

const DAY_MS = 86_400_000;

export async function learn(
  state: IncidentState,
  endedAt: string,
  deps: { fixes: FixRecordPort; metrics?: FixMetricsPort },
): Promise<void> {
  for (const f of closedIncidents(state, endedAt)) {
    await deps.fixes.put(f);
    deps.metrics?.emitFix(f);
  }
  for (const c of state.cases ?? []) {
    if (!c.recurrenceOf) continue;
    await deps.fixes.markRecurred(c.recurrenceOf, state.incidentId);
    deps.metrics?.emitRecurred(c.recurrenceOf);
  }
}

/** The lines a ticket quotes next to the plan: this classification, the last `days` days. */
export async function trackRecord(
  classification: string,
  plan: ActionKind[],
  deps: { fixes: FixRecordPort; now: Date; days: number },
): Promise<string[]> {
  const since = new Date(deps.now.getTime() - deps.days * DAY_MS);
  const rows = await deps.fixes.since(classification, since);
  return planTrackRecord(effectiveness(rows, since), classification, plan, deps.days);
}

/** Every classification × action over the last `days` days (one Query per classification). */
export async function fixStats(deps: { fixes: FixRecordPort; now: Date; days: number }): Promise<FixStats[]> {
  const since = new Date(deps.now.getTime() - deps.days * DAY_MS);
  const rows = (await Promise.all(CLASSIFICATIONS.map((c) => deps.fixes.since(c, since)))).flat();
  return effectiveness(rows, since);
}

/** `medic stats` as a table. */
export function renderStats(stats: FixStats[], days: number): string[] {
  if (stats.length === 0) return [`no actions recorded in the last ${days} days`];
  const head = `classification  action           attempts  verified  recurred  median TTM`;
  return [
    `how each fix has worked in the last ${days} days (verified: Verify agreed it fixed the incident; recurred: the same alarm came back within the recurrence window)`,
    head,
    ...stats.map(
      (s) =>
        `${s.classification.padEnd(15)} ${s.action.padEnd(16)} ${String(s.attempts).padStart(8)}  ${String(s.verified).padStart(8)}  ${String(s.recurred).padStart(8)}  ${s.medianTimeToMitigateSeconds === null ? '-' : `${Math.round(s.medianTimeToMitigateSeconds)} s`}`,
    ),
  ];
}
