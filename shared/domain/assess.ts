/**
 * The assessment: a pure function from evidence to a classification, the reasons for it, and the
 * ladder of actions to try (SPEC §3.4–3.5). Missing evidence never becomes an aggressive action:
 * when medic cannot tell, it pages.
 *
 * Order of the questions (first answer wins), as an on-call engineer asks them:
 *  1. can we see the instance at all, and is it running?           no → unknown (page)
 *  2. does AWS say the host is broken (system check, retirement)?  yes → hardware
 *  3. does AWS say the guest OS is broken (instance check)?        yes → os (or resource:memory
 *                                                                   when memory is exhausted)
 *  4. is medic's own vantage point blind (the control probe from the same function failed)?
 *                                                                   yes → blind-observer (page)
 *  5. could reachability be checked?                                no → a full disk is still
 *                                                                   resource:disk (page), else unknown
 *     (probes=off is "not checked", not "failed": the questions below run without the probes)
 *  6. nothing accepts TCP?  with the health URL answering that is contradictory → unknown (page);
 *                           with the independent signals saying the host is alive (instance status
 *                           check passing and the SSM agent online or the CloudWatch agent still
 *                           publishing) → blind-observer (page: medic never acts on reachability
 *                           alone); with the vantage point unproven (no control probe answered)
 *                           → blind-observer too; otherwise → network
 *  7. is a resource exhausted (disk, memory, CPU)?  a full disk always counts (its ladder only
 *     pages); memory and CPU count when there is a symptom (no SSH banner, health or service failing)
 *  8. TCP accepted but no SSH banner → os
 *  9. health URL failing, the configured service or another unit failed → application
 * 10. everything answers → transient (monitoring gaps are named in the reasons)
 *
 * A recent change that explains the symptom (policy/changes.ts: an ingress rule revoked on the
 * probed port, the instance stopped by a person, a volume detached, a patch run) answers before
 * questions 1 (for an instance that is not running) and 5: recent-change, a page naming the change
 * and who made it. AWS's own verdicts (hardware, os) and a blind vantage point still come first.
 */
import { type ChangeCause, explainingChange } from '../policy/changes.ts';
import type { ActionKind, Assessment, Classification, Evidence, Reachability } from './model.ts';

export const LADDERS: Record<Classification, ActionKind[]> = {
  application: ['restart-service', 'reboot', 'failover', 'page'],
  os: ['reboot', 'stop-start', 'failover', 'page'],
  network: ['reboot', 'stop-start', 'failover', 'page'],
  hardware: ['stop-start', 'failover', 'page'],
  'resource:disk': ['page'],
  'resource:memory': ['restart-service', 'reboot', 'page'],
  'resource:cpu': ['restart-service', 'reboot', 'page'],
  transient: [],
  unknown: ['page'],
  'blind-observer': ['page'],
  'recent-change': ['page'],
};

/** An agent datapoint newer than this (before the end of the metrics window) means "still arriving". */
export const AGENT_FRESH_MINUTES = 6;

/**
 * What says the host is alive without medic's probes: the instance status check passing, and the
 * SSM agent online (SSM reports Online only while the agent's pings arrive) or the CloudWatch agent
 * still publishing. Status checks alone do not count: a host cut off by its security group or NACL
 * passes them too. Empty: nothing independent vouches for the host.
 */
export function aliveSignals(evidence: Evidence): string[] {
  const ec2 = evidence.ec2.value;
  if (ec2?.instanceStatus !== 'ok') return [];
  const out: string[] = [];
  const host = evidence.host?.value;
  if (host?.agent === 'online') out.push('the SSM agent is online');
  const metrics = evidence.metrics?.value;
  if (metrics) {
    const end = Date.parse(metrics.window.end);
    const fresh = [metrics.memory, ...metrics.disks].filter(
      (m) => m?.lastAt && end - Date.parse(m.lastAt) <= AGENT_FRESH_MINUTES * 60_000,
    );
    if (fresh.length > 0)
      out.push(`the CloudWatch agent still publishes (${fresh[0]?.metric} at ${fresh[0]?.lastAt})`);
  }
  // Prometheus scraping the host's exporter is the same kind of signal: the host answers someone.
  const up = metrics?.prometheus?.up;
  if (metrics && up?.latest === 1 && up.lastAt) {
    const end = Date.parse(metrics.window.end);
    if (end - Date.parse(up.lastAt) <= AGENT_FRESH_MINUTES * 60_000)
      out.push(`Prometheus still scrapes it (up=1 at ${up.lastAt})`);
  }
  if (out.length === 0) return [];
  return ['the instance status check passes', ...out];
}

