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
import { boundsKey, type Home } from '../policy/org.ts';
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
  /**
   * One medic for an organization: the fleet of every configured account and region, each read
   * there (its own clients). Given, it replaces fleet/agentMetrics/alarmNames/asgZones.
   */
  scopes?: SweepScopes;
}

export interface SweepScope {
  account: string;
  region: string;
}

/** What one account and region holds: its opted-in fleet and the facts the drift rules read. */
export interface ScopeSnapshot {
  fleet: SweepInstance[];
  metrics: Map<string, AgentMetrics>;
  alarms: Set<string>;
  zones: Map<string, string[]>;
}

export interface SweepScopes {
  scopes: SweepScope[];
  /** The central account and region: its instances keep their bare ids, the stress check runs there. */
  home: Home;
  /** Reads one account and region with clients built there (a member: through its role). */
  read(scope: SweepScope): Promise<ScopeSnapshot>;
}

/** Kept for the digest and the ticket after the last account: no account is started with less. */
export const SCOPE_RESERVE_MS = 20_000;
/** One account and region may take at most this long; a slower one is left to the next sweep. */
export const SCOPE_MAX_MS = 30_000;
/** Accounts and regions read at once (each is a handful of paginated reads). */
export const SCOPE_CONCURRENCY = 4;

export interface ScopesGathered {
  fleet: SweepInstance[];
  drift: Drift[];
  /** The home account and region's fleet (bare ids): the stress check's. */
  homeFleet: SweepInstance[];
  swept: SweepScope[];
  /** Not swept: the member role could not be assumed, or a read failed. One digest line each. */
  unreachable: { scope: SweepScope; why: string }[];
  /** Not started (or not finished) in the sweep's time: the next sweep covers them. */
  skipped: SweepScope[];
}

class ScopeTimeoutError extends Error {
  override name = 'ScopeTimeoutError' as const;
}

function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ScopeTimeoutError(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * Reads every account and region within the sweep's time: each one's drift is judged with its own
 * alarms and groups (instance ids are unique only inside one account and region), then its ids are
 * qualified as the bounds key them (`<account>/<region>/<id>` outside the home account and region).
 * An account that cannot be reached is one line, never the end of the sweep.
 */
export async function gatherScopes(scopes: SweepScopes, deadline: Deadline): Promise<ScopesGathered> {
  const out: ScopesGathered = {
    fleet: [],
    drift: [],
    homeFleet: [],
    swept: [],
    unreachable: [],
    skipped: [],
  };
  const queue = [...scopes.scopes];
  const worker = async () => {
    for (let scope = queue.shift(); scope; scope = queue.shift()) {
      const left = deadline.leftMs() - SCOPE_RESERVE_MS;
      if (left <= 0) {
        out.skipped.push(scope);
        continue;
      }
      try {
        const snap = await within(scopes.read(scope), Math.min(left, SCOPE_MAX_MS));
        const key = (id: string) => boundsKey(id, scope, scopes.home);
        out.fleet.push(...snap.fleet.map((i) => ({ ...i, instanceId: key(i.instanceId) })));
        out.drift.push(
          ...findDrift(snap.fleet, snap.metrics, snap.alarms, snap.zones).map((d) => ({
            ...d,
            instanceId: key(d.instanceId),
          })),
        );
        if (key('i-0') === 'i-0') out.homeFleet.push(...snap.fleet);
        out.swept.push(scope);
      } catch (error) {
        const e = error as Error;
        if (e.name === 'ScopeTimeoutError') out.skipped.push(scope);
        else out.unreachable.push({ scope, why: `${e.name}: ${e.message}` });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(SCOPE_CONCURRENCY, queue.length) }, worker));
  const order = (a: SweepScope, b: SweepScope) =>
    `${a.account} ${a.region}`.localeCompare(`${b.account} ${b.region}`);
  out.swept.sort(order);
  out.skipped.sort(order);
  out.unreachable.sort((a, b) => order(a.scope, b.scope));
  return out;
}

/** The digest's lines about the accounts and regions: how many were swept, and each one that was not. */
export function scopeLines(g: ScopesGathered): string[] {
  const total = g.swept.length + g.unreachable.length + g.skipped.length;
  return [
    `Accounts × regions: ${g.swept.length} of ${total} swept.`,
    ...g.unreachable.map((u) => `- account ${u.scope.account} ${u.scope.region}: not swept — ${u.why}`),
    ...g.skipped.map(
      (s) =>
        `- account ${s.account} ${s.region}: skipped — not within this sweep's time; the next sweep covers it`,
    ),
  ];
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

/** The one account and region of a single-account deployment: its fleet and drift. */
async function gatherOne(deps: SweepDeps): Promise<{ fleet: SweepInstance[]; drift: Drift[] }> {
  const fleet = await deps.fleet();
  const ids = fleet.map((i) => i.instanceId);
  const groups = [...new Set(fleet.flatMap((i) => (i.autoScalingGroup ? [i.autoScalingGroup] : [])))];
  const [metrics, alarms, zones] = await Promise.all([
    deps.agentMetrics(ids),
    deps.alarmNames(),
    deps.asgZones(groups),
  ]);
  return { fleet, drift: findDrift(fleet, metrics, alarms, zones) };
}

export async function healthSweep(deps: SweepDeps): Promise<SweepResult> {
  const scoped = deps.scopes ? await gatherScopes(deps.scopes, deps.deadline ?? NO_DEADLINE) : null;
  const { fleet, drift } = scoped ?? (await gatherOne(deps));
  // The stress check's bursts run from the central probe subnets: the home account and region only.
  const stressed = deps.stress
    ? await stressCheck(
        scoped ? scoped.homeFleet : fleet,
        deps.stress,
        deps.clock,
        deps.deadline ?? NO_DEADLINE,
      )
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
  const notSwept = scoped ? scoped.unreachable.length + scoped.skipped.length : 0;
  const headline = `${
    drift.length === 0
      ? `medic health sweep ${day}: ${fleet.length} instance(s), no drift`
      : `medic health sweep ${day}: ${affected.size} of ${fleet.length} instance(s) drifting (${drift.length} finding(s))`
  }${notSwept > 0 ? `; ${notSwept} account/region(s) not swept` : ''}`;
  const lines = [
    headline,
    ...(scoped ? scopeLines(scoped) : []),
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
