/**
 * "A change explains the symptom": which recent change (CloudTrail, Auto Scaling, SSM, CodeDeploy) is the likely
 * cause of what the probes and EC2 see. When one does, medic does not reboot for it: a reboot does
 * not restore a revoked ingress rule, a detached volume or a stopped instance, and undoing a
 * person's change is that person's call. The page names the change and who made it.
 * Pure: the use case gathers the changes; this only judges them.
 */
import type { Change } from '../domain/model.ts';

/** A change older than this before the alarm is history, not a cause. */
export const CHANGE_CAUSE_MINUTES = 60;
/** Clocks differ (CloudTrail's event time, the alarm's transition): a change this far after still counts. */
export const CHANGE_SKEW_SECONDS = 120;

/** Rule changes that cut inbound traffic to the instance. */
const INGRESS_CUT = new Set(['RevokeSecurityGroupIngress', 'DeleteSecurityGroup']);
/** Changes to which security groups (or network path) the instance or its ENI has. */
const NETWORK_PATH = new Set([
  'ModifyInstanceAttribute',
  'ModifyNetworkInterfaceAttribute',
  'DetachNetworkInterface',
  'ReplaceNetworkAclEntry',
  'DeleteNetworkAclEntry',
  'ReplaceNetworkAclAssociation',
  'DisassociateAddress',
]);
const STOPPED = new Set(['StopInstances', 'TerminateInstances']);
const STORAGE = new Set(['DetachVolume', 'ModifyVolume']);
/** A deployment's status on the instance that means its lifecycle hooks ran there. */
const DEPLOYED_HERE = new Set(['Succeeded', 'InProgress', 'Failed']);
/** SSM documents that patch or reconfigure a host (a reboot may be part of them). */
const PATCH_DOCUMENT = /patch|update|upgrade|install|configure|ansible|applychef|state/i;

/** What the probes and EC2 see now. */
export interface Symptom {
  /** The instance state as EC2 reports it. */
  state: string;
  /** Probed TCP ports that did not accept a connection. */
  failingPorts: number[];
  /** The health URL was configured and failed, or a configured service is down. */
  serviceFailing: boolean;
}

export interface ChangeCause {
  change: Change;
  /** One line for the assessment and the page: what changed, on what, by whom, when. */
  why: string;
}

function covers(change: Change, port: number): boolean {
  return (change.ports ?? []).some(
    (p) => p.protocol === '-1' || p.protocol === 'all' || (port >= p.from && port <= p.to),
  );
}

function explains(change: Change, symptom: Symptom): string | null {
  const name = change.eventName;
  const down = symptom.failingPorts;
  if (change.source === 'cloudtrail' && INGRESS_CUT.has(name)) {
    if (down.length === 0) return null;
    // A revoked rule explains the outage only for a port it covered; without port detail (a
    // whole group deleted) any failing port is explained.
    const hit = change.ports ? down.filter((p) => covers(change, p)) : down;
    return hit.length > 0 ? `TCP ${hit.join(', ')} stopped answering` : null;
  }
  if (change.source === 'cloudtrail' && NETWORK_PATH.has(name)) {
    if (name === 'ModifyInstanceAttribute' && /instanceType|userData|kernel|ramdisk/i.test(change.detail))
      return symptom.state !== 'running' || down.length > 0 || symptom.serviceFailing
        ? 'the instance was reconfigured'
        : null;
    return down.length > 0 ? `TCP ${down.join(', ')} stopped answering` : null;
  }
  if (change.source === 'cloudtrail' && STOPPED.has(name))
    return symptom.state !== 'running' ? `the instance is ${symptom.state}` : null;
  if (change.source === 'cloudtrail' && STORAGE.has(name))
    return down.length > 0 || symptom.serviceFailing || symptom.state !== 'running'
      ? 'the host lost a volume it used'
      : null;
  if (change.source === 'codedeploy') {
    // Only a deployment that ran on this instance changed it: one still pending, skipped, or that
    // failed before its turn here left the host as it was.
    const onHost = change.deployment?.instanceStatus ?? null;
    if (!onHost || !DEPLOYED_HERE.has(onHost)) return null;
    return down.length > 0 || symptom.serviceFailing || symptom.state !== 'running'
      ? `deployment ${change.deployment?.id} of ${change.deployment?.application}/${change.deployment?.group} ran on the instance (${onHost})`
      : null;
  }
  if (change.source === 'ssm' && PATCH_DOCUMENT.test(change.detail))
    return down.length > 0 || symptom.serviceFailing ? 'the host was patched or reconfigured' : null;
  return null;
}

/**
 * medic's own calls, as CloudTrail names the caller (userIdentity.arn): medic's Lambda roles are
 * named `medic-<stage>-…` (`assumed-role/medic-prod-RebootRole-…/…`), and in a member account medic
 * works under a role session named `medic-<incident>` (policy/accounts.ts roleSessionName). Such a
 * call is medic's earlier action (useful context: it happened, and what it did), never a change that
 * explains the symptom: rebooting for the last incident is not the cause of the next one.
 */
export function isMedicAction(actor: string): boolean {
  return (
    /:assumed-role\/medic-[^/]+\//.test(actor) ||
    /:role\/medic-[^/]+$/.test(actor) ||
    /:assumed-role\/[^/]+\/medic-[^/]+$/.test(actor)
  );
}

/**
 * The change that explains the symptom, if one does: the most recent one that happened within
 * CHANGE_CAUSE_MINUTES before the alarm (or CHANGE_SKEW_SECONDS after it) and that matches what
 * is broken. Auto Scaling activities are context, never the cause medic names (a replacement is
 * the group doing its job).
 */
export function explainingChange(
  changes: readonly Change[],
  symptom: Symptom,
  alarmAt: string,
): ChangeCause | null {
  const alarm = Date.parse(alarmAt);
  if (!Number.isFinite(alarm)) return null;
  const inWindow = changes.filter((c) => {
    const at = Date.parse(c.at);
    return (
      Number.isFinite(at) &&
      at >= alarm - CHANGE_CAUSE_MINUTES * 60_000 &&
      at <= alarm + CHANGE_SKEW_SECONDS * 1_000
    );
  });
  const newestFirst = [...inWindow].sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  for (const change of newestFirst) {
    if (isMedicAction(change.actor)) continue;
    const effect = explains(change, symptom);
    if (!effect) continue;
    const minutes = Math.max(0, Math.round((alarm - Date.parse(change.at)) / 60_000));
    return {
      change,
      why: `${change.eventName} on ${change.resource} (${change.detail}) by ${change.actor} at ${change.at}, ${minutes} min before the alarm; ${effect}`,
    };
  }
  return null;
}
