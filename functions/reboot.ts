/** Reboot Task (issue #4): RebootInstances (DryRun in dry-run mode), then Verify. */
import { EC2Client } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import { ec2Adapter } from '../shared/adapters/ec2.ts';
import { snsNotifier } from '../shared/adapters/sns.ts';
import { coreConfig } from '../shared/config.ts';
import { InstanceCaseSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { reboot } from '../shared/usecases/reboot.ts';

const ec2 = ec2Adapter(new EC2Client({}));
const sns = new SNSClient({});

export const handler = lambda(async (event) =>
  reboot(parseWith(InstanceCaseSchema, event, 'Reboot'), {
    ec2,
    notifier: snsNotifier(sns, coreConfig().MEDIC_STAKEHOLDER_TOPIC_ARN),
    clock: systemClock,
  }),
);
