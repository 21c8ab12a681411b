/** Folds the evidence branches into the case and decides: classification, reasons, plan. */
import { assess } from '../domain/assess.ts';
import { DEFAULT_AUTONOMY, describePlan } from '../domain/autonomy.ts';
import { allChecks } from '../domain/evidence-report.ts';
import type { Evidence, InstanceCase } from '../domain/model.ts';
import { append, type Clock, entry } from '../domain/timeline.ts';

/**
 * AWS Health announced the change even when DescribeInstanceStatus does not list it yet (or no
 * longer): the planned event is evidence like a scheduled event read from EC2.
 */
export function withPlannedEvent(evidence: Evidence, planned: InstanceCase['planned']): Evidence {
  const ec2 = evidence.ec2.value;
  if (!planned || !ec2 || ec2.scheduledEvents.some((e) => e.code === planned.scheduledCode)) return evidence;
  const event = {
    code: planned.scheduledCode,
    description: `AWS Health ${planned.eventTypeCode}: ${planned.description}`.slice(0, 500),
    notBefore: planned.deadline,
  };
  return {
    ...evidence,
    ec2: { ...evidence.ec2, value: { ...ec2, scheduledEvents: [...ec2.scheduledEvents, event] } },
  };
}

export function assessCase(c: InstanceCase, gathered: Evidence, clock: Clock): InstanceCase {
  const evidence = withPlannedEvent(gathered, c.planned);
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
