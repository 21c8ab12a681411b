/**
 * Safe stop/start: what may be stopped (a pure decision, table-tested from the facts EC2 and Auto
 * Scaling give), an Auto Scaling member handed to its group instead, and a start that falls back
 * to stopped — paged and ticketed at the highest severity, the subject saying it first.
 */
import { describe, expect, it } from 'vitest';
import type { IncidentState, InstanceCase } from '../shared/domain/model.ts';
import { severityOf, ticketDocument } from '../shared/domain/report.ts';
import {
  type StopFacts,
  startedSince,
  startFailed,
  stopStartDecision,
  stopStartResume,
} from '../shared/domain/stop-start-policy.ts';
import type {
  AutoScalingHealthPort,
  Ec2ActionsPort,
  Ec2Port,
  InstanceStopState,
  Notification,
} from '../shared/ports.ts';
import { page } from '../shared/usecases/ladder.ts';
import { resumeStopStart, stopStart } from '../shared/usecases/stop-start.ts';
import { instanceCase as aCase, instanceInfo, PRIVATE_PROBE } from './support/cases.ts';

const clock = () => new Date('2026-01-01T00:00:00.000Z');
const ID = 'i-0123456789abcdef0';

const onDemand: StopFacts = {
  rootDeviceType: 'ebs',
  lifecycle: null,
  spotRequestType: null,
  autoScalingGroup: null,
  group: null,
};

describe('stopStartDecision: never stop what AWS would lose or replace', () => {
  it.each<[string, Partial<StopFacts>, string, RegExp | null]>([
    ['an EBS-backed on-demand instance', {}, 'stop', null],
    ['an instance-store root', { rootDeviceType: 'instance-store' }, 'skip', /instance-store/],
    [
      'a Spot Instance from a one-time request',
      { lifecycle: 'spot', spotRequestType: 'one-time' },
      'skip',
      /one-time Spot request.*persistent/,
    ],
    [
      'a Spot Instance whose request could not be read',
      { lifecycle: 'spot', spotRequestType: null },
      'skip',
      /unreadable/,
    ],
    [
      'a Spot Instance from a persistent request',
      { lifecycle: 'spot', spotRequestType: 'persistent' },
      'stop',
      null,
    ],
    [
      'a member of an opted-in group with a healthy peer',
      { autoScalingGroup: 'web', group: { managed: true, healthyPeers: ['i-peer'] } },
      'replace-in-group',
      /member of Auto Scaling group web/,
    ],
    [
      'a member of a group that is not opted in',
      { autoScalingGroup: 'web', group: { managed: false, healthyPeers: ['i-peer'] } },
      'skip',
      /not opted in \(tag medic:managed=true on the group\)/,
    ],
    [
      "a group's only healthy member",
      { autoScalingGroup: 'web', group: { managed: true, healthyPeers: [] } },
      'skip',
      /only healthy InService instance/,
    ],
    [
      'a member of a group that cannot be read',
      { autoScalingGroup: 'web', group: null },
      'skip',
      /could not be read/,
    ],
    [
      'a group member even with an instance-store root (the group decides)',
      {
        autoScalingGroup: 'web',
        rootDeviceType: 'instance-store',
        group: { managed: false, healthyPeers: [] },
      },
      'skip',
      /Auto Scaling group web/,
    ],
  ])('%s → %s', (_what, over, kind, why) => {
    // Act
    const decision = stopStartDecision({ ...onDemand, ...over });
    // Assess
    expect(decision.kind).toBe(kind);
    if (why) expect('why' in decision ? decision.why : '').toMatch(why);
  });

  it.each([
    [null, false],
    [
      {
        code: 'Client.UserInitiatedShutdown',
        message: 'Client.UserInitiatedShutdown: User initiated shutdown',
      },
      false,
    ],
    [{ code: 'Client.InternalError', message: 'Client.InternalError: Client error on launch' }, true],
    [{ code: 'Server.InsufficientInstanceCapacity', message: 'Insufficient capacity' }, true],
  ])('a stopped instance with StateReason %o after StartInstances: start failed = %s', (reason, failed) => {
    // Act + Assess
    expect(startFailed(reason)).toBe(failed);
  });
});

function instanceCase(over: Partial<InstanceCase> = {}): InstanceCase {
  const settings = { actionPolls: 3 };
  return aCase({
    settings,
    target: { instanceId: ID, probe: PRIVATE_PROBE },
    rung: 1,
    action: 'stop-start',
    ...over,
  });
}

