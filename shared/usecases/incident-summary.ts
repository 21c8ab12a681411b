/** What the incident store keeps per instance after Record, for `medic history`. Pure. */
import type { IncidentState } from '../domain/model.ts';
import type { ClosedIncident } from '../policy/learning.ts';
import { MUTATING } from '../policy/moves.ts';
import type { IncidentSummary } from '../ports.ts';

/** One row per instance case (or per target when the run failed before the cases existed). */
export function incidentSummaries(
  state: IncidentState,
  endedAt: string,
  executionArn: string | null,
): IncidentSummary[] {
  const cases = state.cases ?? [];
  const rows =
    cases.length > 0
      ? cases.map((c) => ({
          instanceId: c.target.instanceId,
          outcome: c.caseError ? 'failed' : (c.outcome ?? 'failed'),
          classification: c.assessment?.classification ?? null,
        }))
      : (state.targets.length > 0 ? state.targets.map((t) => t.instanceId) : state.trigger.instanceIds).map(
          (instanceId) => ({
            instanceId,
            outcome: state.error ? 'failed' : (state.outcome ?? 'unknown'),
            classification: null,
          }),
        );
  return rows.map((row) => ({
    incidentId: state.incidentId,
    instanceId: row.instanceId,
    startedAt: state.trigger.enteredAlarmAt,
    endedAt,
    outcome: row.outcome,
    classification: row.classification,
    ticketKey: state.ticket?.key ?? null,
    executionArn,
    alarmName: state.trigger.alarmName ?? null,
    ...(state.trigger.account ? { account: state.trigger.account } : {}),
    ...(state.trigger.region ? { region: state.trigger.region } : {}),
  }));
}

/** Actions medic carried out (not held, rejected, skipped or "would have"). */
const CARRIED_OUT: ReadonlySet<string> = new Set(['succeeded', 'recovered', 'not-recovered', 'failed']);

/**
 * What the fix record keeps per finished case: the actions carried out, the one Verify agreed fixed
 * it (a resolved case's last "recovered" action) and its rung, and the time to mitigate.
 */
export function closedIncidents(
  state: IncidentState,
  endedAt: string,
  /** The merged timeline (cases in the state are compact: their own timelines are empty). */
  timeline: IncidentState['timeline'] = state.timeline,
): ClosedIncident[] {
  return (state.cases ?? []).flatMap((c) => {
    if (!c.assessment) return [];
    const outcome = c.caseError ? 'failed' : (c.outcome ?? 'failed');
    const carried = c.actions.filter((a) => MUTATING.has(a.kind) && CARRIED_OUT.has(a.outcome));
    const fix = outcome === 'resolved' ? carried.findLast((a) => a.outcome === 'recovered') : undefined;
    const mitigated = [...c.timeline, ...timeline].find(
      (e) =>
        e.kind === 'verify' &&
        e.summary.startsWith('recovered') &&
        (e.instanceId ?? c.target.instanceId) === c.target.instanceId,
    );
    const ttm = mitigated
      ? (Date.parse(mitigated.at) - Date.parse(state.trigger.enteredAlarmAt)) / 1000
      : null;
    return [
      {
        incidentId: state.incidentId,
        instanceId: c.target.instanceId,
        classification: c.assessment.classification,
        outcome,
        startedAt: state.trigger.enteredAlarmAt,
        endedAt,
        ticketKey: state.ticket?.key ?? null,
        actions: carried.map((a) => a.kind),
        fixedBy: fix?.kind ?? null,
        fixedRung: fix ? c.assessment.plan.indexOf(fix.kind) : null,
        timeToMitigateSeconds: ttm !== null && Number.isFinite(ttm) && ttm >= 0 ? Math.round(ttm) : null,
        recurredBy: null,
      },
    ];
  });
}
