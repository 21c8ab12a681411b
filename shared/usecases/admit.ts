/**
 * Admit (issue #5): decides whether this execution is a new incident, before anyone is notified.
 * - Dedupe: the episode key is claimed with a conditional write, so a redelivered event (EventBridge
 *   is at-least-once) ends here as `duplicate`; a retry of this same execution is recognised.
 * - An OK transition is not an incident: it is noted on the open incident, if there is one.
 * - Fleet guard: when more instances than the limit are in incidents within the window, nothing is
 *   acted on; one leader pages once with the list and files one summary ticket.
 * - One open incident per instance: a lock with a lease; a second alarm for a locked instance joins
 *   the open incident (a timeline entry there), it does not start a second remediation.
 */
import type { IncidentState, TimelineEntry } from '../domain/model.ts';
import { append, entry } from '../domain/timeline.ts';
import type { SafetyStorePort } from '../ports.ts';
import { fleetTripped, type GuardDeps, tripStorm } from './guard.ts';

export interface AdmitDeps extends Omit<GuardDeps, 'store'> {
  store: SafetyStorePort;
  leaseMs: number;
}

type Admission = NonNullable<IncidentState['admission']>;

function decided(
  state: IncidentState,
  admission: Admission,
  summary: string,
  deps: AdmitDeps,
  kind: TimelineEntry['kind'] = 'decision',
): IncidentState {
  return {
    ...state,
    admission,
    timeline: append(state.timeline, entry(deps.clock, { step: 'Admit', kind, summary })),
  };
}

export async function admit(
  state: IncidentState,
  executionId: string,
  deps: AdmitDeps,
): Promise<IncidentState> {
  const { store, clock } = deps;
  const what = state.trigger.alarmName ? `alarm "${state.trigger.alarmName}"` : 'manual run';

  if (state.admission?.disposition === 'closed') {
    const note = entry(clock, {
      step: 'Admit',
      kind: 'alarm',
      summary: `${what} returned to OK (${state.trigger.enteredAlarmAt})`,
    });
    const joined = await Promise.all(
      state.trigger.instanceIds.map(async (id) => [
        id,
        await store.joinLock(id, { ...note, instanceId: id }),
      ]),
    );
    const open = joined.filter(([, holder]) => holder).map(([id, holder]) => `${id} → ${holder}`);
    return decided(
      state,
      { ...state.admission, executionId },
      open.length
        ? `noted on the open incident(s): ${open.join(', ')}`
        : 'no open incident for these instances: nothing to do',
      deps,
      'note',
    );
  }

  // Intake already ended this run (a duplicate, or an alarm during a declared storm); the ASL's
  // IntakeOutcome Choice skips Admit for it, so this only guards a redrive or a direct call.
  if (state.settledBy === 'Intake') return state;

  const now = clock();
  // Claimed by this execution's Intake: claiming again would only cost a call.
  const claim =
    state.episodeClaimedBy === executionId
      ? 'retry'
      : await store.claimEpisode(state.incidentId, executionId, now);
  if (claim === 'duplicate') {
    return decided(
      state,
      {
        disposition: 'duplicate',
        detail: `episode ${state.incidentId} is already handled`,
        locks: [],
        executionId,
      },
      `duplicate delivery of episode ${state.incidentId}: already handled by another execution, ending here`,
      deps,
    );
  }

  const at = new Date(state.trigger.enteredAlarmAt);
  const stamp = Number.isNaN(at.getTime()) ? now : at;
  for (const t of state.targets) {
    // Keyed by the alarm's own time, so a retried Admit does not count the instance twice.
    await store.registerFleet(t.instanceId, state.incidentId, stamp, t.group);
  }

  const fleet = await fleetTripped(
    state.targets.map((t) => t.group),
    deps,
  );
  if (fleet) {
    const storm = await tripStorm(fleet.instances, state.incidentId, deps, fleet.why);
    return decided(
      state,
      {
        disposition: 'storm',
        detail: `fleet guard: ${fleet.why}; storm ${storm.key}`,
        locks: [],
        executionId,
      },
      `held by the fleet guard: ${fleet.why} in incidents within ${Math.round(deps.settings.fleetWindowMs / 60_000)} min; ${storm.leader ? 'paged once with the list and filed the summary ticket' : `part of storm ${storm.key}, already paged`}`,
      deps,
      'escalation',
    );
  }

  const locks: string[] = [];
  const notes: TimelineEntry[] = [];
  const joinedTo: string[] = [];
  try {
    for (const t of state.targets) {
      const also = entry(clock, {
        step: 'Admit',
        kind: 'alarm',
        instanceId: t.instanceId,
        summary: `also alarming: ${what} (episode ${state.incidentId}): ${state.trigger.reason || 'no reason given'}`,
      });
      let taken = false;
      // Two tries: the holder may release between our failed acquire and our join.
      for (let attempt = 0; attempt < 2 && !taken; attempt++) {
        const lock = await store.acquireLock(
          t.instanceId,
          { episodeKey: state.incidentId, executionId },
          clock(),
          deps.leaseMs,
        );
        if (lock.acquired) {
          locks.push(t.instanceId);
          taken = true;
          await store.recordEpisode(t.instanceId, state.incidentId, stamp);
          if (lock.tookOverFrom) {
            notes.push(
              entry(clock, {
                step: 'Admit',
                kind: 'note',
                instanceId: t.instanceId,
                summary: `took over the lock of ${t.instanceId} from ${lock.tookOverFrom}, whose lease had expired`,
              }),
            );
          }
          break;
        }
        const holder = await store.joinLock(t.instanceId, also);
        if (holder) {
          joinedTo.push(`${t.instanceId} → ${holder}`);
          break;
        }
      }
    }
  } catch (error) {
    // Failing half-way must not leave locks that only a lease expiry would free.
    for (const id of locks) await store.releaseLock(id, state.incidentId).catch(() => null);
    throw error;
  }
  const timeline = append(state.timeline, ...notes);
  if (locks.length === 0) {
    return decided(
      { ...state, timeline },
      { disposition: 'joined', detail: joinedTo.join(', '), locks: [], executionId },
      `joined the open incident(s) ${joinedTo.join(', ')}: no second remediation`,
      deps,
    );
  }
  const cases = (state.cases ?? []).filter((c) => locks.includes(c.target.instanceId));
  return decided(
    { ...state, timeline, cases },
    { disposition: 'open', detail: `locked ${locks.join(', ')}`, locks, executionId },
    `new incident; holds the lock of ${locks.join(', ')}${joinedTo.length ? `; joined ${joinedTo.join(', ')}` : ''}`,
    deps,
    'note',
  );
}

/** Release (every exit path): drop our locks, merge what joined them, stamp the cooldown. */
export async function release(
  state: IncidentState,
  deps: Pick<AdmitDeps, 'store' | 'clock'>,
): Promise<IncidentState> {
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
    const entries = await deps.store.releaseLock(id, state.incidentId);
    if (entries !== null) {
      released.push(id);
      joined.push(...entries);
    }
    if (entries !== null || !unanswered) await deps.store.markClosed(id, deps.clock());
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
