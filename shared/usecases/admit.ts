/**
 * Admit: how an alarm becomes an incident, in one invocation. Intake's reads (normalise, look up
 * the targets), admission's conditional writes (episode claim, storm claim, per-instance locks)
 * and, for a new incident only, the "incident opened" notices — in the order the admission policy
 * (shared/policy/admission.ts) asks for its facts, so a redelivery or an alarm during a declared
 * storm ends after one or two reads, with no EC2 lookup and nobody notified.
 */
import { HEALTH_ISSUE_MEMORY_MS, scopeKey } from '../domain/health.ts';
import type { IncidentState, TimelineEntry } from '../domain/model.ts';
import { append, entry } from '../domain/timeline.ts';
import {
  type AdmissionFacts,
  type AdmissionVerdict,
  admission,
  type LockAttempt,
  type TriggerFact,
} from '../policy/admission.ts';
import type { ClosedIncident } from '../policy/learning.ts';
import { OK_AT } from '../policy/ok.ts';
import { boundsKey } from '../policy/org.ts';
import type { AdmissionStorePort, NotifierPort } from '../ports.ts';
import { acknowledge } from './acknowledge.ts';
import { activeStorm, fleetTripped, type GuardDeps, type StormMemo, stormLabel, tripStorm } from './guard.ts';
import {
  type IntakeDeps,
  type NotForMedic,
  openedState,
  type ReadTrigger,
  type ResolvedTargets,
  readTrigger,
  resolveTargets,
  targetsNotForMedic,
} from './intake.ts';

export interface AdmitDeps extends Omit<GuardDeps, 'store'> {
  store: AdmissionStorePort;
  leaseMs: number;
  /** What Intake needs to read the trigger and look up its targets. */
  intake: Omit<IntakeDeps, 'clock'>;
  /** The optional user-facing status topic, told when an incident opens. */
  statusNotifier?: NotifierPort;
  /** A storm this process has already seen (kept by the handler across invocations). */
  memo?: StormMemo;
  /**
   * The instance's last resolved incident per classification, and how long after it a new alarm
   * counts as a recurrence: carried on the case, so Decide judges it once the case is classified.
   */
  recurrence?: { lastFixes(instanceId: string): Promise<ClosedIncident[]>; windowMs: number };
}

/**
 * Bad input answered rather than thrown: a Catch cannot attach an error to an input that is not a
 * JSON object (Step Functions fails the run with States.ResultPathMatchFailure, unrecorded), so the
 * definition routes this shape to the failure path itself, the event kept next to its error.
 */
export interface Rejected {
  event: unknown;
  error: { Error: string; Cause: string };
}

export type AdmitResult = IncidentState | NotForMedic | Rejected;

const INPUT_ERRORS = new Set([
  'InvalidTriggerError',
  'UnsupportedEventError',
  'EventTooLargeError',
  'NotAnAlarmTransitionError',
  'InstanceNotFoundError',
]);

const rejected = (event: unknown, name: string, cause: string): Rejected => ({
  event,
  error: { Error: name, Cause: cause },
});

function triggerFact(read: ReadTrigger): TriggerFact {
  if (read.kind === 'not-for-medic')
    return {
      kind: 'not-for-medic',
      ignored: read.quiet.notForMedic.kind,
      reason: read.quiet.notForMedic.reason,
    };
  const { trigger } = read.kind === 'alarm' ? read : read.state;
  if (read.kind === 'health') return { kind: 'health', what: trigger.reason };
  const what = trigger.alarmName ? `alarm "${trigger.alarmName}"` : 'manual run';
  if (read.kind === 'ok-transition') return { kind: 'ok-transition', what, at: trigger.enteredAlarmAt };
  return {
    kind: 'alarm',
    episodeKey: trigger.episodeKey,
    what,
    reason: trigger.reason,
    byAlarm: trigger.source !== 'manual',
  };
}

/** Admission steps are few and each fact is gathered once: a bound, not a retry loop. */
const MAX_STEPS = 8;

