/** Evidence branch: EC2 state, status checks, scheduled events, placement and ASG membership. */
import { EC2Client } from '@aws-sdk/client-ec2';
import { ec2Adapter } from '../shared/adapters/ec2.ts';
import { clientFor } from '../shared/aws-clients.ts';
import { evidenceConfig } from '../shared/config.ts';
import { InstanceCaseSchema } from '../shared/domain/model.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { gatherEc2 } from '../shared/usecases/evidence.ts';

export const handler = lambda(async (event) => {
  const c = parseWith(InstanceCaseSchema, event, 'EvidenceEc2');
  // In the alarm's own account and region.
  const ec2 = ec2Adapter(await clientFor('ec2', (k) => new EC2Client(k), c));
  return gatherEc2(c, { ec2, timeoutMs: evidenceConfig().MEDIC_EVIDENCE_TIMEOUT_MS });
});
