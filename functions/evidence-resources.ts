/** Evidence branch: CPU, memory and disk metrics around the alarm (CloudWatch, agent gaps named). */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { cloudWatchMetricsAdapter } from '../shared/adapters/cloudwatch-metrics.ts';
import { clientFor } from '../shared/aws-clients.ts';
import { evidenceConfig } from '../shared/config.ts';
import { InstanceCaseSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { gatherMetrics } from '../shared/usecases/evidence-resources.ts';

export const handler = lambda(async (event) => {
  const config = evidenceConfig();
  const c = parseWith(InstanceCaseSchema, event, 'EvidenceResources');
  // In the alarm's own account and region.
  const metrics = cloudWatchMetricsAdapter(await clientFor('cloudwatch', (k) => new CloudWatchClient(k), c));
  return gatherMetrics(c, {
    metrics,
    clock: systemClock,
    timeoutMs: config.MEDIC_EVIDENCE_TIMEOUT_MS,
    windowMinutes: config.MEDIC_EVIDENCE_WINDOW_MINUTES,
  });
});
