/** CloudWatch alarms adapter for `medic alarms sync` and the health sweep. */
import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  type MetricAlarm,
  PutMetricAlarmCommand,
} from '@aws-sdk/client-cloudwatch';
import { ALARM_PREFIX, type AlarmSpec } from '../domain/standard-alarms.ts';
import { callAws } from './aws-errors.ts';

const toSpec = (a: MetricAlarm): Partial<AlarmSpec> => ({
  AlarmName: a.AlarmName,
  AlarmDescription: a.AlarmDescription,
  Namespace: a.Namespace,
  MetricName: a.MetricName,
  Dimensions: (a.Dimensions ?? []).map((d) => ({ Name: d.Name ?? '', Value: d.Value ?? '' })),
  Statistic: a.Statistic as AlarmSpec['Statistic'],
  Period: a.Period,
  EvaluationPeriods: a.EvaluationPeriods,
  DatapointsToAlarm: a.DatapointsToAlarm,
  Threshold: a.Threshold,
  ComparisonOperator: a.ComparisonOperator as AlarmSpec['ComparisonOperator'],
  TreatMissingData: a.TreatMissingData as AlarmSpec['TreatMissingData'],
  AlarmActions: a.AlarmActions ?? [],
  OKActions: a.OKActions ?? [],
});

export function cloudWatchAlarms(client: CloudWatchClient) {
  return {
    /** Every alarm whose name starts with the medic prefix (paginated, bounded). */
    async medicAlarms(): Promise<Partial<AlarmSpec>[]> {
      const found: Partial<AlarmSpec>[] = [];
      let NextToken: string | undefined;
      for (let page = 0; page < 100; page++) {
        const out = await callAws('DescribeAlarms', () =>
          client.send(
            new DescribeAlarmsCommand({
              AlarmNamePrefix: ALARM_PREFIX,
              AlarmTypes: ['MetricAlarm'],
              NextToken,
            }),
          ),
        );
        found.push(...(out.MetricAlarms ?? []).map(toSpec));
        NextToken = out.NextToken;
        if (!NextToken) break;
      }
      return found;
    },
    async put(spec: AlarmSpec): Promise<void> {
      await callAws('PutMetricAlarm', () =>
        client.send(
          new PutMetricAlarmCommand({
            ...spec,
            Tags: [
              { Key: 'medic:standard-alarm', Value: 'true' },
              { Key: 'medic:instance', Value: spec.Dimensions[0]?.Value ?? '' },
            ],
          }),
        ),
      );
    },
  };
}
export type CloudWatchAlarms = ReturnType<typeof cloudWatchAlarms>;
