/** "A change explains the symptom" (shared/policy/changes.ts) as a table, and what assess makes of it. */
import { describe, expect, it } from 'vitest';
import { assess } from '../shared/domain/assess.ts';
import type { Change, Evidence } from '../shared/domain/model.ts';
import { explainingChange, type Symptom } from '../shared/policy/changes.ts';
import { pageWhy } from '../shared/policy/moves.ts';

const ALARM = '2026-11-29T12:00:00.000Z';
const minutesBefore = (m: number) => new Date(Date.parse(ALARM) - m * 60_000).toISOString();
const ALICE = 'arn:aws:iam::123456789012:user/alice';

function change(over: Partial<Change> = {}): Change {
  return {
    at: minutesBefore(5),
    source: 'cloudtrail',
    eventName: 'RevokeSecurityGroupIngress',
    actor: ALICE,
    resource: 'sg-0abc',
    detail: 'revoked tcp 22 from 0.0.0.0/0',
    ports: [{ protocol: 'tcp', from: 22, to: 22 }],
    ...over,
  };
}
const DEPLOYER = 'arn:aws:sts::123456789012:assumed-role/release/carol';
function deployed(over: Partial<NonNullable<Change['deployment']>> = {}, at = minutesBefore(4)): Change {
  const d = {
    id: 'd-ABCDEF123',
    application: 'shop',
    group: 'web',
    status: 'Succeeded',
    instanceStatus: 'Succeeded',
    ...over,
  };
  return {
    at,
    source: 'codedeploy',
    eventName: 'CreateDeployment',
    actor: DEPLOYER,
    resource: 'i-1',
    detail: `deployment ${d.id} of ${d.application}/${d.group}: ${d.status}, ${d.instanceStatus ?? 'not a target'}`,
    deployment: d,
  };
}
const cut: Symptom = { state: 'running', failingPorts: [22], serviceFailing: false };
const healthy: Symptom = { state: 'running', failingPorts: [], serviceFailing: false };
const serviceDown: Symptom = { ...healthy, serviceFailing: true };

type Row = [name: string, changes: Change[], symptom: Symptom, explained: string | null];
const RULES: Row[] = [
  ['ingress revoked on the probed port, 5 min before', [change()], cut, 'RevokeSecurityGroupIngress'],
  [
    'ingress revoked on a range covering the port',
    [change({ ports: [{ protocol: 'tcp', from: 0, to: 1024 }] })],
    cut,
    'RevokeSecurityGroupIngress',
  ],
  [
    'ingress revoked for every protocol (-1)',
    [change({ ports: [{ protocol: '-1', from: -1, to: -1 }] })],
    cut,
    'RevokeSecurityGroupIngress',
  ],
  [
    'ingress revoked on another port: not the cause',
    [change({ ports: [{ protocol: 'tcp', from: 443, to: 443 }] })],
    cut,
    null,
  ],
  ['ingress revoked but every port answers: not the cause', [change()], healthy, null],
  ['ingress revoked 2 hours before: history', [change({ at: minutesBefore(120) })], cut, null],
  ['ingress revoked 10 min after the alarm: not the cause', [change({ at: minutesBefore(-10) })], cut, null],
  [
    'ingress revoked 1 min after the alarm (clock skew): counts',
    [change({ at: minutesBefore(-1) })],
    cut,
    'RevokeSecurityGroupIngress',
  ],
  [
    'security groups of the ENI replaced',
    [
      change({
        eventName: 'ModifyNetworkInterfaceAttribute',
        resource: 'eni-1',
        detail: 'groups sg-9',
        ports: undefined,
      }),
    ],
    cut,
    'ModifyNetworkInterfaceAttribute',
  ],
  [
    'instance stopped by a person, instance stopped',
    [change({ eventName: 'StopInstances', resource: 'i-1', detail: 'stop', ports: undefined })],
    { ...healthy, state: 'stopped' },
    'StopInstances',
  ],
  [
    'instance stopped earlier but running now: not the cause',
    [change({ eventName: 'StopInstances', resource: 'i-1', detail: 'stop', ports: undefined })],
    healthy,
    null,
  ],
  [
    'volume detached, service failing',
    [change({ eventName: 'DetachVolume', resource: 'vol-1', detail: 'from /dev/sdf', ports: undefined })],
    { ...healthy, serviceFailing: true },
    'DetachVolume',
  ],
  [
    'patch command just before, health failing',
    [
      change({
        source: 'ssm',
        eventName: 'SendCommand',
        resource: 'i-1',
        detail: 'AWS-RunPatchBaseline (Success)',
        ports: undefined,
      }),
    ],
    { ...healthy, serviceFailing: true },
    'SendCommand',
  ],
  [
    'a read-only shell command: not the cause',
    [
      change({
        source: 'ssm',
        eventName: 'SendCommand',
        resource: 'i-1',
        detail: 'AWS-RunShellScript (Success)',
        ports: undefined,
      }),
    ],
    { ...healthy, serviceFailing: true },
    null,
  ],
  [
    'an Auto Scaling activity is context, not a cause',
    [change({ source: 'autoscaling', eventName: 'Launching a new EC2 instance', ports: undefined })],
    cut,
    null,
  ],
  [
    'an ingress rule authorized: not the cause',
    [change({ eventName: 'AuthorizeSecurityGroupIngress' })],
    cut,
    null,
  ],
  [
    'a deployment ran on the instance 4 min before, health failing',
    [deployed()],
    serviceDown,
    'CreateDeployment',
  ],
  [
    'a deployment still running on the instance, port down',
    [deployed({ instanceStatus: 'InProgress' })],
    cut,
    'CreateDeployment',
  ],
  [
    'a deployment that failed on the instance (its hooks ran there)',
    [deployed({ status: 'Failed', instanceStatus: 'Failed' })],
    serviceDown,
    'CreateDeployment',
  ],
  ['a deployment 2 hours before: history', [deployed({}, minutesBefore(120))], serviceDown, null],
  [
    'a deployment that failed before its turn on the instance: context',
    [deployed({ status: 'Failed', instanceStatus: 'Skipped' })],
    serviceDown,
    null,
  ],
  [
    'a deployment still pending on the instance: context',
    [deployed({ status: 'InProgress', instanceStatus: 'Pending' })],
    serviceDown,
    null,
  ],
  ['a deployment to another instance: context', [deployed({ instanceStatus: null })], serviceDown, null],
  ['a deployment, everything answers: not the cause', [deployed()], healthy, null],
];

