/**
 * How much medic may do on its own, per run and per action. Pure: the deploy-wide mode
 * (MEDIC_MODE), a manual run's requested mode and the per-action autonomy (MEDIC_AUTONOMY) meet in
 * ONE function, `rungMode`, and every step that acts or announces asks it instead of reading
 * `c.mode` itself — so a setting can only ever make medic more careful, never less.
 */
import type { ActionKind, InstanceCase, Mode } from './model.ts';

/** What medic may do with one action: act, ask first, only prove permission, or never. */
export const AUTONOMY_LEVELS = ['auto', 'approve', 'dry-run', 'off'] as const;
export type AutonomyLevel = (typeof AUTONOMY_LEVELS)[number];

/** The actions autonomy is set for: every mutating rung. Paging a person is always allowed. */
export const AUTONOMY_ACTIONS = ['restart-service', 'reboot', 'stop-start', 'failover'] as const;
export type AutonomyAction = (typeof AUTONOMY_ACTIONS)[number];
export type Autonomy = Record<AutonomyAction, AutonomyLevel>;

/**
 * What a first deploy should accept. Restarting a unit and rebooting keep the instance where it is
 * (same host, same IPs, EBS and instance-store data kept) and are what on-call does first anyway,
 * so medic does them at once. Stop/start moves the instance to other hardware (instance-store data
 * gone, a public IP without an Elastic IP changes, minutes of downtime) and failover moves traffic
 * other systems depend on: a person approves those until the team has seen medic choose well.
 */
export const DEFAULT_AUTONOMY: Autonomy = {
  'restart-service': 'auto',
  reboot: 'auto',
  'stop-start': 'approve',
  failover: 'approve',
};

/** Strictness: off > dry-run > approve > auto. */
const RANK: Record<AutonomyLevel, number> = { auto: 0, approve: 1, 'dry-run': 2, off: 3 };

/** The stricter of two levels. */
export function stricter<A extends AutonomyLevel, B extends AutonomyLevel>(a: A, b: B): A | B {
  return RANK[b] > RANK[a] ? b : a;
}

/**
 * The mode a run starts in: the deploy-wide mode, made stricter (never looser) by what a manual
 * run asked for. An alarm-started run asks for nothing (`auto`), so it runs in the deploy-wide mode.
 */
export function runMode(deployMode: Mode, requested: Mode): Mode {
  return stricter(deployMode, requested);
}

/**
 * The one place a rung's mode is decided: the stricter of the run's mode and the action's
 * autonomy. `page` is not an action on the instance and always runs.
 */
export function rungMode(mode: Mode, autonomy: Autonomy, action: ActionKind): AutonomyLevel {
  if (action === 'page') return 'auto';
  return stricter(mode, autonomy[action]);
}

/**
 * The mode a case runs `action` at. Every gate, announcement and dry-run check asks this, never
 * `c.mode`. A case without autonomy (older producers) gets the safe defaults.
 */
export function modeOf(c: Pick<InstanceCase, 'mode' | 'settings'>, action: ActionKind): AutonomyLevel {
  return rungMode(c.mode, c.settings.autonomy ?? DEFAULT_AUTONOMY, action);
}

/** `reboot (auto) → stop-start (approve) → failover (off) → page`: the plan as it will run. */
export function describePlan(plan: readonly ActionKind[], mode: Mode, autonomy: Autonomy): string {
  if (plan.length === 0) return 'no action';
  return plan.map((a) => (a === 'page' ? a : `${a} (${rungMode(mode, autonomy, a)})`)).join(' → ');
}

/**
 * `restart-service=auto,reboot=auto,stop-start=approve,failover=approve`. Strict: an unknown
 * action or level, a repeated action or a malformed pair is an error naming it; actions not named
 * keep DEFAULT_AUTONOMY. Throws a plain Error; the config layer turns it into a ConfigError.
 */
export function parseAutonomy(text: string): Autonomy {
  const out: Autonomy = { ...DEFAULT_AUTONOMY };
  const seen = new Set<string>();
  for (const raw of text.split(',')) {
    const pair = raw.trim();
    if (pair === '') continue;
    const match = /^([a-z-]+)\s*=\s*([a-z-]+)$/.exec(pair);
    if (!match) throw new Error(`"${pair}" is not action=level (e.g. reboot=approve)`);
    const [, action = '', level = ''] = match;
    if (!(AUTONOMY_ACTIONS as readonly string[]).includes(action)) {
      throw new Error(`unknown action "${action}" (known: ${AUTONOMY_ACTIONS.join(', ')})`);
    }
    if (!(AUTONOMY_LEVELS as readonly string[]).includes(level)) {
      throw new Error(`unknown level "${level}" for ${action} (known: ${AUTONOMY_LEVELS.join(', ')})`);
    }
    if (seen.has(action)) throw new Error(`${action} is given twice`);
    seen.add(action);
    out[action as AutonomyAction] = level as AutonomyLevel;
  }
  return out;
}

/** The inverse of parseAutonomy, for notes and the ticket. */
export function formatAutonomy(autonomy: Autonomy): string {
  return AUTONOMY_ACTIONS.map((a) => `${a}=${autonomy[a]}`).join(',');
}
