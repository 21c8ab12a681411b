/** Intake Task: normalise the trigger, claim the episode, resolve targets, open the incident. */
import { appendFileSync } from 'node:fs';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { autoScalingAdapter } from '../shared/adapters/autoscaling.ts';
import { ec2Adapter } from '../shared/adapters/ec2.ts';
import { emitAlarmIgnored } from '../shared/adapters/metrics.ts';
import { autonomyConfig, coreConfig, ladderConfig, safetyConfig } from '../shared/config.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, logger, parseWith } from '../shared/lambda.ts';
import { safetyStore } from '../shared/safety.ts';
import type { StormMemo } from '../shared/usecases/guard.ts';
import { intake, isNotForMedic } from '../shared/usecases/intake.ts';

const ec2 = ec2Adapter(new EC2Client({}));
/** A storm this warm sandbox has seen: later alarms in it are held without another read. */
const stormMemo: StormMemo = {};
const autoScaling = autoScalingAdapter(new AutoScalingClient({}));

const Input = z.object({
  event: z.unknown(),
  execution: z.object({ id: z.string().nullish(), name: z.string().nullish() }).default({}),
});

function executionUrl(executionArn: string | null | undefined): string | null {
  if (!executionArn?.startsWith('arn:aws:states:')) return null;
  const region = executionArn.split(':')[3];
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

export const handler = lambda(async (event) => {
  const input = parseWith(Input, event, 'Intake');
  const config = coreConfig();
  const executionId = input.execution.id;
  const result = await intake(input.event, {
    // Dedupe and the storm check first: in a storm most deliveries end here (issue #8).
    gate: executionId
      ? {
          executionId,
          store: safetyStore(),
          fleetWindowMs: safetyConfig().MEDIC_FLEET_WINDOW_MINUTES * 60_000,
          memo: stormMemo,
        }
      : undefined,
    ec2,
    autoScaling,
    clock: systemClock,
    defaultPorts: config.MEDIC_DEFAULT_PORTS,
    deployMode: autonomyConfig().MEDIC_MODE,
    settings: {
      verifyWaitSeconds: config.MEDIC_VERIFY_WAIT_SECONDS,
      verifyPolls: config.MEDIC_VERIFY_POLLS,
      probeTimeoutMs: config.MEDIC_PROBE_TIMEOUT_MS,
      executionUrl: executionUrl(input.execution.id),
      actionPollWaitSeconds: ladderConfig().MEDIC_ACTION_POLL_WAIT_SECONDS,
      actionPolls: ladderConfig().MEDIC_ACTION_POLLS,
      approvalTimeoutSeconds: ladderConfig().MEDIC_APPROVAL_TIMEOUT_SECONDS,
      autonomy: autonomyConfig().MEDIC_AUTONOMY,
    },
  });
  if (isNotForMedic(result)) {
    logger.info('alarm ignored: not for medic', result.notForMedic);
    // Local runs send metrics to a file so `--json` stdout stays one document (as Record does).
    const metricsFile = config.MEDIC_METRICS_FILE;
    emitAlarmIgnored(result.notForMedic.kind, (line) =>
      metricsFile ? appendFileSync(metricsFile, `${line}\n`) : process.stdout.write(`${line}\n`),
    );
  }
  return result;
});
