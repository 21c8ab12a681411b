/**
 * The health sweep's routine stress check: opted-in services (medic:load-check + medic:health-url)
 * get the same capped burst as after Verify, against a latency baseline kept per service; the
 * digest lists regressions. Bounded per sweep and by the sweep's own time.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autocannonBurst } from '../shared/adapters/load-burst.ts';
import { deadlineIn } from '../shared/domain/deadline.ts';
import type { LoadBaseline, LoadBaselineStore, Notification, TicketPort } from '../shared/ports.ts';
import {
  healthSweep,
  STRESS_RESERVE_MS,
  type SweepDeps,
  type SweepInstance,
} from '../shared/usecases/health-sweep.ts';
import { listenOnLoopback } from './support/net.ts';

function memoryBaselines(
  seed: Record<string, LoadBaseline> = {},
): LoadBaselineStore & { all: Map<string, LoadBaseline> } {
  const all = new Map(Object.entries(seed));
  return {
    all,
    get: async (id) => all.get(id) ?? null,
    put: async (id, b) => {
      all.set(id, b);
    },
  };
}

const servers: Server[] = [];
/** A service on 127.0.0.1 that answers each request after `delayMs`. */
async function service(delayMs: number): Promise<string> {
  const server = createServer((_req, res) => setTimeout(() => res.end('ok'), delayMs));
  servers.push(server);
  return `http://127.0.0.1:${await listenOnLoopback(server)}/health`;
}

const instance = (id: string, tags: Record<string, string>): SweepInstance => ({
  instanceId: id,
  name: id,
  state: 'running',
  availabilityZone: 'us-east-1a',
  autoScalingGroup: 'web',
  tags,
});

function deps(fleet: SweepInstance[], over: Partial<SweepDeps> = {}) {
  const sent: Notification[] = [];
  const bursts: string[] = [];
  const baselines = memoryBaselines();
  const d: SweepDeps = {
    fleet: async () => fleet,
    agentMetrics: async (ids) =>
      new Map(ids.map((id) => [id, { diskUsedPercent: 40, memoryUsedPercent: 40 }])),
    alarmNames: async () =>
      new Set(
        fleet.flatMap((i) => ['cpu', 'status', 'memory', 'disk'].map((k) => `medic-${i.instanceId}-${k}`)),
      ),
    asgZones: async () => new Map([['web', ['us-east-1a', 'us-east-1b']]]),
    notifier: {
      publish: async (n) => {
        sent.push(n);
        return { messageId: 'm-1' };
      },
    },
    tickets: async () =>
      ({
        search: async () => [],
        create: async () => ({ key: 'OPS-1', url: null }),
      }) as unknown as TicketPort,
    clock: () => new Date('2026-11-29T03:00:00.000Z'),
    stress: {
      burst: (id, url, check) => {
        bursts.push(id);
        return autocannonBurst.burst(url, {
          requests: check.requests,
          connections: check.concurrency,
          maxSeconds: 5,
        });
      },
      baselines,
      maxPerSweep: 4,
    },
    ...over,
  };
  return { d, sent, bursts, baselines };
}

describe('the sweep stress check', () => {
  let fast: string;
  let slow: string;
  beforeAll(async () => {
    fast = await service(0);
    slow = await service(40);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it('bursts only opted-in services, keeps a first baseline, and lists a regression against it next time', async () => {
    // Prepare: web-1 opted in; web-2 has a health URL but no load-check tag; web-3 a bad tag
    const fleet = [
      instance('i-web-1', { 'medic:load-check': '100/5/2000/1', 'medic:health-url': fast }),
      instance('i-web-2', { 'medic:health-url': fast }),
      instance('i-web-3', { 'medic:load-check': 'lots', 'medic:health-url': fast }),
    ];
    const first = deps(fleet);
    // Act
    const r1 = await healthSweep(first.d);
    // Assess
    expect(first.bursts).toEqual(['i-web-1']);
    expect(r1.stressed.map((f) => [f.instanceId, f.regression])).toEqual([['i-web-1', null]]);
    expect(first.baselines.all.get('i-web-1')?.samples).toBe(1);
    expect(first.sent[0]?.body).toMatch(/Stress check: 1 of 1 opted-in service\(s\) this sweep/);
    expect(first.sent[0]?.body).toMatch(/i-web-1: 100 requests at 5 connections .*first baseline/);

    // Prepare: the same service, now 40 ms per request, against a 2 ms baseline
    const slower = [instance('i-web-1', { 'medic:load-check': '100/5/2000/1', 'medic:health-url': slow })];
    const second = deps(slower);
    await second.baselines.put('i-web-1', { p99Ms: 2, samples: 5, at: '2026-11-28T03:00:00.000Z' });
    // Act
    const r2 = await healthSweep(second.d);
    // Assess: listed as drift, and the baseline did not move towards the regression
    expect(r2.drift.filter((d) => d.kind === 'load-regression').map((d) => d.instanceId)).toEqual([
      'i-web-1',
    ]);
    expect(r2.drift.find((d) => d.kind === 'load-regression')?.detail).toMatch(/× the baseline 2 ms/);
    expect(second.sent[0]?.body).toMatch(/REGRESSION/);
    expect(second.baselines.all.get('i-web-1')).toMatchObject({ p99Ms: 2, samples: 5 });
  }, 60_000);

  it('checks at most maxPerSweep services, the longest-unchecked first', async () => {
    // Prepare: five opted-in services; i-3 and i-5 were never checked, i-1 most recently
    const tags = { 'medic:load-check': '20/2/2000/5', 'medic:health-url': fast };
    const fleet = ['i-1', 'i-2', 'i-3', 'i-4', 'i-5'].map((id) => instance(id, tags));
    const run = deps(fleet);
    run.d.stress = { ...(run.d.stress as NonNullable<SweepDeps['stress']>), maxPerSweep: 3 };
    await run.baselines.put('i-1', { p99Ms: 5, samples: 1, at: '2026-11-28T05:00:00.000Z' });
    await run.baselines.put('i-2', { p99Ms: 5, samples: 1, at: '2026-11-28T01:00:00.000Z' });
    await run.baselines.put('i-4', { p99Ms: 5, samples: 1, at: '2026-11-28T03:00:00.000Z' });
    // Act
    await healthSweep(run.d);
    // Assess
    expect(run.bursts.sort()).toEqual(['i-2', 'i-3', 'i-5']);
  }, 60_000);

  it('starts no burst without the time for one, and sends nothing when the check is off', async () => {
    // Prepare
    const fleet = [instance('i-web-1', { 'medic:load-check': '100/5/2000/1', 'medic:health-url': fast })];
    const late = deps(fleet, { deadline: deadlineIn(STRESS_RESERVE_MS - 1_000) });
    const off = deps(fleet, { stress: undefined });
    // Act
    const r = await healthSweep(late.d);
    await healthSweep(off.d);
    // Assess
    expect(late.bursts).toEqual([]);
    expect(r.stressed).toEqual([]);
    expect(off.sent[0]?.body).not.toMatch(/Stress check/);
  });
});