/** EC2 as AWS behaves: the state after each call is scripted, and every call is recorded. */
function world(opts: { facts?: Partial<InstanceStopState>; afterStart?: InstanceStopState[] } = {}) {
  const calls: string[] = [];
  let current: InstanceStopState = { state: 'running', rootDeviceType: 'ebs', ...opts.facts };
  // After StartInstances each read returns the next scripted state; the last one stays.
  let afterStart: InstanceStopState[] = [];
  const ec2: Ec2ActionsPort & Pick<Ec2Port, 'describeInstances'> = {
    instanceState: async () => {
      calls.push('DescribeInstances');
      if (afterStart.length > 1) current = afterStart.shift() ?? current;
      else if (afterStart.length === 1) current = afterStart[0] ?? current;
      return current;
    },
    spotRequestType: async () => {
      calls.push('DescribeSpotInstanceRequests');
      return 'one-time';
    },
    stop: async () => {
      calls.push('StopInstances');
      current = {
        ...current,
        state: 'stopped',
        stateReason: {
          code: 'Client.UserInitiatedShutdown',
          message: 'Client.UserInitiatedShutdown: User initiated shutdown',
        },
      };
    },
    start: async () => {
      calls.push('StartInstances');
      current = { ...current, state: 'pending', stateReason: null };
      afterStart = [...(opts.afterStart ?? [{ state: 'running', rootDeviceType: 'ebs' }])];
    },
    consoleOutput: async () => null,
    elasticIpOf: async () => null,
    associateElasticIp: async () => undefined,
    describeInstances: async (ids) => ids.map((id) => instanceInfo(id)),
  };
  return { ec2, calls };
}

function groupPort(group: { managed: boolean; healthyPeers: string[] } | null) {
  const calls: string[] = [];
  const port: AutoScalingHealthPort = {
    group: async () => {
      calls.push('DescribeAutoScalingGroups');
      return group;
    },
    setUnhealthy: async (id) => void calls.push(`SetInstanceHealth ${id} Unhealthy`),
  };
  return { port, calls };
}

function deps(ec2: Ec2ActionsPort & Pick<Ec2Port, 'describeInstances'>, autoScaling: AutoScalingHealthPort) {
  const published: Notification[] = [];
  return {
    published,
    deps: {
      ec2,
      autoScaling,
      notifier: {
        publish: async (n: Notification) => {
          published.push(n);
          return { messageId: 'm' };
        },
      },
      clock,
      defaultPorts: [22],
    },
  };
}

async function run(c: InstanceCase, d: Parameters<typeof stopStart>[1]): Promise<InstanceCase> {
  let k = await stopStart(c, d);
  for (let i = 0; i < 10 && k.next === 'poll'; i++) k = await stopStart(k, d);
  return k;
}

