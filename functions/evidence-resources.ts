/** Evidence branch: CPU, memory and disk metrics around the alarm (CloudWatch, agent gaps named; Prometheus when configured). */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SSMClient } from '@aws-sdk/client-ssm';
import { cloudWatchMetricsAdapter } from '../shared/adapters/cloudwatch-metrics.ts';
import { prometheusApi } from '../shared/adapters/prometheus.ts';
import { ssmSecureString } from '../shared/adapters/ssm-token.ts';
import { clientFor } from '../shared/aws-clients.ts';
import { evidenceConfig, perEnvironment, prometheusConfig } from '../shared/config.ts';
import { InstanceCaseSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import type { SecretSource } from '../shared/ports.ts';
import { gatherMetrics, type PrometheusDeps } from '../shared/usecases/evidence-resources.ts';

/** The bearer token's reader, built once per sandbox (none without a token parameter). */
const tokenSource = perEnvironment((): SecretSource | undefined => {
  const config = prometheusConfig();
  if (config.MEDIC_PROMETHEUS_TOKEN) {
    const token = config.MEDIC_PROMETHEUS_TOKEN;
    return async () => token;
  }
  const name = config.MEDIC_PROMETHEUS_TOKEN_PARAMETER;
  if (!name) return undefined;
  return ssmSecureString(new SSMClient({}), name, config.MEDIC_SECRET_MAX_AGE_SECONDS, { optional: true });
});

const prometheus = perEnvironment((): PrometheusDeps | undefined => {
  const config = prometheusConfig();
  if (!config.MEDIC_PROMETHEUS_URL) return undefined;
  const token = tokenSource();
  return {
    api: prometheusApi({
      baseUrl: config.MEDIC_PROMETHEUS_URL,
      timeoutMs: config.MEDIC_PROMETHEUS_TIMEOUT_MS,
      loopbackOnly: config.MEDIC_PROBES_LOOPBACK_ONLY,
      ...(token ? { token } : {}),
    }),
    serviceQuery: config.MEDIC_PROMETHEUS_SERVICE_QUERY ?? null,
  };
});

export const handler = lambda(async (event) => {
  const config = evidenceConfig();
  const prom = prometheus();
  const c = parseWith(InstanceCaseSchema, event, 'EvidenceResources');
  // In the alarm's own account and region.
  const metrics = cloudWatchMetricsAdapter(await clientFor('cloudwatch', (k) => new CloudWatchClient(k), c));
  return gatherMetrics(c, {
    metrics,
    clock: systemClock,
    timeoutMs: config.MEDIC_EVIDENCE_TIMEOUT_MS,
    windowMinutes: config.MEDIC_EVIDENCE_WINDOW_MINUTES,
    ...(prom ? { prometheus: prom } : {}),
  });
});
