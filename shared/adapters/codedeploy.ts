/**
 * CodeDeploy adapter: what deployments are, and what one did on one EC2 instance.
 * BatchGetDeployments takes at most 25 ids; BatchGetDeploymentTargets (the successor of the
 * deprecated BatchGetDeploymentInstances) takes one deployment and at most 25 target ids — for an
 * EC2/On-premises deployment the target id is the instance id. An instance that is not one of the
 * deployment's targets is DeploymentTargetDoesNotExistException: here that is "not a target".
 */
import {
  BatchGetDeploymentsCommand,
  BatchGetDeploymentTargetsCommand,
  type CodeDeployClient,
} from '@aws-sdk/client-codedeploy';
import type { CodeDeployPort, DeploymentRecord } from '../ports.ts';
import { callAws } from './aws-errors.ts';

export const MAX_DEPLOYMENT_IDS = 25;

const iso = (d: Date | undefined) => (d ? d.toISOString() : null);

export function codeDeployAdapter(client: CodeDeployClient): CodeDeployPort {
  return {
    async deployments(ids) {
      const out: DeploymentRecord[] = [];
      for (let i = 0; i < ids.length; i += MAX_DEPLOYMENT_IDS) {
        const res = await callAws('BatchGetDeployments', () =>
          client.send(
            new BatchGetDeploymentsCommand({ deploymentIds: ids.slice(i, i + MAX_DEPLOYMENT_IDS) }),
          ),
        );
        for (const d of res.deploymentsInfo ?? []) {
          if (!d.deploymentId) continue;
          out.push({
            deploymentId: d.deploymentId,
            application: d.applicationName ?? '',
            group: d.deploymentGroupName ?? '',
            status: d.status ?? 'Unknown',
            createdAt: iso(d.createTime),
            completedAt: iso(d.completeTime),
            creator: d.creator ?? null,
            description: d.description ?? null,
          });
        }
      }
      return out;
    },
    async instanceTarget(deploymentId, instanceId) {
      try {
        const res = await callAws('BatchGetDeploymentTargets', () =>
          client.send(new BatchGetDeploymentTargetsCommand({ deploymentId, targetIds: [instanceId] })),
        );
        const target = (res.deploymentTargets ?? [])
          .map((t) => t.instanceTarget)
          .find((t) => t?.targetId === instanceId);
        if (!target) return null;
        const failed = (target.lifecycleEvents ?? []).find((e) => e.status === 'Failed');
        return {
          status: target.status ?? 'Unknown',
          lastUpdatedAt: iso(target.lastUpdatedAt),
          failedEvent: failed?.lifecycleEventName ?? null,
        };
      } catch (error) {
        // Not one of the deployment's targets (or a deployment of another compute platform).
        if (/DeploymentTargetDoesNotExist|InstanceDoesNotExist|DeploymentNotStarted/.test(errorName(error)))
          return null;
        throw error;
      }
    },
  };
}

const errorName = (error: unknown) =>
  `${(error as Error)?.name ?? ''} ${((error as { cause?: Error })?.cause as Error | undefined)?.name ?? ''}`;
