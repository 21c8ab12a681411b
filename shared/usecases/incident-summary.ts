/** What the incident store keeps per instance after Record, for `medic history`. Pure. */
import type { IncidentState } from '../domain/model.ts';
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
