/** Auto Scaling adapter: resolves an alarm's AutoScalingGroupName dimension to its instances. */
import {
  type AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  SetInstanceHealthCommand,
} from '@aws-sdk/client-auto-scaling';
import type { AutoScalingHealthPort, AutoScalingPort, ScalingActivitiesPort } from '../ports.ts';
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

// ---- Auto Scaling failover (mark Unhealthy so the group replaces the instance) ----
export function autoScalingHealthAdapter(client: AutoScalingClient): AutoScalingHealthPort {
  return {
    async setUnhealthy(instanceId) {
      await callAws('SetInstanceHealth', () =>
        client.send(
          new SetInstanceHealthCommand({
            InstanceId: instanceId,
            HealthStatus: 'Unhealthy',
            ShouldRespectGracePeriod: false,
          }),
        ),
      );
    },
    async group(groupName, exceptInstanceId) {
      const out = await callAws('DescribeAutoScalingGroups', () =>
        client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] })),
      );
      const g = out.AutoScalingGroups?.[0];
      if (!g) return null;
      const healthyPeers = (g.Instances ?? [])
        .filter(
          (i) =>
            i.InstanceId !== exceptInstanceId &&
            i.LifecycleState === 'InService' &&
            i.HealthStatus === 'Healthy',
        )
        .flatMap((i) => (i.InstanceId ? [i.InstanceId] : []));
      const managed = (g.Tags ?? []).some((t) => t.Key === 'medic:managed' && t.Value === 'true');
      return { managed, healthyPeers };
    },
  };
}

// ---- What the group did lately (the alerts evidence's recent changes) ----
export function scalingActivitiesAdapter(client: AutoScalingClient): ScalingActivitiesPort {
  return {
    async activities(group, { start, limit }) {
      // Newest first, as AWS returns them; one page is enough for the last hour of one group.
      const out = await callAws('DescribeScalingActivities', () =>
        client.send(
          new DescribeScalingActivitiesCommand({
            AutoScalingGroupName: group,
            MaxRecords: Math.min(limit, 100),
          }),
        ),
      );
      return (out.Activities ?? [])
        .filter((a) => a.StartTime && a.StartTime.getTime() >= start.getTime())
        .slice(0, limit)
        .map((a) => ({
          at: (a.StartTime as Date).toISOString(),
          description: a.Description ?? 'activity',
          cause: a.Cause ?? '',
          status: a.StatusCode ?? 'unknown',
        }));
    },
  };
}
