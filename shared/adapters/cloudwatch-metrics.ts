/** CloudWatch metrics adapter: the agent's series for an instance, and one GetMetricData call. */
import { type CloudWatchClient, GetMetricDataCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import type { MetricSeriesId, MetricsPort } from '../ports.ts';
import { callAws } from './aws-errors.ts';

/** Bounds: an instance with hundreds of mounts must not turn evidence into a crawl. */
const MAX_LIST_PAGES = 3;

export function cloudWatchMetricsAdapter(client: CloudWatchClient): MetricsPort {
  return {
    async listAgentSeries(instanceId) {
      const out: MetricSeriesId[] = [];
      const seen = new Set<string>();
      let token: string | undefined;
      for (let page = 0; page < MAX_LIST_PAGES; page++) {
        const res = await callAws('ListMetrics', () =>
          client.send(
            new ListMetricsCommand({
              Namespace: 'CWAgent',
              Dimensions: [{ Name: 'InstanceId', Value: instanceId }],
              NextToken: token,
            }),
          ),
        );
        for (const m of res.Metrics ?? []) {
          if (!m.MetricName) continue;
          const dimensions = Object.fromEntries(
            (m.Dimensions ?? []).map((d) => [d.Name ?? '', d.Value ?? '']),
          );
          // One series per name + dimension set, whatever the listing repeats.
          const key = JSON.stringify([m.MetricName, Object.entries(dimensions).sort()]);
          if (seen.has(key)) continue;
          seen.add(key);
          out.push({ namespace: m.Namespace ?? 'CWAgent', metric: m.MetricName, dimensions });
        }
        token = res.NextToken;
        if (!token) break;
      }
      return out;
    },

    async getMetricData(series, window) {
      const result = new Map<string, { timestamps: string[]; values: number[] }>();
      if (series.length === 0) return result;
      const res = await callAws('GetMetricData', () =>
        client.send(
          new GetMetricDataCommand({
            StartTime: window.start,
            EndTime: window.end,
            ScanBy: 'TimestampAscending',
            MetricDataQueries: series.map((s) => ({
              Id: s.id,
              ReturnData: true,
              MetricStat: {
                Metric: {
                  Namespace: s.namespace,
                  MetricName: s.metric,
                  Dimensions: Object.entries(s.dimensions).map(([Name, Value]) => ({ Name, Value })),
                },
                Period: window.periodSeconds,
                Stat: s.stat,
              },
            })),
          }),
        ),
      );
      for (const r of res.MetricDataResults ?? []) {
        if (!r.Id) continue;
        const pairs = (r.Timestamps ?? []).map(
          (t, i) => [t.toISOString(), r.Values?.[i] ?? Number.NaN] as const,
        );
        // Oldest first whatever order the service used.
        pairs.sort((a, b) => a[0].localeCompare(b[0]));
        result.set(r.Id, {
          timestamps: pairs.map(([t]) => t),
          values: pairs.map(([, v]) => v),
        });
      }
      return result;
    },
  };
}
