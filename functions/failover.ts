/** Failover Task: target group, Route 53, Elastic IP or Auto Scaling, by the instance's tags. */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { autoScalingHealthAdapter } from '../shared/adapters/autoscaling.ts';
import { associateElasticIpWith, describeInstancesWith, elasticIpOfWith } from '../shared/adapters/ec2.ts';
import { targetGroupAdapter } from '../shared/adapters/elbv2.ts';
import { route53Adapter } from '../shared/adapters/route53.ts';
import { clientFor } from '../shared/aws-clients.ts';
import { coreConfig } from '../shared/config.ts';
import type { InstanceCase } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { guardedStep } from '../shared/guarded-action.ts';
import { lambda } from '../shared/lambda.ts';
import type { NotifierPort } from '../shared/ports.ts';
import { queueUsersMidRun } from '../shared/status-outbox-port.ts';
import { failover, resumeFailover } from '../shared/usecases/failover.ts';

// No SDK-level retries — a lost answer to a mutating call must not become a second one;
// the ASL retries instead, and the guard's claim stops a repeat.
// Every client is the case's: the alarm's own account and region (the standby, its target group,
// its record and its group live next to the instance).
const deps = async (c: InstanceCase, notifier: NotifierPort) => {
  const ec2Client = await clientFor('ec2', (k) => new EC2Client(k), c, { maxAttempts: 1 });
  return {
    // Only the three EC2 calls failover makes, so the bundle carries only their schemas (size budget).
    ec2: {
      describeInstances: describeInstancesWith(ec2Client),
      elasticIpOf: elasticIpOfWith(ec2Client),
      associateElasticIp: associateElasticIpWith(ec2Client),
    },
    targetGroups: targetGroupAdapter(
      await clientFor('elasticloadbalancing', (k) => new ElasticLoadBalancingV2Client(k), c),
    ),
    dns: route53Adapter(await clientFor('route53', (k) => new Route53Client(k), c)),
    autoScaling: autoScalingHealthAdapter(await clientFor('autoscaling', (k) => new AutoScalingClient(k), c)),
    notifier,
    clock: systemClock,
    defaultPorts: coreConfig().MEDIC_DEFAULT_PORTS,
  };
};

export const handler = lambda(async (event, context) =>
  guardedStep(
    event,
    'failover',
    'Failover',
    async (c, notifier) => failover(c, await deps(c, notifier)),
    // A lost or duplicated answer resumes a half-done failover instead of assuming it is done.
    async (c, notifier, why) => resumeFailover(c, await deps(c, notifier), why),
    // A later rung's bundle has no room for the Statuspage client: its update waits in the
    // outbox for the drainer (or Close, whichever comes first).
    { context, tell: queueUsersMidRun },
  ),
);
