/**
 * What people read: the episode's outcome, the Jira ticket (summary, sections) and the final SNS
 * message. Pure functions of the incident state.
 */
import { type AdfNode, bulletList, doc, heading, link, paragraph, strong, table, text } from './adf.ts';
import { evidenceMethodItems, evidencePrevention, evidenceSection } from './evidence-report.ts';
import type { ActionRecord, IncidentState, InstanceCase, TimelineEntry } from './model.ts';

export type EpisodeOutcome = 'resolved' | 'self-recovered' | 'dry-run' | 'escalated' | 'held' | 'failed';

const SEVERITY_ORDER: EpisodeOutcome[] = [
  'failed',
  'escalated',
  'held',
  'dry-run',
  'resolved',
  'self-recovered',
];

export function episodeOutcome(state: IncidentState): EpisodeOutcome {
  if (state.error) return 'failed';
  const outcomes = (state.cases ?? []).map((c) => (c.caseError ? 'failed' : (c.outcome ?? 'failed')));
  if (outcomes.length === 0) return 'failed';
  return SEVERITY_ORDER.find((o) => outcomes.includes(o)) ?? 'failed';
}

export function allActions(state: IncidentState): ActionRecord[] {
  return (state.cases ?? []).flatMap((c) => c.actions);
}

function seconds(from: string, to: string | undefined): string {
  if (!to) return 'n/a';
  const s = Math.round((Date.parse(to) - Date.parse(from)) / 1000);
  return `${s} s`;
}

export function timings(state: IncidentState, timeline: TimelineEntry[]) {
  const start = state.trigger.enteredAlarmAt;
  const firstAction = allActions(state).find((a) => a.outcome !== 'held' && a.kind !== 'page');
  const mitigated = timeline.find((e) => e.kind === 'verify' && e.summary.startsWith('recovered'));
  return {
    timeToFirstAction: seconds(start, firstAction?.at),
    timeToMitigate: seconds(start, mitigated?.at),
  };
}

function who(state: IncidentState): string {
  return (
    state.targets.map((t) => (t.name ? `${t.name} (${t.instanceId})` : t.instanceId)).join(', ') ||
    'unknown instance'
  );
}

export function ticketSummary(state: IncidentState, outcome: EpisodeOutcome): string {
  const alarm = state.trigger.alarmName ?? `manual: ${state.trigger.reason}`;
  const line = `[medic] ${outcome}: ${who(state)} — ${alarm}`;
  return line.length > 250 ? `${line.slice(0, 249)}…` : line;
}

export function priorityFor(outcome: EpisodeOutcome): string {
  return outcome === 'escalated' || outcome === 'failed' ? 'High' : outcome === 'held' ? 'Medium' : 'Low';
}

function caseLines(c: InstanceCase): string {
  const a = c.assessment;
  return `${c.target.instanceId}: ${a ? `${a.classification} (${a.confidence})` : 'not assessed'} → ${c.outcome ?? (c.caseError ? 'failed' : 'unknown')}`;
}

export function ticketDescription(
  state: IncidentState,
  timeline: TimelineEntry[],
  outcome: EpisodeOutcome,
): AdfNode {
  const t = timings(state, timeline);
  const cases = state.cases ?? [];
  const actions = allActions(state).map((a) => [a.at, a.instanceId, a.kind, a.outcome, a.detail]);
  const classifications = cases.map((c) => c.assessment?.classification ?? 'unknown');
  const links: AdfNode[][] = [];
  if (state.settings.executionUrl)
    links.push([link('Step Functions execution', state.settings.executionUrl)]);
  if (state.trigger.alarmArn) links.push([text(`Alarm: ${state.trigger.alarmArn}`)]);
  return doc(
    heading(2, 'Summary'),
    paragraph(strong('Outcome: '), text(outcome)),
    paragraph(
      strong('What: '),
      text(state.trigger.alarmName ?? 'manual run'),
      text(` — ${state.trigger.reason}`),
    ),
    paragraph(strong('Where: '), text(who(state))),
    paragraph(
      strong('Impact window: '),
      text(
        `entered ALARM ${state.trigger.enteredAlarmAt}; time to first action ${t.timeToFirstAction}; time to mitigate ${t.timeToMitigate}`,
      ),
    ),
    bulletList(cases.map((c) => [text(caseLines(c))])),
    ...(state.error
      ? [paragraph(strong('medic failed: '), text(`${state.error.Error}: ${state.error.Cause ?? ''}`))]
      : []),
    heading(2, 'Timeline'),
    table(
      ['Time (UTC)', 'Step', 'Kind', 'What happened'],
      timeline.map((e) => [e.at, e.step, e.kind, e.instanceId ? `${e.instanceId}: ${e.summary}` : e.summary]),
    ),
    heading(2, 'Evidence'),
    ...evidenceSection(cases),
    heading(2, 'Actions taken'),
    actions.length > 0
      ? table(['Time (UTC)', 'Instance', 'Action', 'Result', 'Detail'], actions)
      : paragraph(text('No action was taken.')),
    heading(2, 'Method'),
    bulletList([
      [
        text(
          'EC2 instance state, system and instance status checks and scheduled events (DescribeInstances, DescribeInstanceStatus).',
        ),
      ],
      [
        text(
          'Reachability from inside the VPC: TCP connect to each configured port and an SSH banner read. ICMP ping is not possible from AWS Lambda (no raw sockets), so TCP + SSH banner stand in for it.',
        ),
      ],
      [text('HTTP GET of the health URL when medic:health-url is set.')],
      ...evidenceMethodItems(),
      [
        text(
          'After each action, the same checks are repeated a bounded number of times before the next rung.',
        ),
      ],
    ]),
    heading(2, 'Root cause (to be completed)'),
    paragraph(
      text(
        `Starting hypothesis from medic's classification: ${[...new Set(classifications)].join(', ')}. Confirm or correct it, then record the cause here.`,
      ),
    ),
    heading(2, 'Prevention suggestions'),
    bulletList(prevention(state).map((p) => [text(p)])),
    ...(links.length > 0 ? [heading(2, 'Links'), bulletList(links)] : []),
  );
}

export function prevention(state: IncidentState): string[] {
  const out: string[] = [];
  const azs = new Set(state.targets.map((t) => t.availabilityZone).filter(Boolean));
  if (state.trigger.autoScalingGroupNames.length === 0) {
    out.push(
      'The instance is not behind an Auto Scaling group: consider redundancy so one host cannot take the service down.',
    );
  }
  if (azs.size === 1)
    out.push(`All affected instances are in one Availability Zone (${[...azs][0]}): spread across AZs.`);
  if (state.targets.some((t) => !t.managed))
    out.push('Some instances are not opted in (medic:managed=true): medic could only page.');
  out.push(...evidencePrevention(state.cases ?? []));
  if (out.length === 0) out.push('No structural weakness detected from the evidence gathered.');
  return out;
}

export function timelineText(timeline: TimelineEntry[]): string {
  return timeline
    .map((e) => `${e.at}  ${e.kind.padEnd(10)} ${e.instanceId ? `${e.instanceId}: ` : ''}${e.summary}`)
    .join('\n');
}
