/**
 * The fleet guard, as one pure rule used by admission (before an incident opens) and by the
 * per-case bounds (before any action): when many instances alarm at once the cause is most likely
 * shared (an AZ, the network, a dependency, a deploy), so medic acts on none of them and one
 * leader pages once. No I/O and no clock here: the registry entries, the group sizes and `now`
 * are facts the caller read.
 */

export interface FleetLimits {
  /**
   * More than this many distinct instances of one account in incidents within the window trips the
   * guard (one account: the whole fleet, as before medic served an organization).
   */
  fleetMaxInstances: number;
  fleetWindowMs: number;
  /** More than this share of one Auto Scaling group (at least two instances) trips the guard. */
  fleetMaxGroupPercent: number;
  /**
   * More than this many across the organization trips it: a storm spread thin over many accounts,
   * none of them past its own limit, is still one shared cause. Unset: no organization-wide count.
   */
  fleetMaxOrgInstances?: number;
  /** More than this many in one account's AZ trips it. Unset: no per-AZ count. */
  fleetMaxAzInstances?: number;
}

/**
 * One registry entry: an instance that entered an incident, when, its group, account and AZ if
 * known. `instanceId` is the bounds key (shared/policy/org.ts), unique across the organization.
 */
export interface FleetEntry {
  instanceId: string;
  group?: string | null;
  /** Absent: the central account (entries written before medic served an organization). */
  account?: string | null;
  /** The instance's Availability Zone, when the registry has it. */
  availabilityZone?: string | null;
}

export interface FleetTrip {
  /** The instances the page lists. */
  instances: string[];
  why: string;
  /** The accounts those instances are in (the page and the summary ticket name them). */
  accounts?: string[];
}

/** An Auto Scaling group as the fleet guard knows it: its name, and where it lives. */
export interface GroupRef {
  group: string;
  account: string | null;
  region: string | null;
}

/**
 * The name the fleet guard judges a group by. Group names are unique only inside one account and
 * region ("web" in two accounts is two groups, of two sizes): a group of the central deployment's
 * own account and region keeps its bare name (as before medic served an organization), any other
 * is named with its account and region, so two of them are never counted as one.
 */
export function groupId(
  group: string | null | undefined,
  where: { account?: string | null | undefined; region?: string | null | undefined },
  home: { account?: string | undefined; region?: string | undefined },
): string | null {
  if (!group) return null;
  const account = where.account || home.account || null;
  const region = where.region || home.region || null;
  const atHome =
    !home.account || (account === home.account && (!home.region || !region || region === home.region));
  return atHome ? group : `${group} (account ${account}, ${region ?? 'unknown region'})`;
}

/** Start of the registry window the verdict looks at. */
export function fleetWindowStart(now: Date, limits: Pick<FleetLimits, 'fleetWindowMs'>): Date {
  return new Date(now.getTime() - limits.fleetWindowMs);
}

const distinct = (ids: string[]) => [...new Set(ids)].sort();

/** The account an entry counts in; an entry without one is the central account's. */
const CENTRAL = 'central';
const accountOf = (e: FleetEntry) => e.account || CENTRAL;

function membersOf(entries: FleetEntry[], group: string): string[] {
  return distinct(entries.filter((e) => e.group === group).map((e) => e.instanceId));
}

/**
 * The groups whose size the verdict needs: only those with at least two instances in incidents,
 * so a lone alarm never costs an Auto Scaling read.
 */
export function groupsToSize(entries: FleetEntry[], groups: (string | null | undefined)[]): string[] {
  return [...new Set(groups.filter((g): g is string => Boolean(g)))].filter(
    (g) => membersOf(entries, g).length >= 2,
  );
}

/**
 * A zone as the fleet guard counts it: in its account (zone names are mapped per account, so
 * us-east-1a of two accounts are two zones). No account: the central one's.
 */
export function zoneKey(account: string | null | undefined, zone: string): string {
  return account ? `${account} ${zone}` : zone;
}

const inZone = (e: FleetEntry, account: string, zone: string) =>
  e.availabilityZone === zone && accountOf(e) === account;

/**
 * The zones whose open AWS Health issues the verdict needs: only those of the alarming targets (in
 * `account`) with at least two instances of that account in incidents, so a lone alarm never costs
 * a read.
 */
export function zonesToCheck(
  entries: FleetEntry[],
  zones: (string | null | undefined)[],
  account: string | null = null,
): string[] {
  const own = account || CENTRAL;
  return [...new Set(zones.filter((z): z is string => Boolean(z)))].filter(
    (z) => distinct(entries.filter((e) => inZone(e, own, z)).map((e) => e.instanceId)).length >= 2,
  );
}

/**
 * The verdict: more than M instances in incidents, or more than P % of one of the given groups
 * (at least two instances), or two or more in a zone where AWS Health reports an open issue — the
 * shared cause is declared, so acting on each instance would only fight it. A group whose size is
 * unknown is not judged by share.
 */
export function fleetVerdict(facts: {
  entries: FleetEntry[];
  groups: (string | null | undefined)[];
  groupSizes: Record<string, number>;
  limits: FleetLimits;
  /** Open AWS Health issues by zone key (zoneKey: account and zone name; what zonesToCheck asked for). */
  zoneIssues?: Record<string, { eventTypeCode: string; since: string }>;
}): FleetTrip | null {
  const trip = firstTrip(facts);
  if (!trip) return null;
  // One storm for the whole organization: once declared it holds every new alarm of every account
  // (one storm key, one page, one summary ticket), so the page names every account and instance in
  // incidents within the window, whichever rule tripped — an account whose alarms medic now holds
  // is never left out of the page that explains why.
  const accounts = distinct(facts.entries.map(accountOf));
  if (accounts.length < 2) return trip;
  return { ...trip, instances: distinct(facts.entries.map((e) => e.instanceId)), accounts };
}

