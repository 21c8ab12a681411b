/**
 * Learning from the record, through the use cases with in-memory ports and the local Jira: Decide
 * starts a recurrence one rung higher, Close keeps the fix and marks the one that did not hold
 * (with its EMF metrics), and Record quotes the track record next to the plan and links the tickets.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocalJira } from '../local/jira-server.ts';
import { fixMetrics } from '../shared/adapters/metrics.ts';
import type { IncidentState, InstanceCase } from '../shared/domain/model.ts';
import type { ClosedIncident } from '../shared/policy/learning.ts';
import type { FixRecordPort } from '../shared/ports.ts';
import { decide, judgeRecurrence } from '../shared/usecases/decide.ts';
import { learn, trackRecord } from '../shared/usecases/learn.ts';
import { record } from '../shared/usecases/record.ts';
import { instanceCase, osAssessment } from './support/cases.ts';
import { inbox, resolvedIncident } from './support/incident.ts';
import { localTickets, startLocalJira } from './support/jira.ts';

const NOW = new Date('2026-03-02T03:00:00.000Z');
const clock = () => NOW;
const H = 3_600_000;

function priorFix(over: Partial<ClosedIncident> = {}): ClosedIncident {
  return {
    incidentId: 'medic-old',
    instanceId: 'i-0123456789abcdef0',
    classification: 'os',
    outcome: 'resolved',
    startedAt: '2026-03-02T00:00:00.000Z',
    endedAt: '2026-03-02T00:05:00.000Z',
    ticketKey: 'OPS-1',
    actions: ['reboot'],
    fixedBy: 'reboot',
    fixedRung: 0,
    timeToMitigateSeconds: 60,
    recurredBy: null,
    ...over,
  };
}

/** A fix record in memory: what Close wrote, and what the ticket's track record reads. */
function memoryFixes(rows: ClosedIncident[] = []): FixRecordPort & {
  rows: ClosedIncident[];
  marked: [string, string][];
} {
  const marked: [string, string][] = [];
  return {
    rows,
    marked,
    async put(f) {
      rows.push(f);
    },
    async markRecurred(f, by) {
      marked.push([f.incidentId, by]);
    },
    async since(classification, since) {
      return rows.filter(
        (r) => r.classification === classification && Date.parse(r.endedAt ?? '') >= since.getTime(),
      );
    },
  };
}

describe('Decide: a fix that did not hold starts the ladder one rung higher', () => {
  const hung = (over: Partial<InstanceCase> = {}) =>
    instanceCase({ assessment: osAssessment(['reboot', 'stop-start', 'failover', 'page']), ...over });

  it('resolved by reboot 3 h ago, the same classification: the first move is stop-start, not reboot', async () => {
    // Prepare
    const c = judgeRecurrence(hung({ priorFixes: [priorFix()] }), clock, 24 * H);
    // Act
    const decided = await decide({ c }, { ec2: { consoleOutput: async () => null }, clock });
    // Assess
    expect(decided.recurrenceOf?.incidentId).toBe('medic-old');
    // stop-start runs at approve by default: a person is asked, for the second rung.
    expect(decided.move).toMatchObject({ kind: 'await-approval', action: 'stop-start' });
    expect(decided.timeline.at(-1)?.summary).toContain('that fix did not hold');
  });

  it('no prior fix, or one outside the window: reboot first, as always', async () => {
    // Prepare
    const none = judgeRecurrence(hung(), clock, 24 * H);
    const old = judgeRecurrence(hung({ priorFixes: [priorFix()] }), clock, 2 * H);
    // Act
    const moves = await Promise.all(
      [none, old].map((c) => decide({ c }, { ec2: { consoleOutput: async () => null }, clock })),
    );
    // Assess
    expect(moves.map((m) => m.move)).toMatchObject([
      { kind: 'act', action: 'reboot' },
      { kind: 'act', action: 'reboot' },
    ]);
    expect(moves.map((m) => m.recurrenceOf)).toEqual([undefined, undefined]);
  });
});

