/**
 * The Admit use case over in-memory ports: what it writes and sends, and in which order. The
 * admission rules themselves are tabled in policy-admission.test.ts; here: bad input kept next to
 * its error (a Catch could not attach one to a non-object input), the "incident opened" notice
 * only after the locks are ours, a notice failure that does not stop the incident, and no notice
 * for an alarm that joined an open incident.
 */
import { describe, expect, it } from 'vitest';
import { alarmEvent } from '../local/scenarios.ts';
import type { IncidentState, Settings } from '../shared/domain/model.ts';
import type { Ec2Port, LockResult, SafetyStorePort } from '../shared/ports.ts';
import { type AdmitDeps, admit } from '../shared/usecases/admit.ts';
import { guardSettings } from './support/guard.ts';

const INSTANCE = 'i-0123456789abcdef0';

function world(options: { lockedBy?: string; noticeFails?: boolean; claim?: 'new' | 'retry' } = {}) {
  const calls: string[] = [];
  const store = {
    claimEpisode: async () => {
      calls.push('claimEpisode');
      return options.claim ?? 'new';
    },
    stormsAt: async () => {
      calls.push('stormsAt');
      return new Map<string, Date>();
    },
    registerFleet: async () => void calls.push('registerFleet'),
    fleetSince: async () => {
      calls.push('fleetSince');
      return [{ instanceId: INSTANCE, episodeKey: 'e', at: '' }];
    },
    acquireLock: async (): Promise<LockResult> => {
      calls.push('acquireLock');
      return options.lockedBy
        ? { acquired: false, holder: options.lockedBy }
        : { acquired: true, tookOverFrom: null };
    },
    joinLock: async () => {
      calls.push('joinLock');
      return options.lockedBy ?? null;
    },
    recordEpisode: async () => void calls.push('recordEpisode'),
    releaseLock: async () => {
      calls.push('releaseLock');
      return [];
    },
  } as unknown as SafetyStorePort;
  const ec2 = {
    describeInstances: async (ids: string[]) => {
      calls.push('describeInstances');
      return ids.map((instanceId) => ({
        instanceId,
        state: 'running',
        tags: { 'medic:managed': 'true', Name: 'web-1' },
        availabilityZone: 'us-east-1a',
        instanceType: 't3.micro',
        privateIp: '10.0.0.5',
      }));
    },
  } as unknown as Ec2Port;
  const deps: AdmitDeps = {
    store,
    clock: () => new Date('2026-11-29T14:00:00Z'),
    settings: guardSettings(),
    leaseMs: 60_000,
    notifier: {
      publish: async (n) => {
        calls.push(`publish ${n.subject.split(' ')[1]}`);
        if (options.noticeFails) throw Object.assign(new Error('SNS is down'), { name: 'AwsTransientError' });
        return { messageId: 'm-1' };
      },
    },
    intake: {
      ec2,
      autoScaling: { inServiceInstances: async () => [] },
      settings: { verifyWaitSeconds: 1, verifyPolls: 1, probeTimeoutMs: 500, executionUrl: null } as Settings,
      defaultPorts: [22],
    },
  };
  const event = alarmEvent({
    alarmName: 'web-1 status check failed',
    metric: 'StatusCheckFailed',
    reason: 'Threshold Crossed',
    instanceId: INSTANCE,
    at: new Date('2026-11-29T13:59:00Z'),
  });
  return { calls, deps, event };
}

describe('Admit', () => {
  it.each([42, 'ALARM', null, [1]])(
    'answers input that is no JSON object (%j) itself, the event kept next to its error',
    async (input) => {
      // Prepare
      const { calls, deps } = world();
      // Act
      const result = await admit(input, 'exec-1', deps);
      // Assess
      expect(result).toEqual({
        event: input,
        error: { Error: 'InvalidTriggerError', Cause: expect.any(String) },
      });
      expect(calls).toEqual([]);
    },
  );

  it('opens a new incident and tells the stakeholders only once the lock is taken', async () => {
    // Prepare
    const { calls, deps, event } = world();
    // Act
    const state = (await admit(event, 'exec-1', deps)) as IncidentState;
    // Assess
    expect(state.admission?.disposition).toBe('open');
    expect(state.admission?.locks).toEqual([INSTANCE]);
    expect(state.cases?.map((c) => c.target.instanceId)).toEqual([INSTANCE]);
    expect(calls.indexOf('publish OPENED:')).toBeGreaterThan(calls.indexOf('acquireLock'));
    expect(calls.filter((c) => c.startsWith('publish'))).toEqual(['publish OPENED:']);
    expect(state.timeline.map((e) => e.step)).toContain('Acknowledge');
    expect(state.ackError).toBeUndefined();
  });

  it('goes on when the notice cannot be sent, and says nobody was told', async () => {
    // Prepare
    const { deps, event } = world({ noticeFails: true });
    // Act
    const state = (await admit(event, 'exec-1', deps)) as IncidentState;
    // Assess
    expect(state.admission?.disposition).toBe('open');
    expect(state.ackError).toEqual({ Error: 'AwsTransientError', Cause: 'SNS is down' });
  });

  it('tells nobody when the alarm joined an open incident', async () => {
    // Prepare
    const { calls, deps, event } = world({ lockedBy: 'ep-first' });
    // Act
    const state = (await admit(event, 'exec-1', deps)) as IncidentState;
    // Assess
    expect(state.admission?.disposition).toBe('joined');
    expect(calls.filter((c) => c.startsWith('publish'))).toEqual([]);
  });

  it('says on the timeline when an earlier attempt of this execution had already claimed the episode', async () => {
    // Prepare: the first attempt's answer was lost after its claim (a timeout), the retry runs
    const { deps, event } = world({ claim: 'retry' });
    // Act
    const state = (await admit(event, 'exec-1', deps)) as IncidentState;
    // Assess: admitted all the same, and the failure that was recovered is not a silent one
    expect(state.admission?.disposition).toBe('open');
    expect(state.timeline.map((e) => e.summary).join('\n')).toMatch(
      /earlier attempt of Admit .*Sandbox\.Timedout/,
    );
  });
});
