/**
 * Powertools Metrics (CloudWatch Embedded Metric Format), emitted once per run by Record:
 * - `Incidents` (Count) by classification and outcome: the outcome count per classification;
 * - `TimeToFirstAction`, `TimeToMitigate` (Seconds), `ActionsPerIncident`, `GuardHolds` (Count) by
 *   classification;
 * - `Incidents` (Count) by account and region, when the run knows them.
 * EMF documents are serialised with Powertools and handed to `write` (stdout in Lambda, where
 * CloudWatch Logs turns them into metrics; a file in local runs so `--json` stdout stays clean).
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { IncidentMetrics, IncidentMetricsPort } from '../ports.ts';

export const METRICS_NAMESPACE = 'medic';

export function powertoolsMetrics(
  write: (emfJson: string) => void,
  namespace = METRICS_NAMESPACE,
): IncidentMetricsPort {
  return {
    emit(m: IncidentMetrics) {
      const byOutcome = new Metrics({ namespace, serviceName: 'medic' });
      byOutcome.addDimensions({ classification: m.classification, outcome: m.outcome });
      byOutcome.addMetric('Incidents', MetricUnit.Count, 1);
      write(JSON.stringify(byOutcome.serializeMetrics()));
      byOutcome.clearMetrics();

      const perIncident = new Metrics({ namespace, serviceName: 'medic' });
      perIncident.addDimension('classification', m.classification);
      if (m.timeToFirstActionSeconds !== null)
        perIncident.addMetric('TimeToFirstAction', MetricUnit.Seconds, m.timeToFirstActionSeconds);
      if (m.timeToMitigateSeconds !== null)
        perIncident.addMetric('TimeToMitigate', MetricUnit.Seconds, m.timeToMitigateSeconds);
      perIncident.addMetric('ActionsPerIncident', MetricUnit.Count, m.actions);
      perIncident.addMetric('GuardHolds', MetricUnit.Count, m.guardHolds);
      write(JSON.stringify(perIncident.serializeMetrics()));
      perIncident.clearMetrics();

      // By account and region on the incident count only: the organization's accounts and regions
      // are a bounded set, but crossed with classification, outcome and the timing metrics they
      // would multiply the custom-metric series (each billed) for little a dashboard needs.
      if (m.account || m.region) {
        const byPlace = new Metrics({ namespace, serviceName: 'medic' });
        byPlace.addDimensions({ account: m.account ?? 'unknown', region: m.region ?? 'unknown' });
        byPlace.addMetric('Incidents', MetricUnit.Count, 1);
        write(JSON.stringify(byPlace.serializeMetrics()));
        byPlace.clearMetrics();
      }
    },
  };
}

/**
 * `AlarmsIgnored` (Count) by `reason`: alarms that reached medic but named nothing it answers for
 * (ended at NotForMedic, or ignored by the SNS intake). A rising count says an alarm is wired to
 * medic that should not be, without a ticket or a page for each.
 */
export function emitAlarmIgnored(
  reason: string,
  write: (emfJson: string) => void = (line) => process.stdout.write(`${line}\n`),
  namespace = METRICS_NAMESPACE,
): void {
  const metrics = new Metrics({ namespace, serviceName: 'medic' });
  metrics.addDimension('reason', reason);
  metrics.addMetric('AlarmsIgnored', MetricUnit.Count, 1);
  write(JSON.stringify(metrics.serializeMetrics()));
  metrics.clearMetrics();
}

/**
 * Fix metrics by `classification` and `action`, once per finished case and action carried out:
 * `FixAttempts`, `FixVerified` (Verify agreed this action fixed it), `TimeToMitigate` (Seconds) for
 * the verified fix; and `FixRecurred` when a later incident shows the fix did not hold. With these a
 * CloudWatch dashboard shows what `medic stats` prints.
 */
export function fixMetrics(
  write: (emfJson: string) => void,
  namespace = METRICS_NAMESPACE,
): import('../ports.ts').FixMetricsPort {
  const one = (classification: string, action: string, add: (m: Metrics) => void) => {
    const m = new Metrics({ namespace, serviceName: 'medic' });
    m.addDimensions({ classification, action });
    add(m);
    write(JSON.stringify(m.serializeMetrics()));
    m.clearMetrics();
  };
  return {
    emitFix(f) {
      for (const action of new Set(f.actions ?? [])) {
        one(f.classification ?? 'unknown', action, (m) => {
          m.addMetric('FixAttempts', MetricUnit.Count, 1);
          const verified = f.outcome === 'resolved' && f.fixedBy === action;
          m.addMetric('FixVerified', MetricUnit.Count, verified ? 1 : 0);
          if (verified && typeof f.timeToMitigateSeconds === 'number')
            m.addMetric('TimeToMitigate', MetricUnit.Seconds, f.timeToMitigateSeconds);
        });
      }
    },
    emitRecurred(f) {
      if (!f.fixedBy) return;
      one(f.classification ?? 'unknown', f.fixedBy, (m) => m.addMetric('FixRecurred', MetricUnit.Count, 1));
    },
  };
}
