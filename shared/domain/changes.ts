/**
 * CloudTrail events, Auto Scaling activities and SSM commands → the short change rows the case
 * carries (time, event, actor, resource, one line of detail). Raw CloudTrail records are several
 * KB each; twenty cases of ten rows must stay far below the state limit, and everything here
 * (actor names, rule descriptions) is text that the renderers escape, never markup.
 */
import type {
  CommandRecord,
  DeploymentRecord,
  DeploymentTargetRecord,
  ScalingActivity,
  TrailEvent,
} from '../ports.ts';
import type { Change } from './model.ts';

export const MAX_DETAIL = 200;
const MAX_ACTOR = 200;

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** SSM documents medic itself runs for evidence and the restart rung: not a change worth naming. */
export const MEDIC_DOCUMENT_COMMENT = /^medic[: ]/;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
/** CloudTrail writes EC2 lists as `{ items: [...] }`. */
const items = (v: unknown): Json[] => {
  const list = Array.isArray(v) ? v : obj(v).items;
  return Array.isArray(list) ? list.map(obj) : [];
};

/** Who made the call: the principal's ARN (an assumed role's session names the person), else the user name. */
export function actorOf(e: TrailEvent): string {
  const identity = obj(e.record.userIdentity);
  const actor =
    str(identity.arn) ?? e.username ?? str(identity.invokedBy) ?? str(identity.principalId) ?? 'unknown';
  return clip(actor, MAX_ACTOR);
}

interface PortRange {
  protocol: string;
  from: number;
  to: number;
}

function permissions(params: Json): { ranges: PortRange[]; text: string[] } {
  const ranges: PortRange[] = [];
  const text: string[] = [];
  for (const p of items(params.ipPermissions)) {
    const protocol = String(p.ipProtocol ?? '-1');
    const from = Number(p.fromPort ?? -1);
    const to = Number(p.toPort ?? from);
    ranges.push({ protocol, from, to });
    const sources = [
      ...items(p.ipRanges).map((r) => str(r.cidrIp)),
      ...items(p.ipv6Ranges).map((r) => str(r.cidrIpv6)),
      ...items(p.groups).map((g) => str(g.groupId)),
      ...items(p.prefixListIds).map((g) => str(g.prefixListId)),
    ].filter((x): x is string => x !== null);
    const port =
      protocol === '-1' ? 'all traffic' : from === to ? `${protocol} ${from}` : `${protocol} ${from}-${to}`;
    text.push(`${port}${sources.length ? ` from ${sources.join(', ')}` : ''}`);
  }
  return { ranges, text };
}

/** The one line a person reads: what the call did. */
function detailOf(e: TrailEvent): { detail: string; ports?: PortRange[] } {
  const params = obj(e.record.requestParameters);
  const name = e.eventName;
  if (/SecurityGroup(Ingress|Egress)$/.test(name)) {
    const { ranges, text } = permissions(params);
    const verb = name.startsWith('Revoke') ? 'revoked' : 'authorized';
    const ruleIds = items(params.securityGroupRuleIds).map((r) => str(r.securityGroupRuleId));
    if (ranges.length === 0)
      return {
        detail: `${verb} ${ruleIds.filter(Boolean).join(', ') || 'rules'} on ${str(params.groupId) ?? 'a group'}`,
      };
    return { detail: `${verb} ${text.join('; ')}`, ports: ranges };
  }
  if (name === 'ModifyInstanceAttribute' || name === 'ModifyNetworkInterfaceAttribute') {
    const groups = items(obj(params.groupSet)).map((g) => str(g.groupId));
    const changed = Object.keys(params).filter((k) => !/^(instanceId|networkInterfaceId)$/.test(k));
    return {
      detail: groups.length
        ? `security groups set to ${groups.filter(Boolean).join(', ')}`
        : `changed ${changed.join(', ') || 'an attribute'}`,
    };
  }
  if (name === 'DetachVolume' || name === 'AttachVolume')
    return {
      detail: `${str(params.volumeId) ?? 'a volume'} ${name === 'DetachVolume' ? 'from' : 'to'} ${str(params.instanceId) ?? 'an instance'}${params.force ? ' (forced)' : ''}`,
    };
  if (name === 'SendCommand') {
    const doc = str(params.documentName) ?? 'a document';
    return { detail: `${doc}${str(params.comment) ? `: ${str(params.comment)}` : ''}` };
  }
  const keys = Object.keys(params).slice(0, 4);
  return { detail: keys.length ? `with ${keys.join(', ')}` : name };
}

