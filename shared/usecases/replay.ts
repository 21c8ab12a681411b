/**
 * Replay: what admission and the bounds would have done on a historical alarm stream. Each
 * transition goes, in time order and on a simulated clock (the transition's own time), through the
 * same Admit use case the deployed Admit function runs (dedupe, OK notes, storm, fleet guard,
 * locks) and, for each instance an incident opened on, through the same bounds the action
 * functions check before a mutating call (authorize: opt-in, freeze, maintenance, fleet, cooldown,
 * flap, budget). The stores are in memory and the notifier only counts: nothing is written and
 * nobody is told. Targets are looked up through the read ports given (the instances and groups as
 * they are now).
 *
 * What it cannot know is the evidence (the host as it was then): each admitted instance is judged
 * for the first mutating rung, a reboot, and an incident is taken to last until its alarm
 * returned to OK (medic releases the lock when its run ends; the OK is the best record of when).
 */
import { type AlarmDefinition, eventFor, type ParsedStream } from '../domain/alarm-stream.ts';
import type { ActionKind, IncidentState, Settings } from '../domain/model.ts';
import type { Notification, NotifierPort, SafetyStorePort } from '../ports.ts';
import { admit, release } from './admit.ts';
import { authorize, type GuardSettings } from './guard.ts';
import type { IntakeDeps } from './intake.ts';
import { isNotForMedic } from './intake.ts';

export interface ReplayDeps {
  /** The alarms' current definitions (history items name an alarm, not its metrics). */
  definitions: Map<string, AlarmDefinition>;
  ec2: IntakeDeps['ec2'];
  autoScaling: IntakeDeps['autoScaling'];
  store: SafetyStorePort & { claimed: ReadonlyMap<string, readonly Date[]> };
  settings: GuardSettings;
  leaseMs: number;
  defaultPorts: number[];
  where: { account: string; region: string };
  /** The rung each admitted instance is judged for. */
  action?: ActionKind;
}

export interface ReplayReport {
  /** Transitions replayed (ALARM and back), and the time they span. */
  transitions: number;
  from: string | null;
  to: string | null;
  /** Incidents that would have opened. */
  incidents: number;
  /** Alarms that would have joined an instance's open incident. */
  joined: number;
  /** Deliveries of an episode already handled. */
  deduplicated: number;
  /** Alarms that would have ended quietly (not medic's, the instance or the alarm is gone). */
  ignored: number;
  /** Alarms or actions held back, by the bound that held them. */
  held: Record<string, number>;
  /** Pages a person would have received: storm pages, and each hold that hands over to a person. */
  pages: number;
  /** Mutating actions medic would have carried out. */
  actions: number;
  /** The most mutating actions any one instance would have had in one UTC day. */
  maxActionsPerInstancePerDay: number;
}

/** A notifier that sends nothing: it counts the pages (critical notices) it was asked to send. */
function countingNotifier(): NotifierPort & { pages: Notification[] } {
  const pages: Notification[] = [];
  return {
    pages,
    async publish(n) {
      if (n.severity === 'critical') pages.push(n);
      return { messageId: `replay-${pages.length}` };
    },
  };
}

const REPLAY_SETTINGS: Settings = {
  verifyWaitSeconds: 20,
  verifyPolls: 6,
  probeTimeoutMs: 2_000,
  executionUrl: null,
};

/** At most this many transitions per replay: a month of a busy fleet, bounded. */
export const MAX_REPLAY_TRANSITIONS = 100_000;

export async function replay(stream: ParsedStream, deps: ReplayDeps): Promise<ReplayReport> {
  const { store, settings } = deps;
  const action = deps.action ?? 'reboot';
  const notifier = countingNotifier();
  const held: Record<string, number> = {};
  const hold = (bound: string) => {
    held[bound] = (held[bound] ?? 0) + 1;
  };
  let incidents = 0;
  let joined = 0;
  let deduplicated = 0;
  let ignored = 0;
  let boundPages = 0;
  /** Incidents still open, by the alarm that opened them: the alarm's OK closes them. */
  const open = new Map<string, IncidentState[]>();
  const transitions = stream.transitions.slice(0, MAX_REPLAY_TRANSITIONS);

  for (const [n, t] of transitions.entries()) {
    const at = new Date(t.at);
    const clock = () => at;
    const definition = deps.definitions.get(t.alarmName);
    if (!definition && !t.event) {
      // The alarm was deleted since: medic cannot tell what it watched.
      if (t.state === 'ALARM') ignored++;
      continue;
    }
    const event = eventFor(t, definition ?? { alarmArn: '', metrics: [] }, deps.where);
    const result = await admit(event, `replay-${n}`, {
      store,
      clock,
      settings,
      leaseMs: deps.leaseMs,
      notifier,
      intake: {
        ec2: deps.ec2,
        autoScaling: deps.autoScaling,
        settings: REPLAY_SETTINGS,
        defaultPorts: deps.defaultPorts,
        deployMode: 'auto',
      },
    });
    if (isNotForMedic(result) || !('incidentId' in result)) {
      ignored++;
      continue;
    }
    switch (result.admission?.disposition) {
      case 'duplicate':
        deduplicated++;
        break;
      case 'joined':
        joined++;
        break;
      case 'storm':
        hold('fleet');
        break;
      case 'closed':
        for (const incident of open.get(t.alarmName) ?? [])
          await release(incident, { store, clock, settings });
        open.delete(t.alarmName);
        break;
      case 'open': {
        incidents++;
        open.set(t.alarmName, [...(open.get(t.alarmName) ?? []), result]);
        for (const c of result.cases ?? []) {
          // Judged as an auto run would be: the point of a replay is to see before turning auto on.
          const verdict = await authorize(
            { ...c, mode: 'auto', settings: { ...c.settings, autonomy: undefined } },
            action,
            {
              store,
              clock,
              settings,
              notifier,
            },
          );
          if (verdict.allow) continue;
          hold(verdict.bound);
          if (verdict.effect === 'page') boundPages++;
        }
        break;
      }
    }
  }

  let maxPerDay = 0;
  let actions = 0;
  for (const dates of store.claimed.values()) {
    actions += dates.length;
    const perDay = new Map<string, number>();
    for (const d of dates) {
      const day = d.toISOString().slice(0, 10);
      perDay.set(day, (perDay.get(day) ?? 0) + 1);
    }
    maxPerDay = Math.max(maxPerDay, ...perDay.values());
  }
  return {
    transitions: transitions.length,
    from: transitions[0]?.at ?? null,
    to: transitions.at(-1)?.at ?? null,
    incidents,
    joined,
    deduplicated,
    ignored,
    held,
    pages: notifier.pages.length + boundPages,
    actions,
    maxActionsPerInstancePerDay: maxPerDay,
  };
}

/** The human form of the report. */
export function renderReplay(r: ReplayReport): string[] {
  const held = Object.entries(r.held)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([bound, n]) => `${bound} ${n}`);
  return [
    `replayed ${r.transitions} alarm transition(s) from ${r.from ?? '-'} to ${r.to ?? '-'} (simulated clock; nothing written, nobody notified)`,
    `  incidents opened:             ${r.incidents}`,
    `  joined an open incident:      ${r.joined}`,
    `  deduplicated:                 ${r.deduplicated}`,
    `  ended quietly (not medic's):  ${r.ignored}`,
    `  held, by bound:               ${held.join(', ') || 'none'}`,
    `  pages to a person:            ${r.pages}`,
    `  mutating actions:             ${r.actions} (most on one instance in one day: ${r.maxActionsPerInstancePerDay})`,
  ];
}
