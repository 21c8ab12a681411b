/**
 * Runs one step of an action cycle (an action, a poll of it, Verify) on the case as Decide left it
 * with the cycle's result so far folded in, and answers the cycle's result so far — never the case.
 */
import type { InstanceCase } from '../domain/model.ts';
import { asPrior, resultOf, type StepKind, type StepResult, withPrior } from '../domain/step-result.ts';

export async function runStep(
  base: InstanceCase,
  prior: unknown,
  kind: StepKind,
  step: (c: InstanceCase) => Promise<InstanceCase>,
): Promise<StepResult> {
  return resultOf(base, await step(withPrior(base, asPrior(prior))), kind);
}
