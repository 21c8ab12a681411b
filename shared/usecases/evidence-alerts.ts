/**
 * Alerts & logs branch: the alarm's reason and recent datapoints (as Intake received them), and
 * the recent error lines of the instance's CloudWatch Logs group (medic:log-group) in the alarm
 * window. The pattern narrows the search server-side; the lines are re-checked here because a
 * pattern is only a hint to some backends.
 *
 * And what changed in the hour before the alarm: CloudTrail events on the instance, its security
 * groups, ENIs and volumes, its Auto Scaling group's activities, and the SSM commands run on it.
 * Each source is looked up on its own; one that fails or runs out of time is an "unchecked" line,
 * never a failure of the branch.
 */
import {
  actorOf,
  changeFromActivity,
  changeFromCommand,
  changeFromDeployment,
  changeFromTrail,
  deploymentIdOf,
} from '../domain/changes.ts';
import { MAX_LINE } from '../domain/host-output.ts';
import type { AlertsEvidence, Change, ChangesEvidence, Check, InstanceCase } from '../domain/model.ts';
import type { Clock } from '../domain/timeline.ts';
import type {
  CloudTrailPort,
  CodeDeployPort,
  CommandHistoryPort,
  LogsPort,
  ScalingActivitiesPort,
  TrailEventsPort,
} from '../ports.ts';
import { type Branch, failed, timeBox } from './evidence.ts';
import { evidenceWindow } from './evidence-resources.ts';

export const ERROR_PATTERN =
  '?ERROR ?Error ?error ?FATAL ?Fatal ?fatal ?CRITICAL ?panic ?Exception ?Traceback';
const ERROR_LINE =
  /\b(error|fatal|critical|crit|panic|exception|traceback|oom|out of memory|no space left)\b/i;
export const MAX_ERROR_LINES = 10;
const SCAN_LIMIT = 500;

export interface AlertsDeps {
  logs: LogsPort;
  clock: Clock;
  timeoutMs: number;
  windowMinutes: number;
  /** The recent-changes sources; absent: changes are not looked up. */
  changes?: ChangesDeps;
}

export interface ChangesDeps {
  trail: CloudTrailPort;
  scaling: ScalingActivitiesPort;
  commands: CommandHistoryPort;
  /** How far before the alarm changes are looked up. */
  lookbackMinutes: number;
  /** CodeDeploy deployments to the instance; absent: not looked up. */
  deployments?: { trail: TrailEventsPort; codedeploy: CodeDeployPort };
}

/**
 * Deployments looked at, newest first. Each costs one BatchGetDeploymentTargets call; an account
 * deploying many times an hour is still answered within the evidence deadline.
 */
export const MAX_DEPLOYMENTS = 5;

/** What the state keeps of the changes (newest first). */
export const MAX_CHANGE_ROWS = 10;
/** Resources looked up in CloudTrail: the instance, then its groups, ENIs and volumes. */
export const MAX_TRAIL_LOOKUPS = 8;
const EVENTS_PER_LOOKUP = 50;
/** Change rows that also become evidence checks (and so timeline lines). */
const CHANGE_CHECKS = 5;

const reason = (error: unknown) =>
  `${(error as Error).name ?? 'Error'}: ${(error as Error).message ?? String(error)}`;

/**
 * The changes before the alarm. Every source is bounded by one deadline (`timeoutMs` from the
 * start): a lookup not started by then is unchecked ("no time left"), a slow one is cut at it.
 */
