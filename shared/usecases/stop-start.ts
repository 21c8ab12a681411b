/**
 * Stop/start rung: moves the instance to other hardware. stop → Wait + poll for `stopped` → start →
 * Wait + poll for `running` (each bounded by settings.actionPolls; no Lambda sleeps). An
 * instance-store root or an EC2 refusal (stop protection) is a clear escalation, not a crash.
 */
import { type InstanceCase, LADDER_DEFAULTS } from '../domain/model.ts';
import type { Clock } from '../domain/timeline.ts';
import type { Ec2ActionsPort, NotifierPort } from '../ports.ts';
import { announce, dryRunDone, handToVerify, modeOf, nextRung, note, recordAction } from './ladder.ts';

export async function stopStart(
  c: InstanceCase,
  deps: { ec2: Ec2ActionsPort; notifier: NotifierPort; clock: Clock },
): Promise<InstanceCase> {
  const id = c.target.instanceId;
  const { clock } = deps;
  const pending = c.pending?.kind === 'stop-start' ? c.pending : null;
  const fail = (why: string, at?: string) =>
    nextRung(
      recordAction(c, clock, 'stop-start', 'failed', `stop/start of ${id} not done: ${why}; escalating`, at),
    );

  if (!pending) {
    await announce(c, deps.notifier, 'stop-start');
    const { rootDeviceType } = await deps.ec2.instanceState(id);
    if (rootDeviceType === 'instance-store') {
      return fail('its root device is instance-store, and stopping would lose the instance');
    }
    if (modeOf(c, 'stop-start') === 'dry-run') {
      try {
        await deps.ec2.stop(id, { dryRun: true });
      } catch (error) {
        if ((error as Error).name === 'StopNotAllowedError') return fail((error as Error).message);
        throw error;
      }
      return dryRunDone(
        c,
        clock,
        'stop-start',
        `dry run: would have stopped and started ${id} (EC2 DryRun confirmed permission)`,
      );
    }
    const startedAt = clock().toISOString();
    try {
      await deps.ec2.stop(id, { dryRun: false });
    } catch (error) {
      if ((error as Error).name === 'StopNotAllowedError') return fail((error as Error).message, startedAt);
      throw error;
    }
    const k = note(c, clock, 'StopStart', `StopInstances ${id} accepted: waiting for stopped`, 'action');
    return {
      ...k,
      pending: {
        kind: 'stop-start',
        phase: 'stopping',
        startedAt,
        pollsLeft: c.settings.actionPolls ?? LADDER_DEFAULTS.actionPolls,
      },
      next: 'poll',
    };
  }

  const { state } = await deps.ec2.instanceState(id);
  if (pending.phase === 'stopping' && state === 'stopped') {
    await deps.ec2.start(id, { dryRun: false });
    const k = note(
      c,
      clock,
      'StopStart',
      `${id} stopped; StartInstances accepted: waiting for running`,
      'action',
    );
    return {
      ...k,
      pending: {
        ...pending,
        phase: 'starting',
        pollsLeft: c.settings.actionPolls ?? LADDER_DEFAULTS.actionPolls,
      },
      next: 'poll',
    };
  }
  if (pending.phase === 'starting' && state === 'running') {
    const k = recordAction(
      c,
      clock,
      'stop-start',
      'succeeded',
      `stopped and started ${id} (running again, on new hardware)`,
      pending.startedAt,
    );
    return handToVerify(k, pending.startedAt);
  }
  const pollsLeft = pending.pollsLeft - 1;
  if (pollsLeft <= 0) {
    const target = pending.phase === 'stopping' ? 'stopped' : 'running';
    return fail(
      `it did not reach ${target} within ${c.settings.actionPolls ?? LADDER_DEFAULTS.actionPolls} polls (state ${state})`,
      pending.startedAt,
    );
  }
  return { ...c, pending: { ...pending, pollsLeft }, next: 'poll' };
}
