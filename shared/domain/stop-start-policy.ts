/**
 * Whether medic may stop and start an instance, from what EC2 and Auto Scaling say about it. Pure:
 * the stop-start use case gathers the facts, this decides. Stopping is refused wherever AWS would
 * lose or replace the instance instead of moving it to new hardware:
 *   - an Auto Scaling group marks a stopped member unhealthy and terminates it, so a group member
 *     is handed to its group instead (SetInstanceHealth Unhealthy) — only when the group itself is
 *     opted in (tag medic:managed=true, which the IAM condition on SetInstanceHealth also demands)
 *     and another healthy InService instance remains;
 *   - an instance-store root cannot be stopped at all (EC2 answers UnsupportedOperation);
 *   - a Spot Instance can be stopped only when it was launched from a persistent Spot request
 *     (EC2: "You can only stop Spot Instances associated with persistent Spot Instance requests");
 *     anything else, or a request medic could not read, is skipped rather than tried.
 */

export interface StopFacts {
  /** RootDeviceType from DescribeInstances: `ebs` or `instance-store`. */
  rootDeviceType: string | null;
  /** InstanceLifecycle from DescribeInstances: `spot`, `scheduled`, `capacity-block`; null = on-demand. */
  lifecycle: string | null;
  /** The Spot request's type (`persistent` | `one-time`), null when it could not be read. */
  spotRequestType: string | null;
  /** The aws:autoscaling:groupName tag: Auto Scaling sets it on every instance it launches or attaches. */
  autoScalingGroup: string | null;
  /** What DescribeAutoScalingGroups says about that group; null when it was not read or is gone. */
  group: { managed: boolean; healthyPeers: string[] } | null;
}

export type StopDecision =
  | { kind: 'stop' }
  | { kind: 'replace-in-group'; group: string; peers: string[]; why: string }
  | { kind: 'skip'; why: string };

export function stopStartDecision(f: StopFacts): StopDecision {
  if (f.autoScalingGroup) {
    const group = f.autoScalingGroup;
    const lead = `it is a member of Auto Scaling group ${group}, which marks a stopped member unhealthy and replaces it`;
    if (!f.group) return { kind: 'skip', why: `${lead}; the group could not be read` };
    if (!f.group.managed)
      return {
        kind: 'skip',
        why: `${lead}; the group is not opted in (tag medic:managed=true on the group), so medic leaves the replacement to a person`,
      };
    if (f.group.healthyPeers.length === 0)
      return {
        kind: 'skip',
        why: `${lead}; it is the group's only healthy InService instance, so marking it Unhealthy would leave none`,
      };
    return { kind: 'replace-in-group', group, peers: f.group.healthyPeers, why: lead };
  }
  if (f.rootDeviceType === 'instance-store')
    return { kind: 'skip', why: 'its root device is instance-store: EC2 cannot stop it, only terminate it' };
  if (f.lifecycle === 'spot' && f.spotRequestType !== 'persistent')
    return {
      kind: 'skip',
      why: `it is a Spot Instance from a ${f.spotRequestType ?? 'unreadable'} Spot request: EC2 stops only those from persistent requests`,
    };
  return { kind: 'stop' };
}

/**
 * A `stopped` instance after StartInstances: did the start fail? EC2 accepts StartInstances, moves
 * the instance to pending, and drops it back to stopped with a StateReason when the launch fails
 * (a customer-managed KMS key the instance cannot use: `Client.InternalError: Client error on
 * launch`; no capacity: `Server.InsufficientInstanceCapacity`). Right after the call DescribeInstances
 * may still show the stop itself (`Client.UserInitiatedShutdown`): that is not a failure yet.
 */
export function startFailed(reason: { code: string; message: string } | null): boolean {
  return Boolean(reason?.code) && reason?.code !== 'Client.UserInitiatedShutdown';
}

/** The one line a person reads first: EC2's own message already starts with its code, mostly. */
export function leftStoppedHeadline(
  instanceId: string,
  left: { state: string; code: string; message: string },
): string {
  const reason = left.message.startsWith(left.code) ? left.message : `${left.code}: ${left.message}`;
  return `medic left ${instanceId} ${left.state.toUpperCase()}: ${reason}`;
}

/**
 * Whether the instance was started after `since` (the moment this stop/start began): `pending` is
 * reached only through StartInstances, and EC2's LaunchTime is the time of the last start.
 */
export function startedSince(state: string, launchTime: string | null, since: string): boolean {
  if (state === 'pending') return true;
  if (state !== 'running' || !launchTime) return false;
  return Date.parse(launchTime) > Date.parse(since);
}

/** Where an already-claimed stop/start resumes, from the state EC2 shows now. */
export type StopStartResume = 'wait-stopped' | 'wait-running' | 'not-visible';

/**
 * A stop/start whose claim an earlier delivery took: a stopping or stopped instance is waited on
 * and then started by the normal poll; a pending one is waited on; a running one may not show the
 * StopInstances yet (DescribeInstances is eventually consistent), so it is waited on too when the
 * rung would stop it — the poll gives up, with nothing half done, if it never begins to stop.
 */
export function stopStartResume(state: string, decision: StopDecision['kind']): StopStartResume {
  if (state === 'stopping' || state === 'stopped') return 'wait-stopped';
  if (state === 'pending') return 'wait-running';
  if (state === 'running' && decision === 'stop') return 'wait-stopped';
  return 'not-visible';
}
