/**
 * End to end: the mitigation ladder through `medic simulate --scenario NAME --json`, one
 * run per scenario, on a real moto and the local Jira. Each asserts the actions in order with their
 * outcomes and what moto holds afterwards (instance state, target group membership, Elastic IP
 * association, DNS record, Auto Scaling health) — no SDK mocks.
 */
import { AutoScalingClient, DescribeAutoScalingInstancesCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeAddressesCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import { inboxMessages, runMedic, useSubstrate } from './support/substrate.ts';

const s = useSubstrate({ resetEachTest: true });
/** One simulate run per test; the machine's CPU is shared, so each test gets the run's own bound. */
const RUN_TIMEOUT_MS = 150_000;

interface Result {
  outcome: string;
  status: string;
  classification: string;
  targets: string[];
  actions: { kind: string; outcome: string; detail: string; at: string }[];
  timeline: { kind: string; step: string; summary: string; at: string }[];
  transitions: number;
}

/** One run per scenario; verification polls shortened by configuration, not by editing the ASL. */
async function scenario(name: string): Promise<Result> {
  const run = await runMedic(
    ['simulate', '--scenario', name, '--json'],
    { ...s.env, MEDIC_VERIFY_POLLS: '3' },
    RUN_TIMEOUT_MS,
  );
  expect(run.code, run.stderr).toBe(0);
  const result = JSON.parse(run.stdout) as Result;
  expect(result.status).toBe('SUCCEEDED');
  return result;
}

const steps = (r: Result) => r.actions.map((a) => [a.kind, a.outcome]);

function clients() {
  const config = {
    endpoint: s.moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 't', secretAccessKey: 't' },
  };
  return {
    ec2: new EC2Client(config),
    elb: new ElasticLoadBalancingV2Client(config),
    r53: new Route53Client(config),
    asg: new AutoScalingClient(config),
  };
}

async function instance(id: string) {
  const out = await clients().ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  const i = out.Reservations?.[0]?.Instances?.[0];
  return { state: i?.State?.Name, privateIp: i?.PrivateIpAddress, tags: i?.Tags ?? [] };
}

/** Each instance's health as its Auto Scaling group holds it. */
async function groupHealth(ids: string[]) {
  const out = await clients().asg.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: ids }));
  return Object.fromEntries((out.AutoScalingInstances ?? []).map((i) => [i.InstanceId, i.HealthStatus]));
}

/** The instances registered in the scenario's one target group. */
async function targetGroupMembers() {
  const { elb } = clients();
  const arn = (await elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups?.[0]?.TargetGroupArn;
  const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
  return health.TargetHealthDescriptions?.map((d) => d.Target?.Id);
}

/** The scenario's hosted zone and the addresses of its app A record. */
async function appRecord() {
  const { r53 } = clients();
  const zone = (await r53.send(new ListHostedZonesCommand({}))).HostedZones?.[0];
  const records = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone?.Id }));
  const a = records.ResourceRecordSets?.find((x) => x.Type === 'A' && x.Name === 'app.medic-sim.example.');
  return { zone, a };
}

async function standbyOf(id: string): Promise<string> {
  const standby = (await instance(id)).tags.find((t) => t.Key === 'medic:standby')?.Value;
  expect(standby).toMatch(/^i-/);
  return standby ?? '';
}

async function mutatingCalls() {
  return (
    (await s.moto.calls())
      .filter((c) =>
        /^(Reboot|Stop|Start)Instances$|^SendCommand$|^AssociateAddress$|Targets$|^ChangeResourceRecordSets$|^SetInstanceHealth$/.test(
          c.action,
        ),
      )
      // The evidence step's on-host view is a read-only SSM command, not an action.
      .filter((c) => !(c.action === 'SendCommand' && String(c.params.Comment ?? '').includes('read-only')))
  );
}

