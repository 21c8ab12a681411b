/** Evidence branch: the on-host view through SSM Run Command (opted-in instances, agent online). */
import { SSMClient } from '@aws-sdk/client-ssm';
import { runCommandAdapter } from '../shared/adapters/ssm-run-command.ts';
import { clientFor } from '../shared/aws-clients.ts';
import { evidenceConfig } from '../shared/config.ts';
import { InstanceCaseSchema } from '../shared/domain/model.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { gatherHost } from '../shared/usecases/evidence-host.ts';

export const handler = lambda(async (event) => {
  const config = evidenceConfig();
  const c = parseWith(InstanceCaseSchema, event, 'EvidenceHost');
  // In the alarm's own account and region.
  const runCommand = runCommandAdapter(await clientFor('ssm', (k) => new SSMClient(k), c));
  return gatherHost(c, {
    runCommand,
    timeoutMs: config.MEDIC_SSM_TIMEOUT_MS,
    pollMs: config.MEDIC_SSM_POLL_MS,
  });
});
