/** Page Task (issue #4): the terminal rung — a high-severity SNS page with evidence and what was tried. */
import { SNSClient } from '@aws-sdk/client-sns';
import { snsNotifier } from '../shared/adapters/sns.ts';
import { coreConfig } from '../shared/config.ts';
import { InstanceCaseSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { page } from '../shared/usecases/ladder.ts';

const sns = new SNSClient({});

export const handler = lambda(async (event) =>
  page(parseWith(InstanceCaseSchema, event, 'Page'), {
    notifier: snsNotifier(sns, coreConfig().MEDIC_STAKEHOLDER_TOPIC_ARN),
    clock: systemClock,
  }),
);
