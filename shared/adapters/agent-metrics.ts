/** CloudWatch agent metrics for the health sweep: one GetMetricData per 250 instances. */
import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import type { AgentMetrics } from '../usecases/health-sweep.ts';
import { callAws } from './aws-errors.ts';

const WINDOW_MS = 60 * 60_000;

export async function agentMetrics(
  client: CloudWatchClient,
  instanceIds: string[],
  now: Date = new Date(),
): Promise<Map<string, AgentMetrics>> {
  const result = new Map<string, AgentMetrics>(
    instanceIds.map((id) => [id, { diskUsedPercent: null, memoryUsedPercent: null }]),
  );
  for (let start = 0; start < instanceIds.length; start += 250) {
    const batch = instanceIds.slice(start, start + 250);
    const queries: MetricDataQuery[] = batch.flatMap((id, n) => [
      {
        Id: `d${n}`,
        MetricStat: {
          Metric: {
            Namespace: 'CWAgent',
            MetricName: 'disk_used_percent',
            Dimensions: [
              { Name: 'InstanceId', Value: id },
              { Name: 'path', Value: '/' },
            ],
          },
          Period: 300,
          Stat: 'Maximum',
        },
      },
      {
        Id: `m${n}`,
        MetricStat: {
          Metric: {
            Namespace: 'CWAgent',
            MetricName: 'mem_used_percent',
            Dimensions: [{ Name: 'InstanceId', Value: id }],
          },
          Period: 300,
          Stat: 'Average',
        },
      },
    ]);
    const out = await callAws('GetMetricData', () =>
      client.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries,
          StartTime: new Date(now.getTime() - WINDOW_MS),
          EndTime: now,
          ScanBy: 'TimestampDescending',
        }),
      ),
    );
    for (const series of out.MetricDataResults ?? []) {
      const match = /^([dm])(\d+)$/.exec(series.Id ?? '');
      const id = match ? batch[Number(match[2])] : undefined;
      const latest = series.Values?.[0];
      if (!id || latest === undefined) continue;
      const entry = result.get(id);
      if (!entry) continue;
      if (match?.[1] === 'd') entry.diskUsedPercent = latest;
      else entry.memoryUsedPercent = latest;
    }
  }
  return result;
}
