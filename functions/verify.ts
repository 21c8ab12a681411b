/** Verify Task: re-run the reachability checks after an action. */
import { tcpProbes } from '../shared/adapters/probes.ts';
import { coreConfig } from '../shared/config.ts';
import { InstanceCaseSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { verify } from '../shared/usecases/verify.ts';

export const handler = lambda(async (event) => {
  const c = parseWith(InstanceCaseSchema, event, 'Verify');
  return verify(c, {
    probes: tcpProbes,
    timeoutMs: c.settings.probeTimeoutMs,
    loopbackOnly: coreConfig().MEDIC_PROBES_LOOPBACK_ONLY,
    clock: systemClock,
  });
});
