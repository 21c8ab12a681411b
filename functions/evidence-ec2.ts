/** Evidence branch: EC2 state, status checks, scheduled events, placement and ASG membership. */
import { EC2Client } from '@aws-sdk/client-ec2';
import { ec2Adapter } from '../shared/adapters/ec2.ts';
import { evidenceConfig } from '../shared/config.ts';
import { InstanceCaseSchema } from '../shared/domain/model.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { gatherEc2 } from '../shared/usecases/evidence.ts';

const ec2 = ec2Adapter(new EC2Client({}));

export const handler = lambda(async (event) =>
  gatherEc2(parseWith(InstanceCaseSchema, event, 'EvidenceEc2'), {
    ec2,
    timeoutMs: evidenceConfig().MEDIC_EVIDENCE_TIMEOUT_MS,
  }),
);
