/**
 * Issue #5 on the ladder of issue #4: each mutating rung (restart-service, reboot, stop-start,
 * failover) passes the safety bounds once, on its first invocation, before any mutating call.
 * Polls of an action already under way (`pending`) are not re-gated. When AWS throttles the call,
 * the action provably did not run, so the at-most-once claim is given back and the ASL retry may
 * act; any other failure keeps the claim, so a retried or re-run step never repeats the action.
 * The kill switch is read here too, before every mutating rung, so a pause reaches ladders that
 * are already running.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SSMClient } from '@aws-sdk/client-ssm';
import { autoScalingAdapter } from './adapters/autoscaling.ts';
import { wasThrottled } from './adapters/aws-errors.ts';
import { pauseAlarm } from './adapters/pause-alarm.ts';
import { pauseSwitch } from './adapters/pause-switch.ts';
import { killSwitchConfig } from './config.ts';
import type { ActionKind, InstanceCase } from './domain/model.ts';
import { systemClock } from './domain/timeline.ts';
import type { NotifierPort, PauseSwitchPort } from './ports.ts';
import { guardSettings, guardStore } from './safety.ts';
import { actionKey, authorize, holdCase } from './usecases/guard.ts';
import { modeOf } from './usecases/ladder.ts';

const autoScaling = autoScalingAdapter(new AutoScalingClient({}));
let switches: PauseSwitchPort[] | undefined;

/** The stage's kill switch (`medic pause`), and the pause alarm when MEDIC_PAUSE_ALARM names one. */
function pauseSwitches(): PauseSwitchPort[] {
  if (switches) return switches;
  const c = killSwitchConfig();
  switches = [
    pauseSwitch(new SSMClient({}), c.MEDIC_PAUSE_PARAMETER, {
      maxAgeMs: c.MEDIC_PAUSE_CACHE_SECONDS * 1_000,
    }),
  ];
  if (c.MEDIC_PAUSE_ALARM) switches.push(pauseAlarm(new CloudWatchClient({}), c.MEDIC_PAUSE_ALARM));
  return switches;
}

export async function guardedAction(
  c: InstanceCase,
  action: ActionKind,
  notifier: NotifierPort,
  run: (c: InstanceCase) => Promise<InstanceCase>,
): Promise<InstanceCase> {
  if (c.pending) return run(c);
  const verdict = await authorize(c, action, {
    store: guardStore(),
    clock: systemClock,
    settings: guardSettings(),
    notifier,
    pause: pauseSwitches(),
    groupSize: async (group) => (await autoScaling.inServiceInstances([group])).length,
  });
  if (!verdict.allow) return holdCase(c, action, verdict, systemClock);
  try {
    return await run(c);
  } catch (error) {
    if (modeOf(c, action) !== 'dry-run' && wasThrottled(error))
      await guardStore().unclaimAction(c.target.instanceId, actionKey(c, action));
    throw error;
  }
}
