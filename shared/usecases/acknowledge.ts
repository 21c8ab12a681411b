/** Acknowledge: tell the stakeholders an incident is open, what and where, before anything else. */
import type { IncidentState } from '../domain/model.ts';
import { append, type Clock, entry } from '../domain/timeline.ts';
import type { NotifierPort } from '../ports.ts';

export async function acknowledge(
  state: IncidentState,
  deps: { notifier: NotifierPort; clock: Clock },
): Promise<IncidentState> {
  const { trigger, targets } = state;
  const where = targets.map((t) => (t.name ? `${t.name} (${t.instanceId})` : t.instanceId)).join(', ');
  const what = trigger.alarmName ?? `manual run (${trigger.reason})`;
  const body = [
    `medic opened incident ${state.incidentId}.`,
    `What: ${what}${trigger.reason ? ` — ${trigger.reason}` : ''}`,
    `Where: ${where}`,
    `Mode: ${trigger.mode}`,
    state.settings.executionUrl ? `Execution: ${state.settings.executionUrl}` : '',
    'medic is gathering evidence now; you will get another message when it acts, resolves or escalates.',
  ]
    .filter(Boolean)
    .join('\n');
  const { messageId } = await deps.notifier.publish({
    subject: `[medic] OPENED: ${where} — ${what}`,
    body,
    severity: 'warning',
    attributes: { event: 'opened', incident: state.incidentId, instance: targets[0]?.instanceId ?? '' },
  });
  return {
    ...state,
    timeline: append(
      state.timeline,
      entry(deps.clock, {
        step: 'Acknowledge',
        kind: 'ack',
        summary: `stakeholders notified (SNS message ${messageId})`,
      }),
    ),
  };
}
