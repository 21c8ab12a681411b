/**
 * Intake: normalise the trigger, resolve it to instances, read their medic:* tags, and open the
 * incident. Everything here happens before any acknowledgement, so it stays cheap: one
 * DescribeInstances for all targets.
 */

import type { IncidentState, InstanceCase, Settings, Target } from '../domain/model.ts';
import { normalise } from '../domain/normalise.ts';
import { type Clock, entry } from '../domain/timeline.ts';
import { NoTargetError } from '../errors.ts';
import type { AutoScalingPort, Ec2Port, InstanceInfo } from '../ports.ts';

export const MAX_TARGETS = 20;

export interface IntakeDeps {
  ec2: Ec2Port;
  autoScaling: AutoScalingPort;
  clock: Clock;
  settings: Settings;
  defaultPorts: number[];
}

function parsePorts(tag: string | undefined, fallback: number[]): number[] {
  if (!tag) return fallback;
  const ports = tag
    .split(',')
    .map((p) => Number(p.trim()))
    .filter((p) => Number.isInteger(p) && p > 0 && p < 65_536);
  return ports.length > 0 ? [...new Set(ports)].slice(0, 8) : fallback;
}

export function targetFromInstance(info: InstanceInfo, defaultPorts: number[]): Target {
  const tags = info.tags;
  const ports = parsePorts(tags['medic:ports'], defaultPorts);
  const sshTag = Number(tags['medic:ssh-port']);
  const sshPort =
    Number.isInteger(sshTag) && ports.includes(sshTag) ? sshTag : ports.includes(22) ? 22 : null;
  return {
    instanceId: info.instanceId,
    name: tags.Name ?? null,
    managed: tags['medic:managed'] === 'true',
    state: info.state,
    availabilityZone: info.availabilityZone,
    instanceType: info.instanceType,
    privateIp: info.privateIp,
    service: tags['medic:service'] ?? null,
    logGroup: tags['medic:log-group'] ?? null,
    probe: {
      address: tags['medic:probe-address'] ?? info.privateIp,
      ports,
      sshPort,
      healthUrl: tags['medic:health-url'] ?? null,
    },
    failover: {
      standby: tags['medic:standby'] ?? null,
      targetGroupArn: tags['medic:target-group'] ?? null,
      route53: tags['medic:route53'] ?? null,
      autoScalingGroup: tags['aws:autoscaling:groupName'] ?? null,
    },
  };
}

export async function intake(event: unknown, deps: IntakeDeps): Promise<IncidentState> {
  const { clock } = deps;
  const trigger = normalise(event, clock());
  const fromGroups = await deps.autoScaling.inServiceInstances(trigger.autoScalingGroupNames);
  const ids = [...new Set([...trigger.instanceIds, ...fromGroups])];
  if (ids.length === 0) {
    throw new NoTargetError(
      `no InService instance in auto scaling group(s) ${trigger.autoScalingGroupNames.join(', ')}: nothing to look at`,
    );
  }
  const chosen = ids.slice(0, MAX_TARGETS);
  const targets = (await deps.ec2.describeInstances(chosen)).map((i) =>
    targetFromInstance(i, deps.defaultPorts),
  );
  const what = trigger.alarmName ? `alarm ${trigger.alarmName}` : `manual run by ${trigger.requestedBy}`;
  const timeline = [
    entry(clock, {
      step: 'Intake',
      kind: 'alarm',
      summary: `${what}: ${trigger.reason || 'no reason given'}`,
      detail: { enteredAlarmAt: trigger.enteredAlarmAt, source: trigger.source, mode: trigger.mode },
    }),
    entry(clock, {
      step: 'Intake',
      kind: 'note',
      summary: `targets: ${targets.map((t) => `${t.instanceId}${t.name ? ` (${t.name})` : ''}${t.managed ? '' : ' [not opted in]'}`).join(', ')}`,
    }),
  ];
  if (ids.length > chosen.length) {
    timeline.push(
      entry(clock, {
        step: 'Intake',
        kind: 'note',
        summary: `${ids.length - chosen.length} more instances alarmed than the ${MAX_TARGETS} one incident handles; they were not investigated`,
      }),
    );
  }
  const cases: InstanceCase[] = targets.map((target) => ({
    incidentId: trigger.episodeKey,
    mode: trigger.mode,
    settings: deps.settings,
    target,
    evidence: null,
    assessment: null,
    rung: 0,
    pollsLeft: 0,
    lastActionAt: null,
    next: 'act',
    action: null,
    pending: null,
    approval: null,
    verifyProbe: null,
    verifySeen: {},
    actions: [],
    outcome: null,
    timeline: [],
    alarm: {
      name: trigger.alarmName ?? null,
      reason: trigger.reason,
      datapoints: trigger.datapoints.slice(-10),
      threshold: trigger.threshold ?? null,
      enteredAlarmAt: trigger.enteredAlarmAt,
    },
  }));
  return { incidentId: trigger.episodeKey, trigger, settings: deps.settings, targets, timeline, cases };
}
