/** Auto Scaling membership of one instance (DescribeAutoScalingInstances), for the evidence. */
import { type AutoScalingClient, DescribeAutoScalingInstancesCommand } from '@aws-sdk/client-auto-scaling';
import type { InstanceGroupPort } from '../ports.ts';
import { callAws } from './aws-errors.ts';

export function instanceGroupAdapter(client: AutoScalingClient): InstanceGroupPort {
  return {
    async groupOf(instanceId) {
      const out = await callAws('DescribeAutoScalingInstances', () =>
        client.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] })),
      );
      return out.AutoScalingInstances?.[0]?.AutoScalingGroupName ?? null;
    },
  };
}
