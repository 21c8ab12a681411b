/** Page Task: the terminal rung — a high-severity SNS page with evidence and what was tried. */
import { SNSClient } from '@aws-sdk/client-sns';
import { snsNotifier } from '../shared/adapters/sns.ts';
import { coreConfig } from '../shared/config.ts';
import { StepInputSchema } from '../shared/domain/step-result.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { page } from '../shared/usecases/ladder.ts';
import { runStep } from '../shared/usecases/step.ts';

const sns = new SNSClient({});

export const handler = lambda(async (event) => {
  const { result, ...base } = parseWith(StepInputSchema, event, 'Page');
  // Only the page's result goes back (ResultPath $.result): FileCase folds it into the case.
  return runStep(base, result, 'action', (c) =>
    page(c, {
      notifier: snsNotifier(sns, coreConfig().MEDIC_STAKEHOLDER_TOPIC_ARN),
      clock: systemClock,
    }),
  );
});