describe('the ladder: one rung at a time, verified after each', { timeout: RUN_TIMEOUT_MS }, () => {
  it('reboot-fixes: captures the console, reboots, and times the recovery on the timeline', async () => {
    // Act
    const r = await scenario('reboot-fixes');
    // Assess
    expect(r.outcome).toBe('resolved');
    expect(steps(r)).toEqual([['reboot', 'recovered']]);
    const [id = ''] = r.targets;
    expect((await mutatingCalls()).map((c) => [c.action, c.params['InstanceId.1']])).toEqual([
      ['RebootInstances', id],
    ]);
    expect((await instance(id)).state).toBe('running');
    const capture = r.timeline.findIndex((e) => /^before reboot: captured console output/.test(e.summary));
    const action = r.timeline.findIndex((e) => e.kind === 'action' && /^rebooted/.test(e.summary));
    expect(capture).toBeGreaterThan(-1);
    expect(capture).toBeLessThan(action);
    const recovered = r.timeline.find((e) => e.kind === 'verify' && e.summary.startsWith('recovered'));
    expect(recovered?.summary).toMatch(
      /reboot at \S+Z; SSH \S+ back at \+\d+\.\d s .*health back at \+\d+\.\d s \(200/,
    );
  });

  it('reboot-fails-stopstart-fixes: the reboot is verified as not enough; stop, wait, start, wait, verified', async () => {
    // Act
    const r = await scenario('reboot-fails-stopstart-fixes');
    // Assess
    expect(r.outcome).toBe('resolved');
    expect(steps(r)).toEqual([
      ['reboot', 'not-recovered'],
      ['stop-start', 'recovered'],
    ]);
    const [id = ''] = r.targets;
    expect((await mutatingCalls()).map((c) => c.action)).toEqual([
      'RebootInstances',
      'StopInstances',
      'StartInstances',
    ]);
    expect((await instance(id)).state).toBe('running');
    expect(r.timeline.filter((e) => e.kind === 'verify').length).toBe(3 + 1); // 3 failed polls, then recovered
  });

  it('app-restart-fixes: restarts medic:service through SSM Run Command, never reboots', async () => {
    // Act
    const r = await scenario('app-restart-fixes');
    // Assess
    expect(r.classification).toBe('application');
    expect(steps(r)).toEqual([['restart-service', 'recovered']]);
    const calls = await mutatingCalls();
    expect(calls.map((c) => c.action)).toEqual(['SendCommand']);
    expect(calls[0]?.params).toMatchObject({
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: r.targets,
      Parameters: { commands: expect.arrayContaining(['systemctl restart app.service']) },
    });
    expect((await s.moto.calls()).some((c) => c.action === 'GetCommandInvocation')).toBe(true);
  });

  it('nothing-works: reboot, stop/start, no failover configured, and a page with the evidence and what was tried', async () => {
    // Act
    const r = await scenario('nothing-works');
    // Assess
    expect(r.outcome).toBe('escalated');
    expect(steps(r)).toEqual([
      ['reboot', 'not-recovered'],
      ['stop-start', 'not-recovered'],
      ['failover', 'failed'],
      ['page', 'paged'],
    ]);
    const page = (await inboxMessages(s.moto.endpoint)).find((m) => m.subject.startsWith('[medic] PAGE:'));
    expect(page?.attributes.severity).toBe('critical');
    expect(page?.body).toMatch(/Tried:\n {2}- \S+ reboot: not-recovered/);
    expect(page?.body).toContain('stop-start: not-recovered');
    expect(page?.body).toMatch(/Evidence:\n.*instance state: running/);
  });
});

describe('failover, by the instance configuration, verified on the standby', {
  timeout: RUN_TIMEOUT_MS,
}, () => {
  const ladder = [
    ['reboot', 'not-recovered'],
    ['stop-start', 'not-recovered'],
    ['failover', 'recovered'],
  ];

  it('failover-target-group: registers the standby, waits until healthy, then deregisters the sick instance', async () => {
    // Act
    const r = await scenario('failover-target-group');
    // Assess
    expect(steps(r)).toEqual(ladder);
    const [id = ''] = r.targets;
    const standby = await standbyOf(id);
    expect(await targetGroupMembers()).toEqual([standby]);
    const order = (await mutatingCalls()).map((c) => c.action).filter((a) => a.endsWith('Targets'));
    expect(order).toEqual(['RegisterTargets', 'RegisterTargets', 'DeregisterTargets']); // seed, standby in, sick out
    expect(
      r.timeline.some((e) => e.kind === 'verify' && /^recovered \(standby 127\.0\.0\.1\)/.test(e.summary)),
    ).toBe(true);
  });

  it('failover-eip: re-associates the Elastic IP to the standby', async () => {
    // Act
    const r = await scenario('failover-eip');
    // Assess
    expect(steps(r)).toEqual(ladder);
    const standby = await standbyOf(r.targets[0] ?? '');
    const addresses = await clients().ec2.send(new DescribeAddressesCommand({}));
    expect(addresses.Addresses?.map((a) => a.InstanceId)).toEqual([standby]);
  });

  it('failover-route53: UPSERTs the record to the standby', async () => {
    // Act
    const r = await scenario('failover-route53');
    // Assess
    expect(steps(r)).toEqual(ladder);
    const standby = await instance(await standbyOf(r.targets[0] ?? ''));
    const { a } = await appRecord();
    expect(a?.ResourceRecords?.map((x) => x.Value)).toEqual([standby.privateIp]);
  });

  it('failover-asg: marks the instance Unhealthy in its group, only because a healthy peer remains', async () => {
    // Act
    const r = await scenario('failover-asg');
    // Assess: an application failure (no stop/start rung), the group tagged medic:managed=true
    expect(steps(r)).toEqual([
      ['reboot', 'not-recovered'],
      ['failover', 'recovered'],
    ]);
    const [id = ''] = r.targets;
    const standby = await standbyOf(id);
    const health = await groupHealth([id, standby]);
    expect(health).toEqual({ [id]: 'Unhealthy', [standby]: 'Healthy' });
  });
});

describe('failover falls back when a mechanism is refused, as IAM refuses it', {
  timeout: RUN_TIMEOUT_MS,
}, () => {
  it('failover-fallback: the target group answers AccessDenied; Route 53 points the public record at the standby public IP', async () => {
    // Act
    const r = await scenario('failover-fallback');
    // Assess
    expect(steps(r)).toEqual([
      ['reboot', 'not-recovered'],
      ['stop-start', 'not-recovered'],
      ['failover', 'recovered'],
    ]);
    const [id = ''] = r.targets;
    const out = await clients().ec2.send(
      new DescribeInstancesCommand({ InstanceIds: [await standbyOf(id)] }),
    );
    const standbyPublicIp = out.Reservations?.[0]?.Instances?.[0]?.PublicIpAddress;
    expect(standbyPublicIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await targetGroupMembers()).toEqual([id]); // untouched
    const { zone, a } = await appRecord();
    expect(zone?.Config?.PrivateZone).toBe(false);
    expect(a?.ResourceRecords?.map((x) => x.Value)).toEqual([standbyPublicIp]);
    const attempts = r.timeline.filter((e) => e.step === 'Failover').map((e) => e.summary);
    expect(attempts).toEqual([
      expect.stringMatching(/^failover via target-group refused: AccessDenied: .*; trying route53$/),
      expect.stringMatching(/^Route 53: UPSERT app\.medic-sim\.example\. A → \S+ \(standby .*public zone/),
    ]);
  });
});

describe('stop/start that AWS would not do as asked', { timeout: RUN_TIMEOUT_MS }, () => {
  it('stopstart-asg-member: never StopInstances on a group member; its opted-in group replaces it', async () => {
    // Act
    const r = await scenario('stopstart-asg-member');
    // Assess
    expect(steps(r)).toEqual([
      ['reboot', 'not-recovered'],
      ['stop-start', 'recovered'],
    ]);
    const [id = ''] = r.targets;
    const calls = await mutatingCalls();
    expect(calls.map((c) => c.action)).toEqual(['RebootInstances', 'SetInstanceHealth']);
    expect(calls.some((c) => /^(Stop|Start)Instances$/.test(c.action))).toBe(false);
    const standby = await standbyOf(id);
    const health = await groupHealth([id, standby]);
    expect(health).toEqual({ [id]: 'Unhealthy', [standby]: 'Healthy' });
    expect((await instance(id)).state).toBe('running');
    expect(r.actions[1]?.detail).toMatch(/not stopped: it is a member of Auto Scaling group/);
  });

  it('stopstart-left-stopped: the start falls back to stopped (KMS); the page and the ticket lead with it, at the highest severity', async () => {
    // Act
    const r = await scenario('stopstart-left-stopped');
    // Assess
    expect(r.outcome).toBe('escalated');
    expect(steps(r)).toEqual([
      ['reboot', 'not-recovered'],
      ['stop-start', 'failed'],
      ['page', 'paged'],
    ]);
    const [id = ''] = r.targets;
    expect((await mutatingCalls()).map((c) => c.action)).toEqual([
      'RebootInstances',
      'StopInstances',
      'StartInstances',
    ]);
    expect((await instance(id)).state).toBe('stopped');
    const page = (await inboxMessages(s.moto.endpoint)).find((m) => m.subject.startsWith('[medic] PAGE:'));
    expect(page?.subject).toBe(
      `[medic] PAGE: medic left ${id} STOPPED: Client.InternalError: Client error on launch`,
    );
    expect(page?.attributes.severity).toBe('critical');
    expect(page?.body.split('\n')[0]).toMatch(
      new RegExp(`^medic left ${id} STOPPED: Client\\.InternalError`),
    );
    expect(r.timeline.some((e) => /Jira ticket \S+ .*priority Highest/.test(e.summary))).toBe(true);
  });
});

describe('modes: dry-run and approve', { timeout: RUN_TIMEOUT_MS }, () => {
  it('dry-run: EC2 DryRun proves permission, the timeline says "would have", moto is unchanged', async () => {
    // Act
    const r = await scenario('dry-run');
    // Assess
    expect(r.outcome).toBe('dry-run');
    expect(steps(r)).toEqual([['reboot', 'would-have']]);
    expect(r.timeline.some((e) => /would have rebooted/.test(e.summary))).toBe(true);
    const calls = await mutatingCalls();
    expect(calls.map((c) => [c.action, c.params.DryRun])).toEqual([['RebootInstances', 'true']]);
    expect((await instance(r.targets[0] ?? '')).state).toBe('running');
  });

  it('approve-granted: pauses with signed approve/reject links, a person approves, the reboot fixes it', async () => {
    // Act
    const r = await scenario('approve-granted');
    // Assess
    expect(r.outcome).toBe('resolved');
    expect(steps(r)).toEqual([['reboot', 'recovered']]);
    const ask = (await inboxMessages(s.moto.endpoint)).find((m) => m.subject.startsWith('[medic] APPROVE?'));
    expect(ask?.body).toMatch(
      /Approve: http:\/\/127\.0\.0\.1:\d+\/approval\?decision=approve&expires=\d+&token=.+&sig=/,
    );
    expect(ask?.body).toMatch(/Reject: {2}http:\/\/127\.0\.0\.1:\d+\/approval\?decision=reject/);
    expect(r.timeline.some((e) => /^approved: reboot .* via signed link/.test(e.summary))).toBe(true);
    expect((await mutatingCalls()).map((c) => c.action)).toEqual(['RebootInstances']);
  });

  it('approve-rejected: recorded as rejected, nothing is done, the case is handed to a person', async () => {
    // Act
    const r = await scenario('approve-rejected');
    // Assess
    expect(r.outcome).toBe('held');
    expect(steps(r)).toEqual([
      ['reboot', 'rejected'],
      ['page', 'paged'],
    ]);
    expect(await mutatingCalls()).toEqual([]);
  });

  it('approve-timeout: recorded as timed out (never "rejected"), escalated, nothing is done', async () => {
    // Act
    const r = await scenario('approve-timeout');
    // Assess
    expect(r.outcome).toBe('escalated');
    expect(steps(r)).toEqual([
      ['reboot', 'timed-out'],
      ['page', 'paged'],
    ]);
    expect(r.actions[0]?.detail).toMatch(/timed out/);
    expect(JSON.stringify(r.actions)).not.toMatch(/reject/i);
    expect(await mutatingCalls()).toEqual([]);
  });
});
