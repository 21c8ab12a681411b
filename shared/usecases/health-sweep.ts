/**
 * Scheduled health sweep over the opted-in fleet: evidence only, never an action. Everything it
 * finds goes into ONE digest notification and ONE low-priority ticket per day (found by its
 * label, so a re-run comments instead of filing another) — never one page per instance.
 */
import { type Deadline, NO_DEADLINE, withReserve } from '../domain/deadline.ts';
import { bullets, grid, para, type TicketDocument, t } from '../domain/document.ts';
import { describeLoad, type LoadCheck, type LoadResult, parseLoadCheck } from '../domain/load-check.ts';
import { STANDARD_KINDS } from '../domain/standard-alarms.ts';
import type { Clock } from '../domain/timeline.ts';
import { loadRegression, nextBaseline } from '../policy/load.ts';
import type { LoadBaselineStore, NotifierPort, TicketPort, TicketRef } from '../ports.ts';

export interface SweepInstance {
  instanceId: string;
  name: string | null;
  state: string;
  availabilityZone: string | null;
  autoScalingGroup: string | null;
  /** The instance's tags: medic:load-check with medic:health-url opts a service in to the stress check. */
  tags?: Record<string, string>;
}

/** The service's burst, when its tags opt it in (the same tag and caps as the check after Verify). */
export function stressTarget(i: SweepInstance): { url: string; check: LoadCheck } | null {
  const tag = i.tags?.['medic:load-check'];
  const url = i.tags?.['medic:health-url'];
  if (!tag || !url) return null;
  const parsed = parseLoadCheck(tag);
  return parsed.check ? { url, check: parsed.check } : null;
}

/** Latest CloudWatch agent values; null when the agent published nothing in the window. */
export interface AgentMetrics {
  diskUsedPercent: number | null;
  memoryUsedPercent: number | null;
}

export type DriftKind =
  | 'disk-high'
  | 'agent-missing'
  | 'alarms-missing'
  | 'no-asg'
  | 'single-az'
  | 'load-regression';

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
  /** The routine stress check; absent: the sweep sends no load. */
  stress?: StressDeps;
}

export interface StressDeps {
  /** One burst, from the probes' vantage point (the LoadCheck function in the probe subnets). */
  burst(instanceId: string, url: string, check: LoadCheck): Promise<LoadResult>;
  baselines: LoadBaselineStore;
  /** At most this many services per sweep (each burst takes up to 15 s of the sweep's time). */
  maxPerSweep: number;
}

/** A burst is not started with less than this left: its 15 s, the invoke, and the digest after it. */
export const STRESS_RESERVE_MS = 30_000;

export interface StressFinding {
  instanceId: string;
  result: LoadResult | null;
  /** Why this service regressed (null: within its limits and its baseline). */
  regression: string | null;
  baselineP99Ms: number | null;
}

/**
 * Stress-checks the opted-in services, those checked longest ago first, within the sweep's time and
 * per-sweep limit: a fleet larger than the limit is covered over successive sweeps.
 */
async function stressCheck(
  fleet: SweepInstance[],
  stress: StressDeps,
  clock: Clock,
  deadline: Deadline,
): Promise<{ findings: StressFinding[]; optedIn: number }> {
  const optedIn = fleet.flatMap((i) => {
    const target = i.state === 'running' ? stressTarget(i) : null;
    return target ? [{ i, target }] : [];
  });
  const known = await Promise.all(
    optedIn.map(async (o) => ({ ...o, baseline: await stress.baselines.get(o.i.instanceId) })),
  );
  known.sort((a, b) => (a.baseline?.at ?? '').localeCompare(b.baseline?.at ?? ''));
  const findings: StressFinding[] = [];
  for (const { i, target, baseline } of known.slice(0, Math.max(0, stress.maxPerSweep))) {
    if (deadline.leftMs() < STRESS_RESERVE_MS) break;
    let result: LoadResult | null = null;
    let regression: string | null;
    try {
      result = await stress.burst(i.instanceId, target.url, target.check);
      regression = loadRegression(target.check, result, baseline);
    } catch (error) {
      regression = `the stress check could not run: ${(error as Error).message}`;
    }
    findings.push({ instanceId: i.instanceId, result, regression, baselineP99Ms: baseline?.p99Ms ?? null });
    if (result) {
      const next = nextBaseline(baseline, result, regression === null);
      await stress.baselines.put(i.instanceId, {
        ...(next ?? { p99Ms: result.p99Ms, samples: 0 }),
        at: clock().toISOString(),
      });
    }
  }
  return { findings, optedIn: optedIn.length };
}

/** Kept back after Jira for the sweep's own log line and return. */
export const SWEEP_RESERVE_MS = 1_000;

export interface SweepResult {
  checked: number;
  drift: Drift[];
  notified: boolean;
  ticket: TicketRef | null;
  ticketError: string | null;
  /** The services the stress check sent a burst to this sweep. */
  stressed: StressFinding[];
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
  const stressed = deps.stress
    ? await stressCheck(fleet, deps.stress, deps.clock, deps.deadline ?? NO_DEADLINE)
    : null;
  for (const f of stressed?.findings ?? []) {
    if (f.regression) drift.push({ instanceId: f.instanceId, kind: 'load-regression', detail: f.regression });
  }
  const stressLines = stressed
    ? [
        `Stress check: ${stressed.findings.length} of ${stressed.optedIn} opted-in service(s) this sweep.`,
        ...stressed.findings.map((f) => {
          const i = fleet.find((x) => x.instanceId === f.instanceId);
          const target = i ? stressTarget(i) : null;
          const figures = f.result && target ? describeLoad(f.result, target.check) : 'no figures';
          const base = f.baselineP99Ms === null ? 'first baseline' : `baseline p99 ${f.baselineP99Ms} ms`;
          return `  ${f.instanceId}: ${figures}; ${base}${f.regression ? ' — REGRESSION' : ''}`;
        }),
      ]
    : [];
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
    ...stressLines,
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
  return {
    checked: fleet.length,
    drift,
    notified: true,
    ticket,
    ticketError,
    stressed: stressed?.findings ?? [],
  };
}

const FOLLOW_UP: Record<DriftKind, string> = {
  'disk-high': 'Free or grow the disks above 80 % before they page someone at night.',
  'agent-missing': 'Install/repair the CloudWatch agent so memory and disk are visible.',
  'alarms-missing': 'Run `medic alarms sync` to create the standard alarms.',
  'no-asg':
    'Put single instances behind an Auto Scaling group (or a standby) so failover has somewhere to go.',
  'single-az': 'Spread the Auto Scaling group across at least two Availability Zones.',
  'load-regression':
    'Look at what changed on the services that got slower under the same load (deploys, data growth, instance size) before real traffic finds it.',
};
