/**
 * Prometheus evidence without a Prometheus: the PromQL medic writes (and that hostile label text
 * cannot change it), the range-query adapter against a loopback server speaking the HTTP API, the
 * resources branch with in-memory ports, and how the assessment reads a Prometheus-only host.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusApi } from '../shared/adapters/prometheus.ts';
import { ssmSecureString } from '../shared/adapters/ssm-token.ts';
import { assess } from '../shared/domain/assess.ts';
import type { Evidence, InstanceCase } from '../shared/domain/model.ts';
import {
  prometheusInstanceFor,
  prometheusQueries,
  promString,
  queryStepSeconds,
} from '../shared/domain/prometheus.ts';
import type { MetricsPort, PrometheusPort, PromSeries } from '../shared/ports.ts';
import { gatherMetrics } from '../shared/usecases/evidence-resources.ts';
import { instanceCase } from './support/cases.ts';

const NOW = new Date('2026-03-01T12:00:30.000Z');

/** Go's strconv.Unquote for the escapes JSON produces: what Prometheus's lexer reads back. */
function unquote(literal: string): string {
  return JSON.parse(literal) as string;
}

describe('PromQL text', () => {
  it.each([
    ['plain', '10.0.1.5:9100'],
    ['a quote that would close the matcher', 'x"} or vector(1) #'],
    ['a backslash before the quote', 'x\\"} or on() vector(1)'],
    ['newline and control characters', 'a\nb\u0000c\u007f'],
    ['a unicode line separator', 'a\u2028b'],
    ['braces and a regex', '.*"}|up{job=~".*'],
  ])('%s: the label value stays one string literal that reads back exactly', (_, value) => {
    // Act
    const literal = promString(value);
    const q = prometheusQueries(value, 'probe_success{instance=$instance}');
    // Assess: one literal, opened and closed by the only unescaped quotes
    expect(literal.startsWith('"') && literal.endsWith('"')).toBe(true);
    expect(literal.slice(1, -1)).not.toMatch(/(^|[^\\])(\\\\)*"/);
    expect(['\n', '\r', '\u0000'].some((c) => literal.includes(c))).toBe(false);
    expect(unquote(literal)).toBe(value);
    expect(q.up).toBe(`up{instance=${literal}}`);
    expect(q.service).toBe(`probe_success{instance=${literal}}`);
  });

  it('asks the five questions about one instance and leaves memory-backed filesystems out', () => {
    // Act
    const q = prometheusQueries('web-1:9100', null);
    // Assess
    expect(q.loadPerCpu).toContain('node_load1{instance="web-1:9100"}');
    expect(q.loadPerCpu).toContain(
      'count by (instance) (node_cpu_seconds_total{instance="web-1:9100",mode="idle"})',
    );
    expect(q.filesystemAvailable).toMatch(
      /^node_filesystem_avail_bytes\{.*\} \/ node_filesystem_size_bytes\{.*\}$/,
    );
    expect(q.filesystemAvailable).toContain('fstype!~"tmpfs|devtmpfs|ramfs|overlay');
    expect(q.memoryAvailable).toBe(
      'node_memory_MemAvailable_bytes{instance="web-1:9100"} / node_memory_MemTotal_bytes{instance="web-1:9100"}',
    );
    expect(q.service).toBeNull();
  });

  it.each([
    [30 * 60, 30],
    [60, 15],
    [24 * 3600, 1440],
  ])('a %i s window is asked in about 60 steps (step %i s, never under 15 s)', (seconds, step) => {
    expect(queryStepSeconds(new Date(0), new Date(seconds * 1000))).toBe(step);
  });

  it.each([
    ['web-1:9100', 'i-0abc:9100', 'web-1:9100'],
    [null, 'i-0abc:9100', 'i-0abc:9100'],
    ['  ', 'node-7', 'node-7'],
    [null, undefined, null],
    ['x'.repeat(257), undefined, null],
  ])('tag %s, alert label %s → instance %s', (tag, label, expected) => {
    expect(prometheusInstanceFor(tag, label)).toBe(expected);
  });
});

// ---- the adapter against a loopback server speaking the query_range API ----

interface Seen {
  url: URL;
  authorization: string | undefined;
}

describe('query_range adapter', () => {
  const seen: Seen[] = [];
  let answer: (req: IncomingMessage) => { status: number; body: string; delayMs?: number } = () => ({
    status: 200,
    body: '{}',
  });
  const server = createServer((req, res) => {
    seen.push({ url: new URL(req.url ?? '/', 'http://127.0.0.1'), authorization: req.headers.authorization });
    const a = answer(req);
    setTimeout(() => {
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(a.body);
    }, a.delayMs ?? 0).unref();
  });
  let base = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const range = {
    start: new Date('2026-03-01T11:30:00Z'),
    end: new Date('2026-03-01T12:01:00Z'),
    stepSeconds: 31,
  };

  it('sends GET /api/v1/query_range with the query, unix start/end, the step and the bearer token', async () => {
    // Prepare
    seen.length = 0;
    answer = () => ({
      status: 200,
      body: JSON.stringify({
        status: 'success',
        data: {
          resultType: 'matrix',
          result: [
            {
              metric: { mountpoint: '/' },
              values: [
                [1772366400, '0.02'],
                [1772366431, 'NaN'],
              ],
            },
          ],
        },
      }),
    });
    const api = prometheusApi({ baseUrl: `${base}/`, timeoutMs: 2_000, token: async () => 's3cret-token\n' });
    // Act
    const series = await api.queryRange('up{instance="a"}', range);
    // Assess
    expect(seen[0]?.url.pathname).toBe('/api/v1/query_range');
    expect(seen[0]?.url.searchParams.get('query')).toBe('up{instance="a"}');
    expect(seen[0]?.url.searchParams.get('start')).toBe(String(range.start.getTime() / 1000));
    expect(seen[0]?.url.searchParams.get('end')).toBe(String(range.end.getTime() / 1000));
    expect(seen[0]?.url.searchParams.get('step')).toBe('31s');
    expect(seen[0]?.authorization).toBe('Bearer s3cret-token');
    expect(series).toEqual([
      { labels: { mountpoint: '/' }, points: [{ at: '2026-03-01T12:00:00.000Z', value: 0.02 }] },
    ]);
  });

  it('a refused query, a wrong token, a non-API answer and a slow server are PrometheusQueryError', async () => {
    const api = prometheusApi({ baseUrl: base, timeoutMs: 300 });
    const cases: [ReturnType<typeof answer>, RegExp][] = [
      [
        { status: 400, body: '{"status":"error","errorType":"bad_data","error":"parse error"}' },
        /HTTP 400 bad_data parse error/,
      ],
      [{ status: 401, body: 'Unauthorized' }, /HTTP 401, not a Prometheus API answer/],
      [
        { status: 200, body: '{"status":"success","data":{"resultType":"vector","result":[]}}' },
        /expected a matrix/,
      ],
      [{ status: 200, body: '{}', delayMs: 2_000 }, /no answer within 300 ms/],
    ];
    for (const [reply, message] of cases) {
      answer = () => reply;
      const error = await api.queryRange('up', range).catch((e: Error) => e);
      expect((error as Error).name).toBe('PrometheusQueryError');
      expect((error as Error).message).toMatch(message);
    }
  });

  it('refuses a Prometheus off this machine when loopback-only, before any request', async () => {
    // Prepare
    seen.length = 0;
    const api = prometheusApi({ baseUrl: 'http://10.0.0.9:9090', timeoutMs: 300, loopbackOnly: true });
    // Act
    const error = await api.queryRange('up', range).catch((e: Error) => e);
    // Assess
    expect((error as Error).name).toBe('UnsafeEndpointError');
    expect(seen).toHaveLength(0);
  });
});

// ---- the resources branch with in-memory ports ----

function aCase(tag: string | null, alertLabel?: string): InstanceCase {
  return instanceCase({
    incidentId: 'inc-1',
    settings: { verifyPolls: 1, probeTimeoutMs: 500 },
    target: { instanceId: 'i-0abc', privateIp: '10.0.0.1', prometheusInstance: tag },
    assessment: null,
    alarm: {
      name: 'HostDiskFull',
      reason: 'disk full',
      datapoints: [],
      threshold: null,
      enteredAlarmAt: '2026-03-01T11:58:00.000Z',
      ...(alertLabel ? { prometheusInstance: alertLabel } : {}),
    },
  });
}

/** A host without the CloudWatch agent: EC2 CPU only. */
const noAgent: MetricsPort = {
  listAgentSeries: async () => [],
  getMetricData: async () => new Map([['cpu', { timestamps: ['2026-03-01T12:00:00.000Z'], values: [12] }]]),
};

const points = (...values: number[]) =>
  values.map((value, i) => ({
    at: new Date(NOW.getTime() - (values.length - i) * 30_000).toISOString(),
    value,
  }));

/** Answers by the query's metric name, records what was asked. */
function fakePrometheus(answers: Record<string, PromSeries[] | Error>): PrometheusPort & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async queryRange(query) {
      asked.push(query);
      const key = Object.keys(answers).find((k) => query.startsWith(k));
      const a = key ? answers[key] : [];
      if (a instanceof Error) throw a;
      return a ?? [];
    },
  };
}

