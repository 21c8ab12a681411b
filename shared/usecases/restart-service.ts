/**
 * Restart-service rung: `systemctl restart <medic:service>` through SSM Run Command, followed with
 * Wait + poll (bounded by settings.actionPolls) until the command ends. Re-entrant: a pending
 * command is polled, never sent twice.
 */
import { type InstanceCase, LADDER_DEFAULTS } from '../domain/model.ts';
import type { Clock } from '../domain/timeline.ts';
import type { NotifierPort, ServiceRestartPort } from '../ports.ts';
import { announce, dryRunDone, handToVerify, modeOf, nextRung, note, recordAction } from './ladder.ts';

export async function restartService(
  c: InstanceCase,
  deps: { ssm: ServiceRestartPort; notifier: NotifierPort; clock: Clock },
): Promise<InstanceCase> {
  const id = c.target.instanceId;
  const unit = c.target.service;
  if (c.target.serviceProblem) {
    // A misconfigured tag is a person's to fix: hold the rung and page rather than climb the
    // ladder to a reboot the restart was meant to avoid.
    const held = recordAction(c, deps.clock, 'restart-service', 'held', `held: ${c.target.serviceProblem}`);
    const page = c.assessment?.plan.indexOf('page') ?? -1;
    return page > c.rung ? { ...held, rung: page, pending: null, next: 'act' } : nextRung(held);
  }
  if (!unit) {
    return nextRung(
      recordAction(
        c,
        deps.clock,
        'restart-service',
        'failed',
        `no medic:service tag on ${id}: no unit to restart`,
      ),
    );
  }
  const pending = c.pending?.kind === 'restart-service' ? c.pending : null;
  if (!pending) {
    await announce(c, deps.notifier, 'restart-service');
    if (modeOf(c, 'restart-service') === 'dry-run') {
      return dryRunDone(
        c,
        deps.clock,
        'restart-service',
        `dry run: would have restarted ${unit} on ${id} via SSM Run Command (SSM has no DryRun, permission not proven)`,
      );
    }
    const startedAt = deps.clock().toISOString();
    const commandId = await deps.ssm.restartService(id, unit);
    const k = note(
      c,
      deps.clock,
      'RestartService',
      `SSM command ${commandId}: systemctl restart ${unit}`,
      'action',
    );
    return {
      ...k,
      pending: {
        kind: 'restart-service',
        phase: 'command',
        commandId,
        startedAt,
        pollsLeft: c.settings.actionPolls ?? LADDER_DEFAULTS.actionPolls,
      },
      next: 'poll',
    };
  }
  const { status, detail } = await deps.ssm.commandStatus(pending.commandId ?? '', id);
  if (status === 'success') {
    const k = recordAction(
      c,
      deps.clock,
      'restart-service',
      'succeeded',
      `restarted ${unit} on ${id} (SSM command ${pending.commandId}: ${detail})`,
      pending.startedAt,
    );
    return handToVerify(k, pending.startedAt);
  }
  if (status === 'failed') {
    return nextRung(
      recordAction(
        c,
        deps.clock,
        'restart-service',
        'failed',
        `restart of ${unit} on ${id} failed (SSM command ${pending.commandId}: ${detail})`,
        pending.startedAt,
      ),
    );
  }
  const pollsLeft = pending.pollsLeft - 1;
  if (pollsLeft <= 0) {
    return nextRung(
      recordAction(
        c,
        deps.clock,
        'restart-service',
        'failed',
        `SSM command ${pending.commandId} did not finish within ${c.settings.actionPolls ?? LADDER_DEFAULTS.actionPolls} polls (${detail}): moving on`,
        pending.startedAt,
      ),
    );
  }
  return { ...c, pending: { ...pending, pollsLeft }, next: 'poll' };
}
