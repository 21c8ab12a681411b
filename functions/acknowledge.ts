/** Acknowledge Task: SNS "incident opened" to the stakeholders (and the optional status topic). */
import { SNSClient } from '@aws-sdk/client-sns';
import { snsNotifier } from '../shared/adapters/sns.ts';
import { coreConfig } from '../shared/config.ts';
import { IncidentStateSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { acknowledge } from '../shared/usecases/acknowledge.ts';

const sns = new SNSClient({});

export const handler = lambda(async (event) => {
  const core = coreConfig();
  return acknowledge(parseWith(IncidentStateSchema, event, 'Acknowledge'), {
    notifier: snsNotifier(sns, core.MEDIC_STAKEHOLDER_TOPIC_ARN),
    ...(core.MEDIC_STATUS_TOPIC_ARN ? { statusNotifier: snsNotifier(sns, core.MEDIC_STATUS_TOPIC_ARN) } : {}),
    clock: systemClock,
  });
});
