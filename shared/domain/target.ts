/**
 * An instance's tags → the Target medic works on (probe address, ports, failover settings). Its
 * own module, without the trigger schemas of normalise.ts, so the failover function can resolve
 * its standby without bundling them (its bundle has a size budget).
 */

import type { InstanceInfo } from '../ports.ts';
import { unitNameProblem } from './host-output.ts';
import type { Target } from './model.ts';

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
  // The tag becomes a systemctl argument on the instance: a value that is not a unit name is
  // dropped here, and the restart rung says why instead of running anything.
  const unit = tags['medic:service'];
  const serviceProblem = unit === undefined ? null : unitNameProblem(unit);
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
    service: serviceProblem ? null : (unit ?? null),
    ...(serviceProblem ? { serviceProblem } : {}),
    maintenance: tags['medic:maintenance'] ?? null,
    group: tags['aws:autoscaling:groupName'] ?? null,
    logGroup: tags['medic:log-group'] ?? null,
    prometheusInstance: tags['medic:prometheus-instance'] ?? null,
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
      route53Address: tags['medic:route53-address'] ?? null,
      autoScalingGroup: tags['aws:autoscaling:groupName'] ?? null,
    },
  };
}
