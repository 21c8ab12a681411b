/**
 * The post-incident review page: what it is called and what it says, as a neutral document that
 * storage.ts renders for Confluence. Pure functions of the incident state, its merged timeline and
 * the ticket. The ticket's sections (report.ts) are reused where the review says the same thing, so
 * the two never disagree; what only a review has (hypotheses, prompts, action items) is built here.
 */
import { type Block, b, bullets, para, type Section, t } from './document.ts';
import type { IncidentState, TimelineEntry } from './model.ts';
import { type EpisodeOutcome, prevention, ticketDocument, timings } from './report.ts';

/** A task list (Confluence's checkboxes): the review's action items. */
export type TaskBlock = { type: 'tasks'; items: string[] };
export type ReviewBlock = Block | TaskBlock;
export interface ReviewSection {
  title: string;
  blocks: ReviewBlock[];
}
export interface ReviewDocument {
  sections: ReviewSection[];
}

/** Confluence rejects titles over 255 characters; a title is one line. */
const TITLE_LIMIT = 255;

/**
 * `[medic] <date> <instance name> — <alarm>`: the date the alarm was entered (UTC), the first
 * instance's Name tag (its id without one). The title is how a rerun of the episode finds its page.
 */
export function reviewTitle(state: IncidentState): string {
  const date = new Date(state.trigger.enteredAlarmAt);
  const day = Number.isNaN(date.getTime()) ? 'unknown-date' : date.toISOString().slice(0, 10);
  const [first, ...others] = state.targets;
  const instance = first
    ? `${first.name || first.instanceId}${others.length > 0 ? ` +${others.length}` : ''}`
    : 'unknown instance';
  const alarm = state.trigger.alarmName ?? `manual: ${state.trigger.reason}`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a title is one line of printable text
  const line = `[medic] ${day} ${instance} — ${alarm}`.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length > TITLE_LIMIT ? `${line.slice(0, TITLE_LIMIT - 1)}…` : line;
}

/**
 * Another episode can share the title (the same alarm on the same instance twice in a day): the
 * page says which episode it belongs to, and a second episode takes the next free numbered title.
 */
export const EPISODE_MARKER = 'medic episode key: ';
/** How many numbered titles are tried before the review goes to the outbox for a person to sort out. */
export const MAX_TITLE_VARIANTS = 5;

/** The n-th title for an episode (1: the title itself), still within Confluence's 255 characters. */
export function titleVariant(title: string, n: number): string {
  if (n <= 1) return title;
  const suffix = ` (${n})`;
  const room = TITLE_LIMIT - suffix.length;
  return `${title.length > room ? `${title.slice(0, room - 1)}…` : title}${suffix}`;
}

export interface ReviewLinks {
  ticket: { key: string; url: string | null } | null;
}

function sectionOf(sections: Section[], title: string): Section | undefined {
  return sections.find((s) => s.title === title);
}

function hypotheses(state: IncidentState): ReviewBlock[] {
  const cases = state.cases ?? [];
  const items = cases.flatMap((c) => {
    const x = c.assessment;
    if (!x) return [`${c.target.instanceId}: not assessed — no hypothesis from the evidence`];
    const because = x.reasons.length > 0 ? `, because ${x.reasons.join('; ')}` : '';
    return [`${c.target.instanceId}: ${x.classification} (${x.confidence} confidence)${because}`];
  });
  return [
    para(
      t(
        "medic's classification of the evidence, stated as hypotheses: confirm or reject each one in the review.",
      ),
    ),
    bullets(items.length > 0 ? items : ['No instance was assessed: there is no hypothesis from evidence.']),
  ];
}

function wentWell(state: IncidentState, timeline: TimelineEntry[], outcome: EpisodeOutcome): string[] {
  const x = timings(state, timeline);
  const out: string[] = [];
  if (x.timeToAcknowledge !== null)
    out.push(`Stakeholders were told within ${x.timeToAcknowledge} s of the alarm.`);
  if (x.timeToMitigate !== null) out.push(`Service answered again ${x.timeToMitigate} s after the alarm.`);
  if (outcome === 'self-recovered') out.push('The instance recovered before any action was needed.');
  return out;
}

function wentPoorly(state: IncidentState, timeline: TimelineEntry[], outcome: EpisodeOutcome): string[] {
  const out: string[] = [];
  if (outcome === 'escalated') out.push('medic exhausted its safe actions: a person had to be paged.');
  if (outcome === 'held') out.push('medic was not allowed to act: a person had to act.');
  if (outcome === 'failed') out.push('medic itself failed part-way.');
  const errors = timeline.filter((e) => e.kind === 'error').length;
  if (errors > 0) out.push(`${errors} step(s) reported errors (see the timeline).`);
  if ((state.cases ?? []).some((c) => c.leftStopped)) out.push('An instance was left stopped.');
  return out;
}

/** The review page: sections a post-incident review needs, seeded from what medic saw and did. */
export function reviewDocument(
  state: IncidentState,
  timeline: TimelineEntry[],
  outcome: EpisodeOutcome,
  links: ReviewLinks,
): ReviewDocument {
  const ticket = ticketDocument(state, timeline, outcome);
  const take = (title: string, as = title): ReviewSection[] => {
    const s = sectionOf(ticket.sections, title);
    return s ? [{ title: as, blocks: s.blocks }] : [];
  };
  const changes = ticket.sections.find((s) => /^recent changes/i.test(s.title));
  const linkItems = [
    links.ticket
      ? [
          b('Ticket: '),
          links.ticket.url ? { text: links.ticket.key, href: links.ticket.url } : t(links.ticket.key),
        ]
      : [
          b('Ticket: '),
          t('not filed yet (waiting in the outbox); this page is updated with the link once it is'),
        ],
    ...(state.settings.executionUrl
      ? [[b('Execution: '), { text: state.incidentId, href: state.settings.executionUrl }]]
      : [[b('Execution: '), t(state.incidentId)]]),
    [
      b('Report: '),
      t(
        links.ticket
          ? `the full record (evidence, timeline) is on ${links.ticket.key}`
          : 'the full record (evidence, timeline) goes on the ticket',
      ),
    ],
  ];
  return {
    sections: [
      ...take('Summary', 'Summary and impact'),
      ...take('Timeline'),
      ...take('Evidence', 'What medic checked and found'),
      ...take('Actions and results'),
      {
        title: 'Recent changes',
        blocks: changes?.blocks ?? [
          para(t('Not known: medic gathered no change history for this incident.')),
        ],
      },
      { title: 'Contributing factors (hypotheses)', blocks: hypotheses(state) },
      {
        title: 'What went well',
        blocks: [bullets([...wentWell(state, timeline, outcome), 'To complete in the review:'])],
      },
      {
        title: 'What went poorly',
        blocks: [bullets([...wentPoorly(state, timeline, outcome), 'To complete in the review:'])],
      },
      { title: 'Action items', blocks: [{ type: 'tasks', items: prevention(state) }] },
      { title: 'Links', blocks: [bullets(linkItems), para(t(`${EPISODE_MARKER}${state.incidentId}`))] },
    ],
  };
}
