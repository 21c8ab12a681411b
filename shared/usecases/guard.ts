/**
 * The safety bounds, checked before every mutating call and recorded on the timeline
 * when they hold an action back. Pure decisions over the safety store; no SDK here.
 *
 * Order matters: the cheapest and most absolute bounds first (opt-in, freeze/maintenance, fleet),
 * then the ones that steer (AWS scheduled events), then the per-instance history (cooldown, flap,
 * budget), and last the at-most-once claim that makes a retried or crashed Mitigate never repeat
 * an action that may already have reached AWS.
 */
import { createHash } from 'node:crypto';
import { modeOf } from '../domain/autonomy.ts';
import { bullets, para, t } from '../domain/document.ts';
import { scopeKey, scopesOfInstance } from '../domain/health.ts';
import type { ActionKind, InstanceCase } from '../domain/model.ts';
import { append, type Clock, entry } from '../domain/timeline.ts';
import {
  type BoundSettings,
  historyWindows,
  type Bound as PolicyBound,
  safetyBound,
} from '../policy/bounds.ts';
import {
  type FleetTrip,
  fleetVerdict,
  fleetWindowStart,
  groupId,
  groupsToSize,
  stormInProgress,
  stormKey,
  stormKeysAround,
  stormLabel,
  zoneKey,
  zonesToCheck,
} from '../policy/fleet.ts';
import { afterHeld } from '../policy/moves.ts';
import { accountText, boundsKey, type Home, identityLabels, parseBoundsKey } from '../policy/org.ts';
import type {
  FleetView,
  GuardStorePort,
  HealthIssues,
  NotifierPort,
  SafetyStorePort,
  StormStorePort,
  TicketDraft,
  TicketPort,
} from '../ports.ts';

export {
  activeWindow,
  type MaintenanceWindow,
  parseMaintenanceWindows,
  tagHoldsActions,
} from '../policy/bounds.ts';

export interface GuardSettings extends BoundSettings {
  /** Instances of one account in incidents within the window that trip the guard. */
  fleetMaxInstances: number;
  fleetWindowMs: number;
  /** Share of one Auto Scaling group in incidents (with at least 2 instances) that trips the guard. */
  fleetMaxGroupPercent: number;
  /** Instances across the organization that trip it (unset: not counted). */
  fleetMaxOrgInstances?: number;
  /** Instances in one account's AZ that trip it (unset: not counted). */
  fleetMaxAzInstances?: number;
  /** The central deployment's own account and region: the bounds keys are relative to it. */
  home?: Home;
  /** MEDIC_ACCOUNT_NAMES: what people call the accounts. */
  accountNames?: Record<string, string>;
}

/** The key of a case's per-instance bounds (lock, cooldown, flap, budget, fleet registry). */
export function caseKey(
  c: Pick<InstanceCase, 'account' | 'region'> & { target: { instanceId: string } },
  settings: Pick<GuardSettings, 'home'>,
): string {
  return boundsKey(c.target.instanceId, c, settings.home ?? {});
}

export type Bound = PolicyBound | 'already-taken';

/** What happens to the case when a bound holds: stop quietly, page a person, or try the next rung. */
export type Verdict =
  | { allow: true }
  | { allow: false; bound: Bound; reason: string; effect: 'hold' | 'page' | 'skip' | 'assume-done' };

export interface GuardDeps {
  store: GuardStorePort;
  clock: Clock;
  settings: GuardSettings;
  notifier: NotifierPort;
  /** Files the storm summary ticket at once when given; otherwise it goes through the outbox. */
  tickets?: () => Promise<TicketPort>;
  /**
   * InService size of an Auto Scaling group, for the group share of the fleet guard, read in the
   * group's own account and region (`where`: absent for the central deployment's own).
   */
  groupSize?: (group: string, where?: { account: string | null; region: string | null }) => Promise<number>;
}