describe('explainingChange', () => {
  it.each(RULES)('%s', (_name, changes, symptom, explained) => {
    // Act
    const cause = explainingChange(changes, symptom, ALARM);
    // Assess
    expect(cause?.change.eventName ?? null).toBe(explained);
    if (cause) expect(cause.why).toContain(cause.change.actor);
  });

  it('names the deployment id, its application/group and who created it', () => {
    // Act
    const cause = explainingChange([deployed()], serviceDown, ALARM);
    // Assess
    expect(cause?.why).toContain('d-ABCDEF123');
    expect(cause?.why).toContain('shop/web');
    expect(cause?.why).toContain(DEPLOYER);
    expect(cause?.why).toMatch(
      /4 min before the alarm; deployment d-ABCDEF123 of shop\/web ran on the instance \(Succeeded\)/,
    );
  });

  it('names the most recent explaining change when several do', () => {
    // Prepare
    const older = change({ at: minutesBefore(30), actor: 'arn:aws:iam::123456789012:user/bob' });
    const newer = change({ at: minutesBefore(3) });
    // Act
    const cause = explainingChange([older, newer], cut, ALARM);
    // Assess
    expect(cause?.change.actor).toBe(ALICE);
    expect(cause?.why).toMatch(/3 min before the alarm; TCP 22 stopped answering/);
  });
});

function evidence(
  changes: Change[],
  over: { instanceStatus?: string; agent?: 'online' | 'offline' } = {},
): Evidence {
  return {
    ec2: {
      ok: true,
      error: null,
      checks: [],
      value: {
        state: 'running',
        systemStatus: 'ok',
        instanceStatus: over.instanceStatus ?? 'ok',
        scheduledEvents: [],
      },
    },
    reachability: {
      ok: true,
      error: null,
      checks: [],
      value: {
        address: '127.0.0.1',
        ports: [{ port: 22, ssh: true, tcp: 'timeout', banner: null, latencyMs: null }],
        http: null,
        vantage: { status: 'reached', canary: '127.0.0.1:53', from: null, detail: 'ok' },
      },
    },
    host: {
      ok: true,
      error: null,
      checks: [],
      value: {
        agent: over.agent ?? 'online',
        agentDetail: 'online',
        commandStatus: null,
        disks: [],
        memory: null,
        failedUnits: [],
        service: null,
        logTail: [],
        truncated: false,
      },
    },
    alerts: {
      ok: true,
      error: null,
      checks: [],
      value: {
        alarm: null,
        logGroup: null,
        window: { start: minutesBefore(30), end: ALARM },
        errorLines: [],
        scanned: 0,
        changes: {
          window: { start: minutesBefore(60), end: ALARM },
          anchor: ALARM,
          rows: changes,
          unchecked: [],
          truncated: false,
        },
      },
    },
  };
}

describe('assess with recent changes', () => {
  it('a revoked rule on the probed port is recent-change: a page naming the change and actor, no reboot', () => {
    // Act
    const a = assess(evidence([change()]), { hasService: true });
    // Assess
    expect(a.classification).toBe('recent-change');
    expect(a.plan).toEqual(['page']);
    expect(a.cause).toContain(ALICE);
    expect(a.reasons.join(' ')).toContain('RevokeSecurityGroupIngress on sg-0abc');
    expect(pageWhy({ actions: [], outcome: null, leftStopped: null, cause: a.cause })).toContain(ALICE);
  });

  it('without an explaining change the same evidence is judged as before (no recent-change)', () => {
    // Act
    const a = assess(evidence([change({ ports: [{ protocol: 'tcp', from: 443, to: 443 }] })]), {
      hasService: true,
    });
    // Assess
    expect(a.classification).toBe('blind-observer');
    expect(a.cause).toBeUndefined();
  });

  it('a deployment that ran on the instance just before, port down: a page with the deployment and its creator, no reboot', () => {
    // Act
    const a = assess(evidence([deployed({ instanceStatus: 'Succeeded' })]), { hasService: true });
    // Assess
    expect(a.classification).toBe('recent-change');
    expect(a.plan).toEqual(['page']);
    expect(a.plan).not.toContain('reboot');
    expect(a.cause).toContain('d-ABCDEF123');
    expect(a.cause).toContain('shop/web');
    expect(pageWhy({ actions: [], outcome: null, leftStopped: null, cause: a.cause })).toContain(DEPLOYER);
  });

  it('a deployment to another instance leaves the judgement as before', () => {
    // Act
    const a = assess(evidence([deployed({ instanceStatus: null })]), { hasService: true });
    // Assess
    expect(a.classification).not.toBe('recent-change');
    expect(a.cause).toBeUndefined();
  });

  it("AWS's own verdict still comes first: an impaired instance status check is os", () => {
    // Act
    const a = assess(evidence([change()], { instanceStatus: 'impaired' }), { hasService: true });
    // Assess
    expect(a.classification).toBe('os');
  });
});
