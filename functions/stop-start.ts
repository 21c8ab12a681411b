/** StopStart Task: stop, poll for stopped, start, poll for running — polled by the ASL. */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { autoScalingHealthAdapter } from '../shared/adapters/autoscaling.ts';
import { ec2Adapter } from '../shared/adapters/ec2.ts';
import { clientFor } from '../shared/aws-clients.ts';
import { coreConfig } from '../shared/config.ts';
import type { InstanceCase } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { guardedStep } from '../shared/guarded-action.ts';
import { lambda } from '../shared/lambda.ts';
import type { NotifierPort } from '../shared/ports.ts';
import { tellUsersMidRun } from '../shared/statuspage-port.ts';
import { resumeStopStart, stopStart } from '../shared/usecases/stop-start.ts';

// No SDK-level retries — a lost answer to a mutating call must not become a second one;
// the ASL retries instead, and the guard's claim stops a repeat.
// An Auto Scaling member is handed to its group (SetInstanceHealth) instead of being stopped.
// Both clients are the case's: the alarm's own account and region.
const deps = async (c: InstanceCase, notifier: NotifierPort) => ({
  ec2: ec2Adapter(await clientFor('ec2', (k) => new EC2Client(k), c, { maxAttempts: 1 })),
  autoScaling: autoScalingHealthAdapter(
    await clientFor('autoscaling', (k) => new AutoScalingClient(k), c, { maxAttempts: 1 }),
  ),
  notifier,
  clock: systemClock,
  defaultPorts: coreConfig().MEDIC_DEFAULT_PORTS,
});

export const handler = lambda(async (event, context) =>
  guardedStep(
    event,
    'stop-start',
    'StopStart',
    async (c, notifier) => stopStart(c, await deps(c, notifier)),
    // A lost or duplicated answer resumes from the instance's state instead of assuming it is done.
    async (c, notifier, why) => resumeStopStart(c, await deps(c, notifier), why),
    { context, tell: tellUsersMidRun },
  ),
);