const deps = (prometheus?: PrometheusPort, serviceQuery: string | null = null) => ({
  metrics: noAgent,
  clock: () => NOW,
  timeoutMs: 2_000,
  windowMinutes: 30,
  ...(prometheus ? { prometheus: { api: prometheus, serviceQuery } } : {}),
});

const fullDisk = {
  up: [{ labels: {}, points: points(1, 1, 1) }],
  node_load1: [{ labels: {}, points: points(0.2, 0.3) }],
  node_filesystem_avail_bytes: [
    {
      labels: { mountpoint: '/', device: '/dev/nvme0n1p1', fstype: 'ext4' },
      points: points(0.08, 0.03, 0.004),
    },
    { labels: { mountpoint: '/data', device: '/dev/nvme1n1', fstype: 'xfs' }, points: points(0.7) },
  ],
  node_memory_MemAvailable_bytes: [{ labels: {}, points: points(0.6, 0.55) }],
};

describe('resources branch with Prometheus', () => {
  it('a Prometheus-only host: rows with source prometheus, and no CloudWatch-agent monitoring gap', async () => {
    // Prepare
    const prom = fakePrometheus(fullDisk);
    // Act
    const branch = await gatherMetrics(aCase('db-9:9100'), deps(prom));
    // Assess
    const rows = branch.checks.filter((c) => c.source === 'prometheus');
    expect(rows.map((r) => [r.name, r.status])).toEqual([
      ['Prometheus scrape (up)', 'pass'],
      ['load per CPU', 'pass'],
      ['filesystem used mountpoint=/, device=/dev/nvme0n1p1, fstype=ext4', 'fail'],
      ['filesystem used mountpoint=/data, device=/dev/nvme1n1, fstype=xfs', 'pass'],
      ['memory used', 'pass'],
    ]);
    expect(branch.value?.gaps).toEqual([]);
    expect(branch.checks.some((c) => c.name === 'monitoring gap')).toBe(false);
    expect(branch.value?.prometheus?.filesystems[0]?.latest).toBeCloseTo(99.6, 5);
    expect(prom.asked.every((q) => q.includes('instance="db-9:9100"'))).toBe(true);
  });

  it('the alert label names the instance when the host has no tag; with neither, a row says how to name it', async () => {
    // Act
    const viaAlert = fakePrometheus(fullDisk);
    await gatherMetrics(aCase(null, 'i-0abc:9100'), deps(viaAlert));
    const unnamed = await gatherMetrics(aCase(null), deps(fakePrometheus(fullDisk)));
    // Assess
    expect(viaAlert.asked[0]).toBe('up{instance="i-0abc:9100"}');
    expect(unnamed.checks.find((c) => c.source === 'prometheus')?.value).toMatch(/medic:prometheus-instance/);
    expect(unnamed.value?.gaps).toHaveLength(2);
  });

  it('a failing query is a named row; the other answers still count', async () => {
    // Prepare
    const boom = Object.assign(new Error('query_range: HTTP 503'), { name: 'PrometheusQueryError' });
    const prom = fakePrometheus({ ...fullDisk, node_memory_MemAvailable_bytes: boom });
    // Act
    const branch = await gatherMetrics(aCase('db-9:9100'), deps(prom));
    // Assess
    expect(branch.ok).toBe(true);
    expect(branch.checks).toContainEqual({
      name: 'Prometheus query',
      status: 'unknown',
      value: 'could not check memory: PrometheusQueryError: query_range: HTTP 503',
      source: 'prometheus',
    });
    expect(branch.value?.gaps).toEqual([
      'no mem_used_percent for this instance: the CloudWatch agent is missing or does not collect memory',
    ]);
  });

  it('a Prometheus that never answers is bounded by the branch time box', async () => {
    // Prepare
    const hung: PrometheusPort = { queryRange: () => new Promise<never>(() => undefined) };
    const started = Date.now();
    // Act
    const branch = await gatherMetrics(aCase('db-9:9100'), { ...deps(hung), timeoutMs: 300 });
    // Assess
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(branch.checks.find((c) => c.name === 'Prometheus query')?.value).toMatch(/EvidenceTimeoutError/);
  });

  it('the service-health query is asked with the quoted instance and a 0 fails its row', async () => {
    // Prepare
    const prom = fakePrometheus({ ...fullDisk, probe_success: [{ labels: {}, points: points(1, 0) }] });
    // Act
    const branch = await gatherMetrics(
      aCase('web"}or vector(1)'),
      deps(prom, 'probe_success{instance=$instance}'),
    );
    // Assess
    expect(prom.asked).toContain('probe_success{instance="web\\"}or vector(1)"}');
    expect(branch.checks.find((c) => c.name === 'service health')?.status).toBe('fail');
  });
});

