/**
 * Scheduled health sweep over the opted-in fleet: evidence only, never an action. Everything it
 * finds goes into ONE digest notification and ONE low-priority ticket per day (found by its
 * label, so a re-run comments instead of filing another) — never one page per instance.
 */
import { type Deadline, NO_DEADLINE, withReserve } from '../domain/deadline.ts';
import { bullets, grid, para, type TicketDocument, t } from '../domain/document.ts';
import { STANDARD_KINDS } from '../domain/standard-alarms.ts';
import type { Clock } from '../domain/timeline.ts';
import type { NotifierPort, TicketPort, TicketRef } from '../ports.ts';

export interface SweepInstance {
  instanceId: string;
  name: string | null;
  state: string;
  availabilityZone: string | null;
  autoScalingGroup: string | null;
}

/** Latest CloudWatch agent values; null when the agent published nothing in the window. */
export interface AgentMetrics {
  diskUsedPercent: number | null;
  memoryUsedPercent: number | null;
}

export type DriftKind = 'disk-high' | 'agent-missing' | 'alarms-missing' | 'no-asg' | 'single-az';

export interface Drift {
  instanceId: string;
  kind: DriftKind;
  detail: string;
}

export const DISK_DRIFT_PERCENT = 80;

/** Pure: the drift list for a fleet snapshot. */
export function findDrift(
  fleet: SweepInstance[],
  metrics: Map<string, AgentMetrics>,
  alarmNames: Set<string>,
  asgZones: Map<string, string[]> = new Map(),
): Drift[] {
  const drift: Drift[] = [];
  for (const i of fleet) {
    const m = metrics.get(i.instanceId);
    if (m?.diskUsedPercent != null && m.diskUsedPercent > DISK_DRIFT_PERCENT) {
      drift.push({
        instanceId: i.instanceId,
        kind: 'disk-high',
        detail: `root disk ${m.diskUsedPercent.toFixed(1)} % used (> ${DISK_DRIFT_PERCENT} %)`,
      });
    }
    const missingAgent = [
      m?.diskUsedPercent == null ? 'disk_used_percent' : null,
      m?.memoryUsedPercent == null ? 'mem_used_percent' : null,
    ].filter((x): x is string => x !== null);
    if (i.state === 'running' && missingAgent.length > 0) {
      drift.push({
        instanceId: i.instanceId,
        kind: 'agent-missing',
        detail: `no CloudWatch agent metrics (${missingAgent.join(', ')}) in the last hour: a monitoring gap`,
      });
    }
    const missingAlarms = STANDARD_KINDS.filter((k) => !alarmNames.has(`medic-${i.instanceId}-${k}`));
    if (missingAlarms.length > 0) {
      drift.push({
        instanceId: i.instanceId,
        kind: 'alarms-missing',
        detail: `standard alarms missing: ${missingAlarms.join(', ')} (run medic alarms sync)`,
      });
    }
    if (!i.autoScalingGroup) {
      drift.push({
        instanceId: i.instanceId,
        kind: 'no-asg',
        detail: 'not in an Auto Scaling group: nothing replaces it if it dies',
      });
    } else {
      const zones = asgZones.get(i.autoScalingGroup) ?? [];
      if (zones.length === 1) {
        drift.push({
          instanceId: i.instanceId,
          kind: 'single-az',
          detail: `Auto Scaling group ${i.autoScalingGroup} spans one Availability Zone (${zones[0]})`,
        });
      }
    }
  }
  return drift;
}

export interface SweepDeps {
  fleet: () => Promise<SweepInstance[]>;
  agentMetrics: (instanceIds: string[]) => Promise<Map<string, AgentMetrics>>;
  alarmNames: () => Promise<Set<string>>;
  /** Availability Zones of each Auto Scaling group named by the fleet. */
  asgZones: (groupNames: string[]) => Promise<Map<string, string[]>>;
  notifier: NotifierPort;
  tickets: (deadline?: Deadline) => Promise<TicketPort>;
  clock: Clock;
  /** The invocation's deadline; the ticket is the last step, so Jira gets all but SWEEP_RESERVE_MS. */
  deadline?: Deadline;
}

