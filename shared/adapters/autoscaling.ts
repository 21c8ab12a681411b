/** Auto Scaling adapter: resolves an alarm's AutoScalingGroupName dimension to its instances. */
import { type AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import type { AutoScalingPort } from '../ports.ts';
import { callAws } from './aws-errors.ts';

export function autoScalingAdapter(client: AutoScalingClient): AutoScalingPort {
  return {
    async inServiceInstances(groupNames) {
      if (groupNames.length === 0) return [];
      const out = await callAws('DescribeAutoScalingGroups', () =>
        client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: groupNames })),
      );
      return (out.AutoScalingGroups ?? []).flatMap((g) =>
        (g.Instances ?? [])
          .filter((i) => i.LifecycleState === 'InService')
          .flatMap((i) => (i.InstanceId ? [i.InstanceId] : [])),
      );
    },
  };
}
