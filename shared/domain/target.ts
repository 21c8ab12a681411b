/**
 * An instance's tags → the Target medic works on (probe address, ports, failover settings). Its
 * own module, without the trigger schemas of normalise.ts, so the failover function can resolve
 * its standby without bundling them (its bundle has a size budget).
 */

import type { InstanceInfo } from '../ports.ts';
import { unitNameProblem } from './host-output.ts';
import { parseLoadCheck } from './load-check.ts';
import type { Target } from './model.ts';

function parsePorts(tag: string | undefined, fallback: number[]): number[] {
  if (!tag) return fallback;
  const ports = tag
    .split(',')
    .map((p) => Number(p.trim()))
    .filter((p) => Number.isInteger(p) && p > 0 && p < 65_536);
  return ports.length > 0 ? [...new Set(ports)].slice(0, 8) : fallback;
}

/** Statuspage ids are short alphanumeric strings; anything else is not used as one. */
function statusPageComponentOf(tag: string | undefined): string | null {
  const id = tag?.trim();
  return id && /^[A-Za-z0-9]{1,64}$/.test(id) ? id : null;
}

export function targetFromInstance(info: InstanceInfo, defaultPorts: number[]): Target {
  const tags = info.tags;
  // The tag becomes a systemctl argument on the instance: a value that is not a unit name is
  // dropped here, and the restart rung says why instead of running anything.
  const unit = tags['medic:service'];
  const serviceProblem = unit === undefined ? null : unitNameProblem(unit);
  const ports = parsePorts(tags['medic:ports'], defaultPorts);
  const sshTag = Number(tags['medic:ssh-port']);
  const loadTag = tags['medic:load-check'];
  const load = loadTag === undefined ? null : parseLoadCheck(loadTag);
  const healthUrl = tags['medic:health-url'] ?? null;
  const loadCheckProblem =
    load?.problem ??
    (load && !healthUrl ? 'medic:load-check needs medic:health-url (the burst goes there)' : null);
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
    ...(load?.check && !loadCheckProblem ? { loadCheck: load.check } : {}),
    ...(loadCheckProblem ? { loadCheckProblem } : {}),
    ...(info.attached ? { attached: info.attached } : {}),
    statusPageComponent: statusPageComponentOf(tags['medic:statuspage-component']),
    prometheusInstance: tags['medic:prometheus-instance'] ?? null,
    probe: {
      address: tags['medic:probe-address'] ?? info.privateIp,
      ports,
      sshPort,
      healthUrl,
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
