/**
 * Hands a sick Auto Scaling group member to its group: SetInstanceHealth Unhealthy, so the group
 * terminates it and launches a replacement. Used by the failover rung, and by the stop/start rung
 * in place of a stop (a stopped member is replaced by the group anyway, without medic knowing).
 * The caller has checked the prerequisites: the group is opted in and a healthy peer remains.
 */
import type { ActionKind, InstanceCase } from '../domain/model.ts';
import { targetFromInstance } from '../domain/target.ts';
import type { Clock } from '../domain/timeline.ts';
import type { AutoScalingHealthPort, Ec2Port } from '../ports.ts';
import { dryRunDone, handToVerify, modeOf, recordAction } from './ladder.ts';

export interface GroupReplaceDeps {
  ec2: Pick<Ec2Port, 'describeInstances'>;
  autoScaling: AutoScalingHealthPort;
  clock: Clock;
  defaultPorts: number[];
}

export async function replaceInGroup(
  c: InstanceCase,
  kind: ActionKind,
  group: string,
  peers: string[],
  deps: GroupReplaceDeps,
  why = '',
): Promise<InstanceCase> {
  const id = c.target.instanceId;
  const peerList = peers.join(', ');
  if (modeOf(c, kind) === 'dry-run') {
    return dryRunDone(
      c,
      deps.clock,
      kind,
      `dry run: would have marked ${id} Unhealthy in ${group} so the group replaces it (healthy peers: ${peerList})`,
    );
  }
  const at = deps.clock().toISOString();
  await deps.autoScaling.setUnhealthy(id);
  // Verify probes a peer that serves now: the sick member is on its way out.
  const [peer] = peers[0] ? await deps.ec2.describeInstances([peers[0]]) : [];
  const verifyOn = peer ? targetFromInstance(peer, deps.defaultPorts) : null;
  return handToVerify(
    recordAction(
      c,
      deps.clock,
      kind,
      'succeeded',
      `Auto Scaling: marked ${id} Unhealthy in ${group} so the group replaces it (healthy peers: ${peerList})${why ? `; ${why}` : ''}`,
      at,
    ),
    at,
    verifyOn?.probe ?? null,
  );
}