describe('stopStart: the rung as AWS would run it', () => {
  it('hands an opted-in group member to its group (SetInstanceHealth), never StopInstances', async () => {
    // Prepare
    const w = world({ facts: { autoScalingGroup: 'web' } });
    const asg = groupPort({ managed: true, healthyPeers: ['i-peer'] });
    // Act
    const k = await run(instanceCase(), deps(w.ec2, asg.port).deps);
    // Assess
    expect(w.calls).not.toContain('StopInstances');
    expect(asg.calls).toEqual(['DescribeAutoScalingGroups', `SetInstanceHealth ${ID} Unhealthy`]);
    expect(k.actions.map((a) => [a.kind, a.outcome])).toEqual([['stop-start', 'succeeded']]);
    expect(k.actions[0]?.detail).toMatch(/marked .* Unhealthy in web .*not stopped: it is a member/);
    expect(k).toMatchObject({ next: 'verify', verifyProbe: { address: '127.0.0.1' } });
  });

  it('skips a member of a group that is not opted in, saying why, and moves down the ladder', async () => {
    // Prepare
    const w = world({ facts: { autoScalingGroup: 'web' } });
    const asg = groupPort({ managed: false, healthyPeers: ['i-peer'] });
    // Act
    const k = await run(instanceCase(), deps(w.ec2, asg.port).deps);
    // Assess
    expect(w.calls).toEqual(['DescribeInstances']);
    expect(asg.calls).toEqual(['DescribeAutoScalingGroups']);
    expect(k).toMatchObject({ next: 'act', rung: 2 });
    expect(k.actions[0]?.detail).toMatch(/not stopped: .*not opted in/);
  });

  it('skips a Spot Instance from a one-time request without calling StopInstances', async () => {
    // Prepare
    const w = world({ facts: { lifecycle: 'spot', spotRequestId: 'sir-1' } });
    // Act
    const k = await run(instanceCase(), deps(w.ec2, groupPort(null).port).deps);
    // Assess
    expect(w.calls).toEqual(['DescribeInstances', 'DescribeSpotInstanceRequests']);
    expect(k.actions[0]?.detail).toMatch(/Spot Instance from a one-time Spot request/);
  });

  it('a start that falls back to stopped (KMS grant missing) leaves the case at the page, loudly', async () => {
    // Prepare
    const kms = { code: 'Client.InternalError', message: 'Client.InternalError: Client error on launch' };
    const w = world({ afterStart: [{ state: 'stopped', rootDeviceType: 'ebs', stateReason: kms }] });
    const d = deps(w.ec2, groupPort(null).port);
    // Act
    const k = await run(instanceCase(), d.deps);
    const paged = await page({ ...k, action: 'page' }, d.deps);
    // Assess
    expect(w.calls.filter((x) => x.endsWith('Instances') && x !== 'DescribeInstances')).toEqual([
      'StopInstances',
      'StartInstances',
    ]);
    expect(k.leftStopped).toMatchObject({ state: 'stopped', code: 'Client.InternalError' });
    expect(k.actions.at(-1)?.detail).toMatch(
      /^medic left i-0123456789abcdef0 STOPPED: Client\.InternalError: Client error on launch .*kms:CreateGrant/,
    );
    // No further rung (failover) is tried: plan[rung] is past the end, so PrepareRung picks the page.
    expect(k.rung).toBe(4);
    const pageMessage = d.published.at(-1);
    expect(pageMessage?.subject).toMatch(
      /^\[medic\] PAGE: medic left i-0123456789abcdef0 STOPPED: Client\.InternalError/,
    );
    expect(pageMessage?.severity).toBe('critical');
    expect(pageMessage?.body.split('\n')[0]).toMatch(/^medic left i-0123456789abcdef0 STOPPED/);
    expect(paged.outcome).toBe('escalated');
  });

  it('keeps polling while DescribeInstances still shows the stop itself right after StartInstances', async () => {
    // Prepare: one stale read (the stop's own reason), then running
    const stale = {
      state: 'stopped',
      rootDeviceType: 'ebs',
      stateReason: { code: 'Client.UserInitiatedShutdown', message: 'User initiated shutdown' },
    };
    const w = world({ afterStart: [stale, { state: 'running', rootDeviceType: 'ebs' }] });
    // Act
    const k = await run(instanceCase(), deps(w.ec2, groupPort(null).port).deps);
    // Assess
    expect(k.leftStopped).toBeUndefined();
    expect(k.actions.map((a) => [a.kind, a.outcome])).toEqual([['stop-start', 'succeeded']]);
  });

  it('a start that never reaches running within the polls is also "left stopped"', async () => {
    // Prepare: pending forever
    const pendingForever = Array.from({ length: 10 }, () => ({ state: 'pending', rootDeviceType: 'ebs' }));
    const w = world({ afterStart: pendingForever });
    // Act
    const k = await run(instanceCase(), deps(w.ec2, groupPort(null).port).deps);
    // Assess
    expect(k.leftStopped).toMatchObject({ state: 'pending', code: 'no StateReason' });
    expect(k.actions.at(-1)?.detail).toMatch(
      /^medic left i-0123456789abcdef0 PENDING: no StateReason: still pending after 3 polls/,
    );
  });
});

describe('the ticket of an instance medic left stopped', () => {
  it('is at the highest severity and its summary leads with it', () => {
    // Prepare
    const c = instanceCase({
      outcome: 'escalated',
      leftStopped: {
        state: 'stopped',
        code: 'Client.InternalError',
        message: 'Client.InternalError: Client error on launch',
        at: '2026-01-01T00:00:00.000Z',
      },
    });
    const state = {
      incidentId: 'medic-test-1',
      trigger: {
        source: 'manual',
        episodeKey: 'k',
        reason: 'test',
        datapoints: [],
        enteredAlarmAt: '2026-01-01T00:00:00.000Z',
        instanceIds: [ID],
        autoScalingGroupNames: [],
        mode: 'auto',
      },
      settings: c.settings,
      targets: [c.target],
      timeline: [],
      cases: [c],
    } as IncidentState;
    // Act
    const severity = severityOf(state, 'resolved');
    const summary = ticketDocument(state, [], 'escalated').sections[0];
    // Assess
    expect(severity).toBe('critical');
    expect(JSON.stringify(summary?.blocks[0])).toContain(
      'medic left i-0123456789abcdef0 STOPPED: Client.InternalError: Client error on launch',
    );
  });
});

