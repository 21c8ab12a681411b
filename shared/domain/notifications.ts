/**
 * Stakeholder notification formats (SNS), reusable by every step that tells people something.
 * Subjects are what a phone shows in a lock-screen banner: printable ASCII (SNS rejects anything
 * else), ≤ 100 characters, most important words first: "[medic] RESOLVED: web-1 - reboot fixed it
 * in 41 s". Bodies are short lines a person reads at 3 a.m., the detail last. Message attributes
 * (event, severity, instance, outcome, classification, incident) let subscribers filter.
 *
 * The optional user-facing status topic gets `statusNotice`: no instance ids, no internal detail.
 */
import type { IncidentState, Target } from './model.ts';
import {
  classifications,
  type EpisodeOutcome,
  effectiveActions,
  fmtSeconds,
  severityOf,
  type Timings,
} from './report.ts';

export interface NotificationMessage {
  subject: string;
  body: string;
  severity: 'info' | 'warning' | 'critical';
  attributes: Record<string, string>;
}

export const SUBJECT_MAX = 100;

/** Printable ASCII only, single line, ≤ 100 chars, cut at a word boundary with "...". */
export function phoneSubject(raw: string): string {
  const ascii = raw
    .replace(/[—–]/g, '-')
    .replace(/…/g, '...')
    .replace(/→/g, '->')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are replaced on purpose
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/\s+/g, ' ')
    .trim();
  if (ascii.length <= SUBJECT_MAX) return ascii;
  const cut = ascii.slice(0, SUBJECT_MAX - 3);
  const space = cut.lastIndexOf(' ');
  return `${space > 60 ? cut.slice(0, space) : cut}...`;
}

/** The name a person knows the host by, then the id when they differ. */
export function shortName(targets: Target[]): string {
  const first = targets[0];
  if (!first) return 'unknown instance';
  const name = first.name ?? first.instanceId;
  return targets.length > 1 ? `${name} +${targets.length - 1}` : name;
}

function longWhere(targets: Target[]): string {
  return (
    targets.map((x) => (x.name ? `${x.name} (${x.instanceId})` : x.instanceId)).join(', ') || 'no instance'
  );
}

function baseAttributes(state: IncidentState, event: string): Record<string, string> {
  return {
    event,
    incident: state.incidentId,
    instance: state.targets[0]?.instanceId ?? '',
    instances: state.targets.map((x) => x.instanceId).join(','),
    // Subscribers filter on these (an SNS filter policy per account or region).
    ...(state.trigger.account ? { account: state.trigger.account } : {}),
    ...(state.trigger.region ? { region: state.trigger.region } : {}),
  };
}

/** ` @222222222222`: the account in a subject, when the run knows it (short: a phone shows 100 chars). */
const atAccount = (state: IncidentState) => (state.trigger.account ? ` @${state.trigger.account}` : '');