/**
 * A CloudTrail event as a change row; null for what changed nothing: read-only calls and calls AWS
 * refused (an errorCode means the request was denied or invalid).
 */
export function changeFromTrail(e: TrailEvent, lookedUp: string): Change | null {
  if (e.record.readOnly === true || e.record.errorCode) return null;
  if (/^(Describe|Get|List|Lookup)/.test(e.eventName)) return null;
  const { detail, ports } = detailOf(e);
  const resource = e.resources.find((r) => r.name === lookedUp)?.name ?? e.resources[0]?.name ?? lookedUp;
  return {
    at: e.at,
    source: 'cloudtrail',
    eventName: e.eventName,
    actor: actorOf(e),
    resource,
    detail: clip(detail, MAX_DETAIL),
    ...(ports ? { ports } : {}),
  };
}

export function changeFromActivity(a: ScalingActivity, group: string): Change {
  return {
    at: a.at,
    source: 'autoscaling',
    eventName: clip(a.description, 120),
    actor: `Auto Scaling group ${group}`,
    resource: group,
    detail: clip(`${a.status}: ${a.cause}`, MAX_DETAIL),
  };
}

/** An SSM command on the instance; null for medic's own read-only and restart commands. */
export function changeFromCommand(c: CommandRecord, instanceId: string): Change | null {
  if (MEDIC_DOCUMENT_COMMENT.test(c.comment)) return null;
  return {
    at: c.at,
    source: 'ssm',
    eventName: 'SendCommand',
    // ListCommands does not say who sent it; CloudTrail's SendCommand event does.
    actor: 'see the CloudTrail SendCommand event',
    resource: instanceId,
    detail: clip(`${c.documentName} (${c.status})${c.comment ? `: ${c.comment}` : ''}`, MAX_DETAIL),
  };
}

/** The deployment id CloudTrail's CreateDeployment event answered (responseElements.deploymentId). */
export function deploymentIdOf(e: TrailEvent): string | null {
  if (e.record.errorCode) return null;
  return str(obj(e.record.responseElements).deploymentId);
}

/**
 * A CodeDeploy deployment to the instance: when it was created, by whom (CloudTrail's principal:
 * BatchGetDeployments' own `creator` only says "user"), and what it did on this instance.
 */
export function changeFromDeployment(
  d: DeploymentRecord,
  target: DeploymentTargetRecord | null,
  actor: string,
  instanceId: string,
  createdAt: string,
): Change {
  const onInstance = target
    ? `${target.status} on this instance${target.failedEvent ? ` (failed at ${target.failedEvent})` : ''}`
    : 'not a target of it';
  const how = d.creator && d.creator !== 'user' ? `, created by ${d.creator}` : '';
  return {
    at: d.createdAt ?? createdAt,
    source: 'codedeploy',
    eventName: 'CreateDeployment',
    actor: clip(actor, MAX_ACTOR),
    resource: instanceId,
    detail: clip(
      `deployment ${d.deploymentId} of ${d.application}/${d.group}: ${d.status}, ${onInstance}${how}`,
      MAX_DETAIL,
    ),
    deployment: {
      id: d.deploymentId,
      application: d.application,
      group: d.group,
      status: d.status,
      instanceStatus: target?.status ?? null,
    },
  };
}
