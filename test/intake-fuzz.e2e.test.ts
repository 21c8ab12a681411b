/**
 * Bad input. Seeded fuzzing of Admit's read-only intake (against moto) with malformed,
 * truncated, oversized and hostile events, then a sample through the whole workflow and the local
 * Jira: every event ends in a named error or a safe incident; nothing crashes the workflow; nothing
 * from an alarm reaches JQL, and markup stays literal text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preflight } from '../functions/admit.ts';
import { IncidentStateSchema } from '../shared/domain/model.ts';
import { isNotForMedic } from '../shared/usecases/intake.ts';
import { startWorld, type World } from './support/world.ts';

let w: World;
let base: Record<string, unknown>;
let instanceId: string;

beforeAll(async () => {
  w = await startWorld();
  const seeded = await w.seed('unreachable');
  base = seeded.event;
  instanceId = seeded.instanceId;
});
afterAll(async () => {
  await w?.stop();
});

const NAMED = new Set([
  'InvalidTriggerError',
  'UnsupportedEventError',
  'NoTargetError',
  'NotAnAlarmTransitionError',
  'InstanceNotFoundError',
  'EventTooLargeError',
]);

/** mulberry32: a small seeded PRNG, so a failing case can be replayed from its seed. */
function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const HOSTILE = [
  '" OR project = SECRET OR labels = "x',
  "x') ORDER BY created -- ",
  '*bold* _it_ {code}rm -rf /{code} [click|http://evil.example] {{mono}} h1. Heading',
  '<script>alert(1)</script><img src=x onerror=alert(1)>',
  '{"type":"doc","version":1,"content":[]}',
  'ünïcödé 🔥 عربى \u202Eevil\u202C zero\u200Bwidth e\u0301',
  'line1\nline2\r\n\u0000nul\u0007bell\u2028sep',
  '${jndi:ldap://x}',
];
const MEGA = 'A'.repeat(1_048_576);

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v));
}

function paths(v: unknown, prefix: string[] = []): string[][] {
  if (typeof v !== 'object' || v === null) return [prefix];
  return [prefix, ...Object.entries(v).flatMap(([k, c]) => paths(c, [...prefix, k]))];
}

function setAt(obj: unknown, path: string[], value: unknown, remove = false) {
  let cur = obj as Record<string, unknown>;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string, unknown>;
  const last = path[path.length - 1];
  if (last === undefined) return;
  if (remove) delete cur[last];
  else cur[last] = value;
}

type Kind = 'malformed' | 'truncated' | 'oversized' | 'hostile' | 'wrong-type';
function generate(rand: () => number, i: number): { kind: Kind; event: unknown } {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)] as T;
  const kind = pick<Kind>([
    'malformed',
    'malformed',
    'truncated',
    'oversized',
    'hostile',
    'hostile',
    'wrong-type',
  ]);
  const e = clone(base);
  const dims = (
    e.detail as {
      configuration: { metrics: { metricStat: { metric: { dimensions: Record<string, unknown> } } }[] };
    }
  ).configuration.metrics[0]?.metricStat.metric.dimensions as Record<string, unknown>;
  (e.detail as Record<string, unknown>).alarmName =
    `fuzz-${i} ${(e.detail as { alarmName: string }).alarmName}`;
  switch (kind) {
    case 'malformed': {
      const targets = paths(e).filter((p) => p.length > 0);
      for (let n = 0; n < 1 + Math.floor(rand() * 3); n++) {
        const p = pick(targets);
        const value = pick<unknown>([null, 42, -1.5, true, [], {}, '', 'x', [1, 'a'], { nested: {} }]);
        try {
          setAt(e, p, value, rand() < 0.3);
        } catch {
          /* the path vanished with an earlier mutation */
        }
      }
      return { kind, event: e };
    }
    case 'truncated': {
      const text = JSON.stringify(e);
      const cut = text.slice(0, Math.floor(rand() * text.length));
      try {
        return { kind, event: JSON.parse(cut) };
      } catch {
        return { kind, event: cut };
      }
    }
    case 'oversized':
      setAt(
        e,
        pick([
          ['detail', 'alarmName'],
          ['detail', 'state', 'reason'],
          ['detail', 'configuration', 'description'],
        ]),
        MEGA,
      );
      return { kind, event: e };
    case 'hostile': {
      const text = pick(HOSTILE);
      const where = pick([
        ['detail', 'alarmName'],
        ['detail', 'state', 'reason'],
        ['detail', 'configuration', 'description'],
        ['instanceIdInDimension'],
      ]);
      if (where[0] === 'instanceIdInDimension') dims.InstanceId = `${instanceId}${text}`;
      else setAt(e, where, where[1] === 'alarmName' ? `fuzz-${i} ${text}` : text);
      return { kind, event: e };
    }
    case 'wrong-type':
      return {
        kind,
        event: pick<unknown>([
          null,
          42,
          'ALARM',
          [],
          [base],
          true,
          { instanceId: 42 },
          { instanceId: `${instanceId}" OR 1=1` },
        ]),
      };
  }
}