export async function admit(event: unknown, executionId: string, deps: AdmitDeps): Promise<AdmitResult> {
  const { store, clock } = deps;
  const home = deps.settings.home ?? deps.intake.home ?? {};
  const intakeDeps = { ...deps.intake, clock, home };
  let read: ReadTrigger;
  try {
    read = readTrigger(event, intakeDeps);
  } catch (error) {
    const e = error as Error;
    if (!INPUT_ERRORS.has(e.name)) throw error;
    return rejected(event, e.name, e.message);
  }
  // Rule 1, scope: normalise decided it against shared/domain/scope.ts; nothing is claimed or looked up.
  if (read.kind === 'not-for-medic') return read.quiet;
  const trigger = read.kind === 'alarm' ? read.trigger : read.state.trigger;
  const at = new Date(trigger.enteredAlarmAt);
  // Keyed by the alarm's own time, so a retried Admit does not count an instance twice.
  const stamp = Number.isNaN(at.getTime()) ? clock() : at;
  const facts: AdmissionFacts = {
    trigger: triggerFact(read),
    fleetWindowMinutes: Math.round(deps.settings.fleetWindowMs / 60_000),
  };
  let resolved: ResolvedTargets | undefined;
  const targets = () => (resolved?.kind === 'found' ? resolved.targets : []);
  // Every per-instance record is keyed by account + region + instance (shared/policy/org.ts).
  const keyOf = (instanceId: string) => boundsKey(instanceId, trigger, home);

  for (let step = 0; step < MAX_STEPS; step++) {
    const next = admission(facts);
    if ('verdict' in next) return conclude(next.verdict);
    switch (next.need) {
      case 'ok-notes': {
        const note = entry(clock, {
          step: 'Admit',
          kind: 'alarm',
          summary: `${facts.trigger.kind === 'ok-transition' ? facts.trigger.what : 'alarm'} returned to OK (${trigger.enteredAlarmAt})`,
          // Read back by Decide before the incident's next rung (shared/adapters/safety/ok-notes.ts).
          detail: { [OK_AT]: trigger.enteredAlarmAt },
        });
        facts.okNotes = await Promise.all(
          trigger.instanceIds.map(async (instanceId) => ({
            instanceId,
            holder: await store.joinLock(keyOf(instanceId), { ...note, instanceId }),
          })),
        );
        break;
      }
      case 'health-notes':
        if (read.kind === 'health') facts.healthNotes = await rememberHealth(read, deps);
        break;
      case 'claim':
        facts.claim = await store.claimEpisode(trigger.episodeKey, executionId, clock());
        break;
      case 'storm-in-progress': {
        const key = await activeStorm({
          store,
          clock,
          settings: deps.settings,
          ...(deps.memo ? { memo: deps.memo } : {}),
        });
        facts.stormInProgress = key ? stormLabel(key) : null;
        break;
      }
      case 'targets':
        resolved = await resolveTargets(trigger, intakeDeps);
        facts.targets =
          resolved.kind === 'found'
            ? {
                kind: 'found',
                instances: resolved.targets.map((t) => ({ instanceId: t.instanceId, managed: t.managed })),
              }
            : resolved;
        break;
      case 'fleet':
        await Promise.all(
          targets().map((t) =>
            store.registerFleet(keyOf(t.instanceId), trigger.episodeKey, stamp, t.group, {
              account: trigger.account ?? null,
              region: trigger.region ?? null,
              availabilityZone: t.availabilityZone,
            }),
          ),
        );
        facts.fleet = await fleetTripped(
          targets().map((t) => t.group),
          { ...deps, store },
          targets().map((t) => t.availabilityZone),
          // Where its groups live and whose zone names these are (the alarm\'s account).
          trigger,
        );
        break;
      case 'storm':
        // The policy asks for the storm only after the fleet guard tripped.
        if (facts.fleet) {
          const storm = await tripStorm(
            facts.fleet.instances,
            trigger.episodeKey,
            { ...deps, store },
            facts.fleet.why,
            facts.fleet.accounts,
          );
          facts.storm = { label: storm.key, leader: storm.leader };
        }
        break;
      case 'locks':
        facts.locks = await takeLocks(targets(), trigger, executionId, stamp, { ...deps, keyOf });
        break;
    }
  }
  // Unreachable while the policy asks for each fact once; a bug, not an input problem.
  throw new Error(`admission did not conclude within ${MAX_STEPS} steps`);

  async function conclude(verdict: AdmissionVerdict): Promise<AdmitResult> {
    if (verdict.disposition === 'not-for-medic')
      return targetsNotForMedic(trigger, verdict.ignored, verdict.reason);
    if (verdict.disposition === 'reject') return rejected(event, 'InstanceNotFoundError', verdict.reason);
    const base: IncidentState =
      read.kind === 'ok-transition' || read.kind === 'health'
        ? read.state
        : resolved?.kind === 'found' && read.kind === 'alarm'
          ? openedState(trigger, read.requested, resolved, intakeDeps)
          : {
              incidentId: trigger.episodeKey,
              trigger,
              settings: deps.intake.settings,
              targets: [],
              timeline: [],
              cases: [],
            };
    // This execution had claimed the episode already: an earlier attempt of Admit ran and its
    // answer was not the one used. Said on the timeline, so a recovered failure is not a silent one.
    const retried: TimelineEntry[] =
      facts.claim === 'retry'
        ? [
            entry(clock, {
              step: 'Admit',
              kind: 'note',
              summary:
                'an earlier attempt of Admit in this execution claimed the episode but its answer was not used (lost to a timeout, States.Timeout or Sandbox.Timedout, an AWS error after the claim, or a second delivery of the same step): admitted again, idempotently',
            }),
          ]
        : [];
    const notes: TimelineEntry[] = verdict.notes.map((n) =>
      entry(clock, {
        step: 'Admit',
        kind: 'note',
        ...(n.instanceId ? { instanceId: n.instanceId } : {}),
        summary: n.summary,
      }),
    );
    const observe = verdict.observeOnly.length
      ? `; not opted in, observed only: ${verdict.observeOnly.join(', ')}`
      : '';
    const decided: IncidentState = {
      ...base,
      timeline: append(
        base.timeline,
        ...retried,
        ...notes,
        entry(clock, { step: 'Admit', kind: verdict.entry, summary: `${verdict.summary}${observe}` }),
      ),
      ...(verdict.disposition === 'open'
        ? { cases: (base.cases ?? []).filter((c) => verdict.locks.includes(c.target.instanceId)) }
        : {}),
      admission: {
        disposition: verdict.disposition,
        detail: verdict.detail,
        locks: verdict.locks,
        executionId,
      },
    };
    return verdict.disposition === 'open' ? announce(await withPriorFixes(decided, deps), deps) : decided;
  }
}

