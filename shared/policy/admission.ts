/**
 * How an alarm becomes an incident: every admission rule once, in the order they apply. Pure: the
 * caller gathers the facts the policy asks for (`need`), one kind at a time, and calls again until
 * the policy returns a verdict. Some facts are the results of conditional writes (the episode claim,
 * the storm claim, the per-instance locks): those writes are how concurrent deliveries agree, so
 * their answers are facts like any read.
 *
 * The rules, in order:
 * 1. Scope: an alarm that names nothing medic answers for ends quietly (no ticket, no page).
 * 2. OK transitions: not an incident; noted on the open incident of each instance, if any. An AWS
 *    Health issue or recovery outcome is not one either: it is remembered (the bounds hold actions
 *    while AWS recovers) and noted on the open incident of each instance it names.
 * 3. Dedupe: the episode is claimed once; a redelivery (EventBridge is at-least-once) ends here, a
 *    retry of the same execution does not.
 * 4. Storm in progress: while a declared storm lasts, a new alarm is held without any lookup.
 * 5. Targets: an alarm whose instance is gone or whose group is empty ends quietly; a person who
 *    asked for a run is told instead.
 * 6. Fleet guard: too many instances in incidents at once; one leader pages, the rest are held.
 * 7. Locks: one open incident per instance; a locked instance joins the open incident; a lease
 *    that expired is taken over. No lock taken: nothing new to investigate.
 * Opt-in is a view on the admitted targets: a target without `medic:managed=true` is investigated
 * and paged about but never acted on (the per-case bounds enforce it before any action).
 */
import type { IgnoredKind } from '../domain/scope.ts';
import type { FleetTrip } from './fleet.ts';

export type Disposition = 'open' | 'duplicate' | 'joined' | 'closed' | 'storm';

/** What the trigger turned out to be once normalised. */
export type TriggerFact =
  | { kind: 'not-for-medic'; ignored: IgnoredKind; reason: string }
  | { kind: 'ok-transition'; what: string; at: string }
  /** An AWS Health issue (open or closed) or an automatic recovery's outcome. */
  | { kind: 'health'; what: string }
  | { kind: 'alarm'; episodeKey: string; what: string; reason: string; byAlarm: boolean };

/** The answer to one lock attempt on one target. */
export type LockAttempt =
  | { instanceId: string; acquired: true; tookOverFrom: string | null }
  | { instanceId: string; acquired: false; joined: string | null };

export type TargetsFact =
  | { kind: 'found'; instances: { instanceId: string; managed: boolean }[] }
  | { kind: 'empty-group'; reason: string }
  | { kind: 'instance-not-found'; reason: string };

export interface AdmissionFacts {
  trigger: TriggerFact;
  /** Minutes of the fleet window, for the texts. */
  fleetWindowMinutes: number;
  /** OK transition: the open incident each instance was noted on (null: none open). */
  okNotes?: { instanceId: string; holder: string | null }[];
  /** AWS Health: what was remembered or forgotten, and the open incident each instance was noted on. */
  healthNotes?: { recorded: string; notes: { instanceId: string; holder: string | null }[] };
  claim?: 'new' | 'retry' | 'duplicate';
  /** The label of the storm in progress, or null when there is none. */
  stormInProgress?: string | null;
  targets?: TargetsFact;
  fleet?: FleetTrip | null;
  /** After the fleet guard tripped: the storm's label and whether this run leads it. */
  storm?: { label: string; leader: boolean };
  locks?: LockAttempt[];
}

export type AdmissionNeed =
  | 'ok-notes'
  | 'health-notes'
  | 'claim'
  | 'storm-in-progress'
  | 'targets'
  | 'fleet'
  | 'storm'
  | 'locks';

export interface TimelineNote {
  instanceId?: string;
  summary: string;
}

export type AdmissionVerdict =
  | { disposition: 'not-for-medic'; ignored: IgnoredKind; reason: string }
  /** A person asked for a run on something that cannot be looked at: the run fails, named. */
  | { disposition: 'reject'; reason: string }
  | {
      disposition: Disposition;
      detail: string;
      /** The decision, as the timeline says it. */
      summary: string;
      entry: 'decision' | 'escalation' | 'note';
      /** Instances whose lock this run holds (released on every exit path). */
      locks: string[];
      /** Other timeline notes (lock take-overs). */
      notes: TimelineNote[];
      /** Admitted targets not opted in: investigated, never acted on. */
      observeOnly: string[];
    };

export type AdmissionStep = { need: AdmissionNeed } | { verdict: AdmissionVerdict };

const need = (n: AdmissionNeed): AdmissionStep => ({ need: n });

