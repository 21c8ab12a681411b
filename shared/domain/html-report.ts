/**
 * The incident report a person opens in a browser: one self-contained HTML file (no scripts, no
 * external assets) with the timeline drawn on a time axis — evidence, decisions, actions and
 * verification as marks in their own lanes — followed by the Jira ticket's sections. Written by
 * `medic simulate` and `npm start`. Everything from alarms and hosts is HTML-escaped.
 */
import type { Block, Inline, TicketDocument } from './document.ts';
import type { TimelineEntry } from './model.ts';

export const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** Lanes top to bottom, in the order an incident unfolds. */
export const LANES = [
  { id: 'alarm', label: 'Alarm / ack', kinds: ['alarm', 'ack'], color: '#c0392b', shape: 'circle' },
  { id: 'evidence', label: 'Evidence', kinds: ['evidence'], color: '#2471a3', shape: 'circle' },
  { id: 'decision', label: 'Decision', kinds: ['decision'], color: '#7d3c98', shape: 'diamond' },
  { id: 'action', label: 'Action', kinds: ['action'], color: '#d68910', shape: 'square' },
  { id: 'verify', label: 'Verification', kinds: ['verify'], color: '#1e8449', shape: 'triangle' },
  {
    id: 'other',
    label: 'Escalation / notes',
    kinds: ['escalation', 'note', 'error'],
    color: '#566573',
    shape: 'circle',
  },
] as const;

const W = 1100;
const LEFT = 150;
const RIGHT = 30;
const LANE_H = 46;
const TOP = 30;

function laneOf(kind: string): number {
  const i = LANES.findIndex((l) => (l.kinds as readonly string[]).includes(kind));
  return i < 0 ? LANES.length - 1 : i;
}

function shape(kind: string, x: number, y: number, color: string, failed: boolean): string {
  const lane = LANES[laneOf(kind)];
  const fill = failed ? '#fff' : color;
  const common = `fill="${fill}" stroke="${color}" stroke-width="2"`;
  switch (lane?.shape) {
    case 'square':
      return `<rect x="${x - 6}" y="${y - 6}" width="12" height="12" ${common}/>`;
    case 'diamond':
      return `<polygon points="${x},${y - 8} ${x + 8},${y} ${x},${y + 8} ${x - 8},${y}" ${common}/>`;
    case 'triangle':
      return `<polygon points="${x},${y - 8} ${x + 8},${y + 6} ${x - 8},${y + 6}" ${common}/>`;
    default:
      return `<circle cx="${x}" cy="${y}" r="6" ${common}/>`;
  }
}