/**
 * Each new case carries its instance's recent fixes (resolved within the recurrence window). A read
 * that fails costs the recurrence check, never the incident: the timeline says so.
 */
async function withPriorFixes(state: IncidentState, deps: AdmitDeps): Promise<IncidentState> {
  const r = deps.recurrence;
  if (!r) return state;
  const since = deps.clock().getTime() - r.windowMs;
  const notes: TimelineEntry[] = [];
  const cases = await Promise.all(
    (state.cases ?? []).map(async (c) => {
      try {
        const recent = (await r.lastFixes(c.target.instanceId)).filter(
          (f) => f.endedAt !== null && Date.parse(f.endedAt) >= since,
        );
        return recent.length ? { ...c, priorFixes: recent.slice(0, 12) } : c;
      } catch (error) {
        notes.push(
          entry(deps.clock, {
            step: 'Admit',
            kind: 'note',
            instanceId: c.target.instanceId,
            summary: `could not read the last fixes of ${c.target.instanceId} (${(error as Error).name}): a recurrence would not be recognised`,
          }),
        );
        return c;
      }
    }),
  );
  return { ...state, cases, timeline: append(state.timeline, ...notes) };
}

/**
 * An AWS Health issue or recovery outcome: remembered under its scopes (an open issue until it
 * closes or goes quiet, see HEALTH_ISSUE_MEMORY_MS), forgotten when it closes or the recovery ends,
 * and noted on the open incident of each instance it names (Verify then sees the host as it is).
 */
async function rememberHealth(
  read: Extract<ReadTrigger, { kind: 'health' }>,
  deps: AdmitDeps,
): Promise<NonNullable<AdmissionFacts['healthNotes']>> {
  const { store, clock } = deps;
  const s = read.signal;
  const now = clock();
  let recorded: string;
  if (s.kind === 'issue') {
    const keys = s.scopes.map(scopeKey);
    if (s.open) {
      const until = new Date(now.getTime() + HEALTH_ISSUE_MEMORY_MS);
      for (const k of keys) await store.rememberHealthIssue(k, s.issue, until);
      recorded = `open for ${keys.join(', ')}: medic holds its own actions there until AWS closes it (or ${until.toISOString()} without news)`;
    } else {
      for (const k of keys) await store.forgetHealthIssues(k, s.issue.eventArn);
      recorded = `closed for ${keys.join(', ')}: medic acts there again`;
    }
  } else {
    for (const id of s.instanceIds)
      await store.forgetHealthIssues(scopeKey({ kind: 'instance', instanceId: id }), null);
    recorded =
      s.outcome === 'success'
        ? `AWS recovered ${s.instanceIds.join(', ')} (${s.summary.slice(0, 200)}); medic's hold is lifted`
        : `AWS could not recover ${s.instanceIds.join(', ')} (${s.summary.slice(0, 200)}); medic's hold is lifted and the next alarm is acted on`;
  }
  const instanceIds = read.state.trigger.instanceIds;
  const note = entry(clock, {
    step: 'Admit',
    kind: 'note',
    summary: `${read.state.trigger.reason}: ${recorded}`,
  });
  const notes = await Promise.all(
    instanceIds.map(async (instanceId) => ({
      instanceId,
      holder: await store.joinLock(instanceId, { ...note, instanceId }),
    })),
  );
  return { recorded, notes };
}

