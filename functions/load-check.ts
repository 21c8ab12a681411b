/** LoadCheck Task: after Verify saw the service back, prove it under a bounded burst of load. */
import { autocannonBurst } from '../shared/adapters/load-burst.ts';
import { coreConfig, probeConfig } from '../shared/config.ts';
import { StepInputSchema } from '../shared/domain/step-result.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { checkUnderLoad } from '../shared/usecases/load-check.ts';
import { runStep } from '../shared/usecases/step.ts';

export const handler = lambda(async (event) => {
  const { result, ...base } = parseWith(StepInputSchema, event, 'LoadCheck');
  // Only the cycle's result goes back (ResultPath $.result): Decide folds it into the case.
  return runStep(base, result, 'verify', (c) =>
    checkUnderLoad(c, {
      load: autocannonBurst,
      clock: systemClock,
      loopbackOnly: coreConfig().MEDIC_PROBES_LOOPBACK_ONLY,
      probesOff: probeConfig().MEDIC_PROBES === 'off',
    }),
  );
});
