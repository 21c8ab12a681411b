/** Acknowledge Task: SNS "incident opened" to the stakeholders. */
import { SNSClient } from '@aws-sdk/client-sns';
import { snsNotifier } from '../shared/adapters/sns.ts';
import { coreConfig } from '../shared/config.ts';
import { IncidentStateSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { acknowledge } from '../shared/usecases/acknowledge.ts';

const sns = new SNSClient({});

export const handler = lambda(async (event) =>
  acknowledge(parseWith(IncidentStateSchema, event, 'Acknowledge'), {
    notifier: snsNotifier(sns, coreConfig().MEDIC_STAKEHOLDER_TOPIC_ARN),
    clock: systemClock,
  }),
);
