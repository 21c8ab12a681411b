/**
 * Evidence branch: the alarm's reason and datapoints, recent error lines from the log group, and
 * what changed before the alarm (CloudTrail, Auto Scaling activities, SSM commands).
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { scalingActivitiesAdapter } from '../shared/adapters/autoscaling.ts';
import { cloudTrailAdapter } from '../shared/adapters/cloudtrail.ts';
import { cloudWatchLogsAdapter } from '../shared/adapters/cloudwatch-logs.ts';
import { commandHistoryAdapter } from '../shared/adapters/ssm-run-command.ts';
import { evidenceConfig } from '../shared/config.ts';
import { InstanceCaseSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { gatherAlerts } from '../shared/usecases/evidence-alerts.ts';

const logs = cloudWatchLogsAdapter(new CloudWatchLogsClient({}));
// One paced CloudTrail adapter per container: its two-lookups-a-second pacing spans invocations.
const trail = cloudTrailAdapter(new CloudTrailClient({}));
const scaling = scalingActivitiesAdapter(new AutoScalingClient({}));
const commands = commandHistoryAdapter(new SSMClient({}));

export const handler = lambda(async (event) => {
  const config = evidenceConfig();
  return gatherAlerts(parseWith(InstanceCaseSchema, event, 'EvidenceAlerts'), {
    logs,
    clock: systemClock,
    timeoutMs: config.MEDIC_EVIDENCE_TIMEOUT_MS,
    windowMinutes: config.MEDIC_EVIDENCE_WINDOW_MINUTES,
    changes: { trail, scaling, commands, lookbackMinutes: config.MEDIC_CHANGES_LOOKBACK_MINUTES },
  });
});
