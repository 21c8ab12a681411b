/** Elastic Load Balancing v2 adapter: target-group failover. */
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { TargetGroupPort } from '../ports.ts';
import { callAws } from './aws-errors.ts';

export function targetGroupAdapter(client: ElasticLoadBalancingV2Client): TargetGroupPort {
  return {
    async health(targetGroupArn) {
      const out = await callAws('DescribeTargetHealth', () =>
        client.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })),
      );
      return Object.fromEntries(
        (out.TargetHealthDescriptions ?? []).flatMap((d) =>
          d.Target?.Id ? [[d.Target.Id, d.TargetHealth?.State ?? 'unknown']] : [],
        ),
      );
    },
    async register(targetGroupArn, instanceId) {
      await callAws('RegisterTargets', () =>
        client.send(
          new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [{ Id: instanceId }] }),
        ),
      );
    },
    async deregister(targetGroupArn, instanceId) {
      await callAws('DeregisterTargets', () =>
        client.send(
          new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [{ Id: instanceId }] }),
        ),
      );
    },
  };
}