function decided(
  disposition: Disposition,
  detail: string,
  summary: string,
  entry: 'decision' | 'escalation' | 'note',
  more: { locks?: string[]; notes?: TimelineNote[]; observeOnly?: string[] } = {},
): AdmissionStep {
  return {
    verdict: {
      disposition,
      detail,
      summary,
      entry,
      locks: more.locks ?? [],
      notes: more.notes ?? [],
      observeOnly: more.observeOnly ?? [],
    },
  };
}

/** The next fact the policy needs, or its verdict. */
export function admission(f: AdmissionFacts): AdmissionStep {
  const t = f.trigger;
  // 1. Scope.
  if (t.kind === 'not-for-medic')
    return { verdict: { disposition: 'not-for-medic', ignored: t.ignored, reason: t.reason } };

  // 2. OK transitions.
  if (t.kind === 'ok-transition') {
    if (!f.okNotes) return need('ok-notes');
    const open = f.okNotes.filter((n) => n.holder).map((n) => `${n.instanceId} → ${n.holder}`);
    return decided(
      'closed',
      `${t.what} left ALARM`,
      open.length
        ? `noted on the open incident(s): ${open.join(', ')}`
        : 'no open incident for these instances: nothing to do',
      'note',
    );
  }

  if (t.kind === 'health') {
    if (!f.healthNotes) return need('health-notes');
    const open = f.healthNotes.notes.filter((n) => n.holder).map((n) => `${n.instanceId} → ${n.holder}`);
    return decided(
      'closed',
      t.what,
      `${t.what}: ${f.healthNotes.recorded}${open.length ? `; noted on the open incident(s) ${open.join(', ')}` : ''}`,
      'note',
    );
  }

  // 3. Dedupe.
  if (!f.claim) return need('claim');
  if (f.claim === 'duplicate') {
    return decided(
      'duplicate',
      `episode ${t.episodeKey} is already handled`,
      `duplicate delivery of episode ${t.episodeKey}: already handled by another execution, ending here`,
      'decision',
    );
  }

  // 4. A storm in progress holds every new alarm before any lookup.
  if (f.stormInProgress === undefined) return need('storm-in-progress');
  if (f.stormInProgress !== null) {
    return decided(
      'storm',
      `fleet guard: storm ${f.stormInProgress} in progress`,
      `held by the fleet guard: storm ${f.stormInProgress} was declared less than ${f.fleetWindowMinutes} min ago (already paged); medic looks up and acts on no new alarm until it ends`,
      'escalation',
    );
  }

  // 5. Targets.
  if (!f.targets) return need('targets');
  if (f.targets.kind === 'empty-group') {
    return {
      verdict: {
        disposition: 'not-for-medic',
        ignored: t.byAlarm ? 'empty-group' : 'no-target',
        reason: f.targets.reason,
      },
    };
  }
  if (f.targets.kind === 'instance-not-found') {
    return t.byAlarm
      ? { verdict: { disposition: 'not-for-medic', ignored: 'instance-not-found', reason: f.targets.reason } }
      : { verdict: { disposition: 'reject', reason: f.targets.reason } };
  }
  const observeOnly = f.targets.instances.filter((i) => !i.managed).map((i) => i.instanceId);

  // 6. Fleet guard.
  if (f.fleet === undefined) return need('fleet');
  if (f.fleet !== null) {
    if (!f.storm) return need('storm');
    return decided(
      'storm',
      `fleet guard: ${f.fleet.why}; storm ${f.storm.label}`,
      `held by the fleet guard: ${f.fleet.why} in incidents within ${f.fleetWindowMinutes} min; ${f.storm.leader ? 'paged once with the list and filed the summary ticket' : `part of storm ${f.storm.label}, already paged`}`,
      'escalation',
    );
  }

  // 7. Locks.
  if (!f.locks) return need('locks');
  const locks = f.locks.filter((l) => l.acquired).map((l) => l.instanceId);
  const joined = f.locks.flatMap((l) => (!l.acquired && l.joined ? [`${l.instanceId} → ${l.joined}`] : []));
  const notes = f.locks.flatMap((l) =>
    l.acquired && l.tookOverFrom
      ? [
          {
            instanceId: l.instanceId,
            summary: `took over the lock of ${l.instanceId} from ${l.tookOverFrom}, whose lease had expired`,
          },
        ]
      : [],
  );
  if (locks.length === 0) {
    return decided(
      'joined',
      joined.join(', '),
      `joined the open incident(s) ${joined.join(', ')}: no second remediation`,
      'decision',
      { notes },
    );
  }
  return decided(
    'open',
    `locked ${locks.join(', ')}`,
    `new incident; holds the lock of ${locks.join(', ')}${joined.length ? `; joined ${joined.join(', ')}` : ''}`,
    'note',
    { locks, notes, observeOnly: observeOnly.filter((id) => locks.includes(id)) },
  );
}
