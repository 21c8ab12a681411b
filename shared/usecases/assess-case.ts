/** Folds the evidence branches into the case and decides: classification, reasons, plan. */
import { assess } from '../domain/assess.ts';
import { DEFAULT_AUTONOMY, describePlan } from '../domain/autonomy.ts';
import { allChecks } from '../domain/evidence-report.ts';
import type { Evidence, InstanceCase } from '../domain/model.ts';
import { append, type Clock, entry } from '../domain/timeline.ts';

export function assessCase(c: InstanceCase, evidence: Evidence, clock: Clock): InstanceCase {
  const assessment = assess(evidence, { hasService: c.target.service !== null });
  const instanceId = c.target.instanceId;
  const evidenceEntries = allChecks(evidence).map((check) =>
    entry(clock, {
      step: 'GatherEvidence',
      kind: 'evidence',
      instanceId,
      summary: `${check.name}: ${check.value} [${check.status}]`,
      detail: { source: check.source },
    }),
  );
  const decision = entry(clock, {
    step: 'Assess',
    kind: 'decision',
    instanceId,
    summary: `classified ${assessment.classification} (${assessment.confidence} confidence): ${assessment.reasons.join('; ')}. Plan: ${describePlan(assessment.plan, c.mode, c.settings.autonomy ?? DEFAULT_AUTONOMY)}`,
  });
  const transient = assessment.plan.length === 0;
  return {
    ...c,
    evidence,
    assessment,
    rung: 0,
    next: transient ? 'done' : 'act',
    outcome: transient ? 'self-recovered' : null,
    timeline: append(c.timeline, ...evidenceEntries, decision),
  };
}
