/**
 * What people read: the episode's outcome, its severity, and the Jira ticket's content (SPEC §4) as
 * a neutral document that adf.ts / wiki.ts / html-report.ts render. Pure functions of the incident
 * state and its merged timeline.
 */
import { identityLabels } from '../policy/org.ts';
import { DEFAULT_AUTONOMY, describePlan } from './autonomy.ts';
import { a, type Block, b, bullets, grid, para, type Section, type TicketDocument, t } from './document.ts';
import {
  changesSection,
  evidenceSection as evidenceChecks,
  evidenceMethodItems,
  evidencePrevention,
} from './evidence-report.ts';
import { LOAD_CAPS } from './load-check.ts';
import type { ActionRecord, IncidentState, InstanceCase, TimelineEntry } from './model.ts';
import { leftStoppedHeadline } from './stop-start-policy.ts';

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

/** Mutating rungs that actually ran (or would have, in dry-run): what "first action" means. */
export function effectiveActions(state: IncidentState): ActionRecord[] {
  return allActions(state).filter(
    (x) => x.kind !== 'page' && !['held', 'not-implemented'].includes(x.outcome),
  );
}

export type Severity = 'critical' | 'high' | 'medium' | 'low';

/**
 * How bad it is for a person: someone must act now (escalated, failed, held with a page), the
 * service was down but medic fixed it, or nothing needed doing. Hardware is never "low": the host
 * will be retired or has moved.
 */
export function severityOf(state: IncidentState, outcome: EpisodeOutcome): Severity {
  const classes = (state.cases ?? []).map((c) => c.assessment?.classification);
  if (outcome === 'failed' || outcome === 'escalated') return 'critical';
  // medic itself left an instance down (a start that fell back to stopped): nothing is more urgent.
  if ((state.cases ?? []).some((c) => c.leftStopped)) return 'critical';
  if (outcome === 'held') return 'high';
  if (classes.includes('hardware')) return 'high';
  if (outcome === 'resolved') return 'medium';
  return 'low';
}

/** Jira Cloud's default priority scheme names (Data Center ships the same five). */
export function priorityFor(severity: Severity): string {
  return { critical: 'Highest', high: 'High', medium: 'Medium', low: 'Low' }[severity];
}

function secondsBetween(from: string | undefined, to: string | undefined): number | null {
  if (!from || !to) return null;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) ? Math.max(0, Math.round(ms / 1000)) : null;
}

export const fmtSeconds = (s: number | null): string => {
  if (s === null) return 'n/a';
  if (s < 120) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 120 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
};

export interface Timings {
  /** First breaching datapoint → alarm state change; null without timestamped datapoints. */
  timeToDetect: number | null;
  /** Alarm → medic's acknowledgement to the stakeholders. */
  timeToAcknowledge: number | null;
  /** Alarm → first mutating rung (not a page, not a held action). */
  timeToFirstAction: number | null;
  /** Alarm → the verification that saw the service answer again. */
  timeToMitigate: number | null;
}

export function timings(state: IncidentState, timeline: TimelineEntry[]): Timings {
  const start = state.trigger.enteredAlarmAt;
  const firstDatapoint = state.trigger.datapoints
    .map((d) => d.timestamp)
    .filter((x): x is string => Boolean(x))
    .sort()[0];
  const ack = timeline.find((e) => e.kind === 'ack');
  const firstAction = effectiveActions(state)[0];
  const mitigated = timeline.find((e) => e.kind === 'verify' && e.summary.startsWith('recovered'));
  return {
    timeToDetect: secondsBetween(firstDatapoint, start),
    timeToAcknowledge: secondsBetween(start, ack?.at),
    timeToFirstAction: secondsBetween(start, firstAction?.at),
    timeToMitigate: secondsBetween(start, mitigated?.at),
  };
}

export function who(state: IncidentState): string {
  return (
    state.targets.map((x) => (x.name ? `${x.name} (${x.instanceId})` : x.instanceId)).join(', ') ||
    'unknown instance'
  );
}

/** ` in account 222222222222 eu-west-1`: which account and region, when the run knows them. */
export function whereText(trigger: IncidentState['trigger']): string {
  return trigger.account ? ` in account ${trigger.account}${trigger.region ? ` ${trigger.region}` : ''}` : '';
}

