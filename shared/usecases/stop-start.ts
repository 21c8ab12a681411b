/**
 * Stop/start rung: moves the instance to other hardware. stop → Wait + poll for `stopped` → start →
 * Wait + poll for `running` (each bounded by settings.actionPolls; no Lambda sleeps).
 *
 * Before anything is stopped, stopStartDecision (domain/stop-start-policy.ts) rules out what AWS
 * would lose or replace: an Auto Scaling member is handed to its group instead (SetInstanceHealth,
 * when the group is opted in), an instance-store root or a non-persistent Spot Instance is skipped.
 *
 * A start can fail after EC2 accepted it: the instance goes pending and falls back to stopped with
 * a StateReason (a customer-managed KMS key without the grant EC2 needs: `Client.InternalError:
 * Client error on launch`). Then medic has turned a sick instance into a stopped one: the case goes
 * straight to the page, which — like the ticket — leads with it at the highest severity.
 */
import { type InstanceCase, LADDER_DEFAULTS } from '../domain/model.ts';
import {
  leftStoppedHeadline,
  startedSince,
  startFailed,
  stopStartDecision,
  stopStartResume,
} from '../domain/stop-start-policy.ts';
import type { Clock } from '../domain/timeline.ts';
import type { AutoScalingHealthPort, Ec2ActionsPort, Ec2Port, NotifierPort } from '../ports.ts';
import { replaceInGroup } from './group-replace.ts';
import { announce, dryRunDone, handToVerify, modeOf, nextRung, note, recordAction } from './ladder.ts';

export interface StopStartDeps {
  ec2: Ec2ActionsPort & Pick<Ec2Port, 'describeInstances'>;
  autoScaling: AutoScalingHealthPort;
  notifier: NotifierPort;
  clock: Clock;
  defaultPorts: number[];
}

