/**
 * Current alarm definitions (CloudWatch DescribeAlarms, read-only), in the `configuration.metrics`
 * shape of the EventBridge alarm event, so a history item can be replayed as the event medic would
 * have received. DescribeAlarms takes at most 100 names per call.
 */
import { type CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { AlarmDefinition } from '../domain/alarm-stream.ts';
import { callAws } from './aws-errors.ts';

const dimensionsOf = (d: { Name?: string; Value?: string }[] | undefined) =>
  Object.fromEntries((d ?? []).map((x) => [x.Name ?? '', x.Value ?? '']));

function metricsOf(a: MetricAlarm): Record<string, unknown>[] {
  if (a.Metrics?.length) {
    // Metric math / anomaly detection: one entry per query, as EventBridge carries them.
    return a.Metrics.map((m) => ({
      id: m.Id,
      ...(m.Expression ? { expression: m.Expression } : {}),
      ...(m.Label ? { label: m.Label } : {}),
      ...(m.MetricStat
        ? {
            metricStat: {
              metric: {
                namespace: m.MetricStat.Metric?.Namespace,
                name: m.MetricStat.Metric?.MetricName,
                dimensions: dimensionsOf(m.MetricStat.Metric?.Dimensions),
              },
              period: m.MetricStat.Period,
              stat: m.MetricStat.Stat,
            },
          }
        : {}),
      returnData: m.ReturnData ?? false,
    }));
  }
  return [
    {
      id: 'm1',
      metricStat: {
        metric: { namespace: a.Namespace, name: a.MetricName, dimensions: dimensionsOf(a.Dimensions) },
        period: a.Period,
        stat: a.Statistic ?? a.ExtendedStatistic,
      },
      returnData: true,
    },
  ];
}

export function alarmDefinitions(client: CloudWatchClient) {
  return {
    /** The named metric alarms that still exist (a deleted alarm is simply absent). */
    async describe(names: string[]): Promise<Map<string, AlarmDefinition>> {
      const found = new Map<string, AlarmDefinition>();
      for (let i = 0; i < names.length && i < 10_000; i += 100) {
        const out = await callAws('DescribeAlarms', () =>
          client.send(
            new DescribeAlarmsCommand({ AlarmNames: names.slice(i, i + 100), AlarmTypes: ['MetricAlarm'] }),
          ),
        );
        for (const a of out.MetricAlarms ?? []) {
          if (!a.AlarmName || !a.AlarmArn) continue;
          found.set(a.AlarmName, {
            alarmArn: a.AlarmArn,
            metrics: metricsOf(a),
            ...(a.AlarmDescription ? { description: a.AlarmDescription } : {}),
          });
        }
      }
      return found;
    },
  };
}
export type AlarmDefinitions = ReturnType<typeof alarmDefinitions>;