export function ticketSummary(state: IncidentState, outcome: EpisodeOutcome): string {
  const alarm = state.trigger.alarmName ?? `manual: ${state.trigger.reason}`;
  // Jira rejects summaries with line breaks or over 255 characters.
  const line = `[medic] ${outcome}: ${who(state)}${whereText(state.trigger)} — ${alarm}`.replace(
    /[\r\n]+/g,
    ' ',
  );
  return line.length > 250 ? `${line.slice(0, 249)}…` : line;
}

/** Jira labels cannot contain spaces; classifications like resource:disk become resource-disk. */
export const labelFor = (value: string): string => value.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 255);

export function classifications(state: IncidentState): string[] {
  return [
    ...new Set((state.cases ?? []).flatMap((c) => (c.assessment ? [c.assessment.classification] : []))),
  ];
}

export function ticketLabels(state: IncidentState): string[] {
  return [
    'medic',
    labelFor(state.incidentId),
    ...classifications(state).map(labelFor),
    ...state.targets.map((x) => labelFor(x.instanceId)),
    ...(state.trigger.account
      ? identityLabels(state.trigger as { account: string; region: string | null })
      : []),
  ];
}

function caseLine(c: InstanceCase): string {
  const x = c.assessment;
  const name = c.target.name ? `${c.target.name} (${c.target.instanceId})` : c.target.instanceId;
  return `${name}: ${x ? `${x.classification} (${x.confidence} confidence)` : 'not assessed'} → ${c.caseError ? 'failed' : (c.outcome ?? 'unknown')}`;
}

const IMPACT: Record<EpisodeOutcome, string> = {
  resolved: 'the instance stopped answering; medic restored it',
  'self-recovered': 'the alarm fired but the instance answered again by the time medic checked',
  'dry-run': 'dry run: medic recorded what it would have done and changed nothing',
  escalated: 'the instance is still impaired: medic exhausted its safe actions and paged a person',
  held: 'medic gathered evidence but was not allowed to act (not opted in, or held by a guard): a person must act',
  failed: 'medic itself failed part-way; the state of the instance is unknown',
};

export interface DocumentContext {
  /** Earlier medic incidents for the same instance (from Jira): feeds the "maintenance" suggestion. */
  priorIncidents?: number;
  /** Set when this run reopened a closed ticket instead of filing a new one. */
  reopenedFrom?: string;
  /** When the evidence is attached instead of inlined. */
  evidenceAttachment?: string;
  /** Too long for Jira: the checks table keeps only what did not pass (the rest is attached). */
  compactEvidence?: boolean;
  /** Per instance: how each rung of its plan has worked on this fleet (policy/learning.ts). */
  trackRecord?: Record<string, string[]>;
}

export function ticketDocument(
  state: IncidentState,
  timeline: TimelineEntry[],
  outcome: EpisodeOutcome,
  context: DocumentContext = {},
): TicketDocument {
  return {
    sections: [
      summarySection(state, timeline, outcome, context),
      {
        title: 'Timeline',
        blocks: [
          grid(
            ['Time (UTC)', 'Step', 'Kind', 'What happened'],
            timeline.map((e) => [
              e.at,
              e.step,
              e.kind,
              e.instanceId ? `${e.instanceId}: ${e.summary}` : e.summary,
            ]),
          ),
        ],
      },
      evidenceSection(state, context),
      { title: 'Recent changes', blocks: changesSection(state.cases ?? []) },
      actionsSection(state, context),
      methodSection(state),
      rootCauseSection(state),
      { title: 'Prevention suggestions', blocks: [bullets(prevention(state, context))] },
      linksSection(state),
    ],
  };
}

/**
 * A planned incident leads with AWS's deadline: what matters to the reader is when AWS acts on the
 * instance if nobody does first, and what medic did about it.
 */
