/**
 * Resources branch: CPU (AWS/EC2) and the CloudWatch agent's memory and disk over a window around
 * the alarm, in one GetMetricData call (after one ListMetrics to learn the agent's exact dimension
 * sets). Missing agent metrics are a monitoring gap, never "healthy". With a Prometheus configured,
 * the same window is asked of Prometheus too (range queries, in parallel): a host Prometheus
 * watches is not a monitoring gap for lack of the CloudWatch agent.
 */
import { RESOURCE_LIMITS } from '../domain/assess.ts';
import type {
  Check,
  InstanceCase,
  MetricSummary,
  MetricsEvidence,
  PrometheusEvidence,
} from '../domain/model.ts';
import { prometheusInstanceFor, prometheusQueries, queryStepSeconds } from '../domain/prometheus.ts';
import type { Clock } from '../domain/timeline.ts';
import type { MetricSeriesId, MetricsPort, PrometheusPort, PromSeries } from '../ports.ts';
import { type Branch, failed, timeBox } from './evidence.ts';

export const MAX_DISK_SERIES = 8;
const PERIOD_SECONDS = 60;

export interface MetricsDeps {
  metrics: MetricsPort;
  clock: Clock;
  timeoutMs: number;
  windowMinutes: number;
  /** Absent: no Prometheus configured (MEDIC_PROMETHEUS_URL unset). */
  prometheus?: PrometheusDeps;
}

export interface PrometheusDeps {
  api: PrometheusPort;
  /** MEDIC_PROMETHEUS_SERVICE_QUERY: `$instance` stands for the instance label. */
  serviceQuery: string | null;
}

/** The window: from `windowMinutes` before the alarm fired until now. */
export function evidenceWindow(c: InstanceCase, now: Date, windowMinutes: number) {
  const alarmAt = c.alarm ? Date.parse(c.alarm.enteredAlarmAt) : Number.NaN;
  const anchor = Number.isFinite(alarmAt) ? Math.min(alarmAt, now.getTime()) : now.getTime();
  const start = new Date(Math.floor((anchor - windowMinutes * 60_000) / 60_000) * 60_000);
  const end = new Date(Math.ceil((now.getTime() + 1) / 60_000) * 60_000);
  return { start, end };
}

function otherDimensions(d: Record<string, string>): string {
  const rest = Object.entries(d)
    .filter(([k]) => k !== 'InstanceId')
    .map(([k, v]) => `${k}=${v}`);
  return rest.join(', ');
}

function summarise(
  metric: string,
  dims: string,
  data?: { values: number[]; timestamps?: string[] },
): MetricSummary {
  const points = (data?.values ?? [])
    .map((v, i) => ({ v, at: data?.timestamps?.[i] ?? null }))
    .filter((p) => Number.isFinite(p.v));
  const values = points.map((p) => p.v);
  return {
    metric,
    dimensions: dims,
    latest: values.length ? (values[values.length - 1] ?? null) : null,
    max: values.length ? Math.max(...values) : null,
    samples: values.length,
    lastAt: points.at(-1)?.at ?? null,
  };
}

const pct = (v: number | null) => (v === null ? 'n/a' : `${Math.round(v * 10) / 10} %`);

function seriesCheck(name: string, s: MetricSummary, limit: number, source: string): Check {
  if (s.samples === 0) {
    return { name, status: 'unknown', value: 'no datapoints in the window', source };
  }
  return {
    name,
    status: (s.latest ?? 0) >= limit ? 'fail' : 'pass',
    value: `latest ${pct(s.latest)}, max ${pct(s.max)} (${s.samples} samples)`,
    source,
  };
}

export function metricsChecks(m: MetricsEvidence): Check[] {
  const checks: Check[] = [];
  if (m.cpu)
    checks.push(
      seriesCheck('CPU utilisation', m.cpu, RESOURCE_LIMITS.cpuPercent, 'CloudWatch AWS/EC2 CPUUtilization'),
    );
  if (m.memory)
    checks.push(
      seriesCheck(
        'memory used',
        m.memory,
        RESOURCE_LIMITS.memoryPercent,
        'CloudWatch CWAgent mem_used_percent',
      ),
    );
  for (const d of m.disks) {
    checks.push(
      seriesCheck(
        `disk used ${d.dimensions || ''}`.trim(),
        d,
        RESOURCE_LIMITS.diskPercent,
        'CloudWatch CWAgent disk_used_percent',
      ),
    );
  }
  for (const gap of m.gaps) {
    checks.push({
      name: 'monitoring gap',
      status: 'fail',
      value: gap,
      source: 'CloudWatch ListMetrics (CWAgent)',
    });
  }
  return checks;
}

// ---- Prometheus ----

const PROMETHEUS = 'prometheus';

