/**
 * The safety bounds on the mitigation ladder: each mutating rung (restart-service, reboot, stop-start,
 * failover) passes the safety bounds once, on its first invocation, before any mutating call.
 * Polls of an action already under way (`pending`) are not re-gated. When AWS throttles the call,
 * the action provably did not run, so the at-most-once claim is given back and the ASL retry may
 * act; any other failure keeps the claim, so a retried or re-run step never repeats the action.
 *
 * A claim already taken means an earlier delivery of this very step reached AWS and its answer was
 * lost (Step Functions retried after a Lambda timeout) or is not the one used (at-least-once
 * delivery). For a multi-phase action that earlier delivery only began the work, so `resume` reads
 * what AWS now shows and carries on from there without repeating the call already made; it answers
 * null when nothing of the action is visible, and then the action is taken as done as before.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { SNSClient } from '@aws-sdk/client-sns';
import { autoScalingAdapter } from './adapters/autoscaling.ts';
import { wasThrottled } from './adapters/aws-errors.ts';
import { snsNotifier } from './adapters/sns.ts';
import { clientFor } from './aws-clients.ts';
import { coreConfig } from './config.ts';
import { modeOf } from './domain/autonomy.ts';
import type { ActionKind, InstanceCase } from './domain/model.ts';
import { StepInputSchema, type StepResult } from './domain/step-result.ts';
import { systemClock } from './domain/timeline.ts';
import { deadlineOf, parseWith } from './lambda.ts';
import type { NotifierPort } from './ports.ts';
import { guardSettings, guardStore } from './safety.ts';
import { actionKey, authorize, caseKey, holdCase } from './usecases/guard.ts';
import type { MidRunTeller } from './usecases/status-page.ts';
import { runStep } from './usecases/step.ts';

const autoScaling = autoScalingAdapter(new AutoScalingClient({}));
const sns = new SNSClient({});

/**
 * One action Task, the same for every mutating rung: parse the cycle's input, pass the bounds
 * once (guardedAction), act, tell users the step has begun (on its first invocation, after the
 * action: the page never delays it), and answer only the cycle's result (ResultPath $.result) —
 * Decide folds it into the case.
 */
export function guardedStep(
  event: unknown,
  action: ActionKind,
  taskName: string,
  run: (c: InstanceCase, notifier: NotifierPort) => Promise<InstanceCase>,
  resume?: (c: InstanceCase, notifier: NotifierPort, why: string) => Promise<InstanceCase | null>,
  /**
   * The invocation's context (its deadline) and how the step tells users it has begun: each
   * handler passes its own, so a function under a tight bundle budget can queue the update
   * (status-outbox-port.ts) instead of carrying the Statuspage client (statuspage-port.ts).
   */
  users?: { context?: unknown; tell?: MidRunTeller },
): Promise<StepResult> {
  const deadline = deadlineOf(users?.context);
  const tell = users?.tell;
  const { result, ...base } = parseWith(StepInputSchema, event, taskName);
  const notifier = snsNotifier(sns, coreConfig().MEDIC_STAKEHOLDER_TOPIC_ARN);
  return runStep(base, result, 'action', async (c) => {
    const after = await guardedAction(
      c,
      action,
      notifier,
      (k) => run(k, notifier),
      resume ? (k, why) => resume(k, notifier, why) : undefined,
    );
    // A poll of a step already under way has nothing new for users.
    if (c.pending || !tell) return after;
    return tell(after, after.pending?.kind === action ? action : null, taskName, deadline);
  });
}

export async function guardedAction(
  c: InstanceCase,
  action: ActionKind,
  notifier: NotifierPort,
  run: (c: InstanceCase) => Promise<InstanceCase>,
  resume?: (c: InstanceCase, why: string) => Promise<InstanceCase | null>,
): Promise<InstanceCase> {
  if (c.pending) return run(c);
  const verdict = await authorize(c, action, {
    store: guardStore(),
    clock: systemClock,
    settings: guardSettings(),
    notifier,
    // A member account's group is sized there (group names are unique per account and region only).
    groupSize: async (group, where) => {
      const groups = where
        ? autoScalingAdapter(
            await clientFor('autoscaling', (k) => new AutoScalingClient(k), {
              ...where,
              incidentId: c.incidentId,
            }),
          )
        : autoScaling;
      return (await groups.inServiceInstances([group])).length;
    },
  });
  if (!verdict.allow && verdict.bound === 'already-taken' && resume) {
    const resumed = await resume(
      c,
      `${verdict.reason}: its answer was lost (retried after States.Timeout or Sandbox.Timedout) or delivered twice`,
    );
    if (resumed) return resumed;
  }
  if (!verdict.allow) return holdCase(c, action, verdict, systemClock);
  try {
    return await run(c);
  } catch (error) {
    if (modeOf(c, action) !== 'dry-run' && wasThrottled(error))
      await guardStore().unclaimAction(caseKey(c, guardSettings()), actionKey(c, action));
    throw error;
  }
}
