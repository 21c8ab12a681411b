/**
 * PrepareRung Task (issue #4): pick the rung, gate it (opt-in, autonomy, the kill switch,
 * approval), capture console output.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { ec2Adapter } from '../shared/adapters/ec2.ts';
import { pauseAlarm } from '../shared/adapters/pause-alarm.ts';
import { pauseSwitch } from '../shared/adapters/pause-switch.ts';
import { killSwitchConfig } from '../shared/config.ts';
import { InstanceCaseSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import type { PauseSwitchPort } from '../shared/ports.ts';
import { prepareRung } from '../shared/usecases/ladder.ts';

const ec2 = ec2Adapter(new EC2Client({}));
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

export const handler = lambda(async (event) =>
  prepareRung(parseWith(InstanceCaseSchema, event, 'PrepareRung'), {
    ec2,
    clock: systemClock,
    pause: pauseSwitches(),
  }),
);