/** The rule a person checks when medic cannot reach a host that is alive. */
function pathAdvice(reach: Reachability): string {
  const ports = reach.ports.map((p) => p.port).join(', ') || 'the probe ports';
  const from = reach.vantage?.from;
  const groups = from ? /security groups (.+)$/.exec(from)?.[1] : null;
  return `check that the instance's security group allows inbound TCP ${ports} from the probe security group${groups ? ` (${groups})` : ''} and that NACLs and routes from the probe subnets let it through`;
}

/** At or above these (percent used), a resource is exhausted. Shared with the evidence checks. */
export const RESOURCE_LIMITS = { diskPercent: 90, memoryPercent: 90, cpuPercent: 90 } as const;

function result(
  classification: Classification,
  confidence: Assessment['confidence'],
  reasons: string[],
  hasService: boolean,
): Assessment {
  // Restarting "the service" needs a configured unit; without one that rung cannot be tried.
  const plan = LADDERS[classification].filter((a) => a !== 'restart-service' || hasService);
  return { classification, confidence, reasons, plan };
}

interface Pressure {
  percent: number;
  where: string;
}

/** The worst reading per resource from both metrics (CloudWatch) and the host's own view (SSM). */
function pressures(evidence: Evidence) {
  const metrics = evidence.metrics?.value ?? null;
  const host = evidence.host?.value ?? null;
  const disk: Pressure[] = [];
  const memory: Pressure[] = [];
  const cpu: Pressure[] = [];
  for (const d of metrics?.disks ?? []) {
    if (d.latest !== null)
      disk.push({ percent: d.latest, where: `disk_used_percent ${d.dimensions || ''}`.trim() });
  }
  for (const d of host?.disks ?? []) disk.push({ percent: d.usedPercent, where: `df ${d.mount}` });
  if (metrics?.memory?.latest != null)
    memory.push({ percent: metrics.memory.latest, where: 'mem_used_percent (CloudWatch agent)' });
  if (host?.memory) memory.push({ percent: host.memory.usedPercent, where: 'memory used per free -m' });
  if (metrics?.cpu?.latest != null) cpu.push({ percent: metrics.cpu.latest, where: 'CPUUtilization' });
  const prom = metrics?.prometheus;
  for (const f of prom?.filesystems ?? []) {
    if (f.latest !== null)
      disk.push({ percent: f.latest, where: `Prometheus filesystem used ${f.dimensions}`.trim() });
  }
  if (prom?.memory?.latest != null)
    memory.push({ percent: prom.memory.latest, where: 'Prometheus memory used (MemAvailable/MemTotal)' });
  if (prom?.loadPerCpu?.latest != null)
    cpu.push({ percent: prom.loadPerCpu.latest, where: 'Prometheus node_load1 per CPU' });
  const worst = (list: Pressure[]) =>
    list.reduce<Pressure | null>((a, b) => (a === null || b.percent > a.percent ? b : a), null);
  return { disk: worst(disk), memory: worst(memory), cpu: worst(cpu) };
}

const over = (p: Pressure | null, limit: number): p is Pressure => p !== null && p.percent >= limit;
const describe = (p: Pressure) => `${p.where} at ${Math.round(p.percent * 10) / 10} %`;

/** What is not known, said out loud: a gap is never read as "healthy". */
function gaps(evidence: Evidence): string[] {
  const out: string[] = [];
  const metrics = evidence.metrics;
  if (!metrics) out.push('resource metrics were not gathered');
  else if (!metrics.value) out.push(`resource metrics could not be checked: ${metrics.error ?? 'no data'}`);
  else for (const g of metrics.value.gaps) out.push(`monitoring gap: ${g}`);
  for (const e of metrics?.value?.prometheus?.errors ?? []) out.push(`Prometheus could not answer ${e}`);
  const host = evidence.host?.value;
  if (host?.agent === 'not-registered' || host?.agent === 'offline')
    out.push(`no on-host view: ${host.agentDetail}`);
  else if (evidence.host && !host)
    out.push(`on-host view could not be checked: ${evidence.host.error ?? 'no data'}`);
  return out;
}

/** The change that explains what is broken now, if the changes were looked up and one does. */
export function changeCause(evidence: Evidence): ChangeCause | null {
  const changes = evidence.alerts?.value?.changes;
  const ec2 = evidence.ec2.value;
  if (!changes || changes.rows.length === 0 || !ec2) return null;
  const reach = evidence.reachability.value;
  const host = evidence.host?.value ?? null;
  const symptom = {
    state: ec2.state,
    failingPorts: (reach?.ports ?? []).filter((p) => p.tcp !== 'open').map((p) => p.port),
    serviceFailing:
      (reach?.http !== null && reach?.http !== undefined && !reach.http.ok) ||
      (host?.service !== null && host?.service !== undefined && host.service.state !== 'active'),
  };
  return explainingChange(changes.rows, symptom, changes.anchor);
}

