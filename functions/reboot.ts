/** Reboot Task: RebootInstances (DryRun in dry-run mode), then Verify. */
import { EC2Client } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import { ec2Adapter } from '../shared/adapters/ec2.ts';
import { snsNotifier } from '../shared/adapters/sns.ts';
import { coreConfig } from '../shared/config.ts';
import { StepInputSchema } from '../shared/domain/step-result.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { guardedAction } from '../shared/guarded-action.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { reboot } from '../shared/usecases/reboot.ts';
import { runStep } from '../shared/usecases/step.ts';

// No SDK-level retries — a lost answer to a mutating call must not become a second one;
// the ASL retries instead, and the guard's claim stops a repeat.
const ec2 = ec2Adapter(new EC2Client({ maxAttempts: 1 }));
const sns = new SNSClient({});

export const handler = lambda(async (event) => {
  const { result, ...base } = parseWith(StepInputSchema, event, 'Reboot');
  const notifier = snsNotifier(sns, coreConfig().MEDIC_STAKEHOLDER_TOPIC_ARN);
  // The safety bounds, once per rung, before the first mutating call
  // Only the cycle's result goes back (ResultPath $.result): Decide folds it into the case.
  return runStep(base, result, 'action', (c) =>
    guardedAction(c, 'reboot', notifier, (c) =>
      reboot(c, {
        ec2,
        notifier,
        clock: systemClock,
      }),
    ),
  );
});