/** `account 222222222222, region eu-west-1, AZ eu-west-1a`, when known. */
function placeText(state: IncidentState): string {
  const az = [...new Set(state.targets.flatMap((x) => (x.availabilityZone ? [x.availabilityZone] : [])))];
  const parts = [
    ...(state.trigger.account ? [`account ${state.trigger.account}`] : []),
    ...(state.trigger.region ? [`region ${state.trigger.region}`] : []),
    ...(az.length ? [`AZ ${az.join(', ')}`] : []),
  ];
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/**
 * A planned incident: the team hears now that the work is scheduled (AWS's event, the deadline and
 * the planned-work window medic acts in), not only when the window opens.
 */
function plannedLines(health: IncidentState['trigger']['health']): string[] {
  if (!health) return [];
  return [
    `Planned work: AWS ${health.eventTypeCode} (${health.scheduledCode}), deadline ${health.deadline ?? 'none given'}`,
    health.window
      ? `medic plans a stop/start in the planned-work window (${health.window}) before the deadline, and files the ticket now.`
      : 'No planned-work window is configured: medic pages with the deadline.',
  ];
}

export function openedNotification(state: IncidentState): NotificationMessage {
  const { trigger, targets } = state;
  const what = trigger.alarmName ?? `manual run: ${trigger.reason}`;
  return {
    subject: phoneSubject(`[medic] OPENED: ${shortName(targets)}${atAccount(state)} - ${what}`),
    body: [
      `medic opened incident ${state.incidentId}.`,
      `What: ${what}${trigger.alarmName && trigger.reason ? ` (${trigger.reason})` : ''}`,
      `Where: ${longWhere(targets)}${placeText(state)}`,
      `Mode: ${trigger.mode}${trigger.requestedBy ? `, requested by ${trigger.requestedBy}` : ''}`,
      ...(state.settings.executionUrl ? [`Execution: ${state.settings.executionUrl}`] : []),
      ...plannedLines(trigger.health),
      '',
      'medic is gathering evidence now. Next message: when it acts, resolves or escalates.',
    ].join('\n'),
    severity: 'warning',
    attributes: { ...baseAttributes(state, 'opened'), severity: 'warning', outcome: 'open' },
  };
}

const HEADLINE: Record<EpisodeOutcome, string> = {
  resolved: 'RESOLVED',
  'self-recovered': 'SELF-RECOVERED',
  'dry-run': 'DRY-RUN',
  escalated: 'ESCALATED',
  held: 'HELD',
  failed: 'FAILED',
};

function subjectTail(state: IncidentState, outcome: EpisodeOutcome, t: Timings): string {
  const acted = effectiveActions(state);
  const last = acted.at(-1)?.kind;
  switch (outcome) {
    case 'resolved':
      return `${last ?? 'action'} fixed it in ${fmtSeconds(t.timeToMitigate)}`;
    case 'self-recovered':
      return 'answering again, no action needed';
    case 'dry-run':
      return `would have: ${acted.map((x) => x.kind).join(', ') || 'nothing'}`;
    case 'escalated':
      return `needs a person (${classifications(state).join(',') || 'unknown'}, ${acted.length} actions tried)`;
    case 'held':
      return 'medic may not act, a person must';
    case 'failed':
      return `medic failed: ${state.error?.Error ?? 'see ticket'}`;
  }
}

/** The final message (Record): resolved / escalated / held / failed, with times and the ticket. */
export function finalNotification(
  state: IncidentState,
  outcome: EpisodeOutcome,
  t: Timings,
  ticket: { key: string; url: string | null; action?: string } | null,
  timelineText: string,
): NotificationMessage {
  const severity = severityOf(state, outcome);
  const acted = effectiveActions(state);
  return {
    subject: phoneSubject(
      `[medic] ${HEADLINE[outcome]}: ${shortName(state.targets)}${atAccount(state)} - ${subjectTail(state, outcome, t)}`,
    ),
    body: [
      `Incident ${state.incidentId}: ${outcome} (severity ${severity}).`,
      `Where: ${longWhere(state.targets)}${placeText(state)}`,
      `What: ${state.trigger.alarmName ?? 'manual run'} - ${state.trigger.reason}`,
      `Classification: ${classifications(state).join(', ') || 'not assessed'}`,
      `Actions: ${acted.map((x) => `${x.kind} -> ${x.outcome}`).join(', ') || 'none'}`,
      `Time to first action: ${fmtSeconds(t.timeToFirstAction)}. Time to mitigate: ${fmtSeconds(t.timeToMitigate)}.`,
      ticket
        ? `Ticket: ${ticket.key}${ticket.action ? ` (${ticket.action})` : ''}${ticket.url ? ` ${ticket.url}` : ''}`
        : 'Ticket: not filed (see the timeline below).',
      ...(state.error ? [`medic error: ${state.error.Error}: ${state.error.Cause ?? ''}`] : []),
      '',
      'Timeline (UTC):',
      timelineText,
    ].join('\n'),
    severity: severity === 'critical' || severity === 'high' ? 'critical' : 'info',
    attributes: {
      ...baseAttributes(
        state,
        outcome === 'escalated' || outcome === 'failed' || outcome === 'held' ? 'escalated' : 'resolved',
      ),
      severity,
      outcome,
      classification: classifications(state).join(',') || 'unknown',
    },
  };
}

/** For the optional user-facing status topic: what is affected and whether it works, nothing internal. */
export function statusNotice(state: IncidentState, phase: 'opened' | EpisodeOutcome): NotificationMessage {
  const service =
    [...new Set(state.targets.map((x) => x.service ?? x.name).filter(Boolean))].join(', ') || 'a service';
  const texts: Record<'opened' | EpisodeOutcome, [string, string]> = {
    opened: [
      'Investigating',
      `We are investigating a problem affecting ${service}. We will update you shortly.`,
    ],
    resolved: ['Resolved', `The problem affecting ${service} has been fixed. Thank you for your patience.`],
    'self-recovered': ['Resolved', `${service} is working normally again.`],
    'dry-run': ['Investigating', `Engineers are looking into a possible problem affecting ${service}.`],
    escalated: [
      'Investigating',
      `Engineers are working on a problem affecting ${service}. We will update you when it is fixed.`,
    ],
    held: [
      'Investigating',
      `Engineers are working on a problem affecting ${service}. We will update you when it is fixed.`,
    ],
    failed: [
      'Investigating',
      `Engineers are working on a problem affecting ${service}. We will update you when it is fixed.`,
    ],
  };
  const [headline, body] = texts[phase];
  return {
    subject: phoneSubject(`${headline}: ${service}`),
    body,
    severity: 'info',
    attributes: { event: phase === 'opened' ? 'opened' : 'status', status: headline.toLowerCase() },
  };
}
