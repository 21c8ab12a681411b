/**
 * What the SNS and HTTP intakes do with normalised signals: start one execution per alert (the
 * episode key is the execution name, so a repeated delivery joins the running one), record
 * closes in the incident store, and say what was ignored.
 */
import { type IntakeSignal, MEDIC_TRIGGER } from '../domain/normalise.ts';
import type { IncidentStorePort, WorkflowPort } from '../ports.ts';

export interface DispatchResult {
  started: { episodeKey: string; executionArn: string; instanceIds: string[] }[];
  joined: { episodeKey: string; executionArn: string }[];
  closed: { identity: string; episodeKey: string | null }[];
  ignored: string[];
}

export interface DispatchDeps {
  workflow: WorkflowPort;
  store: IncidentStorePort;
}

export async function dispatchSignals(signals: IntakeSignal[], deps: DispatchDeps): Promise<DispatchResult> {
  const result: DispatchResult = { started: [], joined: [], closed: [], ignored: [] };
  for (const signal of signals) {
    if (signal.kind === 'start') {
      const { trigger } = signal;
      const out = await deps.workflow.start(trigger.episodeKey, { [MEDIC_TRIGGER]: trigger });
      if (out.started) {
        result.started.push({
          episodeKey: trigger.episodeKey,
          executionArn: out.executionArn,
          instanceIds: trigger.instanceIds,
        });
      } else {
        result.joined.push({ episodeKey: trigger.episodeKey, executionArn: out.executionArn });
      }
    } else if (signal.kind === 'close') {
      await deps.store.recordClose({
        source: signal.source,
        identity: signal.identity,
        episodeKey: signal.episodeKey,
        alarmName: signal.alarmName,
        instanceIds: signal.instanceIds,
        at: signal.at,
        reason: signal.reason,
      });
      result.closed.push({ identity: signal.identity, episodeKey: signal.episodeKey });
    } else {
      result.ignored.push(signal.reason);
    }
  }
  return result;
}