/** Kept back after Jira for the sweep's own log line and return. */
export const SWEEP_RESERVE_MS = 1_000;

export interface SweepResult {
  checked: number;
  drift: Drift[];
  notified: boolean;
  ticket: TicketRef | null;
  ticketError: string | null;
}

export async function healthSweep(deps: SweepDeps): Promise<SweepResult> {
  const fleet = await deps.fleet();
  const ids = fleet.map((i) => i.instanceId);
  const groups = [...new Set(fleet.flatMap((i) => (i.autoScalingGroup ? [i.autoScalingGroup] : [])))];
  const [metrics, alarms, zones] = await Promise.all([
    deps.agentMetrics(ids),
    deps.alarmNames(),
    deps.asgZones(groups),
  ]);
  const drift = findDrift(fleet, metrics, alarms, zones);
  const fleetZones = new Set(fleet.flatMap((i) => (i.availabilityZone ? [i.availabilityZone] : [])));
  const day = deps.clock().toISOString().slice(0, 10);
  const affected = new Set(drift.map((d) => d.instanceId));
  const headline =
    drift.length === 0
      ? `medic health sweep ${day}: ${fleet.length} instance(s), no drift`
      : `medic health sweep ${day}: ${affected.size} of ${fleet.length} instance(s) drifting (${drift.length} finding(s))`;
  const lines = [
    headline,
    ...(fleet.length > 1 && fleetZones.size === 1
      ? [`The whole opted-in fleet runs in one Availability Zone (${[...fleetZones][0]}).`]
      : []),
    '',
    ...drift.map((d) => `- ${d.instanceId}: [${d.kind}] ${d.detail}`),
  ];
  await deps.notifier.publish({
    subject: headline,
    body: lines.join('\n'),
    severity: drift.length > 0 ? 'warning' : 'info',
    attributes: { event: 'health-sweep', drift: String(drift.length) },
  });
  let ticket: TicketRef | null = null;
  let ticketError: string | null = null;
  if (drift.length > 0) {
    const label = `medic-sweep-${day}`;
    const description: TicketDocument = {
      sections: [
        {
          title: 'Health sweep',
          blocks: [
            para(t(headline)),
            para(t('Evidence only: medic changed nothing. Each line is a prevention task.')),
            grid(
              ['Instance', 'Drift', 'Detail'],
              drift.map((d) => [d.instanceId, d.kind, d.detail]),
            ),
          ],
        },
        {
          title: 'Suggested follow-up',
          blocks: [bullets([...new Set(drift.map((d) => d.kind))].map((k) => FOLLOW_UP[k]))],
        },
      ],
    };
    try {
      const port = await deps.tickets(withReserve(deps.deadline ?? NO_DEADLINE, SWEEP_RESERVE_MS));
      const existing = (await port.search([label]))[0] ?? null;
      if (existing) {
        await port.comment(existing.key, description);
        ticket = existing;
      } else {
        ticket = await port.create({
          summary: `[medic] health sweep ${day}: ${affected.size} instance(s) drifting`,
          labels: ['medic', 'medic-sweep', label],
          priority: 'Low',
          description,
        });
      }
    } catch (error) {
      // The digest already went out; a Jira outage must not make the sweep itself fail.
      ticketError = `${(error as Error).name}: ${(error as Error).message}`;
    }
  }
  return { checked: fleet.length, drift, notified: true, ticket, ticketError };
}

const FOLLOW_UP: Record<DriftKind, string> = {
  'disk-high': 'Free or grow the disks above 80 % before they page someone at night.',
  'agent-missing': 'Install/repair the CloudWatch agent so memory and disk are visible.',
  'alarms-missing': 'Run `medic alarms sync` to create the standard alarms.',
  'no-asg':
    'Put single instances behind an Auto Scaling group (or a standby) so failover has somewhere to go.',
  'single-az': 'Spread the Auto Scaling group across at least two Availability Zones.',
};
