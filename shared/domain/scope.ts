/**
 * Which alarms are medic's to answer (SPEC §9 "event scope"). The EventBridge rule in
 * serverless.yml filters with the same three facts before anything runs; the SNS intake has no
 * such filter (an alarm action publishes whatever the alarm is), so it asks here. Pure.
 */

/** Every alarm medic's own stack creates is named with this prefix: it is about medic, not a fleet. */
export const OPS_ALARM_PREFIX = 'medic-ops-';
/**
 * Auto Scaling target-tracking policies create `TargetTracking-<group>-AlarmHigh-<uuid>` and
 * `…-AlarmLow-…` alarms with an AutoScalingGroupName dimension; they go to ALARM on every
 * scale-out and scale-in by design, so they never mean "an instance is sick".
 */
export const TARGET_TRACKING_PREFIX = 'TargetTracking-';

export interface AlarmIdentity {
  alarmName: string;
  instanceIds: readonly string[];
  autoScalingGroupNames: readonly string[];
}

/** Why a run ended without looking at anything: a low-cardinality metric dimension. */
export type IgnoredKind =
  | 'ops-alarm'
  | 'target-tracking'
  | 'no-target'
  | 'instance-not-found'
  | 'empty-group'
  /** An AWS Health event type medic has no use for. */
  | 'health-event';

/** Why the alarm is not medic's to answer, or null when it can name a target. */
export function notForMedic(alarm: AlarmIdentity): { kind: IgnoredKind; reason: string } | null {
  if (alarm.alarmName.startsWith(OPS_ALARM_PREFIX)) {
    return {
      kind: 'ops-alarm',
      reason: `alarm "${alarm.alarmName}" is one of medic's own operational alarms`,
    };
  }
  if (alarm.instanceIds.length > 0) return null;
  if (alarm.autoScalingGroupNames.length > 0) {
    return alarm.alarmName.startsWith(TARGET_TRACKING_PREFIX)
      ? {
          kind: 'target-tracking',
          reason: `alarm "${alarm.alarmName}" belongs to a target-tracking scaling policy: it alarms on every scale-out, not on a sick instance`,
        }
      : null;
  }
  return {
    kind: 'no-target',
    reason: `alarm "${alarm.alarmName}" has no InstanceId or AutoScalingGroupName dimension: medic cannot tell which instance to look at`,
  };
}
