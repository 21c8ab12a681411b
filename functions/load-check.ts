/**
 * LoadCheck: after Verify saw the service back, prove it under a bounded burst of load (a Task of
 * the workflow); and the health sweep's routine stress check, which invokes it with `{ stress }`
 * because this function sits in the probe subnets and the sweep does not.
 */
import * as z from 'zod';
import { autocannonBurst } from '../shared/adapters/load-burst.ts';
import { coreConfig, probeConfig } from '../shared/config.ts';
import { LOAD_CAPS } from '../shared/domain/load-check.ts';
import { isLoopbackUrl } from '../shared/domain/net.ts';
import { StepInputSchema } from '../shared/domain/step-result.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { RefusedBurstError } from '../shared/errors.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { checkUnderLoad } from '../shared/usecases/load-check.ts';
import { runStep } from '../shared/usecases/step.ts';

const StressSchema = z.object({
  stress: z.object({
    url: z.url({ protocol: /^https?$/ }),
    requests: z.number().int().min(1).max(LOAD_CAPS.requests),
    connections: z.number().int().min(1).max(LOAD_CAPS.connections),
    maxSeconds: z.number().min(1).max(LOAD_CAPS.seconds),
  }),
});

export const handler = lambda(async (event) => {
  const loopbackOnly = coreConfig().MEDIC_PROBES_LOOPBACK_ONLY;
  if (event && typeof event === 'object' && 'stress' in event) {
    const { stress } = parseWith(StressSchema, event, 'LoadCheck');
    if (probeConfig().MEDIC_PROBES === 'off')
      throw new RefusedBurstError('this deployment does not probe (probes=off)');
    if (loopbackOnly && !isLoopbackUrl(stress.url))
      throw new RefusedBurstError(`${stress.url} is not loopback (local run)`);
    return autocannonBurst.burst(stress.url, stress);
  }
  const { result, ...base } = parseWith(StepInputSchema, event, 'LoadCheck');
  // Only the cycle's result goes back (ResultPath $.result): Decide folds it into the case.
  return runStep(base, result, 'verify', (c) =>
    checkUnderLoad(c, {
      load: autocannonBurst,
      clock: systemClock,
      loopbackOnly,
      probesOff: probeConfig().MEDIC_PROBES === 'off',
    }),
  );
});
