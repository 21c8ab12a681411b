/** RestartService Task: systemctl restart via SSM Run Command, polled by the ASL. */
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { snsNotifier } from '../shared/adapters/sns.ts';
import { serviceRestartAdapter } from '../shared/adapters/ssm-run-command.ts';
import { coreConfig } from '../shared/config.ts';
import { StepInputSchema } from '../shared/domain/step-result.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { guardedAction } from '../shared/guarded-action.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { restartService } from '../shared/usecases/restart-service.ts';
import { runStep } from '../shared/usecases/step.ts';

const ssm = serviceRestartAdapter(new SSMClient({}));
const sns = new SNSClient({});

export const handler = lambda(async (event) => {
  const { result, ...base } = parseWith(StepInputSchema, event, 'RestartService');
  const notifier = snsNotifier(sns, coreConfig().MEDIC_STAKEHOLDER_TOPIC_ARN);
  // The safety bounds, once per rung, before the first mutating call
  // Only the cycle's result goes back (ResultPath $.result): Decide folds it into the case.
  return runStep(base, result, 'action', (c) =>
    guardedAction(c, 'restart-service', notifier, (c) =>
      restartService(c, {
        ssm,
        notifier,
        clock: systemClock,
      }),
    ),
  );
});