function recentChange(cause: ChangeCause, evidence: Evidence): Assessment {
  return {
    ...result(
      'recent-change',
      'high',
      [
        `a change made just before the alarm explains it: ${cause.why}`,
        'medic does not reboot for a change a person or a process made: undoing it is their call',
        ...aliveSignals(evidence),
      ],
      false,
    ),
    cause: cause.why,
  };
}

export function assess(evidence: Evidence, options: { hasService: boolean }): Assessment {
  const ec2 = evidence.ec2.value;
  const reach = evidence.reachability.value;
  const { hasService } = options;
  const unknowns = gaps(evidence);
  const p = pressures(evidence);
  const diskFull = over(p.disk, RESOURCE_LIMITS.diskPercent) ? p.disk : null;
  const memoryFull = over(p.memory, RESOURCE_LIMITS.memoryPercent) ? p.memory : null;
  const cpuFull = over(p.cpu, RESOURCE_LIMITS.cpuPercent) ? p.cpu : null;

  if (!ec2) {
    return result(
      'unknown',
      'low',
      [`EC2 state could not be checked: ${evidence.ec2.error ?? 'no data'}`, ...unknowns],
      false,
    );
  }
  const cause = changeCause(evidence);
  if (ec2.state !== 'running') {
    if (cause) return recentChange(cause, evidence);
    return result(
      'unknown',
      'medium',
      [`instance is ${ec2.state}, not running: a person should decide`],
      false,
    );
  }
  const retirement = ec2.scheduledEvents.find((e) =>
    /retirement|system-maintenance|system-reboot|instance-stop/.test(e.code),
  );
  if (ec2.systemStatus === 'impaired' || retirement) {
    const reasons = [];
    if (ec2.systemStatus === 'impaired') reasons.push('system status check failed (AWS hardware or host)');
    if (retirement) reasons.push(`AWS scheduled event ${retirement.code}: ${retirement.description}`);
    return result('hardware', 'high', reasons, hasService);
  }
  if (ec2.instanceStatus === 'impaired') {
    if (memoryFull) {
      return result(
        'resource:memory',
        'medium',
        [`instance status check failed and ${describe(memoryFull)}: memory exhaustion is the likely cause`],
        hasService,
      );
    }
    return result(
      'os',
      'high',
      ['instance status check failed (the guest OS is not responding)'],
      hasService,
    );
  }
  if (reach?.vantage?.status === 'blind') {
    return result(
      'blind-observer',
      'high',
      [
        `medic's vantage point is blind: ${reach.vantage.detail}`,
        `nothing medic probed on ${reach.address} from ${reach.vantage.from ?? 'the probe function'} means anything, so no action is taken on it`,
        "check the probe functions' VPC placement (subnets, security groups, route tables) and that the VPC has DNS support enabled",
        ...aliveSignals(evidence),
      ],
      false,
    );
  }
  if (cause) return recentChange(cause, evidence);
  if (!reach) {
    // A full disk is known from metrics or the host itself, and its ladder only pages.
    if (diskFull) {
      return result(
        'resource:disk',
        'medium',
        [
          `${describe(diskFull)}`,
          `reachability could not be checked: ${evidence.reachability.error ?? 'no data'}`,
        ],
        hasService,
      );
    }
    return result(
      'unknown',
      'low',
      [`reachability could not be checked: ${evidence.reachability.error ?? 'no data'}`, ...unknowns],
      false,
    );
  }

  const open = reach.ports.filter((p) => p.tcp === 'open');
  const sshSilent = reach.ports.filter((p) => p.ssh && p.tcp === 'open' && p.banner === null);
  const http = reach.http;
  const host = evidence.host?.value ?? null;
  const serviceDown = host?.service && host.service.state !== 'active' ? host.service : null;
  const failedUnits = host?.failedUnits ?? [];
  const promService = evidence.metrics?.value?.prometheus?.service;
  const promServiceDown = promService && promService.samples > 0 && (promService.latest ?? 0) < 1;

  if (reach.ports.length > 0 && open.length === 0) {
    const closed = reach.ports.map((p) => `${p.port}: ${p.tcp}`).join(', ');
    if (http?.ok) {
      return result(
        'unknown',
        'low',
        [
          `contradictory: no probed port accepts TCP (${closed}) yet the health URL answers ${http.status}: a person should look`,
        ],
        false,
      );
    }
    const alive = aliveSignals(evidence);
    if (alive.length > 0) {
      // Only medic's path is known to be cut: a reboot would not mend a security group, and acting
      // on a blind observer restarts a healthy host.
      return result(
        'blind-observer',
        reach.vantage?.status === 'reached' ? 'high' : 'medium',
        [
          `medic could not reach ${reach.address} (${closed}) from ${reach.vantage?.from ?? 'the probe function'}, yet the host is alive: ${alive.join('; ')}`,
          `no action on reachability alone: ${pathAdvice(reach)}`,
          reach.vantage?.status === 'reached'
            ? `the control probe answered (${reach.vantage.canary}): the path to this instance is cut, not medic's network`
            : `the vantage point is unproven (${reach.vantage?.detail ?? 'no control probe'})`,
        ],
        false,
      );
    }
    if (reach.vantage?.status !== 'reached') {
      // Every probe failed and nothing proves the probes could have succeeded from where they ran:
      // "unreachable" would be a claim about medic's own network as much as about the host.
      return result(
        'blind-observer',
        'low',
        [
          `medic could not reach ${reach.address} (${closed}) from ${reach.vantage?.from ?? 'the probe function'}, and its vantage point is unproven (${reach.vantage?.detail ?? 'no control probe'})`,
          `medic does not call an instance unreachable from a place it cannot show reaches anything: ${pathAdvice(reach)}`,
        ],
        false,
      );
    }
    const reasons = [
      `status checks pass but no probed port accepts a TCP connection (${closed})`,
      'nothing independent says the host is alive (SSM agent not online, CloudWatch agent silent): its network path or the guest is the suspect',
      `medic's vantage is proven: control probe ${reach.vantage.canary} answered`,
    ];
    return result('network', 'medium', reasons, hasService);
  }

  const symptom =
    sshSilent.length > 0 || (http !== null && !http.ok) || serviceDown !== null || Boolean(promServiceDown);
  if (diskFull) {
    return result(
      'resource:disk',
      'high',
      [
        `${describe(diskFull)}: the disk is full (medic deletes nothing; a person decides what to clean)`,
        ...(symptom ? ['the host shows symptoms: see the evidence'] : []),
      ],
      hasService,
    );
  }
  if (memoryFull && symptom) {
    return result(
      'resource:memory',
      'high',
      [`${describe(memoryFull)} while the host shows symptoms (health, SSH or service failing)`],
      hasService,
    );
  }
  if (cpuFull && symptom) {
    return result(
      'resource:cpu',
      'medium',
      [`${describe(cpuFull)} while the host shows symptoms (health, SSH or service failing)`],
      hasService,
    );
  }
  if (sshSilent.length > 0) {
    return result(
      'os',
      'medium',
      [
        `TCP connects on SSH port ${sshSilent.map((p) => p.port).join(', ')} but no SSH banner arrived: the kernel answers, userland does not`,
      ],
      hasService,
    );
  }
  if ((http && !http.ok) || serviceDown || failedUnits.length > 0 || promServiceDown) {
    const reasons: string[] = [];
    if (http && !http.ok)
      reasons.push(
        `host reachable (SSH banner read) but the health URL failed: ${http.status ?? http.error ?? 'no answer'}`,
      );
    if (serviceDown) reasons.push(`service ${serviceDown.name} is ${serviceDown.state}`);
    if (failedUnits.length > 0) reasons.push(`failed systemd units: ${failedUnits.join(', ')}`);
    if (promServiceDown)
      reasons.push(`the Prometheus service-health query reads ${promService?.latest} (1 is healthy)`);
    const corroborated =
      (http && !http.ok ? 1 : 0) +
      (serviceDown || failedUnits.length > 0 ? 1 : 0) +
      (promServiceDown ? 1 : 0);
    return result('application', corroborated >= 2 ? 'high' : 'medium', reasons, hasService);
  }
  const watch = [memoryFull, cpuFull].filter((x): x is Pressure => x !== null).map(describe);
  return result(
    'transient',
    unknowns.length > 0 ? 'low' : 'medium',
    [
      'every check passes now: the host looks self-recovered',
      ...(reach.vantage?.status === 'off'
        ? ['reachability not checked (probes=off): judged by the EC2 status checks and the on-host view']
        : []),
      ...watch.map((w) => `${w}, but no symptom: watch it`),
      ...unknowns,
    ],
    hasService,
  );
}