/** Prometheus series → summaries in the assessment's units (`toValue` maps a raw point). */
function promSummary(
  metric: string,
  series: PromSeries | undefined,
  dims: string,
  toValue: (v: number) => number,
): MetricSummary {
  return summarise(metric, dims, {
    values: (series?.points ?? []).map((p) => toValue(p.value)),
    timestamps: (series?.points ?? []).map((p) => p.at),
  });
}

const usedPercent = (available: number) => (1 - available) * 100;

function fsDimensions(labels: Record<string, string>): string {
  return ['mountpoint', 'device', 'fstype']
    .filter((k) => labels[k])
    .map((k) => `${k}=${labels[k]}`)
    .join(', ');
}

/**
 * The five questions (up, load per CPU, filesystems, memory, service health) over the window, in
 * parallel; a query that fails is named in `errors` and the others still count.
 */
export async function gatherPrometheus(
  instance: string,
  window: { start: Date; end: Date },
  deps: PrometheusDeps,
): Promise<PrometheusEvidence> {
  const q = prometheusQueries(instance, deps.serviceQuery);
  const stepSeconds = queryStepSeconds(window.start, window.end);
  const range = { ...window, stepSeconds };
  const asked = [
    ['up', q.up],
    ['load per CPU', q.loadPerCpu],
    ['filesystem', q.filesystemAvailable],
    ['memory', q.memoryAvailable],
    ...(q.service ? [['service health', q.service]] : []),
  ] as const;
  const answers = await Promise.allSettled(asked.map(([, query]) => deps.api.queryRange(query, range)));
  const errors: string[] = [];
  const got = (name: string): PromSeries[] | null => {
    const i = asked.findIndex(([n]) => n === name);
    const a = answers[i];
    if (!a) return null;
    if (a.status === 'fulfilled') return a.value;
    const e = a.reason as Error;
    errors.push(`${name}: ${e.name}: ${e.message}`);
    return null;
  };
  const up = got('up');
  const load = got('load per CPU');
  const fs = got('filesystem');
  const memory = got('memory');
  const service = q.service ? got('service health') : null;
  return {
    instance,
    stepSeconds,
    up: up ? promSummary('up', up[0], '', (v) => v) : null,
    loadPerCpu: load ? promSummary('node_load1 per CPU', load[0], '', (v) => v * 100) : null,
    filesystems: (fs ?? [])
      .slice(0, MAX_DISK_SERIES)
      .map((s) => promSummary('filesystem used', s, fsDimensions(s.labels), usedPercent)),
    memory: memory ? promSummary('memory used', memory[0], '', usedPercent) : null,
    service: service ? promSummary('service health', service[0], '', (v) => v) : null,
    errors,
  };
}

export function prometheusChecks(p: PrometheusEvidence): Check[] {
  const checks: Check[] = [];
  const where = `instance="${p.instance}"`;
  if (p.up) {
    checks.push(
      p.up.samples === 0
        ? {
            name: 'Prometheus scrape (up)',
            status: 'unknown',
            value: `no up series for ${where}`,
            source: PROMETHEUS,
          }
        : {
            name: 'Prometheus scrape (up)',
            status: p.up.latest === 1 ? 'pass' : 'fail',
            value: `up=${p.up.latest} at ${p.up.lastAt} (${where})`,
            source: PROMETHEUS,
          },
    );
  }
  if (p.loadPerCpu)
    checks.push(seriesCheck('load per CPU', p.loadPerCpu, RESOURCE_LIMITS.cpuPercent, PROMETHEUS));
  for (const f of p.filesystems)
    checks.push(
      seriesCheck(`filesystem used ${f.dimensions}`.trim(), f, RESOURCE_LIMITS.diskPercent, PROMETHEUS),
    );
  if (p.memory) checks.push(seriesCheck('memory used', p.memory, RESOURCE_LIMITS.memoryPercent, PROMETHEUS));
  if (p.service) {
    checks.push(
      p.service.samples === 0
        ? {
            name: 'service health',
            status: 'unknown',
            value: 'the service query returned no data',
            source: PROMETHEUS,
          }
        : {
            name: 'service health',
            status: (p.service.latest ?? 0) >= 1 ? 'pass' : 'fail',
            value: `latest ${p.service.latest} (${p.service.samples} samples; 1 healthy, 0 failing)`,
            source: PROMETHEUS,
          },
    );
  }
  for (const e of p.errors)
    checks.push({
      name: 'Prometheus query',
      status: 'unknown',
      value: `could not check ${e}`,
      source: PROMETHEUS,
    });
  return checks;
}

/** What Prometheus covers that the CloudWatch agent would otherwise be missed for. */
function coveredByPrometheus(p: PrometheusEvidence | null | undefined) {
  return {
    memory: (p?.memory?.samples ?? 0) > 0,
    disk: (p?.filesystems ?? []).some((f) => f.samples > 0),
  };
}