function firstTrip(facts: Parameters<typeof fleetVerdict>[0]): FleetTrip | null {
  const { entries, limits } = facts;
  const accountsOf = (list: FleetEntry[]) => distinct(list.map(accountOf));
  const byAccount = new Map<string, FleetEntry[]>();
  for (const e of entries) byAccount.set(accountOf(e), [...(byAccount.get(accountOf(e)) ?? []), e]);
  const many = byAccount.size > 1;
  for (const [account, list] of [...byAccount].sort(([a], [b]) => a.localeCompare(b))) {
    const ids = distinct(list.map((e) => e.instanceId));
    if (ids.length > limits.fleetMaxInstances) {
      const where = many ? ` in account ${account}` : '';
      return {
        instances: ids,
        why: `${ids.length} instances${where} (limit ${limits.fleetMaxInstances})`,
        accounts: accountsOf(list),
      };
    }
  }
  const all = distinct(entries.map((e) => e.instanceId));
  if (limits.fleetMaxOrgInstances !== undefined && all.length > limits.fleetMaxOrgInstances) {
    const accounts = accountsOf(entries);
    return {
      instances: all,
      why: `${all.length} instances across ${accounts.length} account${accounts.length === 1 ? '' : 's'} (${accounts.join(', ')}; organization limit ${limits.fleetMaxOrgInstances})`,
      accounts,
    };
  }
  if (limits.fleetMaxAzInstances !== undefined) {
    const byAz = new Map<string, FleetEntry[]>();
    for (const e of entries) {
      if (!e.availabilityZone) continue;
      // AZ names are mapped per account (us-east-1a is not the same zone in two accounts): an AZ
      // is counted inside its account only.
      const key = `${accountOf(e)} ${e.availabilityZone}`;
      byAz.set(key, [...(byAz.get(key) ?? []), e]);
    }
    for (const [key, list] of [...byAz].sort(([a], [b]) => a.localeCompare(b))) {
      const ids = distinct(list.map((e) => e.instanceId));
      if (ids.length > limits.fleetMaxAzInstances) {
        const [account, az] = key.split(' ');
        return {
          instances: ids,
          why: `${ids.length} instances in ${az}${many ? ` of account ${account}` : ''} (AZ limit ${limits.fleetMaxAzInstances})`,
          accounts: accountsOf(list),
        };
      }
    }
  }
  for (const [key, issue] of Object.entries(facts.zoneIssues ?? {})) {
    const [account, zone] = key.includes(' ') ? (key.split(' ') as [string, string]) : [CENTRAL, key];
    const members = distinct(entries.filter((e) => inZone(e, account, zone)).map((e) => e.instanceId));
    if (members.length >= 2) {
      return {
        instances: members,
        why: `${members.length} instances in ${zone}, where AWS Health reports ${issue.eventTypeCode} open since ${issue.since} (a shared cause AWS declared)`,
      };
    }
  }
  for (const group of groupsToSize(entries, facts.groups)) {
    const size = facts.groupSizes[group];
    if (size === undefined) continue;
    const members = membersOf(entries, group);
    const percent = size > 0 ? (members.length * 100) / size : 0;
    if (percent > limits.fleetMaxGroupPercent) {
      return {
        instances: members,
        why: `${members.length} of ${size} instances of group ${group} (${Math.round(percent)} %, limit ${limits.fleetMaxGroupPercent} %)`,
        accounts: accountsOf(entries.filter((e) => members.includes(e.instanceId))),
      };
    }
  }
  return null;
}

/** Storms are bucketed by window so concurrent runs agree on one key (one leader, one page). */
export function stormKey(now: Date, windowMs: number): string {
  return new Date(Math.floor(now.getTime() / windowMs) * windowMs).toISOString();
}

export const stormLabel = (key: string) => `medic-storm-${key.replace(/[^0-9]/g, '').slice(0, 12)}`;

/**
 * The storm keys that may hold a storm in progress now: the previous window's bucket and this
 * one's (buckets are a window wide, so the two always differ).
 */
export function stormKeysAround(now: Date, windowMs: number): [previous: string, current: string] {
  return [stormKey(new Date(now.getTime() - windowMs), windowMs), stormKey(now, windowMs)];
}

/**
 * The storm in progress, if any, from when each candidate key was claimed: one claimed in this
 * window's bucket, or in the previous bucket less than a window ago (the same storm, carried over
 * the bucket edge). `until` is when it stops holding alarms, so a process may remember it.
 */
export function stormInProgress(
  claimed: Map<string, Date>,
  now: Date,
  windowMs: number,
): { key: string; until: number } | null {
  const [previous, current] = stormKeysAround(now, windowMs);
  const previousAt = claimed.get(previous);
  if (previousAt && now.getTime() - previousAt.getTime() < windowMs)
    return { key: previous, until: previousAt.getTime() + windowMs };
  const currentAt = claimed.get(current);
  // A storm of this bucket is active until the bucket ends, or a window after its claim if later.
  return currentAt
    ? { key: current, until: Math.max(currentAt.getTime(), Date.parse(current)) + windowMs }
    : null;
}