/** Reads the facts the fleet guard needs and asks the policy (shared/policy/fleet.ts). */
export async function fleetTripped(
  groups: (string | null | undefined)[],
  deps: Pick<GuardDeps, 'clock' | 'settings' | 'groupSize'> & { store: FleetView & Partial<HealthIssues> },
  zones: (string | null | undefined)[] = [],
  /**
   * Where the alarming targets (and so their groups and zone names) live; absent: the central
   * account and region. Zone names are an account's own (us-east-1a is not the same zone in two
   * accounts).
   */
  where: { account?: string | null | undefined; region?: string | null | undefined } = {},
): Promise<FleetTrip | null> {
  const now = deps.clock();
  const home = deps.settings.home ?? {};
  // Each group by its name and where it lives: "web" of two accounts is two groups of two sizes.
  const refs = new Map<string, { group: string; account: string | null; region: string | null }>();
  const named = (group: string | null | undefined, w: typeof where) => {
    const id = groupId(group, w, home);
    if (id && group)
      refs.set(id, {
        group,
        account: w.account || home.account || null,
        region: w.region || home.region || null,
      });
    return id;
  };
  // An entry without an account (written before medic served an organization) is the central one's.
  const entries = (await deps.store.fleetSince(fleetWindowStart(now, deps.settings), now)).map((e) => {
    const at = parseBoundsKey(e.instanceId, home);
    const account = e.account || at.account;
    return { ...e, account, group: named(e.group, { account, region: e.region || at.region }) };
  });
  const targetGroups = groups.map((g) => named(g, where));
  const wanted = deps.groupSize ? groupsToSize(entries, targetGroups) : [];
  const sizes = await Promise.all(
    wanted.map(async (g) => {
      const ref = refs.get(g);
      const atHome = ref?.group === g;
      const size = ref
        ? await deps.groupSize?.(ref.group, atHome ? undefined : { account: ref.account, region: ref.region })
        : undefined;
      return [g, size] as const;
    }),
  );
  const groupSizes = Object.fromEntries(sizes.filter((e): e is [string, number] => e[1] !== undefined));
  // Only zones with two or more instances in incidents cost a read of their AWS Health issues.
  const account = where.account || home.account || null;
  const checkZones = zonesToCheck(entries, zones, account);
  const keys = new Map(checkZones.map((z) => [scopeKey({ kind: 'az', availabilityZone: z, account }), z]));
  const issues =
    keys.size && deps.store.openHealthIssues ? await deps.store.openHealthIssues([...keys.keys()], now) : [];
  const zoneIssues = Object.fromEntries(
    issues.flatMap((i) => {
      const zone = keys.get(i.scope);
      return zone ? [[zoneKey(account, zone), i]] : [];
    }),
  );
  return fleetVerdict({ entries, groups: targetGroups, groupSizes, limits: deps.settings, zoneIssues });
}

export { stormKey, stormLabel };

/**
 * A declared storm never ends early (its item is written once and never changed), so a process
 * that has seen one may hold alarms without reading again until the storm's window is over. The
 * handler keeps it in module scope: a warm Lambda in a storm reads the table once, not per alarm.
 */
export interface StormMemo {
  seen?: { key: string; until: number };
}

/**
 * The storm in progress, if any, in at most one read: one claimed in this window's bucket, or in
 * the previous bucket less than a window ago (the same storm, carried over the bucket edge).
 */
export async function activeStorm(deps: {
  store: Pick<SafetyStorePort, 'stormsAt'>;
  clock: Clock;
  settings: Pick<GuardSettings, 'fleetWindowMs'>;
  memo?: StormMemo;
}): Promise<string | null> {
  const now = deps.clock();
  const seen = deps.memo?.seen;
  if (seen && now.getTime() < seen.until) return seen.key;
  const windowMs = deps.settings.fleetWindowMs;
  const claimed = await deps.store.stormsAt(stormKeysAround(now, windowMs));
  const storm = stormInProgress(claimed, now, windowMs);
  if (storm && deps.memo) deps.memo.seen = storm;
  return storm?.key ?? null;
}

/**
 * The fleet guard tripped: exactly one caller (the storm's leader, by conditional write) pages once
 * with the list and files one summary ticket; everyone else only notes that they are held.
 */
export async function tripStorm(
  instances: string[],
  by: string,
  deps: Omit<GuardDeps, 'store'> & { store: StormStorePort },
  cause = `${instances.length} instances (limit ${deps.settings.fleetMaxInstances})`,
  accounts: string[] = [],
): Promise<{ key: string; leader: boolean }> {
  const now = deps.clock();
  const windowMs = deps.settings.fleetWindowMs;
  const active = await activeStorm(deps);
  if (active) return { key: stormLabel(active), leader: false };
  const key = stormKey(now, windowMs);
  const leader = await deps.store.claimStorm(key, by, now);
  if (!leader) return { key: stormLabel(key), leader };
  // The leader's episode in the label: a retried leader finds its own ticket, another storm never does.
  const label = `${stormLabel(key)}-${createHash('sha256').update(by).digest('hex').slice(0, 6)}`;
  const minutes = Math.round(deps.settings.fleetWindowMs / 60_000);
  const list = instances.join(', ');
  const names = deps.settings.accountNames ?? {};
  const accountIds = accounts.filter((a) => /^\d{12}$/.test(a));
  const accountList = accountIds.map((a) => accountText(a, names)).join(', ');
  const inAccounts =
    accountIds.length > 0 ? ` in ${accountIds.length === 1 ? 'account' : 'accounts'} ${accountList}` : '';
  const why = `${cause} entered incidents within ${minutes} min: a shared cause (AZ, network, dependency, deploy) is likely, so medic is not acting on any of them`;
  await deps.notifier.publish({
    subject: `[medic] PAGE: fleet guard tripped — ${instances.length} instances alarming${accountIds.length > 1 ? ` in ${accountIds.length} accounts` : ''}`,
    body: [
      why,
      '',
      ...(accountIds.length ? [`Accounts: ${accountList}`] : []),
      `Instances: ${list}`,
      `Summary ticket label: ${label}`,
    ].join('\n'),
    severity: 'critical',
    attributes: {
      event: 'storm',
      storm: label,
      ...(accountIds.length ? { account: accountIds.join(',') } : {}),
    },
  });
  const draft: TicketDraft = {
    summary: `[medic] storm: ${instances.length} instances alarming${inAccounts} within ${minutes} min — actions held`,
    labels: [
      'medic',
      'medic-storm',
      label,
      ...accountIds.flatMap((a) => identityLabels({ account: a, region: null })),
    ],
    priority: 'Highest',
    description: {
      sections: [
        {
          title: 'Fleet guard tripped',
          blocks: [
            para(t(why)),
            ...(accountIds.length ? [para(t(`Accounts: ${accountList}`))] : []),
            bullets(instances),
          ],
        },
      ],
    },
  };
  let filed = false;
  if (deps.tickets) {
    try {
      const tickets = await deps.tickets();
      if ((await tickets.search([label])).length === 0) await tickets.create(draft);
      filed = true;
    } catch {
      filed = false;
    }
  }
  if (!filed) {
    await deps.store.enqueueOutbox({
      episodeKey: label,
      draft,
      attempts: 0,
      nextAttemptAt: now.toISOString(),
      lastError: deps.tickets ? 'Jira unavailable when the storm tripped' : 'filed by the outbox drainer',
    });
  }
  return { key: label, leader };
}

