/** Reboot rung: RebootInstances (EC2 DryRun in dry-run mode), then Verify. */
import type { InstanceCase } from '../domain/model.ts';
import type { Clock } from '../domain/timeline.ts';
import type { Ec2Port, NotifierPort } from '../ports.ts';
import { announce, dryRunDone, handToVerify, modeOf, recordAction } from './ladder.ts';

export async function reboot(
  c: InstanceCase,
  deps: { ec2: Pick<Ec2Port, 'reboot'>; notifier: NotifierPort; clock: Clock },
): Promise<InstanceCase> {
  const id = c.target.instanceId;
  await announce(c, deps.notifier, 'reboot');
  if (modeOf(c, 'reboot') === 'dry-run') {
    await deps.ec2.reboot(id, { dryRun: true });
    return dryRunDone(
      c,
      deps.clock,
      'reboot',
      `dry run: would have rebooted ${id} (EC2 DryRun confirmed permission)`,
    );
  }
  const at = deps.clock().toISOString();
  await deps.ec2.reboot(id, { dryRun: false });
  return handToVerify(
    recordAction(c, deps.clock, 'reboot', 'succeeded', `rebooted ${id} (RebootInstances accepted)`, at),
    at,
  );
}