describe('Close learns: the fix is kept, a recurrence marks the old one, metrics by classification × action', () => {
  it('a resolved incident becomes a fix row: reboot carried out, Verify agreed, 52 s to mitigate', async () => {
    // Prepare
    const fixes = memoryFixes();
    const emf: string[] = [];
    // Act
    await learn(resolvedIncident(), '2026-03-01T03:01:00.000Z', {
      fixes,
      metrics: fixMetrics((l) => emf.push(l)),
    });
    // Assess
    expect(fixes.rows).toMatchObject([
      {
        classification: 'os',
        outcome: 'resolved',
        actions: ['reboot'],
        fixedBy: 'reboot',
        fixedRung: 0,
        timeToMitigateSeconds: 52,
      },
    ]);
    expect(fixes.marked).toEqual([]);
    const doc = JSON.parse(emf[0] ?? '{}');
    expect(doc).toMatchObject({ classification: 'os', action: 'reboot', FixAttempts: 1, FixVerified: 1 });
    expect(doc.TimeToMitigate).toBe(52);
  });

  it('the incident that shows a fix did not hold marks it and counts FixRecurred for its action', async () => {
    // Prepare
    const base = resolvedIncident({ incidentId: 'medic-new' });
    const state: IncidentState = {
      ...base,
      cases: (base.cases ?? []).map((c) => ({ ...c, recurrenceOf: priorFix() })),
    };
    const fixes = memoryFixes();
    const emf: string[] = [];
    // Act
    await learn(state, '2026-03-01T03:01:00.000Z', { fixes, metrics: fixMetrics((l) => emf.push(l)) });
    // Assess
    expect(fixes.marked).toEqual([['medic-old', 'medic-new']]);
    expect(emf.map((l) => JSON.parse(l)).find((d) => 'FixRecurred' in d)).toMatchObject({
      classification: 'os',
      action: 'reboot',
      FixRecurred: 1,
    });
  });
});

describe('Record: the track record next to the plan, and the two tickets linked (local Jira)', () => {
  let jira: LocalJira;
  beforeEach(async () => {
    jira = await startLocalJira();
  });
  afterEach(async () => {
    await jira.close();
  });

  it('quotes "reboot fixed 7 of 9 `os` incidents …" and links the new ticket to the old one', async () => {
    // Prepare: nine os incidents in which reboot ran, seven fixed by it, two of those came back.
    const rows = Array.from({ length: 9 }, (_, n) =>
      priorFix({
        incidentId: `past-${n}`,
        endedAt: new Date(NOW.getTime() - (n + 1) * 24 * H).toISOString(),
        fixedBy: n < 7 ? 'reboot' : null,
        outcome: n < 7 ? 'resolved' : 'escalated',
        recurredBy: n < 2 ? 'later' : null,
      }),
    );
    const fixes = memoryFixes(rows);
    const tickets = localTickets(jira, { timeoutMs: 15_000, attempts: 2, backoffMs: 10 });
    const old = await tickets.create({
      summary: '[medic] resolved: web-1',
      labels: ['medic'],
      priority: 'High',
      description: { sections: [] },
    });
    const base = resolvedIncident({ incidentId: 'medic-new' });
    const state: IncidentState = {
      ...base,
      cases: (base.cases ?? []).map((c) => ({ ...c, recurrenceOf: priorFix({ ticketKey: old.key }) })),
    };
    // Act
    const out = await record(state, {
      tickets: async () => tickets,
      notifier: inbox(),
      clock,
      trackRecord: (classification, plan) => trackRecord(classification, plan, { fixes, now: NOW, days: 30 }),
    });
    // Assess
    const issue = jira.issues().find((i) => i.key === out.ticket?.key);
    const description = JSON.stringify(issue?.fields.description);
    expect(description).toContain(
      'track record: reboot fixed 7 of 9 `os` incidents on this fleet in 30 days; 2 recurred',
    );
    expect(description).toContain(`recurrence: reboot resolved medic-old (${old.key})`);
    expect(issue?.links).toEqual([{ type: 'Relates', direction: 'outward', key: old.key }]);
    expect(out.timeline.map((e) => e.summary)).toContain(
      `linked ${out.ticket?.key} to ${old.key}: the fix recorded there did not hold`,
    );
  });

  it('a link Jira refuses is said on the timeline; the ticket is still filed', async () => {
    // Prepare: the old ticket no longer exists (deleted, or another project).
    const tickets = localTickets(jira, { timeoutMs: 15_000, attempts: 2, backoffMs: 10 });
    const base = resolvedIncident({ incidentId: 'medic-new' });
    const state: IncidentState = {
      ...base,
      cases: (base.cases ?? []).map((c) => ({ ...c, recurrenceOf: priorFix({ ticketKey: 'OPS-999' }) })),
    };
    // Act
    const out = await record(state, { tickets: async () => tickets, notifier: inbox(), clock });
    // Assess
    expect(out.ticket?.key).toBeTruthy();
    expect(out.timeline.map((e) => e.summary).join('\n')).toMatch(
      /could not link OPS-\d+ to OPS-999 \(the fix that did not hold\): JiraRequestError: .*404/,
    );
  });
});
