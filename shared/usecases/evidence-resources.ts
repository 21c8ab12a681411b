/**
 * Resources branch: CPU (AWS/EC2) and the CloudWatch agent's memory and disk over a window around
 * the alarm, in one GetMetricData call (after one ListMetrics to learn the agent's exact dimension
 * sets). Missing agent metrics are a monitoring gap, never "healthy".
 */
import { RESOURCE_LIMITS } from '../domain/assess.ts';
import type { Check, InstanceCase, MetricSummary, MetricsEvidence } from '../domain/model.ts';
import type { Clock } from '../domain/timeline.ts';
import type { MetricSeriesId, MetricsPort } from '../ports.ts';
import { type Branch, failed, timeBox } from './evidence.ts';

export const MAX_DISK_SERIES = 8;
const PERIOD_SECONDS = 60;

export interface MetricsDeps {
  metrics: MetricsPort;
  clock: Clock;
  timeoutMs: number;
  windowMinutes: number;
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

export async function gatherMetrics(c: InstanceCase, deps: MetricsDeps): Promise<Branch<MetricsEvidence>> {
  const id = c.target.instanceId;
  try {
    const value = await timeBox('resource metrics', deps.timeoutMs, async () => {
      const { start, end } = evidenceWindow(c, deps.clock(), deps.windowMinutes);
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
      const gaps: string[] = [];
      const mem = memory[0];
      if (!mem)
        gaps.push(
          'no mem_used_percent for this instance: the CloudWatch agent is missing or does not collect memory',
        );
      if (disks.length === 0)
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
      } satisfies MetricsEvidence;
    });
    return { ok: true, value, error: null, checks: metricsChecks(value) };
  } catch (error) {
    return failed('resource metrics', error, 'CloudWatch ListMetrics + GetMetricData');
  }
}
