/**
 * The ticket a planned incident files before it waits for the planned-work window. A window can be
 * days away: the on-call team sees AWS's event, the deadline, the window the action is planned in,
 * the planned action and the evidence now, not when the case closes. Record later finds the same
 * ticket by the episode label and updates it, so an episode keeps one ticket. Pure.
 */
import { bullets, para, type Section, t } from './document.ts';
import type { ActionKind, InstanceCase } from './model.ts';

/** As report.ts labels a ticket (kept here so Decide's bundle does not carry the report). */
const labelFor = (value: string): string => value.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 255);

export interface PlannedWaitFacts {
  action: ActionKind;
  /** When the wait ends: the window's start (RFC 3339). */
  until: string;
  /** The decision line the timeline got (names the window's start and end). */
  summary: string;
}

export interface PlannedTicket {
  summary: string;
  labels: string[];
  priority: string;
  description: { sections: Section[] };
}

export function plannedTicketDraft(c: InstanceCase, wait: PlannedWaitFacts): PlannedTicket | null {
  const planned = c.planned;
  if (!planned) return null;
  const id = c.target.instanceId;
  const a = c.assessment;
  const evidence = a
    ? [`classification ${a.classification} (confidence ${a.confidence})`, ...a.reasons.slice(0, 8)]
    : ['no assessment yet'];
  return {
    summary:
      `[medic] PLANNED: AWS ${planned.eventTypeCode} for ${id}: ${wait.action} planned at ${wait.until}${planned.deadline ? ` (deadline ${planned.deadline})` : ''}`.slice(
        0,
        250,
      ),
    labels: [
      'medic',
      labelFor(c.incidentId),
      ...(a ? [labelFor(a.classification)] : []),
      labelFor(id),
      'medic-planned',
    ],
    // Nothing is broken yet and the work is scheduled: not a page, but it must not be missed.
    priority: 'Medium',
    description: {
      sections: [
        {
          title: 'Summary',
          blocks: [
            para(
              t(
                `AWS scheduled ${planned.scheduledCode} for ${id} (${planned.eventTypeCode}). medic plans ${wait.action} in the planned-work window starting ${wait.until}, before AWS's deadline. medic looks at the instance again when the window opens and leaves it alone if someone already moved it.`,
              ),
            ),
          ],
        },
        {
          title: 'Planned work',
          blocks: [
            bullets([
              `AWS event: ${planned.eventTypeCode} (${planned.eventArn})`,
              `AWS's deadline: ${planned.deadline ?? 'none given'}`,
              `Planned-work window: ${planned.window ?? 'not configured'}; the action waits until ${wait.until}`,
              `Planned action: ${wait.action}`,
              `Decision: ${wait.summary}`,
            ]),
            ...(planned.description ? [para(t(`AWS says: ${planned.description.slice(0, 2_000)}`))] : []),
          ],
        },
        { title: 'Evidence', blocks: [bullets(evidence)] },
      ],
    },
  };
}