function plannedLines(state: IncidentState) {
  const h = state.trigger.health;
  if (!h) return [];
  const held = (state.cases ?? []).flatMap((c) =>
    c.actions.filter((a) => a.detail.startsWith('held by planned-window')).map((a) => a.detail),
  );
  return [
    para(
      b('AWS deadline: '),
      t(
        `${h.deadline ?? 'not given by AWS'} — AWS ${h.eventTypeCode} (${h.scheduledCode}): ${h.description || 'scheduled change'}`,
      ),
    ),
    ...(held[0] ? [para(b('Planned work: '), t(held[0].replace(/^held by planned-window: /, '')))] : []),
  ];
}

function summarySection(
  state: IncidentState,
  timeline: TimelineEntry[],
  outcome: EpisodeOutcome,
  context: DocumentContext,
): Section {
  const x = timings(state, timeline);
  const sev = severityOf(state, outcome);
  const fmt = fmtSeconds;
  return {
    title: 'Summary',
    blocks: [
      ...(state.cases ?? []).flatMap((c) =>
        c.leftStopped
          ? [
              para(
                b(leftStoppedHeadline(c.target.instanceId, c.leftStopped)),
                t(' — start or restore it by hand; medic will not try again.'),
              ),
            ]
          : [],
      ),
      para(b('Outcome: '), t(`${outcome} (severity ${sev})`)),
      ...plannedLines(state),
      para(b('Impact: '), t(IMPACT[outcome])),
      para(
        b('What: '),
        t(state.trigger.alarmName ?? `manual run requested by ${state.trigger.requestedBy ?? 'unknown'}`),
        t(` — ${state.trigger.reason}`),
      ),
      para(b('Where: '), t(who(state))),
      para(b('Mode: '), t(state.trigger.mode)),
      bullets([
        `Entered ALARM: ${state.trigger.enteredAlarmAt}`,
        `Time to detect (first breaching datapoint → alarm): ${fmt(x.timeToDetect)}`,
        `Time to acknowledge: ${fmt(x.timeToAcknowledge)}`,
        `Time to first action: ${fmt(x.timeToFirstAction)}`,
        `Time to mitigate: ${fmt(x.timeToMitigate)}`,
      ]),
      bullets((state.cases ?? []).map(caseLine)),
      ...(context.reopenedFrom
        ? [
            para(
              b('Recurrence: '),
              t(`reopened ${context.reopenedFrom}: the same instance and classification recurred`),
            ),
          ]
        : []),
      ...(state.error
        ? [para(b('medic failed: '), t(`${state.error.Error}: ${state.error.Cause ?? ''}`))]
        : []),
    ],
  };
}

function evidenceSection(state: IncidentState, context: DocumentContext): Section {
  const cases = state.cases ?? [];
  const events = cases.flatMap((c) =>
    (c.evidence?.ec2.value?.scheduledEvents ?? []).map(
      (e) => `${c.target.instanceId}: scheduled ${e.code} ${e.notBefore ?? ''} — ${e.description}`,
    ),
  );
  const trig = state.trigger;
  const metric =
    trig.metric?.expression ?? [trig.metric?.namespace, trig.metric?.name].filter(Boolean).join('/');
  const points = trig.datapoints.slice(-10).map((d) => `${d.value}${d.timestamp ? ` @ ${d.timestamp}` : ''}`);
  return {
    title: 'Evidence',
    blocks: [
      para(
        b('Alarm: '),
        t(
          `${trig.alarmName ?? 'none (manual run)'}${metric ? ` on ${metric}` : ''}${trig.threshold !== undefined ? `, threshold ${trig.threshold}` : ''}`,
        ),
      ),
      ...(points.length > 0 ? [para(b('Datapoints: '), t(points.join(', ')))] : []),
      ...compactChecks(evidenceChecks(cases), context.compactEvidence === true),
      bullets(events),
      ...(context.evidenceAttachment
        ? [para(b('Full evidence: '), t(`attached as ${context.evidenceAttachment}`))]
        : []),
    ],
  };
}

function compactChecks(blocks: Block[], compact: boolean): Block[] {
  if (!compact) return blocks;
  return blocks.map((block) => {
    if (block.type !== 'table' || block.header[1] !== 'Check') return block;
    const kept = block.rows.filter((r) => r[3] !== 'ok');
    return {
      ...block,
      rows: [
        ...kept,
        ['', `${block.rows.length - kept.length} passing checks`, 'in the attachment', 'ok', ''],
      ],
    };
  });
}