/**
 * One lock per target, taken in order. Two tries each: the holder may release between our failed
 * acquire and our join. Failing half-way gives back the locks already taken, so none waits for a
 * lease expiry.
 */
async function takeLocks(
  targets: { instanceId: string }[],
  trigger: IncidentState['trigger'],
  executionId: string,
  stamp: Date,
  deps: AdmitDeps & { keyOf: (instanceId: string) => string },
): Promise<LockAttempt[]> {
  const { store, clock, keyOf } = deps;
  const what = trigger.alarmName ? `alarm "${trigger.alarmName}"` : 'manual run';
  const attempts: LockAttempt[] = [];
  const taken: string[] = [];
  try {
    for (const t of targets) {
      const also = entry(clock, {
        step: 'Admit',
        kind: 'alarm',
        instanceId: t.instanceId,
        summary: `also alarming: ${what} (episode ${trigger.episodeKey}): ${trigger.reason || 'no reason given'}`,
      });
      let attempt: LockAttempt = { instanceId: t.instanceId, acquired: false, joined: null };
      for (let n = 0; n < 2; n++) {
        const lock = await store.acquireLock(
          keyOf(t.instanceId),
          { episodeKey: trigger.episodeKey, executionId },
          clock(),
          deps.leaseMs,
        );
        if (lock.acquired) {
          taken.push(t.instanceId);
          await store.recordEpisode(keyOf(t.instanceId), trigger.episodeKey, stamp);
          attempt = { instanceId: t.instanceId, acquired: true, tookOverFrom: lock.tookOverFrom };
          break;
        }
        const holder = await store.joinLock(keyOf(t.instanceId), also);
        if (holder) {
          attempt = { instanceId: t.instanceId, acquired: false, joined: holder };
          break;
        }
      }
      attempts.push(attempt);
    }
  } catch (error) {
    for (const id of taken) await store.releaseLock(keyOf(id), trigger.episodeKey).catch(() => null);
    throw error;
  }
  return attempts;
}

/**
 * The "incident opened" notices, once the locks are ours. A notice that cannot be sent does not
 * stop the incident: the run goes on and the record says nobody was told it opened.
 */
async function announce(state: IncidentState, deps: AdmitDeps): Promise<IncidentState> {
  try {
    return await acknowledge(state, {
      notifier: deps.notifier,
      ...(deps.statusNotifier ? { statusNotifier: deps.statusNotifier } : {}),
      clock: deps.clock,
    });
  } catch (error) {
    const e = error as Error;
    return { ...state, ackError: { Error: e.name || 'Error', Cause: e.message } };
  }
}

/** Release (every exit path): drop our locks, merge what joined them, stamp the cooldown. */
export async function release(
  state: IncidentState,
  deps: Pick<AdmitDeps, 'store' | 'clock'> & { settings: Pick<AdmitDeps['settings'], 'home'> },
): Promise<IncidentState> {
  // The locks were taken under the trigger's account and region; released under the same keys.
  const keyOf = (instanceId: string) => boundsKey(instanceId, state.trigger, deps.settings.home ?? {});
  // No admission on the catch-all path means Admit's answer never arrived (its function timed out
  // after the lock was written): the targets' locks may be ours. releaseLock deletes only a lock
  // this episode owns, and only when this execution's Intake claimed the episode, because then
  // every other delivery of it was settled as a duplicate and cannot hold one. Only a lock
  // actually released starts a cooldown.
  const unanswered = !state.admission && state.error !== undefined && state.episodeClaimedBy !== undefined;
  const locks = state.admission?.locks ?? (unanswered ? state.targets.map((t) => t.instanceId) : []);
  if (locks.length === 0) return state;
  const joined: TimelineEntry[] = [];
  const released: string[] = [];
  for (const id of locks) {
    const entries = await deps.store.releaseLock(keyOf(id), state.incidentId);
    if (entries !== null) {
      released.push(id);
      joined.push(...entries);
    }
    if (entries !== null || !unanswered) await deps.store.markClosed(keyOf(id), deps.clock());
  }
  if (unanswered && released.length === 0) return state;
  const timeline = append(
    state.timeline,
    ...joined,
    entry(deps.clock, {
      step: 'Release',
      kind: 'note',
      summary: `released the lock of ${released.join(', ') || 'no instance (already released)'}; cooldown starts now`,
    }),
  );
  return { ...state, timeline, admission: state.admission ? { ...state.admission, locks: [] } : undefined };
}