async function askPrometheus(
  c: InstanceCase,
  window: { start: Date; end: Date },
  deps: MetricsDeps,
): Promise<{ evidence: PrometheusEvidence | null; checks: Check[] }> {
  if (!deps.prometheus) return { evidence: null, checks: [] };
  const instance = prometheusInstanceFor(c.target.prometheusInstance, c.alarm?.prometheusInstance);
  if (!instance) {
    return {
      evidence: null,
      checks: [
        {
          name: 'Prometheus',
          status: 'unknown',
          value:
            'no Prometheus instance label for this host: tag it medic:prometheus-instance=<instance label> (an Alertmanager alert carries its own)',
          source: PROMETHEUS,
        },
      ],
    };
  }
  const prometheus = deps.prometheus;
  try {
    const evidence = await timeBox('Prometheus', deps.timeoutMs, () =>
      gatherPrometheus(instance, window, prometheus),
    );
    return { evidence, checks: prometheusChecks(evidence) };
  } catch (error) {
    const evidence: PrometheusEvidence = {
      instance,
      stepSeconds: queryStepSeconds(window.start, window.end),
      up: null,
      loadPerCpu: null,
      filesystems: [],
      memory: null,
      service: null,
      errors: [`${(error as Error).name}: ${(error as Error).message}`],
    };
    return { evidence, checks: prometheusChecks(evidence) };
  }
}

export async function gatherMetrics(c: InstanceCase, deps: MetricsDeps): Promise<Branch<MetricsEvidence>> {
  const id = c.target.instanceId;
  const { start, end } = evidenceWindow(c, deps.clock(), deps.windowMinutes);
  // Asked alongside CloudWatch, never instead of it: a failed Prometheus is a named row, not a crash.
  const fromPrometheus = askPrometheus(c, { start, end }, deps);
  try {
    const value = await timeBox('resource metrics', deps.timeoutMs, async () => {
      const agent = await deps.metrics.listAgentSeries(id);
      const memory = agent.filter((s) => s.metric === 'mem_used_percent').slice(0, 1);
      const disks = agent.filter((s) => s.metric === 'disk_used_percent').slice(0, MAX_DISK_SERIES);
      const cpu: MetricSeriesId = {
        namespace: 'AWS/EC2',
        metric: 'CPUUtilization',
        dimensions: { InstanceId: id },
      };
      const queries = [
        { ...cpu, id: 'cpu', stat: 'Maximum' as const },
        ...memory.map((s, i) => ({ ...s, id: `mem${i}`, stat: 'Maximum' as const })),
        ...disks.map((s, i) => ({ ...s, id: `disk${i}`, stat: 'Maximum' as const })),
      ];
      const data = await deps.metrics.getMetricData(queries, { start, end, periodSeconds: PERIOD_SECONDS });
      const prom = (await fromPrometheus).evidence;
      const covered = coveredByPrometheus(prom);
      const gaps: string[] = [];
      const mem = memory[0];
      if (!mem && !covered.memory)
        gaps.push(
          'no mem_used_percent for this instance: the CloudWatch agent is missing or does not collect memory',
        );
      if (disks.length === 0 && !covered.disk)
        gaps.push(
          'no disk_used_percent for this instance: the CloudWatch agent is missing or does not collect disk',
        );
      const cpuSummary = summarise('CPUUtilization', '', data.get('cpu'));
      if (cpuSummary.samples === 0) gaps.push('no CPUUtilization datapoints in the window');
      return {
        window: { start: start.toISOString(), end: end.toISOString() },
        cpu: cpuSummary,
        memory: mem ? summarise('mem_used_percent', otherDimensions(mem.dimensions), data.get('mem0')) : null,
        disks: disks.map((d, i) =>
          summarise('disk_used_percent', otherDimensions(d.dimensions), data.get(`disk${i}`)),
        ),
        gaps,
        ...(prom ? { prometheus: prom } : {}),
      } satisfies MetricsEvidence;
    });
    const { checks: promChecks } = await fromPrometheus;
    return { ok: true, value, error: null, checks: [...metricsChecks(value), ...promChecks] };
  } catch (error) {
    const cloudWatch = failed<MetricsEvidence>(
      'resource metrics',
      error,
      'CloudWatch ListMetrics + GetMetricData',
    );
    const prom = await fromPrometheus;
    if (!prom.evidence || !Object.values(coveredByPrometheus(prom.evidence)).some(Boolean))
      return { ...cloudWatch, checks: [...cloudWatch.checks, ...prom.checks] };
    // CloudWatch failed but Prometheus answered: its readings are still evidence to assess.
    return {
      ok: true,
      value: {
        window: { start: start.toISOString(), end: end.toISOString() },
        cpu: null,
        memory: null,
        disks: [],
        gaps: [`CloudWatch metrics could not be checked: ${cloudWatch.error}`],
        prometheus: prom.evidence,
      },
      error: null,
      checks: [...cloudWatch.checks, ...prom.checks],
    };
  }
}
