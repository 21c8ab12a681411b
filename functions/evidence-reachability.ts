/** Evidence branch: TCP connect, SSH banner, HTTP health from inside the VPC. */
import { tcpProbes } from '../shared/adapters/probes.ts';
import { coreConfig } from '../shared/config.ts';
import { InstanceCaseSchema } from '../shared/domain/model.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { gatherReachability } from '../shared/usecases/evidence.ts';

export const handler = lambda(async (event) => {
  const c = parseWith(InstanceCaseSchema, event, 'EvidenceReachability');
  return gatherReachability(c, {
    probes: tcpProbes,
    timeoutMs: c.settings.probeTimeoutMs,
    loopbackOnly: coreConfig().MEDIC_PROBES_LOOPBACK_ONLY,
  });
});