describe('stopStartResume: an already-claimed stop/start carries on from what EC2 shows', () => {
  it.each<[string, string, ReturnType<typeof stopStartResume>]>([
    ['stopping', 'stop', 'wait-stopped'],
    ['stopped', 'stop', 'wait-stopped'],
    ['pending', 'stop', 'wait-running'],
    // DescribeInstances may not show a StopInstances that landed yet (eventual consistency)
    ['running', 'stop', 'wait-stopped'],
    // the first delivery handed it to its group or skipped it: nothing to resume
    ['running', 'replace-in-group', 'not-visible'],
    ['running', 'skip', 'not-visible'],
    ['terminated', 'stop', 'not-visible'],
  ])('%s (the rung would %s) → %s', (state, decision, expected) => {
    // Act + Assess
    expect(stopStartResume(state, decision as 'stop' | 'skip' | 'replace-in-group')).toBe(expected);
  });

  it.each<[string, string | null, boolean]>([
    ['pending', null, true],
    ['running', '2026-01-01T00:05:00.000Z', true],
    ['running', '2025-12-31T23:00:00.000Z', false],
    ['running', null, false],
    ['stopped', '2026-01-01T00:05:00.000Z', false],
  ])('%s with LaunchTime %s: started since the stop began = %s', (state, launchTime, started) => {
    // Act + Assess
    expect(startedSince(state, launchTime, '2026-01-01T00:00:00.000Z')).toBe(started);
  });
});

describe('stopStart: a lost or duplicated answer never leaves the instance stopped', () => {
  it('a re-delivered first step finds the claim taken, resumes from stopped and starts it once', async () => {
    // Prepare: the first delivery stopped the instance; its answer is lost
    const w = world();
    const d = deps(w.ec2, groupPort(null).port).deps;
    await stopStart(instanceCase(), d);
    // Act: the retried (or duplicate) delivery gets the same input
    const resumed = await resumeStopStart(instanceCase(), d, 'stop-start already issued');
    const k = resumed ? await run(resumed, d) : null;
    // Assess
    expect(resumed).toMatchObject({ next: 'poll', pending: { kind: 'stop-start', phase: 'stopping' } });
    expect(resumed?.timeline.at(-1)?.summary).toMatch(/stop-start already issued; .* is stopped: resuming/);
    expect(w.calls.filter((x) => x === 'StopInstances' || x === 'StartInstances')).toEqual([
      'StopInstances',
      'StartInstances',
    ]);
    expect(k?.actions.map((a) => [a.kind, a.outcome])).toEqual([['stop-start', 'succeeded']]);
    expect(k?.next).toBe('verify');
  });

  it('a group member the first delivery handed to its group is not resumed (nothing was stopped)', async () => {
    // Prepare
    const w = world({ facts: { autoScalingGroup: 'web' } });
    const asg = groupPort({ managed: true, healthyPeers: ['i-peer'] });
    // Act
    const resumed = await resumeStopStart(instanceCase(), deps(w.ec2, asg.port).deps, 'taken');
    // Assess
    expect(resumed).toBeNull();
  });

  it('a retried poll after a StartInstances whose answer was lost waits for running, never starts twice', async () => {
    // Prepare: the poll that issued StartInstances lost its answer; EC2 shows the new LaunchTime
    const w = world({ facts: { state: 'running', launchTime: '2026-01-01T00:00:30.000Z' } });
    const waiting = instanceCase({
      pending: { kind: 'stop-start', phase: 'stopping', startedAt: '2025-12-31T23:59:00.000Z', pollsLeft: 3 },
      next: 'poll',
    });
    // Act
    const k = await run(waiting, deps(w.ec2, groupPort(null).port).deps);
    // Assess
    expect(w.calls).not.toContain('StartInstances');
    expect(k.actions.map((a) => [a.kind, a.outcome])).toEqual([['stop-start', 'succeeded']]);
  });
});