describe('intake fuzzing', () => {
  it('400 seeded bad events: each a named error or a safe incident, never a crash', async () => {
    // Prepare
    const rand = prng(20261125);
    const counts: Record<string, number> = {};
    const crashes: string[] = [];
    // Act
    for (let i = 0; i < 400; i++) {
      const { kind, event } = generate(rand, i);
      try {
        const out = await preflight(event);
        // A well-formed alarm that names nothing medic answers for ends quietly (NotForMedic).
        if (isNotForMedic(out)) {
          expect(out.notForMedic.reason.length).toBeGreaterThan(0);
          expect(out.notForMedic.alarmName ?? '').not.toMatch(/[\n\r]/);
          counts[`${kind} → NotForMedic`] = (counts[`${kind} → NotForMedic`] ?? 0) + 1;
          continue;
        }
        const state = IncidentStateSchema.parse(out);
        expect(state.incidentId).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
        expect(state.trigger.alarmName?.length ?? 0).toBeLessThanOrEqual(255);
        expect(state.trigger.alarmName ?? '').not.toMatch(/[\n\r]/);
        expect((state.trigger.alarmName ?? '').includes(String.fromCharCode(0))).toBe(false);
        counts[`${kind} → accepted`] = (counts[`${kind} → accepted`] ?? 0) + 1;
      } catch (error) {
        const name = (error as Error).name;
        if (!NAMED.has(name))
          crashes.push(`#${i} ${kind}: ${name}: ${(error as Error).message?.slice(0, 200)}`);
        counts[`${kind} → ${name}`] = (counts[`${kind} → ${name}`] ?? 0) + 1;
      }
    }
    console.log(`fuzz counts: ${JSON.stringify(counts, null, 1)}`);
    // Assess
    expect(crashes).toEqual([]);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(400);
    expect(Object.keys(counts).some((k) => k.endsWith('accepted'))).toBe(true);
    expect(Object.keys(counts).some((k) => k.includes('EventTooLargeError'))).toBe(true);
  }, 300_000);

  it('hostile and broken events through the whole workflow: every run ends recorded, nothing becomes JQL or markup', async () => {
    // Prepare
    const hostileName = `fuzz-jql ${HOSTILE[0]} ${HOSTILE[2]}`;
    const e1 = clone(base);
    (e1.detail as Record<string, unknown>).alarmName = hostileName;
    const e2 = clone(base);
    (e2.detail as { state: { reason: string } }).state.reason = `${HOSTILE[3]} ${HOSTILE[5]}`;
    (e2.detail as Record<string, unknown>).alarmName = 'fuzz-unicode';
    const e3 = clone(base);
    (e3.detail as Record<string, unknown>).alarmName = `fuzz-mega ${MEGA}`;
    const events = [e1, e2, e3, JSON.stringify(base).slice(0, 300), 42];
    // Act
    const runs = [];
    for (const event of events) runs.push(await w.run(event));
    // Assess: every run ended with a ticket and a final notification
    runs.forEach((run, i) => {
      const state = run.state as { ticket?: { key: string } | null; outcome?: string } | undefined;
      expect(
        state?.ticket?.key ?? 'none',
        `run ${i}: ${run.status} ${JSON.stringify(run.error)} ${JSON.stringify(state)?.slice(0, 600)}`,
      ).toMatch(/^OPS-\d+$/);
    });
    expect(runs.slice(3).every((r) => r.status === 'FAILED' && r.error?.Error === 'IncidentFailed')).toBe(
      true,
    );
    const finals = (await w.inbox()).filter((m) =>
      /^\[medic\] (RESOLVED|SELF-RECOVERED|ESCALATED|HELD|FAILED)/.test(m.subject),
    );
    expect(finals.length).toBeGreaterThanOrEqual(events.length);
    // Assess: the hostile name is literal text in the ticket, and no JQL carried any of it
    const hostileIssue = w.s.jira.issues().find((i) => i.fields.summary.includes('fuzz-jql'));
    expect(hostileIssue?.fields.summary).toContain(HOSTILE[0]);
    expect(JSON.stringify(hostileIssue?.fields.description)).toContain(
      JSON.stringify(HOSTILE[2]).slice(1, -1),
    );
    const searches = w.s.jira.requests().filter((r) => r.path.endsWith('/search/jql'));
    expect(searches.length).toBeGreaterThan(0);
    for (const r of searches)
      expect((r.body as { jql: string }).jql).toMatch(
        /^project = "OPS"( AND labels = "[A-Za-z0-9_-]+")+ ORDER BY created DESC$/,
      );
    // Assess: the 1 MB alarm never reached a notification or the ticket whole
    const mega = runs[2]?.state as { error?: { Error: string } } | undefined;
    expect(mega?.error?.Error).toBe('EventTooLargeError');
  }, 300_000);
});
