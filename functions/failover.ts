/** Failover Task: target group, Route 53, Elastic IP or Auto Scaling, by the instance's tags. */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { autoScalingHealthAdapter } from '../shared/adapters/autoscaling.ts';
import { associateElasticIpWith, describeInstancesWith, elasticIpOfWith } from '../shared/adapters/ec2.ts';
import { targetGroupAdapter } from '../shared/adapters/elbv2.ts';
import { route53Adapter } from '../shared/adapters/route53.ts';
import { coreConfig } from '../shared/config.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { guardedStep } from '../shared/guarded-action.ts';
import { lambda } from '../shared/lambda.ts';
import type { NotifierPort } from '../shared/ports.ts';
import { failover, resumeFailover } from '../shared/usecases/failover.ts';

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
const deps = (notifier: NotifierPort) => ({
  ec2,
  targetGroups,
  dns,
  autoScaling,
  notifier,
  clock: systemClock,
  defaultPorts: coreConfig().MEDIC_DEFAULT_PORTS,
});

export const handler = lambda(async (event) =>
  guardedStep(
    event,
    'failover',
    'Failover',
    (c, notifier) => failover(c, deps(notifier)),
    // A lost or duplicated answer resumes a half-done failover instead of assuming it is done.
    (c, notifier, why) => resumeFailover(c, deps(notifier), why),
  ),
);
