/**
 * What users are told on the Statuspage, as a pure function of the run. Opt-in per instance (the
 * medic:statuspage-component tag); only impact that Assess confirmed is published — not a
 * transient blip, not a dry run, not what a maintenance window holds quietly, not what medic could
 * not see (unknown, blind observer).
 *
 * Every word is chosen here from fixed text: nothing from an alarm, a host, a tag or an error
 * reaches the page (instance ids, addresses, names and alarm text are internal, and some of it is
 * written by whoever controls the host). The component's own name is what the page shows users.
 *
 * The plan is cumulative: each update has a stable key, so publishing a plan twice, or a later plan
 * after an earlier one, posts only what is new (the keys already posted live on the incident).
 */
import type {
  ActionKind,
  Classification,
  IncidentState,
  InstanceCase,
  InstanceOutcome,
  Mode,
} from '../domain/model.ts';
import { episodeOutcome } from '../domain/report.ts';

export type ComponentStatus = 'operational' | 'degraded_performance' | 'partial_outage' | 'major_outage';
export type StatusIncidentStatus = 'investigating' | 'identified' | 'monitoring' | 'resolved';
export type StatusImpact = 'minor' | 'major' | 'critical';

export interface StatusUpdate {
  /**
   * Stable per episode: `opened`, `step-<kind>`, `resolved`, `handed-over`. A step is keyed by its
   * kind alone, so the plan one case publishes as its step starts and the plan Close publishes for
   * every case name the same update the same way: Close never re-posts what a case already said.
   */
  key: string;
  status: StatusIncidentStatus;
  body: string;
  /** Every affected component's status with this update. */
  components: Record<string, ComponentStatus>;
}

export interface StatusPlan {
  episodeKey: string;
  name: string;
  impact: StatusImpact;
  componentIds: string[];
  /** In order; the last one is where the page should stand now. */
  updates: StatusUpdate[];
  /** True when the last update resolves the incident. */
  resolved: boolean;
}

/** One case, as the status page sees it. */
export interface StatusCaseFacts {
  componentId: string | null;
  classification: Classification | null;
  outcome: InstanceOutcome | null;
  mode: Mode;
  /** The instance is one of several serving (an Auto Scaling group): users may see part of it. */
  hasPeers: boolean;
  actions: { kind: ActionKind; outcome: string; detail: string }[];
}

const OUTAGE_CLASSES: ReadonlySet<Classification> = new Set(['hardware', 'network', 'os', 'application']);
const DEGRADED_CLASSES: ReadonlySet<Classification> = new Set([
  'resource:disk',
  'resource:memory',
  'resource:cpu',
]);

/** What users are told while each rung runs: the step, never the machinery. */
export const STEP_TEXT: Record<Exclude<ActionKind, 'page'>, string> = {
  'restart-service': 'We have identified the problem and are restarting the affected part of the service.',
  reboot: 'We have identified the problem and are restarting the affected server.',
  'stop-start': 'We have identified the problem and are moving the affected server to new hardware.',
  failover: 'We have identified the problem and are switching traffic to a standby server.',
};

export const OPENED_TEXT: Record<'outage' | 'degraded', string> = {
  outage: 'We are investigating a problem that is making this service unavailable for some or all users.',
  degraded: 'We are investigating a problem that is making this service slower than usual.',
};
export const RESOLVED_TEXT =
  'The problem has been fixed and the service is working normally again. We are sorry for the disruption.';
export const HANDED_OVER_TEXT =
  'Our automatic recovery did not fix the problem. An engineer is now working on it, and we will post an update as soon as we know more.';

/**
 * Rungs that ran for real (not held, not dry-run, not refused before it started); `started` is a
 * multi-phase rung under way (its record is written when it ends), as the step that began it sees it.
 */
const RAN = new Set(['succeeded', 'failed', 'recovered', 'not-recovered', 'started']);

/** The key of the update a rung posts: one per kind of step, whichever case and rung ran it. */
export function stepKey(kind: Exclude<ActionKind, 'page'>): string {
  return `step-${kind}`;
}

/** A hold by a maintenance window or the medic:maintenance tag: the impact is expected, keep quiet. */
export function heldForMaintenance(action: { outcome: string; detail: string }): boolean {
  return action.outcome === 'held' && action.detail.startsWith('held by maintenance');
}

/** Whether this case is user impact medic should publish (confirmed, not quiet). */
export function publishable(c: StatusCaseFacts): boolean {
  if (!c.componentId || !c.classification) return false;
  if (c.mode === 'dry-run' || c.outcome === 'dry-run' || c.outcome === 'self-recovered') return false;
  if (!OUTAGE_CLASSES.has(c.classification) && !DEGRADED_CLASSES.has(c.classification)) return false;
  return !c.actions.some(heldForMaintenance);
}

/**
 * Classification × scope → the component's status while the problem lasts: a slow host degrades
 * it; a host that is down takes all of it down unless it is one of a group that keeps serving.
 */
