/**
 * Prometheus evidence against Debian's real `prometheus`: a small exporter on 127.0.0.1 serves
 * chosen node_* series (a host whose root filesystem is nearly full, a tmpfs that is full and must
 * not count), Prometheus scrapes it every second, and the resources branch's use case asks it over
 * HTTP exactly as the evidence Lambda does. Without the binary the test is skipped and says which
 * Debian package brings it (.ci/run installs it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusApi } from '../shared/adapters/prometheus.ts';
import { assess } from '../shared/domain/assess.ts';
import type { Evidence } from '../shared/domain/model.ts';
import type { MetricsPort } from '../shared/ports.ts';
import { gatherMetrics } from '../shared/usecases/evidence-resources.ts';
import { instanceCase } from './support/cases.ts';
import { DEBIAN_TOOLS, freePort, missingTool, until } from './support/serve.ts';

const skip = missingTool('prometheus');
if (skip) console.warn(`prometheus.e2e: skipping: ${skip}`);

const GiB = 1024 ** 3;
/** What the node exporter would print for a 4-CPU host with a 99.5 % full root filesystem. */
const EXPOSITION = [
  '# TYPE node_load1 gauge',
  'node_load1 1.2',
  '# TYPE node_cpu_seconds_total counter',
  ...[0, 1, 2, 3].flatMap((cpu) => [
    `node_cpu_seconds_total{cpu="${cpu}",mode="idle"} ${1000 + cpu}`,
    `node_cpu_seconds_total{cpu="${cpu}",mode="user"} ${100 + cpu}`,
  ]),
  '# TYPE node_filesystem_avail_bytes gauge',
  `node_filesystem_avail_bytes{device="/dev/nvme0n1p1",fstype="ext4",mountpoint="/"} ${0.005 * 40 * GiB}`,
  `node_filesystem_avail_bytes{device="tmpfs",fstype="tmpfs",mountpoint="/run"} 0`,
  '# TYPE node_filesystem_size_bytes gauge',
  `node_filesystem_size_bytes{device="/dev/nvme0n1p1",fstype="ext4",mountpoint="/"} ${40 * GiB}`,
  `node_filesystem_size_bytes{device="tmpfs",fstype="tmpfs",mountpoint="/run"} ${GiB}`,
  '# TYPE node_memory_MemAvailable_bytes gauge',
  `node_memory_MemAvailable_bytes ${3 * GiB}`,
  '# TYPE node_memory_MemTotal_bytes gauge',
  `node_memory_MemTotal_bytes ${8 * GiB}`,
  '',
].join('\n');

describe.skipIf(skip !== null)('Prometheus evidence from a real Prometheus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'medic-prom-'));
  const exporter = createServer((req, res) => {
    res.writeHead(req.url === '/metrics' ? 200 : 404, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(req.url === '/metrics' ? EXPOSITION : '');
  });
  let prometheus: ChildProcess | null = null;
  let base = '';
  let target = '';

  beforeAll(async () => {
    await new Promise<void>((r) => exporter.listen({ host: '127.0.0.1', port: 0 }, r));
    target = `127.0.0.1:${(exporter.address() as AddressInfo).port}`;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: node',
        '    static_configs:',
        `      - targets: ['${target}']`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(
      DEBIAN_TOOLS.prometheus.bin,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: 'ignore' },
    );
    // Bounded: ready, then a first scrape of every series the queries divide.
    await until('Prometheus has scraped the exporter', 60_000, async () => {
      const r = await fetch(
        `${base}/api/v1/query?query=${encodeURIComponent(`count(node_memory_MemTotal_bytes{instance="${target}"}) + count(node_filesystem_size_bytes{instance="${target}"})`)}`,
        { signal: AbortSignal.timeout(1_000) },
      );
      const body = (await r.json()) as { data?: { result?: { value: [number, string] }[] } };
      return body.data?.result?.[0]?.value[1] === '3' ? true : null;
    });
  }, 90_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((r) => prometheus?.once('exit', r));
      prometheus.kill('SIGTERM');
      const timer = setTimeout(() => prometheus?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    exporter.closeAllConnections();
    await new Promise((r) => exporter.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const noAgent: MetricsPort = {
    listAgentSeries: async () => [],
    getMetricData: async () => new Map(),
  };
  const aCase = (prometheusInstance: string) =>
    instanceCase({
      incidentId: 'inc-prom',
      settings: { verifyPolls: 1, probeTimeoutMs: 500 },
      target: { instanceId: 'i-0abc', privateIp: '10.0.0.1', prometheusInstance },
      assessment: null,
      alarm: {
        name: 'NodeFilesystemAlmostOutOfSpace',
        reason: 'disk',
        datapoints: [],
        threshold: null,
        // The window starts 2 minutes before now: it covers every scrape this test made.
        enteredAlarmAt: new Date().toISOString(),
      },
    });
  const deps = () => ({
    metrics: noAgent,
    clock: () => new Date(),
    timeoutMs: 8_000,
    windowMinutes: 2,
    prometheus: {
      api: prometheusApi({ baseUrl: base, timeoutMs: 4_000, loopbackOnly: true }),
      serviceQuery: 'up{instance=$instance}',
    },
  });

  it('asks up, load per CPU, filesystems (not tmpfs) and memory: rows with source prometheus, and a full disk is resource:disk', async () => {
    // Act
    const metrics = await gatherMetrics(aCase(target), deps());
    const evidence: Evidence = {
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
          ports: [{ port: 22, ssh: true, tcp: 'open', banner: 'SSH-2.0-OpenSSH_9.6', latencyMs: 1 }],
          http: null,
          vantage: { status: 'reached', canary: '127.0.0.1:53', from: null, detail: 'answered' },
        },
      },
      metrics,
    };
    const assessment = assess(evidence, { hasService: false });
    // Assess
    const rows = metrics.checks.filter((c) => c.source === 'prometheus');
    expect(rows.map((r) => [r.name, r.status])).toEqual([
      ['Prometheus scrape (up)', 'pass'],
      ['load per CPU', 'pass'],
      ['filesystem used mountpoint=/, device=/dev/nvme0n1p1, fstype=ext4', 'fail'],
      ['memory used', 'pass'],
      ['service health', 'pass'],
    ]);
    const p = metrics.value?.prometheus;
    expect(p?.loadPerCpu?.latest).toBeCloseTo(30, 5);
    expect(p?.filesystems[0]?.latest).toBeCloseTo(99.5, 5);
    expect(p?.memory?.latest).toBeCloseTo(62.5, 5);
    expect(p?.errors).toEqual([]);
    expect(metrics.value?.gaps).toEqual(['no CPUUtilization datapoints in the window']);
    expect(assessment.classification).toBe('resource:disk');
    expect(assessment.reasons[0]).toMatch(/^Prometheus filesystem used mountpoint=\/, .* at 99\.5 %/);
  });

  it('a hostile instance label is matched literally by the real PromQL parser: no data, no injected series', async () => {
    // Act: a label that would turn `up{instance="…"}` into `up{instance=""} or vector(1)` if spliced
    const metrics = await gatherMetrics(aCase(`${target}"} or vector(1) or up{instance="x`), deps());
    // Assess: every query parsed (no bad_data) and matched nothing
    const p = metrics.value?.prometheus;
    expect(p?.errors).toEqual([]);
    expect(p?.up?.samples).toBe(0);
    expect(p?.filesystems).toEqual([]);
    expect(p?.memory?.samples).toBe(0);
  });
});