export async function gatherChanges(
  c: InstanceCase,
  deps: ChangesDeps & { clock: Clock; timeoutMs: number },
): Promise<ChangesEvidence> {
  const now = deps.clock();
  const alarmAt = c.alarm ? Date.parse(c.alarm.enteredAlarmAt) : Number.NaN;
  const anchor = new Date(Number.isFinite(alarmAt) ? Math.min(alarmAt, now.getTime()) : now.getTime());
  const start = new Date(anchor.getTime() - deps.lookbackMinutes * 60_000);
  const end = now;
  const deadline = Date.now() + deps.timeoutMs;
  const rows: Change[] = [];
  const unchecked: string[] = [];
  const seen = new Set<string>();
  const within = async <T>(what: string, work: () => Promise<T>): Promise<T | null> => {
    const left = deadline - Date.now();
    if (left <= 0) {
      unchecked.push(`could not check ${what}: no time left within ${deps.timeoutMs} ms`);
      return null;
    }
    try {
      return await timeBox(what, left, work);
    } catch (error) {
      unchecked.push(`could not check ${what}: ${reason(error)}`);
      return null;
    }
  };
  const target = c.target;
  const attached = target.attached;
  const resources = [
    target.instanceId,
    ...(attached?.securityGroups ?? []),
    ...(attached?.networkInterfaces ?? []),
    ...(attached?.volumes ?? []),
  ];
  const trail = async () => {
    // One at a time: CloudTrail allows two lookups per second per account and Region.
    for (const name of resources.slice(0, MAX_TRAIL_LOOKUPS)) {
      const events = await within(`CloudTrail for ${name}`, () =>
        deps.trail.lookupByResource(name, { start, end, limit: EVENTS_PER_LOOKUP }),
      );
      for (const e of events ?? []) {
        if (seen.has(e.eventId)) continue;
        seen.add(e.eventId);
        const row = changeFromTrail(e, name);
        if (row) rows.push(row);
      }
    }
    if (resources.length > MAX_TRAIL_LOOKUPS)
      unchecked.push(
        `CloudTrail not looked up for ${resources.slice(MAX_TRAIL_LOOKUPS).join(', ')} (at most ${MAX_TRAIL_LOOKUPS} resources)`,
      );
  };
  const group = async () => {
    const name = target.group ?? target.failover?.autoScalingGroup ?? null;
    if (!name) return;
    const found = await within(`Auto Scaling activities of ${name}`, () =>
      deps.scaling.activities(name, { start, limit: MAX_CHANGE_ROWS }),
    );
    for (const a of found ?? []) rows.push(changeFromActivity(a, name));
  };
  const commands = async () => {
    const found = await within(`SSM commands on ${target.instanceId}`, () =>
      deps.commands.commands(target.instanceId, { start, limit: MAX_CHANGE_ROWS }),
    );
    for (const cmd of found ?? []) {
      const row = changeFromCommand(cmd, target.instanceId);
      if (row) rows.push(row);
    }
  };
  let deploymentsLine: string | undefined;
  const deployments = async () => {
    const d = deps.deployments;
    if (!d) return;
    // CloudTrail first: an account that does not use CodeDeploy has no CreateDeployment event and
    // costs no CodeDeploy call (nor needs CodeDeploy permissions); the event also names who deployed.
    const events = await within('CloudTrail CreateDeployment events', () =>
      d.trail.lookupByEventName('CreateDeployment', { start, end, limit: EVENTS_PER_LOOKUP }),
    );
    if (events === null) {
      deploymentsLine = 'not checked: CloudTrail CreateDeployment events could not be read';
      return;
    }
    const created = new Map<string, { actor: string; at: string }>();
    for (const e of [...events].sort((a, b) => Date.parse(b.at) - Date.parse(a.at))) {
      const id = deploymentIdOf(e);
      if (id && !created.has(id)) created.set(id, { actor: actorOf(e), at: e.at });
    }
    if (created.size === 0) {
      deploymentsLine = `none since ${start.toISOString()}`;
      return;
    }
    const ids = [...created.keys()].slice(0, MAX_DEPLOYMENTS);
    const infos = await within('CodeDeploy BatchGetDeployments', () => d.codedeploy.deployments(ids));
    if (infos === null) {
      deploymentsLine = `not checked: ${created.size} deployments created, CodeDeploy could not be read`;
      return;
    }
    let reached = 0;
    let unread = 0;
    for (const info of infos) {
      // Wrapped: null from `within` is "could not read", null from the port is "not a target".
      const answer = await within(`CodeDeploy targets of ${info.deploymentId}`, async () => ({
        target: await d.codedeploy.instanceTarget(info.deploymentId, target.instanceId),
      }));
      if (answer === null) unread++;
      const onInstance = answer?.target ?? null;
      // Deployments to other instances are not changes to this one.
      if (!onInstance) continue;
      const from = created.get(info.deploymentId);
      rows.push(
        changeFromDeployment(
          info,
          onInstance,
          from?.actor ?? 'unknown',
          target.instanceId,
          from?.at ?? start.toISOString(),
        ),
      );
      reached++;
    }
    const looked = created.size > MAX_DEPLOYMENTS ? ` (newest ${MAX_DEPLOYMENTS} looked at)` : '';
    deploymentsLine =
      unread > 0
        ? `not checked: the targets of ${unread} of ${created.size} deployments could not be read (${reached} targeted ${target.instanceId})`
        : `${reached} of ${created.size} deployments since ${start.toISOString()} targeted ${target.instanceId}${looked}`;
  };
  await Promise.all([trail(), group(), commands(), deployments()]);
  const newestFirst = rows.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  return {
    window: { start: start.toISOString(), end: end.toISOString() },
    anchor: anchor.toISOString(),
    rows: newestFirst.slice(0, MAX_CHANGE_ROWS),
    unchecked,
    truncated: newestFirst.length > MAX_CHANGE_ROWS,
    ...(deploymentsLine ? { deployments: deploymentsLine } : {}),
  };
}

const SOURCE: Record<Change['source'], string> = {
  cloudtrail: 'CloudTrail LookupEvents',
  autoscaling: 'Auto Scaling DescribeScalingActivities',
  ssm: 'SSM ListCommands',
  codedeploy: 'CloudTrail CreateDeployment + CodeDeploy BatchGetDeploymentTargets',
};