export function componentStatusFor(classification: Classification, hasPeers: boolean): ComponentStatus {
  if (DEGRADED_CLASSES.has(classification)) return 'degraded_performance';
  return hasPeers ? 'partial_outage' : 'major_outage';
}

const RANK: Record<ComponentStatus, number> = {
  operational: 0,
  degraded_performance: 1,
  partial_outage: 2,
  major_outage: 3,
};
const IMPACT: Record<ComponentStatus, StatusImpact> = {
  operational: 'minor',
  degraded_performance: 'minor',
  partial_outage: 'major',
  major_outage: 'critical',
};

export function statusPlan(
  episodeKey: string,
  all: StatusCaseFacts[],
  outcome: InstanceOutcome | 'failed',
): StatusPlan | null {
  const cases = all.filter(publishable);
  if (cases.length === 0) return null;
  const down: Record<string, ComponentStatus> = {};
  for (const c of cases) {
    const id = c.componentId as string;
    const status = componentStatusFor(c.classification as Classification, c.hasPeers);
    const before = down[id];
    down[id] = before && RANK[before] >= RANK[status] ? before : status;
  }
  const worst = Object.values(down).reduce((a, b) => (RANK[b] > RANK[a] ? b : a));
  const updates: StatusUpdate[] = [
    {
      key: 'opened',
      status: 'investigating',
      body: OPENED_TEXT[worst === 'degraded_performance' ? 'degraded' : 'outage'],
      components: down,
    },
  ];
  // Users care that the server is being restarted, not how many times or on how many hosts: one
  // update per kind of step, in the order the steps first ran.
  let n = 0;
  for (const c of cases) {
    for (const a of c.actions) {
      if (a.kind === 'page' || !RAN.has(a.outcome)) continue;
      const key = stepKey(a.kind);
      if (updates.some((u) => u.key === key)) continue;
      n++;
      updates.push({ key, status: 'identified', body: STEP_TEXT[a.kind], components: down });
    }
  }
  const resolved = outcome === 'resolved';
  if (resolved) {
    const operational = Object.fromEntries(Object.keys(down).map((id) => [id, 'operational' as const]));
    updates.push({ key: 'resolved', status: 'resolved', body: RESOLVED_TEXT, components: operational });
  } else {
    updates.push({
      key: 'handed-over',
      status: n > 0 ? 'identified' : 'investigating',
      body: HANDED_OVER_TEXT,
      components: down,
    });
  }
  return {
    episodeKey,
    name: worst === 'degraded_performance' ? 'Degraded performance' : 'Service disruption',
    impact: IMPACT[worst],
    componentIds: Object.keys(down),
    updates,
    resolved,
  };
}

/** The plan while the run is still under way (an action has started): no final update yet. */
export function planSoFar(plan: StatusPlan | null): StatusPlan | null {
  if (!plan) return null;
  return { ...plan, updates: plan.updates.slice(0, -1), resolved: false };
}

/**
 * Whether Decide publishes the case's plan itself: once, on the pass that assessed it, unless the
 * move it answers is an action. Then the action step publishes `opened` with its own update right
 * after acting, so telling users never delays the recovery; any other move (an approval to wait
 * for, a page, the end) has users told now rather than after it.
 */
export function decidePublishes(firstPass: boolean, moveKind: string): boolean {
  return firstPass && moveKind !== 'act';
}

/**
 * What one case has to say while its run is under way: `opened` once Assess confirmed the impact,
 * then one update per step that ran, the step that just began (`starting`, a multi-phase rung whose
 * record is not written yet) included. Never a final update: only Close knows the episode's end.
 * The keys are the ones finalStatusPlan uses, so Close posts only what is new.
 */
export function caseStatusPlan(
  episodeKey: string,
  c: StatusCaseFacts,
  starting: ActionKind | null = null,
): StatusPlan | null {
  const actions =
    starting && starting !== 'page'
      ? [...c.actions, { kind: starting, outcome: 'started', detail: '' }]
      : c.actions;
  // The outcome only picks the last update, which planSoFar drops.
  return planSoFar(statusPlan(episodeKey, [{ ...c, actions }], 'escalated'));
}

/** The facts of a finished (or running) incident. */
export function statusFacts(state: IncidentState): StatusCaseFacts[] {
  return (state.cases ?? []).map(caseFacts);
}

/** One case's facts, from the case as the per-instance loop carries it. */
export function caseFacts(c: InstanceCase): StatusCaseFacts {
  return {
    componentId: c.target.statusPageComponent ?? null,
    classification: c.assessment?.classification ?? null,
    outcome: c.outcome,
    mode: c.mode,
    hasPeers: Boolean(c.target.group),
    actions: c.actions.map(({ kind, outcome, detail }) => ({ kind, outcome, detail })),
  };
}

/**
 * The plan for a finished incident (Close). On the catch-all path too: an outage already published
 * must not stay open without a word, so a failed run hands over like an escalated one.
 */
export function finalStatusPlan(state: IncidentState): StatusPlan | null {
  return statusPlan(state.incidentId, statusFacts(state), episodeOutcome(state) as InstanceOutcome);
}
