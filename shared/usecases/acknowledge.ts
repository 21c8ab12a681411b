/** Acknowledge: tell the stakeholders an incident is open, what and where, before anything else. */
import type { IncidentState } from '../domain/model.ts';
import { openedNotification, statusNotice } from '../domain/notifications.ts';
import { append, type Clock, entry } from '../domain/timeline.ts';
import type { NotifierPort } from '../ports.ts';

export async function acknowledge(
  state: IncidentState,
  deps: { notifier: NotifierPort; statusNotifier?: NotifierPort; clock: Clock },
): Promise<IncidentState> {
  const { messageId } = await deps.notifier.publish(openedNotification(state));
  if (deps.statusNotifier) await deps.statusNotifier.publish(statusNotice(state, 'opened'));
  return {
    ...state,
    timeline: append(
      state.timeline,
      entry(deps.clock, {
        step: 'Acknowledge',
        kind: 'ack',
        summary: `stakeholders notified (SNS message ${messageId})${deps.statusNotifier ? '; status notice posted' : ''}`,
      }),
    ),
  };
}