/** The changes as checks: a summary line, the newest rows, and each source that could not be read. */
export function changesChecks(changes: ChangesEvidence): Check[] {
  const checks: Check[] = [
    {
      name: 'recent changes',
      status: changes.rows.length > 0 ? 'unknown' : changes.unchecked.length > 0 ? 'unknown' : 'pass',
      value:
        changes.rows.length > 0
          ? `${changes.rows.length}${changes.truncated ? '+' : ''} changes since ${changes.window.start}`
          : `no changes found since ${changes.window.start}${changes.unchecked.length ? ' in the sources that answered' : ''}`,
      source: 'CloudTrail, Auto Scaling, SSM',
    },
  ];
  for (const row of changes.rows.slice(0, CHANGE_CHECKS)) {
    checks.push({
      name: `change: ${row.eventName}`,
      status: 'unknown',
      value: `${row.at} ${row.resource}: ${row.detail} — by ${row.actor}`,
      source: SOURCE[row.source],
    });
  }
  if (changes.deployments)
    checks.push({
      name: 'CodeDeploy deployments',
      status: changes.deployments.startsWith('not checked') ? 'unknown' : 'pass',
      value: changes.deployments,
      source: 'CloudTrail CreateDeployment + CodeDeploy',
    });
  for (const line of changes.unchecked) {
    checks.push({
      name: 'recent changes (unchecked)',
      status: 'unknown',
      value: line,
      source: 'CloudTrail, Auto Scaling, SSM',
    });
  }
  return checks;
}

export function alertsChecks(a: AlertsEvidence, logError: string | null): Check[] {
  const checks: Check[] = [];
  if (a.alarm && !a.alarm.name) {
    checks.push({
      name: 'manual request',
      status: 'unknown',
      value: a.alarm.reason.slice(0, MAX_LINE) || 'no reason given',
      source: 'manual run input',
    });
  } else if (a.alarm) {
    checks.push({
      name: `alarm ${a.alarm.name}`,
      status: 'fail',
      value: a.alarm.reason.slice(0, MAX_LINE),
      source: 'CloudWatch alarm state change',
    });
    if (a.alarm.datapoints.length) {
      checks.push({
        name: 'alarm datapoints',
        status: 'fail',
        value: `${a.alarm.datapoints.map((d) => d.value).join(', ')}${a.alarm.threshold !== null ? ` (threshold ${a.alarm.threshold})` : ''}`,
        source: 'CloudWatch alarm state change',
      });
    }
  }
  if (logError) {
    checks.push({
      name: `errors in ${a.logGroup}`,
      status: 'unknown',
      value: `could not check log group ${a.logGroup}: ${logError}`,
      source: 'CloudWatch Logs FilterLogEvents',
    });
  } else if (a.logGroup) {
    const last = a.errorLines.at(-1);
    checks.push({
      name: `errors in ${a.logGroup}`,
      status: a.errorLines.length ? 'fail' : 'pass',
      value: a.errorLines.length
        ? `${a.errorLines.length} error lines in the window; last: ${last?.message.slice(0, 200)}`
        : `no error lines in ${a.scanned} events`,
      source: 'CloudWatch Logs FilterLogEvents',
    });
  } else {
    checks.push({
      name: 'application logs',
      status: 'unknown',
      value: 'not checked: no medic:log-group tag on the instance',
      source: 'instance tags',
    });
  }
  return checks;
}

export async function gatherAlerts(c: InstanceCase, deps: AlertsDeps): Promise<Branch<AlertsEvidence>> {
  try {
    const { start, end } = evidenceWindow(c, deps.clock(), deps.windowMinutes);
    const logGroup = c.target.logGroup ?? null;
    const value: AlertsEvidence = {
      alarm: c.alarm
        ? {
            name: c.alarm.name ?? '',
            reason: c.alarm.reason,
            datapoints: c.alarm.datapoints,
            threshold: c.alarm.threshold,
          }
        : null,
      logGroup,
      window: { start: start.toISOString(), end: end.toISOString() },
      errorLines: [],
      scanned: 0,
    };
    let logError: string | null = null;
    const changes = deps.changes
      ? gatherChanges(c, { ...deps.changes, clock: deps.clock, timeoutMs: deps.timeoutMs }).catch(
          (error): ChangesEvidence => ({
            window: value.window,
            anchor: value.window.end,
            rows: [],
            unchecked: [`could not check recent changes: ${reason(error)}`],
            truncated: false,
          }),
        )
      : null;
    if (logGroup) {
      try {
        const events = await timeBox(`log group ${logGroup}`, deps.timeoutMs, () =>
          deps.logs.filter(logGroup, { start, end, pattern: ERROR_PATTERN, limit: SCAN_LIMIT }),
        );
        value.scanned = events.length;
        value.errorLines = events
          .filter((e) => ERROR_LINE.test(e.message))
          .slice(-MAX_ERROR_LINES)
          .map((e) => ({
            at: e.at,
            stream: e.stream.slice(0, 80),
            message: e.message.length > MAX_LINE ? `${e.message.slice(0, MAX_LINE)}…` : e.message.trimEnd(),
          }));
      } catch (error) {
        logError = `${(error as Error).name}: ${(error as Error).message}`;
      }
    }
    if (changes) value.changes = await changes;
    const checks = alertsChecks(value, logError);
    return {
      ok: true,
      value,
      error: null,
      checks: value.changes ? [...checks, ...changesChecks(value.changes)] : checks,
    };
  } catch (error) {
    return failed('alerts and logs', error, 'CloudWatch alarm + Logs');
  }
}
