/**
 * Recovery under load: the `medic:load-check` tag, the verdict, the caps a burst can never pass,
 * and the LoadCheck step that undoes a recovery which only holds for one probe.
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { autocannonBurst } from '../shared/adapters/load-burst.ts';
import { LOAD_CAPS, type LoadCheck, type LoadResult, parseLoadCheck } from '../shared/domain/load-check.ts';
import type { InstanceCase } from '../shared/domain/model.ts';
import { targetFromInstance } from '../shared/domain/target.ts';
import { judgeLoad, loadRegression, nextBaseline } from '../shared/policy/load.ts';
import type { LoadBurstPort } from '../shared/ports.ts';
import { checkUnderLoad } from '../shared/usecases/load-check.ts';
import { fixedClock, resolvedIncident } from './support/incident.ts';
import { listenOnLoopback } from './support/net.ts';

describe('the medic:load-check tag', () => {
  const ROWS: [tag: string, expected: Partial<LoadCheck> | RegExp][] = [
    ['500/20/300/1', { requests: 500, concurrency: 20, p99Ms: 300, maxErrorPct: 1 }],
    ['2000/50/1000/0.5', { requests: 2000, concurrency: 50, p99Ms: 1000, maxErrorPct: 0.5 }],
    ['100/10/250/0', { maxErrorPct: 0 }],
    [' 100 / 10 / 250 / 2 ', { requests: 100, concurrency: 10 }],
    // Over a cap: the cap is used, and the check says so.
    ['5000/20/300/1', { requests: 2000, capped: ['requests 5000 → 2000'] }],
    [
      '1000000/500/300/1',
      { requests: 2000, concurrency: 50, capped: ['requests 1000000 → 2000', 'concurrency 500 → 50'] },
    ],
    // Never more connections than requests.
    ['5/20/300/1', { requests: 5, concurrency: 5 }],
    ['0/20/300/1', /requests must be a whole number/],
    ['100/0/300/1', /concurrency must be a whole number/],
    ['100/10/0/1', /p99 ms must be a whole number/],
    ['100/10/300/101', /max error %/],
    ['100/10/300', /is not <requests>/],
    ['100/10/300/1/9', /is not <requests>/],
    ['-5/10/300/1', /requests must be/],
    ['1e3/10/300/1', /requests must be/],
    ['100.5/10/300/1', /requests must be a whole number/],
    ['abc', /is not <requests>/],
  ];
  it.each(ROWS)('%s', (tag, expected) => {
    // Act
    const parsed = parseLoadCheck(tag);
    // Assess
    if (expected instanceof RegExp) {
      expect(parsed.check).toBeNull();
      expect(parsed.problem).toMatch(expected);
    } else {
      expect(parsed.problem).toBeNull();
      expect(parsed.check).toMatchObject(expected);
    }
  });

  it('reaches the target only with a health URL to send the burst to', () => {
    // Prepare
    const info = {
      instanceId: 'i-1',
      state: 'running',
      availabilityZone: 'a',
      instanceType: 't3',
      privateIp: '10.0.0.1',
    };
    // Act
    const withUrl = targetFromInstance(
      { ...info, tags: { 'medic:load-check': '100/10/300/1', 'medic:health-url': 'http://127.0.0.1:1/h' } },
      [22],
    );
    const without = targetFromInstance({ ...info, tags: { 'medic:load-check': '100/10/300/1' } }, [22]);
    const bad = targetFromInstance(
      { ...info, tags: { 'medic:load-check': 'lots', 'medic:health-url': 'http://x/' } },
      [22],
    );
    // Assess
    expect(withUrl.loadCheck).toMatchObject({ requests: 100 });
    expect(without.loadCheck).toBeUndefined();
    expect(without.loadCheckProblem).toMatch(/needs medic:health-url/);
    expect(bad.loadCheck).toBeUndefined();
    expect(bad.loadCheckProblem).toMatch(/is not/);
  });
});

const check: LoadCheck = { requests: 100, concurrency: 10, p99Ms: 300, maxErrorPct: 1 };
const result = (over: Partial<LoadResult> = {}): LoadResult => ({
  requests: 100,
  errors: 0,
  errorPct: 0,
  requestsPerSecond: 500,
  p50Ms: 20,
  p99Ms: 100,
  durationMs: 200,
  cutShort: false,
  ...over,
});

describe('the verdict under load', () => {
  const ROWS: [name: string, r: LoadResult, pass: boolean, why?: RegExp][] = [
    ['within both limits', result(), true],
    ['p99 exactly at the limit', result({ p99Ms: 300 }), true],
    ['p99 over the limit', result({ p99Ms: 301 }), false, /p99 301 ms over the 300 ms limit/],
    ['errors exactly at the limit', result({ errors: 1, errorPct: 1 }), true],
    ['errors over the limit', result({ errors: 2, errorPct: 2 }), false, /errors 2.0% over the 1% limit/],
    ['cut short by the time cap', result({ requests: 40, cutShort: true }), false, /40 of 100 requests/],
    ['nothing answered', result({ requests: 0, errors: 100, errorPct: 100 }), false, /no request/],
  ];
  it.each(ROWS)('%s', (_name, r, pass, why) => {
    // Act
    const verdict = judgeLoad(check, r);
    // Assess
    expect(verdict.pass).toBe(pass);
    if (why && !verdict.pass) expect(verdict.why.join('; ')).toMatch(why);
  });

  it('lists a regression against the baseline, and moves the baseline only on healthy bursts', () => {
    // Assess
    expect(loadRegression(check, result({ p99Ms: 100 }), { p99Ms: 80 })).toBeNull();
    expect(loadRegression(check, result({ p99Ms: 130 }), { p99Ms: 80 })).toMatch(/1.6× the baseline 80 ms/);
    expect(loadRegression(check, result({ p99Ms: 400 }), null)).toMatch(/over the 300 ms limit/);
    expect(nextBaseline(null, result({ p99Ms: 50 }), true)).toEqual({ p99Ms: 50, samples: 1 });
    expect(nextBaseline({ p99Ms: 50, samples: 1 }, result({ p99Ms: 100 }), true)).toEqual({
      p99Ms: 60,
      samples: 2,
    });
    expect(nextBaseline({ p99Ms: 50, samples: 1 }, result({ p99Ms: 900 }), false)).toEqual({
      p99Ms: 50,
      samples: 1,
    });
  });
});

describe('the burst never passes its caps (against a loopback server that counts)', () => {
  let server: Server | null = null;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = null;
  });

  async function countingServer(answer: 'fast' | 'never') {
    const seen = { requests: 0, open: 0, maxOpen: 0 };
    const sockets = new Set<Socket>();
    server = createServer((_req, res) => {
      seen.requests++;
      if (answer === 'fast') res.end('ok');
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      seen.open++;
      seen.maxOpen = Math.max(seen.maxOpen, seen.open);
      socket.on('close', () => {
        seen.open--;
        sockets.delete(socket);
      });
    });
    const port = await listenOnLoopback(server);
    const close = () => {
      for (const s of sockets) s.destroy();
    };
    return { url: `http://127.0.0.1:${port}/health`, seen, close };
  }

  it('sends at most 2,000 requests over at most 50 connections, whatever it is asked', async () => {
    // Prepare
    const target = await countingServer('fast');
    // Act
    const r = await autocannonBurst.burst(target.url, {
      requests: 1_000_000,
      connections: 500,
      maxSeconds: 100,
    });
    // Assess
    expect(target.seen.requests).toBeLessThanOrEqual(LOAD_CAPS.requests);
    expect(target.seen.requests).toBeGreaterThan(0);
    expect(target.seen.maxOpen).toBeLessThanOrEqual(LOAD_CAPS.connections);
    expect(r.requests).toBe(target.seen.requests);
    expect(r.errorPct).toBe(0);
    target.close();
  }, 60_000);

  it('stops at its time limit when the server never answers, and says it was cut short', async () => {
    // Prepare
    const target = await countingServer('never');
    const started = Date.now();
    // Act
    const r = await autocannonBurst.burst(target.url, { requests: 50, connections: 5, maxSeconds: 2 });
    // Assess: the 2 s limit (a test value under the 15 s cap) ended it, not the requests
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.requests).toBe(0);
    expect(r.cutShort || r.errors > 0).toBe(true);
    expect(judgeLoad({ requests: 50, concurrency: 5, p99Ms: 300, maxErrorPct: 1 }, r).pass).toBe(false);
    target.close();
  }, 30_000);
});

describe('the LoadCheck step', () => {
  const base = (): InstanceCase => {
    const c = resolvedIncident().cases?.[0] as InstanceCase;
    return {
      ...c,
      target: { ...c.target, loadCheck: check },
      next: 'done',
      outcome: 'resolved',
      actions: [
        {
          kind: 'reboot',
          instanceId: c.target.instanceId,
          at: 'T',
          outcome: 'recovered',
          detail: 'rebooted',
        },
      ],
    };
  };
  const port = (r: LoadResult | Error): LoadBurstPort & { urls: string[] } => {
    const urls: string[] = [];
    return {
      urls,
      async burst(url) {
        urls.push(url);
        if (r instanceof Error) throw r;
        return r;
      },
    };
  };
  const deps = (load: LoadBurstPort, over = {}) => ({
    load,
    clock: fixedClock('2026-03-01T03:01:00.000Z'),
    loopbackOnly: true,
    probesOff: false,
    ...over,
  });

  it('keeps the recovery when the burst passes, with the figures on the action and the timeline', async () => {
    // Act
    const after = await checkUnderLoad(base(), deps(port(result())));
    // Assess
    expect(after.outcome).toBe('resolved');
    expect(after.next).toBe('done');
    expect(after.actions[0]?.detail).toMatch(/load check passed: 100 requests at 10 connections/);
    expect(after.timeline.at(-1)?.summary).toMatch(/p50 20 ms, p99 100 ms/);
  });

  it('undoes the recovery when the burst fails: the ladder goes on', async () => {
    // Act
    const after = await checkUnderLoad(base(), deps(port(result({ errors: 50, errorPct: 50 }))));
    // Assess
    expect(after.outcome).toBeNull();
    expect(after.next).toBe('act');
    expect(after.actions[0]?.outcome).toBe('not-recovered');
    expect(after.timeline.map((e) => e.summary).join('\n')).toMatch(/answers one probe, fails under load/);
    expect(after.timeline.at(-1)?.kind).toBe('escalation');
  });

  it('never reads a burst that could not run as recovered', async () => {
    // Act
    const after = await checkUnderLoad(base(), deps(port(new Error('socket hang up'))));
    // Assess
    expect(after.next).toBe('act');
    expect(after.timeline.at(-2)?.summary).toMatch(/load check could not run: socket hang up/);
  });

  it('sends nothing off loopback in a local run, and nothing when the deployment does not probe', async () => {
    // Prepare
    const c = base();
    const remote = {
      ...c,
      target: { ...c.target, probe: { ...c.target.probe, healthUrl: 'http://10.0.0.12/health' } },
    };
    const refused = port(result());
    const off = port(result());
    // Act
    const a = await checkUnderLoad(remote, deps(refused));
    const b = await checkUnderLoad(c, deps(off, { probesOff: true }));
    // Assess
    expect(refused.urls).toEqual([]);
    expect(a.next).toBe('act');
    expect(off.urls).toEqual([]);
    expect(b.outcome).toBe('resolved');
  });

  it('bursts where Verify probed: the standby after a failover', async () => {
    // Prepare
    const c = base();
    const standby = { ...c.target.probe, address: '127.0.0.2', healthUrl: 'http://127.0.0.2:8080/health' };
    const load = port(result());
    // Act
    await checkUnderLoad({ ...c, verifyProbe: standby }, deps(load));
    // Assess
    expect(load.urls).toEqual(['http://127.0.0.2:8080/health']);
  });

  it('does nothing to a case Verify did not declare recovered', async () => {
    // Prepare
    const load = port(result());
    // Act
    const after = await checkUnderLoad({ ...base(), next: 'verify', outcome: null }, deps(load));
    // Assess
    expect(load.urls).toEqual([]);
    expect(after.next).toBe('verify');
  });
});