export async function stopStart(c: InstanceCase, deps: StopStartDeps): Promise<InstanceCase> {
  const id = c.target.instanceId;
  const { clock } = deps;
  const waiting = c.pending?.kind === 'stop-start' ? c.pending : null;
  const polls = c.settings.actionPolls ?? LADDER_DEFAULTS.actionPolls;
  const fail = (why: string, at?: string) =>
    nextRung(
      recordAction(c, clock, 'stop-start', 'failed', `stop/start of ${id} not done: ${why}; escalating`, at),
    );

  if (!waiting) {
    await announce(c, deps.notifier, 'stop-start');
    const facts = await deps.ec2.instanceState(id);
    const spotRequestType =
      facts.lifecycle === 'spot' && facts.spotRequestId
        ? await deps.ec2.spotRequestType(facts.spotRequestId)
        : null;
    const group = facts.autoScalingGroup ? await deps.autoScaling.group(facts.autoScalingGroup, id) : null;
    const decision = stopStartDecision({
      rootDeviceType: facts.rootDeviceType,
      lifecycle: facts.lifecycle ?? null,
      spotRequestType,
      autoScalingGroup: facts.autoScalingGroup ?? null,
      group,
    });
    if (decision.kind === 'skip') return fail(`not stopped: ${decision.why}`);
    if (decision.kind === 'replace-in-group') {
      return replaceInGroup(
        c,
        'stop-start',
        decision.group,
        decision.peers,
        deps,
        `not stopped: ${decision.why}`,
      );
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
      pending: { kind: 'stop-start', phase: 'stopping', startedAt, pollsLeft: polls },
      next: 'poll',
    };
  }

  const { state, stateReason, launchTime } = await deps.ec2.instanceState(id);
  // Only a start moves an instance out of stopped, and a start sets LaunchTime: seen while waiting
  // for stopped, the StartInstances this rung issued already landed (its answer was lost), so the
  // rung waits for running instead of waiting for a stop that will not come or starting it again.
  const pending =
    waiting.phase === 'stopping' && startedSince(state, launchTime ?? null, waiting.startedAt)
      ? { ...waiting, phase: 'starting' }
      : waiting;
  if (pending.phase === 'stopping' && state === 'stopped') {
    await deps.ec2.start(id, { dryRun: false });
    const k = note(
      c,
      clock,
      'StopStart',
      `${id} stopped; StartInstances accepted: waiting for running`,
      'action',
    );
    return { ...k, pending: { ...pending, phase: 'starting', pollsLeft: polls }, next: 'poll' };
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
  const fellBack = pending.phase === 'starting' && state === 'stopped' && startFailed(stateReason ?? null);
  const pollsLeft = pending.pollsLeft - 1;
  if (!fellBack && pollsLeft > 0) return { ...c, pending: { ...pending, pollsLeft }, next: 'poll' };
  if (!fellBack && pending.phase === 'stopping' && state !== 'stopped' && state !== 'stopping') {
    // It never began to stop (still running, say): nothing is left half-done.
    return fail(`it did not reach stopped within ${polls} polls (state ${state})`, pending.startedAt);
  }
  return leftStopped(c, clock, state, stateReason ?? null, pending.startedAt, fellBack ? null : polls);
}

/**
 * An earlier delivery of this step took the claim and its answer never came back (a Lambda timeout
 * the ASL retries) or was not the one used (a duplicate). It may have stopped the instance: resume
 * from what EC2 shows — wait for stopped, and the normal poll starts it — rather than assume the
 * whole stop/start happened. Null when nothing of a stop is visible (the guard then takes the rung
 * as done, as for any other action).
 */
export async function resumeStopStart(
  c: InstanceCase,
  deps: StopStartDeps,
  why: string,
): Promise<InstanceCase | null> {
  const id = c.target.instanceId;
  const facts = await deps.ec2.instanceState(id);
  const decision =
    facts.state === 'running'
      ? stopStartDecision({
          rootDeviceType: facts.rootDeviceType,
          lifecycle: facts.lifecycle ?? null,
          spotRequestType:
            facts.lifecycle === 'spot' && facts.spotRequestId
              ? await deps.ec2.spotRequestType(facts.spotRequestId)
              : null,
          autoScalingGroup: facts.autoScalingGroup ?? null,
          group: facts.autoScalingGroup ? await deps.autoScaling.group(facts.autoScalingGroup, id) : null,
        }).kind
      : 'stop';
  const resume = stopStartResume(facts.state, decision);
  if (resume === 'not-visible') return null;
  const startedAt = deps.clock().toISOString();
  const k = note(
    c,
    deps.clock,
    'StopStart',
    `${why}; ${id} is ${facts.state}: resuming the stop/start from there (waiting for ${resume === 'wait-stopped' ? 'stopped' : 'running'}) without repeating the call`,
    'action',
  );
  return {
    ...k,
    pending: {
      kind: 'stop-start',
      phase: resume === 'wait-stopped' ? 'stopping' : 'starting',
      startedAt,
      pollsLeft: c.settings.actionPolls ?? LADDER_DEFAULTS.actionPolls,
    },
    next: 'poll',
  };
}

/** The instance is not running and medic made it so: record it and go straight to the page. */
function leftStopped(
  c: InstanceCase,
  clock: Clock,
  state: string,
  reason: { code: string; message: string } | null,
  startedAt: string,
  pollsSpent: number | null,
): InstanceCase {
  const id = c.target.instanceId;
  const code = reason?.code ?? 'no StateReason';
  const message = reason?.message ?? `still ${state} after ${pollsSpent} polls`;
  const headline = leftStoppedHeadline(id, { state, code, message });
  const hint =
    code === 'Client.InternalError'
      ? ' (an encrypted EBS volume whose KMS key does not let EC2 use it: check the key policy and kms:CreateGrant)'
      : '';
  const k = recordAction(c, clock, 'stop-start', 'failed', `${headline}${hint}; paging`, startedAt);
  return {
    ...k,
    leftStopped: { state, code, message, at: clock().toISOString() },
    // No further rung: a person must bring the instance back before anything else is tried on it.
    rung: c.assessment?.plan.length ?? c.rung + 1,
    pending: null,
    next: 'act',
  };
}
