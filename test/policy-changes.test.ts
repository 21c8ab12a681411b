/** "A change explains the symptom" (shared/policy/changes.ts) as a table, and what assess makes of it. */
import { describe, expect, it } from 'vitest';
import { assess } from '../shared/domain/assess.ts';
import { changesSection } from '../shared/domain/evidence-report.ts';
import type { Change, Evidence, InstanceCase } from '../shared/domain/model.ts';
import { explainingChange, isMedicAction, type Symptom } from '../shared/policy/changes.ts';
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

describe("medic's own calls are its earlier action, never the cause", () => {
  const OWN: [name: string, actor: string, medic: boolean][] = [
    ['a person', ALICE, false],
    [
      'a Lambda role of medic',
      'arn:aws:sts::123456789012:assumed-role/medic-prod-RebootRole-1AB2C3/medic-prod-reboot',
      true,
    ],
    [
      'the member role, in medic session',
      'arn:aws:sts::210987654321:assumed-role/MedicMemberRole/medic-health-i-0abc-1',
      true,
    ],
    ['another automation role', 'arn:aws:sts::123456789012:assumed-role/ops-automation/ansible-run-7', false],
    [
      'a role named like medic but elsewhere in the path',
      'arn:aws:sts::123456789012:assumed-role/not-medic-role/alice',
      false,
    ],
    ['an IAM role ARN of medic', 'arn:aws:iam::123456789012:role/medic-dev-StopStartRole-9XYZ', true],
  ];
  it.each(OWN)('%s', (_name, actor, medic) => {
    // Act / Assess
    expect(isMedicAction(actor)).toBe(medic);
  });

  it("medic's reboot of the previous incident, minutes before, is not named as the likely cause", () => {
    // Prepare: medic's StopInstances 5 min before, with the instance down
    const medicStop = change({
      eventName: 'StopInstances',
      resource: 'i-0abc',
      detail: 'stopped',
      ports: undefined,
      actor: 'arn:aws:sts::123456789012:assumed-role/medic-prod-StopStartRole-1AB2C3/medic-prod-stopStart',
    });
    // Act
    const cause = explainingChange(
      [medicStop],
      { state: 'stopped', failingPorts: [22], serviceFailing: false },
      ALARM,
    );
    // Assess
    expect(cause).toBeNull();
    // the same change by a person is the cause
    expect(
      explainingChange(
        [{ ...medicStop, actor: ALICE }],
        { state: 'stopped', failingPorts: [22], serviceFailing: false },
        ALARM,
      )?.change.actor,
    ).toBe(ALICE);
  });
});

describe("the ticket's Recent changes says which is medic's own", () => {
  it("lists a person's change in the changes table and medic's reboot apart as its earlier action", () => {
    // Prepare
    const medicReboot = change({
      eventName: 'RebootInstances',
      resource: 'i-0abc',
      detail: 'rebooted',
      ports: undefined,
      actor: 'arn:aws:sts::123456789012:assumed-role/medic-prod-RebootRole-1AB2C3/medic-prod-reboot',
    });
    const kase = {
      target: { instanceId: 'i-0abc' },
      assessment: null,
      evidence: {
        alerts: {
          value: {
            changes: {
              window: { start: minutesBefore(60), end: ALARM },
              rows: [change(), medicReboot],
              unchecked: [],
            },
          },
        },
      },
    } as unknown as InstanceCase;
    // Act
    const blocks = changesSection([kase]);
    // Assess: two tables, the second after the label, each with its own row
    const tables = blocks.filter((x) => x.type === 'table');
    expect(tables).toHaveLength(2);
    expect(JSON.stringify(tables[0])).toContain('RevokeSecurityGroupIngress');
    expect(JSON.stringify(tables[0])).not.toContain('RebootInstances');
    expect(JSON.stringify(tables[1])).toContain('RebootInstances');
    expect(JSON.stringify(blocks)).toContain("medic's earlier action (context, not a cause of this symptom)");
  });
});
