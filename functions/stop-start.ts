/** StopStart Task: stop, poll for stopped, start, poll for running — polled by the ASL. */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import { autoScalingHealthAdapter } from '../shared/adapters/autoscaling.ts';
import { ec2Adapter } from '../shared/adapters/ec2.ts';
import { snsNotifier } from '../shared/adapters/sns.ts';
import { coreConfig } from '../shared/config.ts';
import { StepInputSchema } from '../shared/domain/step-result.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { guardedAction } from '../shared/guarded-action.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { runStep } from '../shared/usecases/step.ts';
import { resumeStopStart, stopStart } from '../shared/usecases/stop-start.ts';

// No SDK-level retries — a lost answer to a mutating call must not become a second one;
// the ASL retries instead, and the guard's claim stops a repeat.
const ec2 = ec2Adapter(new EC2Client({ maxAttempts: 1 }));
// An Auto Scaling member is handed to its group (SetInstanceHealth) instead of being stopped.
const autoScaling = autoScalingHealthAdapter(new AutoScalingClient({ maxAttempts: 1 }));
const sns = new SNSClient({});

export const handler = lambda(async (event) => {
  const { result, ...base } = parseWith(StepInputSchema, event, 'StopStart');
  const notifier = snsNotifier(sns, coreConfig().MEDIC_STAKEHOLDER_TOPIC_ARN);
  // The safety bounds, once per rung, before the first mutating call
  const deps = {
    ec2,
    autoScaling,
    notifier,
    clock: systemClock,
    defaultPorts: coreConfig().MEDIC_DEFAULT_PORTS,
  };
  // Only the cycle's result goes back (ResultPath $.result): Decide folds it into the case.
  return runStep(base, result, 'action', (c) =>
    guardedAction(
      c,
      'stop-start',
      notifier,
      (c) => stopStart(c, deps),
      // A lost or duplicated answer resumes from the instance's state instead of assuming it is done.
      (c, why) => resumeStopStart(c, deps, why),
    ),
  );
});
