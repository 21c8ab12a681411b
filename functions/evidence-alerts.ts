/** Evidence branch: the alarm's reason and datapoints, and recent error lines from the log group. */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { cloudWatchLogsAdapter } from '../shared/adapters/cloudwatch-logs.ts';
import { clientFor } from '../shared/aws-clients.ts';
import { evidenceConfig } from '../shared/config.ts';
import { InstanceCaseSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { gatherAlerts } from '../shared/usecases/evidence-alerts.ts';

export const handler = lambda(async (event) => {
  const config = evidenceConfig();
  const c = parseWith(InstanceCaseSchema, event, 'EvidenceAlerts');
  // In the alarm's own account and region.
  const logs = cloudWatchLogsAdapter(await clientFor('logs', (k) => new CloudWatchLogsClient(k), c));
  return gatherAlerts(c, {
    logs,
    clock: systemClock,
    timeoutMs: config.MEDIC_EVIDENCE_TIMEOUT_MS,
    windowMinutes: config.MEDIC_EVIDENCE_WINDOW_MINUTES,
  });
});