// ---- the assessment reads Prometheus like the CloudWatch agent ----

async function evidenceWith(prom: PrometheusPort): Promise<Evidence> {
  const metrics = await gatherMetrics(aCase('db-9:9100'), deps(prom));
  return {
    ec2: {
      ok: true,
      error: null,
      checks: [],
      value: { state: 'running', systemStatus: 'ok', instanceStatus: 'ok', scheduledEvents: [] },
    },
    reachability: {
      ok: true,
      error: null,
      checks: [],
      value: {
        address: '127.0.0.1',
        ports: [{ port: 22, ssh: true, tcp: 'open', banner: 'SSH-2.0-OpenSSH_9.6', latencyMs: 2 }],
        http: null,
        vantage: { status: 'reached', canary: '127.0.0.1:53', from: null, detail: 'answered' },
      },
    },
    metrics,
  };
}

describe('assessment with Prometheus evidence', () => {
  it('an exhausted Prometheus filesystem series is resource:disk, naming Prometheus', async () => {
    // Act
    const result = assess(await evidenceWith(fakePrometheus(fullDisk)), { hasService: false });
    // Assess
    expect(result.classification).toBe('resource:disk');
    expect(result.reasons[0]).toMatch(/^Prometheus filesystem used mountpoint=\/.* at 99\.6 %/);
    expect(result.plan).toEqual(['page']);
  });

  it('the same host with room on its disks is transient, with no monitoring gap named', async () => {
    // Prepare
    const roomy = {
      ...fullDisk,
      node_filesystem_avail_bytes: [{ labels: { mountpoint: '/' }, points: points(0.6) }],
    };
    // Act
    const result = assess(await evidenceWith(fakePrometheus(roomy)), { hasService: false });
    // Assess
    expect(result.classification).toBe('transient');
    expect(result.reasons.join('\n')).not.toMatch(/monitoring gap/);
  });

  it('a failing Prometheus service-health query is an application symptom', async () => {
    // Prepare
    const prom = fakePrometheus({
      ...fullDisk,
      node_filesystem_avail_bytes: [{ labels: { mountpoint: '/' }, points: points(0.6) }],
      probe_success: [{ labels: {}, points: points(1, 0) }],
    });
    const metrics = await gatherMetrics(aCase('db-9:9100'), deps(prom, 'probe_success{instance=$instance}'));
    const evidence = { ...(await evidenceWith(fakePrometheus({}))), metrics };
    // Act
    const result = assess(evidence, { hasService: true });
    // Assess
    expect(result.classification).toBe('application');
    expect(result.reasons).toContain('the Prometheus service-health query reads 0 (1 is healthy)');
  });
});

