/**
 * Evidence branch: the alarm's reason and datapoints, recent error lines from the log group, and
 * what changed before the alarm (CloudTrail, Auto Scaling activities, SSM commands, CodeDeploy
 * deployments to the instance).
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { SSMClient } from '@aws-sdk/client-ssm';
import { scalingActivitiesAdapter } from '../shared/adapters/autoscaling.ts';
import { cloudTrailAdapter } from '../shared/adapters/cloudtrail.ts';
import { cloudWatchLogsAdapter } from '../shared/adapters/cloudwatch-logs.ts';
import { codeDeployAdapter } from '../shared/adapters/codedeploy.ts';
import { commandHistoryAdapter } from '../shared/adapters/ssm-run-command.ts';
import { clientFor } from '../shared/aws-clients.ts';
import { evidenceConfig } from '../shared/config.ts';
import { InstanceCaseSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { gatherAlerts } from '../shared/usecases/evidence-alerts.ts';

// One paced CloudTrail adapter per (account, region) client: CloudTrail's two lookups a second are
// per account and region, and the pacing spans invocations of this container.
const trails = new WeakMap<CloudTrailClient, ReturnType<typeof cloudTrailAdapter>>();
function pacedTrail(client: CloudTrailClient) {
  let trail = trails.get(client);
  if (!trail) {
    trail = cloudTrailAdapter(client);
    trails.set(client, trail);
  }
  return trail;
}

export const handler = lambda(async (event) => {
  const config = evidenceConfig();
  const c = parseWith(InstanceCaseSchema, event, 'EvidenceAlerts');
  // In the alarm's own account and region.
  const logs = cloudWatchLogsAdapter(await clientFor('logs', (k) => new CloudWatchLogsClient(k), c));
  const trail = pacedTrail(await clientFor('cloudtrail', (k) => new CloudTrailClient(k), c));
  const scaling = scalingActivitiesAdapter(
    await clientFor('autoscaling', (k) => new AutoScalingClient(k), c),
  );
  const commands = commandHistoryAdapter(await clientFor('ssm', (k) => new SSMClient(k), c));
  const codedeploy = codeDeployAdapter(await clientFor('codedeploy', (k) => new CodeDeployClient(k), c));
  return gatherAlerts(c, {
    logs,
    clock: systemClock,
    timeoutMs: config.MEDIC_EVIDENCE_TIMEOUT_MS,
    windowMinutes: config.MEDIC_EVIDENCE_WINDOW_MINUTES,
    changes: {
      trail,
      scaling,
      commands,
      lookbackMinutes: config.MEDIC_CHANGES_LOOKBACK_MINUTES,
      deployments: { trail, codedeploy },
    },
  });
});
