/** Verify Task: re-run the reachability checks after an action (or, with probes=off, the independent signals). */
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { describeHealthWith, vpcCidrOfSubnetWith } from '../shared/adapters/ec2.ts';
import { tcpProbes } from '../shared/adapters/probes.ts';
import { runCommandAdapter } from '../shared/adapters/ssm-run-command.ts';
import { clientFor } from '../shared/aws-clients.ts';
import { coreConfig, probeConfig } from '../shared/config.ts';
import { StepInputSchema } from '../shared/domain/step-result.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { canaryTarget, placement } from '../shared/usecases/evidence.ts';
import { runStep } from '../shared/usecases/step.ts';
import { verify } from '../shared/usecases/verify.ts';

// The probe subnets' VPC is the central deployment's own; the instance's signals are read in the
// alarm's own account and region (per case, below).
const vpc = { vpcCidrOfSubnet: vpcCidrOfSubnetWith(new EC2Client({})) };
let canary: ReturnType<typeof canaryTarget> | undefined;

export const handler = lambda(async (event) => {
  const { result, ...base } = parseWith(StepInputSchema, event, 'Verify');
  const p = probeConfig();
  canary ??= canaryTarget(p.MEDIC_PROBE_CANARY, p.MEDIC_PROBE_SUBNET_IDS, vpc);
  const probeCanary = canary;
  // Only the cycle's result goes back (ResultPath $.result): Decide folds it into the case.
  return runStep(base, result, 'verify', async (c) =>
    verify(c, {
      probes: tcpProbes,
      timeoutMs: c.settings.probeTimeoutMs,
      loopbackOnly: coreConfig().MEDIC_PROBES_LOOPBACK_ONLY,
      vantage: {
        mode: p.MEDIC_PROBES,
        canary: probeCanary,
        from: placement(p.MEDIC_PROBE_SUBNET_IDS, p.MEDIC_PROBE_SECURITY_GROUP_IDS),
      },
      clock: systemClock,
      signals: {
        ec2: { describeHealth: describeHealthWith(await clientFor('ec2', (k) => new EC2Client(k), c)) },
        agent: runCommandAdapter(await clientFor('ssm', (k) => new SSMClient(k), c)),
      },
    }),
  );
});