describe('the Prometheus bearer token from SSM', () => {
  const notFound = Object.assign(new Error('Parameter /medic/dev/prometheus-token not found.'), {
    name: 'ParameterNotFound',
  });
  const client = (answer: () => Promise<unknown>) => {
    const calls: unknown[] = [];
    return {
      calls,
      send: async (command: unknown) => {
        calls.push(command);
        return answer();
      },
    };
  };

  it('a token parameter that was never created means no token; it is asked again only after max age', async () => {
    // Prepare
    let t = 0;
    const ssm = client(() => Promise.reject(notFound));
    const token = ssmSecureString(ssm as never, '/medic/dev/prometheus-token', 300, {
      optional: true,
      now: () => t,
    });
    // Act
    const first = await token();
    const second = await token();
    t = 301_000;
    await token();
    // Assess
    expect([first, second]).toEqual(['', '']);
    expect(ssm.calls).toHaveLength(2);
  });

  it('a stored token is decrypted and returned; other failures are not swallowed', async () => {
    // Prepare
    const ssm = client(async () => ({ Parameter: { Value: 'tok-123' } }));
    const denied = client(() =>
      Promise.reject(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' })),
    );
    // Act
    const value = await ssmSecureString(ssm as never, '/p', 60, { optional: true })();
    const error = await ssmSecureString(denied as never, '/p', 60, { optional: true })().catch(
      (e: Error) => e,
    );
    // Assess
    expect(value).toBe('tok-123');
    expect((ssm.calls[0] as { input: unknown }).input).toEqual({ Name: '/p', WithDecryption: true });
    expect((error as Error).name).toBe('AccessDeniedException');
  });
});