/** One claim per episode, rung and action: a retried or re-run step finds it already taken. */
export function actionKey(c: InstanceCase, action: ActionKind): string {
  return `${c.incidentId}#${c.rung}#${action}`;
}

/**
 * Gathers the facts the bounds judge (the fleet verdict and the instance's history, read in
 * parallel), asks the policy, performs the storm trip when the fleet bound holds, and last takes
 * the at-most-once claim. Dry runs evaluate but never claim.
 */
export async function authorize(c: InstanceCase, action: ActionKind, deps: GuardDeps): Promise<Verdict> {
  const { settings, store } = deps;
  const now = deps.clock();
  const id = c.target.instanceId;
  // Per account + region + instance: i-x of one account never spends the budget of i-x of another.
  const key = caseKey(c, settings);
  const { flapSince, budgetSince } = historyWindows(now, settings);
  // This step's own claim, taken by an earlier delivery of it, is not another action.
  const [fleet, lastClosed, episodes, actionsUsed, awsIssues] = await Promise.all([
    fleetTripped([c.target.group], deps, [c.target.availabilityZone], c),
    store.lastClosed(key),
    store.episodesSince(key, flapSince),
    store.actionsSince(key, budgetSince, actionKey(c, action)),
    store.openHealthIssues(scopesOfInstance(c.target, c.account ?? settings.home?.account ?? null), now),
  ]);
  const held = safetyBound(action, {
    now,
    instanceId: id,
    managed: c.target.managed,
    maintenanceTag: c.target.maintenance,
    scheduledEvents: (c.evidence?.ec2.value?.scheduledEvents ?? []).map((e) => e.code),
    fleet,
    awsIssues,
    history: { lastClosed, episodes, actionsUsed },
    settings,
  });
  if (held?.bound === 'fleet' && fleet) {
    const storm = await tripStorm(fleet.instances, c.incidentId, deps, fleet.why, fleet.accounts);
    return { allow: false, ...held, reason: `${held.reason}; see storm ${storm.key}` };
  }
  if (held) return { allow: false, ...held };
  if (modeOf(c, action) === 'dry-run') return { allow: true };
  const claimed = await store.claimAction(key, actionKey(c, action), now);
  if (!claimed) {
    return {
      allow: false,
      bound: 'already-taken',
      reason: `${action} of ${id} was already issued by an earlier attempt of this step: not repeating it`,
      effect: 'assume-done',
    };
  }
  return { allow: true };
}

/** Applies a verdict that holds the action: the case records why and moves as the verdict says. */
export function holdCase(
  c: InstanceCase,
  action: ActionKind,
  verdict: Exclude<Verdict, { allow: true }>,
  clock: Clock,
): InstanceCase {
  const at = clock().toISOString();
  const assumeDone = verdict.effect === 'assume-done';
  const actionRecord = {
    kind: action,
    instanceId: c.target.instanceId,
    at,
    outcome: assumeDone ? ('succeeded' as const) : ('held' as const),
    detail: `${assumeDone ? '' : 'held by '}${verdict.bound}: ${verdict.reason}`,
  };
  const timeline = append(
    c.timeline,
    entry(() => new Date(at), {
      step: 'Mitigate',
      kind: assumeDone ? 'note' : 'decision',
      instanceId: c.target.instanceId,
      summary: `${assumeDone ? '' : `held ${action}: `}${verdict.reason}`,
      detail: { bound: verdict.bound },
    }),
  );
  const base = { ...c, actions: [...c.actions, actionRecord], timeline };
  if (verdict.effect === 'assume-done') {
    return {
      ...base,
      rung: c.rung + 1,
      pollsLeft: c.settings.verifyPolls,
      lastActionAt: at,
      next: 'verify',
    };
  }
  const after = afterHeld(verdict.effect, c.rung, (c.assessment?.plan ?? []).length);
  return { ...base, ...after };
}
