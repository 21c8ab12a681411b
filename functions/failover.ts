/** Failover Task: target group, Route 53, Elastic IP or Auto Scaling, by the instance's tags. */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SNSClient } from '@aws-sdk/client-sns';
import { autoScalingHealthAdapter } from '../shared/adapters/autoscaling.ts';
import { associateElasticIpWith, describeInstancesWith, elasticIpOfWith } from '../shared/adapters/ec2.ts';
import { targetGroupAdapter } from '../shared/adapters/elbv2.ts';
import { route53Adapter } from '../shared/adapters/route53.ts';
import { snsNotifier } from '../shared/adapters/sns.ts';
import { coreConfig } from '../shared/config.ts';
import { StepInputSchema } from '../shared/domain/step-result.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { guardedAction } from '../shared/guarded-action.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { failover, resumeFailover } from '../shared/usecases/failover.ts';
import { runStep } from '../shared/usecases/step.ts';

// No SDK-level retries — a lost answer to a mutating call must not become a second one;
// the ASL retries instead, and the guard's claim stops a repeat.
const ec2Client = new EC2Client({ maxAttempts: 1 });
// Only the three EC2 calls failover makes, so the bundle carries only their schemas (size budget).
const ec2 = {
  describeInstances: describeInstancesWith(ec2Client),
  elasticIpOf: elasticIpOfWith(ec2Client),
  associateElasticIp: associateElasticIpWith(ec2Client),
};
const targetGroups = targetGroupAdapter(new ElasticLoadBalancingV2Client({}));
const dns = route53Adapter(new Route53Client({}));
const autoScaling = autoScalingHealthAdapter(new AutoScalingClient({}));
const sns = new SNSClient({});

export const handler = lambda(async (event) => {
  const { result, ...base } = parseWith(StepInputSchema, event, 'Failover');
  const notifier = snsNotifier(sns, coreConfig().MEDIC_STAKEHOLDER_TOPIC_ARN);
  // The safety bounds, once per rung, before the first mutating call
  const deps = {
    ec2,
    targetGroups,
    dns,
    autoScaling,
    notifier,
    clock: systemClock,
    defaultPorts: coreConfig().MEDIC_DEFAULT_PORTS,
  };
  // Only the cycle's result goes back (ResultPath $.result): Decide folds it into the case.
  return runStep(base, result, 'action', (c) =>
    guardedAction(
      c,
      'failover',
      notifier,
      (c) => failover(c, deps),
      // A lost or duplicated answer resumes a half-done failover instead of assuming it is done.
      (c, why) => resumeFailover(c, deps, why),
    ),
  );
});
