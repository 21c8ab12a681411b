/** Folds the evidence branches into the case and decides: classification, reasons, plan. */
import { assess } from '../domain/assess.ts';
import type { Check, Evidence, InstanceCase } from '../domain/model.ts';
import { append, type Clock, entry } from '../domain/timeline.ts';

type AnyBranch = Evidence['ec2'] | Evidence['reachability'] | NonNullable<Evidence['metrics']>;

/** A branch the ASL caught (failed or timed out) carries only its error: say what was not checked. */
function branchChecks(what: string, branch: Pick<AnyBranch, 'ok' | 'error' | 'checks'> | undefined): Check[] {
  if (!branch) return [];
  if (!branch.ok && branch.checks.length === 0) {
    return [
      {
        name: what,
        status: 'unknown',
        value: `could not check ${what}: ${branch.error ?? 'no detail'}`,
        source: 'Step Functions (the branch failed or timed out)',
      },
    ];
  }
  return branch.checks;
}

/** Every check of every branch, in branch order (EC2, reachability, resources, host, alerts). */
export function allChecks(evidence: Evidence): Check[] {
  return [
    ...branchChecks('EC2 status', evidence.ec2),
    ...branchChecks('reachability', evidence.reachability),
    ...branchChecks('resource metrics', evidence.metrics),
    ...branchChecks('on-host view (SSM)', evidence.host),
    ...branchChecks('alerts and logs', evidence.alerts),
  ];
}

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
    summary: `classified ${assessment.classification} (${assessment.confidence} confidence): ${assessment.reasons.join('; ')}. Plan: ${assessment.plan.length ? assessment.plan.join(' → ') : 'no action'}`,
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
