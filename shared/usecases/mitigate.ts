/**
 * Mitigate: try the current rung of the plan. Every mutating call is preceded by the safety gates
 * that apply to it (opt-in here; budgets and the fleet guard arrive with issue #5). The ASL loops
 * back here after a failed verification, one rung further down the ladder.
 */
import type { ActionKind, ActionRecord, InstanceCase } from '../domain/model.ts';
import { append, type Clock, entry } from '../domain/timeline.ts';
import type { Ec2Port, NotifierPort } from '../ports.ts';
import { holdCase, type Verdict } from './guard.ts';

export interface MitigateDeps {
  ec2: Ec2Port;
  notifier: NotifierPort;
  clock: Clock;
  /** Issue #5: the safety bounds (guard.ts), asked before every mutating call. */
  guard?: (c: InstanceCase, action: ActionKind) => Promise<Verdict>;
}

const MUTATING: ReadonlySet<ActionKind> = new Set(['restart-service', 'reboot', 'stop-start', 'failover']);

function record(
  c: InstanceCase,
  clock: Clock,
  kind: ActionKind,
  outcome: ActionRecord['outcome'],
  detail: string,
) {
  const at = clock().toISOString();
  const action: ActionRecord = { kind, instanceId: c.target.instanceId, at, outcome, detail };
  const timelineKind = outcome === 'paged' ? 'escalation' : 'action';
  return {
    actions: [...c.actions, action],
    timeline: append(
      c.timeline,
      entry(() => new Date(at), {
        step: 'Mitigate',
        kind: timelineKind,
        instanceId: c.target.instanceId,
        summary: detail,
      }),
    ),
  };
}

async function page(c: InstanceCase, deps: MitigateDeps, why: string): Promise<InstanceCase> {
  const tried = c.actions.map((a) => `${a.kind}: ${a.outcome}`).join(', ') || 'nothing';
  const who = c.target.name ? `${c.target.name} (${c.target.instanceId})` : c.target.instanceId;
  await deps.notifier.publish({
    subject: `[medic] PAGE: ${who} needs a person — ${c.assessment?.classification ?? 'unknown'}`,
    body: [
      `medic is handing incident ${c.incidentId} to a person.`,
      `Instance: ${who}`,
      `Why: ${why}`,
      `Assessment: ${c.assessment?.classification ?? 'unknown'} — ${c.assessment?.reasons.join('; ') ?? ''}`,
      `Tried: ${tried}`,
    ].join('\n'),
    severity: 'critical',
    attributes: { event: 'page', incident: c.incidentId, instance: c.target.instanceId },
  });
  const done = record(c, deps.clock, 'page', 'paged', `paged on-call: ${why}`);
  return { ...c, ...done, next: 'done', outcome: c.outcome ?? 'escalated' };
}

export async function mitigate(c: InstanceCase, deps: MitigateDeps): Promise<InstanceCase> {
  const plan = c.assessment?.plan ?? ['page'];
  const action = plan[c.rung] ?? 'page';
  const id = c.target.instanceId;

  if (action === 'page') {
    const tried = c.actions.some((a) => MUTATING.has(a.kind) && a.outcome !== 'held');
    return page(
      c,
      deps,
      tried ? 'the actions medic may take did not restore service' : 'no automatic action applies',
    );
  }
  if (!c.target.managed) {
    const held = record(
      c,
      deps.clock,
      action,
      'held',
      `held: ${id} is not opted in (tag medic:managed=true), so medic will not ${action} it`,
    );
    return page({ ...c, ...held, outcome: 'held' }, deps, 'instance is not opted in to automatic actions');
  }
  // ---- issue #5: safety bounds before any mutating call (budget, fleet, maintenance, …) ----
  if (deps.guard && MUTATING.has(action)) {
    const verdict = await deps.guard(c, action);
    if (!verdict.allow) return holdCase(c, action, verdict, deps.clock);
  }
  // ---- end issue #5 ----
  if (action === 'reboot') {
    const dryRun = c.mode === 'dry-run';
    await deps.ec2.reboot(id, { dryRun });
    if (dryRun) {
      const done = record(
        c,
        deps.clock,
        action,
        'would-have',
        `dry run: would have rebooted ${id} (EC2 DryRun confirmed permission)`,
      );
      return { ...c, ...done, next: 'done', outcome: 'dry-run' };
    }
    const done = record(c, deps.clock, action, 'succeeded', `rebooted ${id} (RebootInstances accepted)`);
    return {
      ...c,
      ...done,
      rung: c.rung + 1,
      pollsLeft: c.settings.verifyPolls,
      lastActionAt: done.actions[done.actions.length - 1]?.at ?? null,
      next: 'verify',
    };
  }
  // restart-service, stop-start and failover land with issue #4; say so rather than pretend.
  const skipped = record(
    c,
    deps.clock,
    action,
    'not-implemented',
    `skipped ${action}: not implemented yet in this medic version`,
  );
  return { ...c, ...skipped, rung: c.rung + 1, next: 'act' };
}
