/** Reboot Task: RebootInstances (DryRun in dry-run mode), then Verify. */
import { EC2Client } from '@aws-sdk/client-ec2';
import { ec2Adapter } from '../shared/adapters/ec2.ts';
import { clientFor } from '../shared/aws-clients.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { guardedStep } from '../shared/guarded-action.ts';
import { lambda } from '../shared/lambda.ts';
import { tellUsersMidRun } from '../shared/statuspage-port.ts';
import { reboot } from '../shared/usecases/reboot.ts';

// No SDK-level retries — a lost answer to a mutating call must not become a second one;
// the ASL retries instead, and the guard's claim stops a repeat.
// The client is the case's: the alarm's own account and region.
export const handler = lambda(async (event, context) =>
  guardedStep(
    event,
    'reboot',
    'Reboot',
    async (c, notifier) => {
      const ec2 = ec2Adapter(await clientFor('ec2', (k) => new EC2Client(k), c, { maxAttempts: 1 }));
      return reboot(c, { ec2, notifier, clock: systemClock });
    },
    undefined,
    { context, tell: tellUsersMidRun },
  ),
);
