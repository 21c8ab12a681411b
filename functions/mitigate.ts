/** Mitigate Task: one rung of the plan, behind the safety gates. */

import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import { autoScalingAdapter } from '../shared/adapters/autoscaling.ts';
import { wasThrottled } from '../shared/adapters/aws-errors.ts';
import { ec2Adapter } from '../shared/adapters/ec2.ts';
import { snsNotifier } from '../shared/adapters/sns.ts';
import { coreConfig } from '../shared/config.ts';
import { InstanceCaseSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import type { Ec2Port } from '../shared/ports.ts';
import { guardSettings, safetyStore } from '../shared/safety.ts';
import { actionKey, authorize } from '../shared/usecases/guard.ts';
import { mitigate } from '../shared/usecases/mitigate.ts';

// issue #5: no SDK-level retries here — a mutating EC2 call is not idempotent, so a lost answer must
// not become a second reboot; the ASL retries instead, and the guard's claim stops a repeat.
const ec2 = ec2Adapter(new EC2Client({ maxAttempts: 1 }));
const sns = new SNSClient({});
const autoScaling = autoScalingAdapter(new AutoScalingClient({}));

/**
 * Issue #5: the guard claims each mutating action once (at most once, even across retries and
 * crashes). When AWS throttles the mutating call itself, the action provably did not run, so the
 * claim is given back and the ASL retry may act; any other failure keeps the claim.
 */
function claimAware(inner: Ec2Port, current: () => { instanceId: string; key: string } | null): Ec2Port {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || String(prop).startsWith('describe')) return value;
      return async (...args: unknown[]) => {
        try {
          return await value.apply(target, args);
        } catch (error) {
          const claim = current();
          if (claim && wasThrottled(error)) await safetyStore().unclaimAction(claim.instanceId, claim.key);
          throw error;
        }
      };
    },
  });
}

export const handler = lambda(async (event) => {
  const c = parseWith(InstanceCaseSchema, event, 'Mitigate');
  let claim: { instanceId: string; key: string } | null = null;
  const notifier = snsNotifier(sns, coreConfig().MEDIC_STAKEHOLDER_TOPIC_ARN);
  return mitigate(c, {
    ec2: claimAware(ec2, () => claim),
    notifier,
    clock: systemClock,
    // issue #5: every mutating call passes the safety bounds first
    guard: async (kase, action) => {
      const verdict = await authorize(kase, action, {
        store: safetyStore(),
        clock: systemClock,
        settings: guardSettings(),
        notifier,
        groupSize: async (group) => (await autoScaling.inServiceInstances([group])).length,
      });
      if (verdict.allow && kase.mode !== 'dry-run')
        claim = { instanceId: kase.target.instanceId, key: actionKey(kase, action) };
      return verdict;
    },
  });
});
