/** Mitigate Task: one rung of the plan, behind the safety gates. */
import { EC2Client } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import { ec2Adapter } from '../shared/adapters/ec2.ts';
import { snsNotifier } from '../shared/adapters/sns.ts';
import { coreConfig } from '../shared/config.ts';
import { InstanceCaseSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { guardSettings, safetyStore } from '../shared/safety.ts';
import { authorize } from '../shared/usecases/guard.ts';
import { mitigate } from '../shared/usecases/mitigate.ts';

const ec2 = ec2Adapter(new EC2Client({}));
const sns = new SNSClient({});

export const handler = lambda(async (event) =>
  mitigate(parseWith(InstanceCaseSchema, event, 'Mitigate'), {
    ec2,
    notifier: snsNotifier(sns, coreConfig().MEDIC_STAKEHOLDER_TOPIC_ARN),
    clock: systemClock,
    // issue #5: every mutating call passes the safety bounds first
    guard: (c, action) =>
      authorize(c, action, {
        store: safetyStore(),
        clock: systemClock,
        settings: guardSettings(),
        notifier: snsNotifier(sns, coreConfig().MEDIC_STAKEHOLDER_TOPIC_ARN),
      }),
  }),
);