function actionsSection(state: IncidentState, context: DocumentContext = {}): Section {
  const actions = allActions(state).map((x) => [x.at, x.instanceId, x.kind, x.outcome, x.detail]);
  const plans = (state.cases ?? []).flatMap((c) =>
    c.assessment
      ? [
          `${c.target.instanceId}: planned ladder ${c.assessment.plan.length ? describePlan(c.assessment.plan, c.mode, c.settings.autonomy ?? DEFAULT_AUTONOMY) : '(none)'}`,
          // Next to the plan, how well each of its rungs has worked here.
          ...(context.trackRecord?.[c.target.instanceId] ?? []).map((line) => `  track record: ${line}`),
          ...(c.recurrenceOf
            ? [
                `  recurrence: ${c.recurrenceOf.fixedBy ?? 'the fix'} resolved ${c.recurrenceOf.incidentId}${c.recurrenceOf.ticketKey ? ` (${c.recurrenceOf.ticketKey})` : ''} at ${c.recurrenceOf.endedAt} and did not hold; this ladder started one rung higher`,
              ]
            : []),
        ]
      : [],
  );
  return {
    title: 'Actions and results',
    blocks: [
      bullets(plans),
      actions.length > 0
        ? grid(['Time (UTC)', 'Instance', 'Action', 'Result', 'Detail'], actions)
        : para(t('No action was taken.')),
    ],
  };
}

function methodSection(state: IncidentState): Section {
  const loadChecked = (state.cases ?? []).filter((c) => c.target.loadCheck);
  return {
    title: 'Method',
    blocks: [
      bullets([
        'EC2: instance state, system status check (the AWS host) vs instance status check (the guest OS), scheduled events (DescribeInstances, DescribeInstanceStatus).',
        'Reachability from inside the VPC: TCP connect to each configured port and an SSH banner read (SSH-2.0-…: the kernel and sshd both answer).',
        'Why not ping: ICMP ping is not possible from AWS Lambda (no raw sockets), so TCP connect + the SSH banner replace it.',
        'HTTP GET of the health URL (medic:health-url) with status and latency, when configured.',
        'Assessment: a pure function classifies the evidence (hardware / network / os / application / resource / transient) and picks the ladder of actions.',
        ...evidenceMethodItems(),
        'After each action, the same checks are repeated a bounded number of times before the next rung; a person is paged when the ladder is exhausted.',
        ...loadChecked.map(
          (c) =>
            `Recovery under load (${c.target.instanceId}, medic:load-check): once the probes saw the service back, a burst of ${c.target.loadCheck?.requests} requests over ${c.target.loadCheck?.concurrency} connections went to the health URL from the probes' vantage point (autocannon; hard caps ${LOAD_CAPS.requests} requests, ${LOAD_CAPS.connections} connections, ${LOAD_CAPS.seconds} s). Recovered only with p99 ≤ ${c.target.loadCheck?.p99Ms} ms and errors ≤ ${c.target.loadCheck?.maxErrorPct}%; otherwise the rung counts as not recovered and the ladder goes on.`,
        ),
      ]),
    ],
  };
}

function rootCauseSection(state: IncidentState): Section {
  const cases = state.cases ?? [];
  const hypothesis = classifications(state).join(', ') || 'unknown (not assessed)';
  return {
    title: 'Root cause (to be completed)',
    blocks: [
      para(
        b('Starting hypothesis: '),
        t(`${hypothesis}. This is medic's classification from the evidence, to be confirmed or corrected.`),
      ),
      bullets(cases.flatMap((c) => (c.assessment?.reasons ?? []).map((r) => `${c.target.instanceId}: ${r}`))),
      bullets(['What failed:', 'Why it failed:', 'Contributing factors:', 'Confirmed by (name, date):']),
    ],
  };
}

