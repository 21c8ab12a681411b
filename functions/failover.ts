/** Failover Task (issue #4): target group, Route 53, Elastic IP or Auto Scaling, by the instance's tags. */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SNSClient } from '@aws-sdk/client-sns';
import { autoScalingHealthAdapter } from '../shared/adapters/autoscaling.ts';
import { ec2Adapter } from '../shared/adapters/ec2.ts';
import { targetGroupAdapter } from '../shared/adapters/elbv2.ts';
import { route53Adapter } from '../shared/adapters/route53.ts';
import { snsNotifier } from '../shared/adapters/sns.ts';
import { coreConfig } from '../shared/config.ts';
import { InstanceCaseSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { failover } from '../shared/usecases/failover.ts';

const ec2 = ec2Adapter(new EC2Client({}));
const targetGroups = targetGroupAdapter(new ElasticLoadBalancingV2Client({}));
const dns = route53Adapter(new Route53Client({}));
const autoScaling = autoScalingHealthAdapter(new AutoScalingClient({}));
const sns = new SNSClient({});

export const handler = lambda(async (event) =>
  failover(parseWith(InstanceCaseSchema, event, 'Failover'), {
    ec2,
    targetGroups,
    dns,
    autoScaling,
    notifier: snsNotifier(sns, coreConfig().MEDIC_STAKEHOLDER_TOPIC_ARN),
    clock: systemClock,
    defaultPorts: coreConfig().MEDIC_DEFAULT_PORTS,
  }),
);
