/**
 * Formats that carry text from alarms and hosts: wiki markup (Data Center) escapes it, ADF keeps it
 * as text nodes that Atlassian's schema accepts, SNS subjects stay printable ASCII ≤ 100 chars, and
 * the HTML report escapes it.
 */
import { describe, expect, it } from 'vitest';
import { toAdf } from '../shared/domain/adf.ts';
import { documentText } from '../shared/domain/document.ts';
import { escapeHtml, renderHtmlReport } from '../shared/domain/html-report.ts';
import { finalNotification, openedNotification, phoneSubject } from '../shared/domain/notifications.ts';
import { episodeOutcome, ticketDocument, timings } from '../shared/domain/report.ts';
import { escapeWiki, toWiki } from '../shared/domain/wiki.ts';
import { adfProblems } from './support/adf.ts';
import { resolvedIncident } from './support/incident.ts';

const HOSTILE =
  'db *prod* {code}rm -rf /{code} [click|http://evil.example] |x| ^sup^ ??cite?? -strike- _em_ h1. big\nbq. quote !img.png! #list <script>alert(1)</script> — ✓';

describe('wiki markup for Jira Data Center', () => {
  it('escapes every markup character from an alarm so it renders as the literal text', () => {
    // Act
    const escaped = escapeWiki(HOSTILE);

    // Assess: no unescaped markup character, no line break, and unescaping gives the text back
    expect(escaped).not.toMatch(/(?<!\\)[*{}[\]|^?_!#~+]/);
    expect(escaped).not.toMatch(/(^|\s)-/);
    expect(escaped).not.toMatch(/[\r\n]/);
    expect(escaped.replace(/\\(.)/g, '$1')).toBe(HOSTILE.replace('\n', ' '));
  });

  it('keeps a hostile alarm name inside its table cell and out of macros and links', () => {
    // Prepare
    const state = resolvedIncident({ alarmName: HOSTILE });
    const doc = ticketDocument(state, state.timeline, episodeOutcome(state));

    // Act
    const wiki = toWiki(doc);

    // Assess: medic's own link syntax appears only for medic-built URLs
    expect(wiki).not.toContain('{code}');
    expect(wiki).not.toContain('[click|http://evil.example]');
    const timelineRows = (wiki.split('h2. Timeline')[1]?.split('h2. ')[0] ?? '')
      .split('\n')
      .filter((l) => l.startsWith('|'));
    for (const row of timelineRows.slice(1)) expect(row.split(/(?<!\\)\|/).length).toBe(6);
  });
});

describe('ADF for Jira Cloud', () => {
  it('keeps hostile text as plain text nodes and validates against the ADF schema', () => {
    // Prepare
    const state = resolvedIncident({ alarmName: HOSTILE, reason: '' });

    // Act
    const adf = toAdf(ticketDocument(state, state.timeline, episodeOutcome(state)));

    // Assess
    expect(adfProblems(adf)).toEqual([]);
    const links = JSON.stringify(adf).match(/"href":"[^"]*"/g) ?? [];
    expect(links.every((l) => l.includes('console.aws.amazon.com'))).toBe(true);
    expect(JSON.stringify(adf)).toContain(JSON.stringify(HOSTILE).slice(1, 30));
  });

  it('is what the validator rejects when hand-built wrong (the check can fail)', () => {
    // Act
    const problems = adfProblems({ type: 'doc', version: 1, content: [{ type: 'text', text: 'loose' }] });

    // Assess
    expect(problems.length).toBeGreaterThan(0);
  });
});

describe('SNS subjects a phone shows well', () => {
  it('are printable ASCII, one line, at most 100 characters, cut at a word', () => {
    // Act
    const subject = phoneSubject(`[medic] OPENED: web-1 — ${HOSTILE} ${'very long '.repeat(20)}`);

    // Assess
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject.endsWith('...')).toBe(true);
    expect(subject.startsWith('[medic] OPENED: web-1 - db *prod*')).toBe(true);
  });

  it('opened and final messages carry severity, instance and outcome attributes', () => {
    // Prepare
    const state = resolvedIncident();

    // Act
    const opened = openedNotification(state);
    const final = finalNotification(state, 'resolved', timings(state, state.timeline), null, '');

    // Assess
    expect(opened.subject).toBe('[medic] OPENED: web-1 - web-1 status check failed');
    expect(opened.attributes).toMatchObject({
      event: 'opened',
      instance: 'i-0abc123def4567890',
      severity: 'warning',
    });
    expect(final.attributes).toMatchObject({
      severity: 'medium',
      instance: 'i-0abc123def4567890',
      outcome: 'resolved',
    });
    expect(final.body.split('\n')[0]).toBe(`Incident ${state.incidentId}: resolved (severity medium).`);
  });
});

describe('HTML report', () => {
  it('draws one mark per timeline entry and escapes host text', () => {
    // Prepare
    const state = resolvedIncident({ alarmName: '<img src=x onerror=alert(1)>' });
    const outcome = episodeOutcome(state);

    // Act
    const html = renderHtmlReport({
      title: 't',
      subtitle: state.trigger.alarmName ?? '',
      outcome,
      ticket: null,
      timeline: state.timeline,
      document: ticketDocument(state, state.timeline, outcome),
    });

    // Assess
    expect(html.match(/<g class="mark"/g)).toHaveLength(state.timeline.length);
    expect(html).not.toContain('<img src=x');
    expect(html).toContain(escapeHtml('<img src=x onerror=alert(1)>'));
    expect(documentText(ticketDocument(state, state.timeline, outcome))).toContain(
      '== Prevention suggestions',
    );
  });
});
