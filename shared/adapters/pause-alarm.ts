/**
 * The optional second kill switch (MEDIC_PAUSE_ALARM): while the named CloudWatch alarm is in
 * ALARM, medic is paused — e.g. an alarm on a dependency's health or on a team's own "hands off"
 * metric. A missing alarm is an error (the guard fails closed), not "not paused".
 */
import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { PauseRecord, PauseSwitchPort } from '../ports.ts';

export function pauseAlarm(client: CloudWatchClient, name: string): PauseSwitchPort {
  return {
    async read(): Promise<PauseRecord | null> {
      const out = await client.send(
        new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }),
      );
      const alarm = [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])][0];
      if (!alarm) throw new Error(`the pause alarm ${name} (MEDIC_PAUSE_ALARM) does not exist`);
      if (alarm.StateValue !== 'ALARM') return null;
      return {
        reason: alarm.StateReason ?? 'in ALARM',
        by: `alarm ${name}`,
        at: alarm.StateUpdatedTimestamp?.toISOString() ?? 'unknown time',
        source: `CloudWatch alarm ${name} (MEDIC_PAUSE_ALARM)`,
      };
    },
  };
}