/** The first clause of a summary, short enough to sit beside its mark. */
function caption(summary: string): string {
  const first = summary.split(/[:;(]/)[0]?.trim() ?? summary;
  return first.length > 38 ? `${first.slice(0, 37)}…` : first;
}

const FAILED = /not recovered|not-recovered|failed|refused|timeout|could not|unreachable|held/i;

export function timelineSvg(timeline: TimelineEntry[]): string {
  const times = timeline.map((e) => Date.parse(e.at)).filter(Number.isFinite);
  const t0 = Math.min(...times);
  const t1 = Math.max(...times, t0 + 1);
  const x = (at: string) => LEFT + ((Date.parse(at) - t0) / (t1 - t0)) * (W - LEFT - RIGHT);
  const height = TOP + LANES.length * LANE_H + 40;
  const lanes = LANES.map((l, i) => {
    const y = TOP + i * LANE_H + LANE_H / 2;
    return `<g class="lane" data-lane="${l.id}"><line x1="${LEFT}" x2="${W - RIGHT}" y1="${y}" y2="${y}" stroke="#d5d8dc"/><text x="${LEFT - 10}" y="${y + 4}" text-anchor="end" font-size="13" fill="#34495e">${escapeHtml(l.label)}</text></g>`;
  }).join('');
  const axisY = TOP + LANES.length * LANE_H + 6;
  const ticks = Array.from({ length: 6 }, (_, i) => {
    const ms = t0 + ((t1 - t0) * i) / 5;
    const tx = LEFT + ((W - LEFT - RIGHT) * i) / 5;
    const rel = ((ms - t0) / 1000).toFixed(1);
    return `<g class="tick"><line x1="${tx}" x2="${tx}" y1="${TOP}" y2="${axisY}" stroke="#eaecee"/><text x="${tx}" y="${axisY + 16}" text-anchor="middle" font-size="11" fill="#566573">+${rel} s</text></g>`;
  }).join('');
  const marks = timeline
    .map((e, i) => {
      const lane = laneOf(e.kind);
      const color = LANES[lane]?.color ?? '#566573';
      // Stagger marks that share a time so each stays visible.
      const y = TOP + lane * LANE_H + LANE_H / 2 + ((i % 3) - 1) * 7;
      const failed = (e.kind === 'verify' || e.kind === 'action') && FAILED.test(e.summary);
      const title = `${e.at} ${e.kind} ${e.instanceId ? `${e.instanceId}: ` : ''}${e.summary}`;
      const mx = Number(x(e.at).toFixed(1));
      // Decisions, actions, escalations and the verification that saw recovery get a short label.
      const labelled =
        ['decision', 'action', 'escalation'].includes(e.kind) ||
        (e.kind === 'verify' && e.summary.startsWith('recovered'));
      const label = labelled ? caption(e.summary) : '';
      const anchor = mx > W - 260 ? 'end' : 'start';
      const text = label
        ? `<text x="${anchor === 'end' ? mx - 10 : mx + 10}" y="${y - 9}" font-size="11" fill="${color}" text-anchor="${anchor}">${escapeHtml(label)}</text>`
        : '';
      return `<g class="mark" data-kind="${escapeHtml(e.kind)}" data-at="${escapeHtml(e.at)}"><title>${escapeHtml(title)}</title>${shape(e.kind, mx, y, color, failed)}${text}</g>`;
    })
    .join('');
  return `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${height}" width="100%" role="img" aria-label="Incident timeline: ${timeline.length} entries from ${escapeHtml(new Date(t0).toISOString())} (UTC)">${ticks}${lanes}<line x1="${LEFT}" x2="${W - RIGHT}" y1="${axisY}" y2="${axisY}" stroke="#34495e"/><text x="${LEFT}" y="${height - 2}" font-size="11" fill="#566573">t0 = ${escapeHtml(new Date(t0).toISOString())} (UTC)</text>${marks}</svg>`;
}

function inlineHtml(i: Inline): string {
  const text = escapeHtml(i.text);
  if (i.href) return `<a href="${escapeHtml(i.href)}">${text}</a>`;
  if (i.code) return `<code>${text}</code>`;
  return i.bold ? `<strong>${text}</strong>` : text;
}

function blockHtml(b: Block): string {
  switch (b.type) {
    case 'paragraph':
      return `<p>${b.content.map(inlineHtml).join('')}</p>`;
    case 'bullets':
      return b.items.length
        ? `<ul>${b.items.map((it) => `<li>${it.map(inlineHtml).join('')}</li>`).join('')}</ul>`
        : '';
    case 'table':
      return `<table><thead><tr>${b.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${b.rows
        .map((r) => `<tr>${r.map((v) => `<td>${escapeHtml(v)}</td>`).join('')}</tr>`)
        .join('')}</tbody></table>`;
  }
}

export interface ReportInput {
  title: string;
  subtitle: string;
  outcome: string;
  ticket: { key: string; url: string | null } | null;
  timeline: TimelineEntry[];
  document: TicketDocument;
}

export function renderHtmlReport(r: ReportInput): string {
  const legend = LANES.map(
    (l) =>
      `<span class="key"><svg width="14" height="14"><circle cx="7" cy="7" r="6" fill="${l.color}"/></svg> ${escapeHtml(l.label)}</span>`,
  ).join(' ');
  const ticket = r.ticket
    ? `Jira ${r.ticket.url ? `<a href="${escapeHtml(r.ticket.url)}">${escapeHtml(r.ticket.key)}</a>` : escapeHtml(r.ticket.key)}`
    : 'no Jira ticket';
  const sections = r.document.sections
    .map(
      (s) =>
        `<section class="ticket-section"><h2>${escapeHtml(s.title)}</h2>${s.blocks.map(blockHtml).join('')}</section>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(r.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1160px;color:#1c2833;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}.sub{color:#566573;margin:0 0 16px}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;color:#fff;background:#566573;text-transform:uppercase;font-size:12px}
.badge.resolved,.badge.self-recovered{background:#1e8449}.badge.escalated,.badge.failed{background:#c0392b}.badge.held,.badge.dry-run{background:#d68910}
.card{border:1px solid #d5d8dc;border-radius:8px;padding:12px 16px;margin:16px 0;background:#fbfcfc}
.key{margin-right:14px;font-size:12px;color:#34495e}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:13px}th,td{border:1px solid #d5d8dc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f2f3f4}
td{word-break:break-word}h2{font-size:17px;margin:20px 0 6px;border-bottom:1px solid #eaecee;padding-bottom:4px}
</style></head>
<body>
<h1>${escapeHtml(r.title)}</h1>
<p class="sub"><span class="badge ${escapeHtml(r.outcome)}">${escapeHtml(r.outcome)}</span> ${escapeHtml(r.subtitle)} · ${ticket}</p>
<div class="card" id="timeline"><strong>Timeline</strong> (${r.timeline.length} entries, UTC; hover a mark for detail; hollow = failed check or action)<br>${legend}
${timelineSvg(r.timeline)}</div>
<div class="card" id="ticket">${sections}</div>
</body></html>
`;
}
