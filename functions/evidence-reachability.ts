/** Evidence branch: TCP connect, SSH banner, HTTP health from inside the VPC, and the vantage proof. */
import { EC2Client } from '@aws-sdk/client-ec2';
import { vpcCidrOfSubnetWith } from '../shared/adapters/ec2.ts';
import { tcpProbes } from '../shared/adapters/probes.ts';
import { coreConfig, probeConfig } from '../shared/config.ts';
import { InstanceCaseSchema } from '../shared/domain/model.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { canaryTarget, gatherReachability, placement } from '../shared/usecases/evidence.ts';

const vpc = { vpcCidrOfSubnet: vpcCidrOfSubnetWith(new EC2Client({})) };
let canary: ReturnType<typeof canaryTarget> | undefined;

export const handler = lambda(async (event) => {
  const c = parseWith(InstanceCaseSchema, event, 'EvidenceReachability');
  const p = probeConfig();
  canary ??= canaryTarget(p.MEDIC_PROBE_CANARY, p.MEDIC_PROBE_SUBNET_IDS, vpc);
  return gatherReachability(c, {
    probes: tcpProbes,
    timeoutMs: c.settings.probeTimeoutMs,
    loopbackOnly: coreConfig().MEDIC_PROBES_LOOPBACK_ONLY,
    vantage: {
      mode: p.MEDIC_PROBES,
      canary,
      from: placement(p.MEDIC_PROBE_SUBNET_IDS, p.MEDIC_PROBE_SECURITY_GROUP_IDS),
    },
  });
});
