/** PrepareRung Task (issue #4): pick the rung, gate it (opt-in, approval), capture console output. */
import { EC2Client } from '@aws-sdk/client-ec2';
import { ec2Adapter } from '../shared/adapters/ec2.ts';
import { InstanceCaseSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { prepareRung } from '../shared/usecases/ladder.ts';

const ec2 = ec2Adapter(new EC2Client({}));

export const handler = lambda(async (event) =>
  prepareRung(parseWith(InstanceCaseSchema, event, 'PrepareRung'), { ec2, clock: systemClock }),
);
