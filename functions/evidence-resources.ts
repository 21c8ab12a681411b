/** Evidence branch: CPU, memory and disk metrics around the alarm (CloudWatch, agent gaps named). */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { cloudWatchMetricsAdapter } from '../shared/adapters/cloudwatch-metrics.ts';
import { evidenceConfig } from '../shared/config.ts';
import { InstanceCaseSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { gatherMetrics } from '../shared/usecases/evidence-resources.ts';

const metrics = cloudWatchMetricsAdapter(new CloudWatchClient({}));

export const handler = lambda(async (event) => {
  const config = evidenceConfig();
  return gatherMetrics(parseWith(InstanceCaseSchema, event, 'EvidenceResources'), {
    metrics,
    clock: systemClock,
    timeoutMs: config.MEDIC_EVIDENCE_TIMEOUT_MS,
    windowMinutes: config.MEDIC_EVIDENCE_WINDOW_MINUTES,
  });
});
