/**
 * Admit Task: normalise the trigger, admit it (dedupe, OK transitions, storm and fleet guard,
 * per-instance locks) and, for a new incident, tell the stakeholders it opened — one cold start
 * where there were three. No Jira client here (it would triple the bundle of a function every
 * incident cold-starts): a storm pages at once over SNS and its summary ticket goes through the outbox.
 */
import { appendFileSync } from 'node:fs';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { autoScalingAdapter } from '../shared/adapters/autoscaling.ts';
import { describeInstancesWith } from '../shared/adapters/ec2.ts';
import { lastFixesReader } from '../shared/adapters/last-fixes.ts';
import { emitAlarmIgnored } from '../shared/adapters/metrics.ts';
import { snsNotifier } from '../shared/adapters/sns.ts';
import { clientFor } from '../shared/aws-clients.ts';
import { autonomyConfig, coreConfig, ladderConfig, learningConfig, safetyConfig } from '../shared/config.ts';
import type { Settings } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, logger, parseWith } from '../shared/lambda.ts';
import { admissionStore, guardSettings, homeOf, lockLeaseMs } from '../shared/safety.ts';
import { admit } from '../shared/usecases/admit.ts';
import type { StormMemo } from '../shared/usecases/guard.ts';
import { type IntakeDeps, intake, isNotForMedic } from '../shared/usecases/intake.ts';

// Only the lookup Admit makes: each EC2 operation adds its schema to a bundle every incident cold-starts.
const ec2 = { describeInstances: describeInstancesWith(new EC2Client({})) };
// The opened notice goes out inside Admit, which carries on without it rather than fail the run:
// a throttled SNS gets the SDK's backoff for longer here (as a Task Retry gave it before).
const sns = new SNSClient({ maxAttempts: 6 });
const autoScaling = autoScalingAdapter(new AutoScalingClient({}));
const dynamodb = new DynamoDBClient({});
/** A storm this warm sandbox has seen: later alarms in it are held without another read. */
const stormMemo: StormMemo = {};

const Input = z.object({
  event: z.unknown(),
  execution: z.object({ id: z.string().min(1), name: z.string().nullish() }),
});

function executionUrl(executionArn: string | null | undefined): string | null {
  if (!executionArn?.startsWith('arn:aws:states:')) return null;
  const region = executionArn.split(':')[3];
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

function intakeDeps(executionId: string | null): Omit<IntakeDeps, 'clock'> {
  const config = coreConfig();
  const settings: Settings = {
    verifyWaitSeconds: config.MEDIC_VERIFY_WAIT_SECONDS,
    verifyPolls: config.MEDIC_VERIFY_POLLS,
    probeTimeoutMs: config.MEDIC_PROBE_TIMEOUT_MS,
    executionUrl: executionUrl(executionId),
    actionPollWaitSeconds: ladderConfig().MEDIC_ACTION_POLL_WAIT_SECONDS,
    actionPolls: ladderConfig().MEDIC_ACTION_POLLS,
    approvalTimeoutSeconds: ladderConfig().MEDIC_APPROVAL_TIMEOUT_SECONDS,
    autonomy: autonomyConfig().MEDIC_AUTONOMY,
  };
  return {
    ec2,
    autoScaling,
    // The targets are looked up in the alarm's own account and region.
    lookupsIn: async (where) => ({
      ec2: {
        describeInstances: describeInstancesWith(await clientFor('ec2', (k) => new EC2Client(k), where)),
      },
      autoScaling: autoScalingAdapter(await clientFor('autoscaling', (k) => new AutoScalingClient(k), where)),
    }),
    defaultPorts: config.MEDIC_DEFAULT_PORTS,
    deployMode: autonomyConfig().MEDIC_MODE,
    plannedWindow: safetyConfig().MEDIC_MAINTENANCE_WINDOW || null,
    settings,
    home: homeOf(),
  };
}

export const handler = lambda(async (event) => {
  const input = parseWith(Input, event, 'Admit');
  const core = coreConfig();
  const result = await admit(input.event, input.execution.id, {
    store: admissionStore(),
    clock: systemClock,
    settings: guardSettings(),
    leaseMs: lockLeaseMs(),
    notifier: snsNotifier(sns, core.MEDIC_STAKEHOLDER_TOPIC_ARN),
    ...(core.MEDIC_STATUS_TOPIC_ARN ? { statusNotifier: snsNotifier(sns, core.MEDIC_STATUS_TOPIC_ARN) } : {}),
    // A member account's group is sized there (group names are unique per account and region only).
    groupSize: async (group, where) => {
      const groups = where
        ? autoScalingAdapter(
            await clientFor('autoscaling', (k) => new AutoScalingClient(k), {
              ...where,
              incidentId: 'fleet-guard',
            }),
          )
        : autoScaling;
      return (await groups.inServiceInstances([group])).length;
    },
    memo: stormMemo,
    ...(core.MEDIC_INCIDENTS_TABLE
      ? {
          recurrence: {
            lastFixes: lastFixesReader(dynamodb, core.MEDIC_INCIDENTS_TABLE),
            windowMs: learningConfig().MEDIC_RECURRENCE_HOURS * 3_600_000,
          },
        }
      : {}),
    intake: intakeDeps(input.execution.id),
  });
  if (isNotForMedic(result)) {
    logger.info('alarm ignored: not for medic', result.notForMedic);
    // Local runs send metrics to a file so `--json` stdout stays one document (as Record does).
    const metricsFile = core.MEDIC_METRICS_FILE;
    emitAlarmIgnored(result.notForMedic.kind, (line) =>
      metricsFile ? appendFileSync(metricsFile, `${line}\n`) : process.stdout.write(`${line}\n`),
    );
  }
  return result;
});

/**
 * The read-only half, for the local pre-flight: what the incident would be (or why the run would
 * end quietly), with no claim, no lock and no notice; bad input throws its named error.
 */
export function preflight(event: unknown) {
  return intake(event, { ...intakeDeps(null), clock: systemClock });
}
