/**
 * `medic replay FILE`: the wiring of the replay use case for the operator CLI. Reads the stream,
 * then only reads AWS (DescribeAlarms, DescribeInstances, DescribeAutoScalingGroups) with the
 * caller's credentials; the stores are in memory and the notifier counts. The bounds are the
 * deployment's (MEDIC_* as the functions read them, defaults otherwise).
 */
import { readFile } from 'node:fs/promises';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { alarmDefinitions } from '../shared/adapters/alarm-definitions.ts';
import { autoScalingAdapter } from '../shared/adapters/autoscaling.ts';
import { describeInstancesWith } from '../shared/adapters/ec2.ts';
import { memorySafetyStore } from '../shared/adapters/memory-safety.ts';
import { coreConfig, withEnvironment } from '../shared/config.ts';
import { alarmsToDescribe, parseAlarmStream } from '../shared/domain/alarm-stream.ts';
import { CliUsageError } from '../shared/errors.ts';
import { guardSettings, lockLeaseMs } from '../shared/safety.ts';
import { type ReplayReport, replay } from '../shared/usecases/replay.ts';

export async function replayFile(
  file: string,
  clientConfig: { region?: string; profile?: string },
): Promise<ReplayReport> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliUsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const stream = parseAlarmStream(text);
  // The bounds as deployed; the in-memory store needs no table, so none is required here.
  const environment = {
    ...process.env,
    MEDIC_SAFETY_TABLE: process.env.MEDIC_SAFETY_TABLE || 'replay-in-memory',
    MEDIC_STAKEHOLDER_TOPIC_ARN: process.env.MEDIC_STAKEHOLDER_TOPIC_ARN || 'replay-notifies-nobody',
  };
  const { settings, leaseMs, defaultPorts } = withEnvironment(environment, () => ({
    settings: guardSettings(),
    leaseMs: lockLeaseMs(),
    defaultPorts: coreConfig().MEDIC_DEFAULT_PORTS,
  }));
  const cloudwatch = new CloudWatchClient(clientConfig);
  const definitions = await alarmDefinitions(cloudwatch).describe(alarmsToDescribe(stream));
  const region = clientConfig.region ?? (await cloudwatch.config.region());
  const account = [...definitions.values()][0]?.alarmArn.split(':')[4] ?? '000000000000';
  return replay(stream, {
    definitions,
    ec2: { describeInstances: describeInstancesWith(new EC2Client(clientConfig)) },
    autoScaling: autoScalingAdapter(new AutoScalingClient(clientConfig)),
    store: memorySafetyStore(),
    settings,
    leaseMs,
    defaultPorts,
    where: { account, region },
  });
}