/** Suggestions each derived from something in the evidence; the reason is part of the sentence. */
export function prevention(state: IncidentState, context: DocumentContext = {}): string[] {
  const out: string[] = [];
  const cases = state.cases ?? [];
  const azs = new Set(state.targets.map((x) => x.availabilityZone).filter(Boolean));
  const inAsg = cases.some((c) => Boolean(c.evidence?.ec2.value?.autoScalingGroup));
  if (state.trigger.autoScalingGroupNames.length === 0 && !inAsg && state.targets.length > 0) {
    out.push(
      'Redundancy: the instance is not behind an Auto Scaling group (the alarm named the instance itself), so one host can take the service down: run it in an ASG or behind a load balancer with a standby.',
    );
  }
  if (azs.size === 1)
    out.push(
      `Redundancy: all affected instances are in one Availability Zone (${[...azs][0]}): spread across AZs.`,
    );
  const checkNames = cases.flatMap((c) => [
    ...(c.evidence?.ec2.checks ?? []),
    ...(c.evidence?.reachability.checks ?? []),
  ]);
  // With the resources branch, evidencePrevention below names the gap precisely.
  const hasMetricsBranch = cases.some((c) => c.evidence?.metrics !== undefined);
  if (
    cases.length > 0 &&
    !hasMetricsBranch &&
    !checkNames.some((k) => /mem|disk/i.test(`${k.name} ${k.source}`))
  ) {
    out.push(
      'Monitoring gap: no CloudWatch agent metrics (mem_used_percent, disk_used_percent) were available for the instance: install the CloudWatch agent so memory and disk exhaustion can be told apart.',
    );
  }
  if (state.targets.some((x) => !x.probe.healthUrl)) {
    out.push(
      'Monitoring gap: no health URL (medic:health-url) is configured, so medic could only check that the host answers, not that the service works.',
    );
  }
  if (state.trigger.source === 'manual') {
    out.push(
      'Monitoring gap: this incident was reported by a person, not an alarm: add the standard alarms for the instance (medic alarms sync).',
    );
  }
  if ((context.priorIncidents ?? 0) > 0 || context.reopenedFrom) {
    out.push(
      `Maintenance: this instance has had ${context.priorIncidents ?? 1} earlier medic incident(s)${context.reopenedFrom ? ` (${context.reopenedFrom} reopened)` : ''}: schedule maintenance or replace it instead of restarting it again.`,
    );
  }
  if (cases.some((c) => (c.evidence?.ec2.value?.scheduledEvents.length ?? 0) > 0)) {
    out.push(
      'Maintenance: AWS has scheduled events for the instance: stop/start or replace it in a quiet window.',
    );
  }
  out.push(...evidencePrevention(cases));
  if (state.targets.some((x) => !x.managed))
    out.push('Opt-in: some instances are not opted in (medic:managed=true), so medic could only page.');
  if (out.length === 0) out.push('No structural weakness detected from the evidence gathered.');
  return out;
}

function consoleRegion(state: IncidentState): string | null {
  return state.trigger.region ?? state.trigger.alarmArn?.split(':')[3] ?? null;
}

function linksSection(state: IncidentState): Section {
  const links = [];
  if (state.settings.executionUrl) links.push([a('Step Functions execution', state.settings.executionUrl)]);
  const region = consoleRegion(state);
  if (state.trigger.alarmName && region) {
    links.push([
      a(
        `CloudWatch alarm ${state.trigger.alarmName}`,
        `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(state.trigger.alarmName)}`,
      ),
    ]);
  } else if (state.trigger.alarmArn) links.push([t(`Alarm: ${state.trigger.alarmArn}`)]);
  if (region) {
    for (const x of state.targets) {
      links.push([
        a(
          `EC2 instance ${x.instanceId}`,
          `https://${region}.console.aws.amazon.com/ec2/home?region=${region}#InstanceDetails:instanceId=${encodeURIComponent(x.instanceId)}`,
        ),
      ]);
    }
    links.push([
      a(
        'medic logs (Record function)',
        `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#logsV2:log-groups`,
      ),
    ]);
  }
  return {
    title: 'Links',
    blocks: [
      links.length > 0 ? bullets(links) : para(t('No links: the run had no execution URL or region.')),
    ],
  };
}

export function timelineText(timeline: TimelineEntry[]): string {
  return timeline
    .map((e) => `${e.at}  ${e.kind.padEnd(10)} ${e.instanceId ? `${e.instanceId}: ` : ''}${e.summary}`)
    .join('\n');
}
