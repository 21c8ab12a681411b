/**
 * The safety bounds, end to end on moto + the local Jira with the real ASL and handlers: each test tries to
 * break one bound (dedupe, one incident per instance, maintenance, cooldown, fleet guard) and asserts
 * what a user would see — AWS calls that reached moto, Jira issues, stakeholder messages.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CreateSubnetCommand, CreateVpcCommand, DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alarmEvent } from '../local/scenarios.ts';
import { createGroup } from './support/moto.ts';
import { runMedic } from './support/substrate.ts';
import { okEventFor, startWorld, type World } from './support/world.ts';

let w: World;

beforeAll(async () => {
  w = await startWorld();
});
afterAll(async () => {
  await w?.stop();
});
beforeEach(async () => {
  await w.reset();
});

const issuesLabelled = (label: string) => w.s.jira.issues().filter((i) => i.fields.labels.includes(label));

describe('dedupe: one episode, one run', () => {
  it('the same alarm delivered 5 times, out of order with its OK, gives one run, one reboot and one ticket', async () => {
    // Prepare
    const { event } = await w.seed('unreachable');
    const detail = event.detail as { state: { timestamp: string } };
    const ok = okEventFor(event, new Date(Date.parse(detail.state.timestamp) + 30_000));
    // Act: the OK overtakes the alarm, then five copies of the alarm and another OK, all at once
    const runs = await Promise.all([ok, event, event, event, event, event, ok].map((e) => w.run(e)));
    // Assess
    const dispositions = runs.map((r) => r.state?.admission?.disposition).sort();
    expect(dispositions).toEqual([
      'closed',
      'closed',
      'duplicate',
      'duplicate',
      'duplicate',
      'duplicate',
      'open',
    ]);
    const open = runs.find((r) => r.state?.admission?.disposition === 'open');
    expect(open?.status).toBe('SUCCEEDED');
    expect(open?.state?.outcome).toBe('resolved');
    expect((await w.mutatingCalls()).map((c) => c.action)).toEqual(['RebootInstances']);
    expect(issuesLabelled(open?.state?.incidentId ?? '?')).toHaveLength(1);
    const subjects = (await w.inbox()).map((m) => m.subject);
    expect(subjects.filter((x) => x.includes('OPENED'))).toHaveLength(1);
    expect(subjects.filter((x) => x.includes('RESOLVED'))).toHaveLength(1);
    // Assess: the lock is gone once the incident closed
    expect(await w.safetyItems('LOCK#')).toEqual([]);
  });
});

describe('one open incident per instance', () => {
  it('two different alarms for one instance within a second: one remediation, both alarms on the timeline and ticket', async () => {
    // Prepare
    const { event } = await w.seed('unreachable');
    const detail = event.detail as Record<string, unknown> & {
      alarmName: string;
      state: { timestamp: string };
    };
    const second = {
      ...event,
      resources: [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-1 health 5xx`],
      detail: {
        ...detail,
        alarmName: 'web-1 health 5xx',
        state: {
          ...detail.state,
          timestamp: new Date(Date.parse(detail.state.timestamp) + 400).toISOString(),
        },
      },
    };
    // Act
    const runs = await Promise.all([w.run(event), w.run(second)]);
    // Assess
    expect(runs.map((r) => r.state?.admission?.disposition).sort()).toEqual(['joined', 'open']);
    expect((await w.mutatingCalls()).map((c) => c.action)).toEqual(['RebootInstances']);
    const open = runs.find((r) => r.state?.admission?.disposition === 'open');
    const joined = runs.find((r) => r.state?.admission?.disposition === 'joined');
    const summaries = (open?.state?.timeline ?? []).map((e) => e.summary).join('\n');
    const other = joined?.state?.trigger.alarmName ?? '?';
    expect(summaries).toContain(`also alarming: alarm "${other}"`);
    const [issue] = issuesLabelled(open?.state?.incidentId ?? '?');
    expect(JSON.stringify(issue?.fields.description)).toContain(`also alarming: alarm \\"${other}\\"`);
    expect(issuesLabelled(joined?.state?.incidentId ?? '?')).toHaveLength(0);
  });
});

describe('maintenance and cooldown hold actions but keep evidence and the ticket', () => {
  it('an instance tagged medic:maintenance=true is not rebooted; evidence and ticket are still there', async () => {
    // Prepare
    const { event, instanceId } = await w.seed('unreachable');
    await w.tag(instanceId, 'medic:maintenance', 'true');
    // Act
    const run = await w.run(event);
    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.state?.outcome).toBe('held');
    expect(await w.mutatingCalls()).toEqual([]);
    const c = run.state?.cases?.[0];
    expect(c?.actions.map((a) => [a.kind, a.outcome])).toEqual([['reboot', 'held']]);
    expect(c?.actions[0]?.detail).toMatch(/^held by maintenance: .*medic:maintenance=true/);
    expect(c?.timeline.some((e) => e.kind === 'evidence')).toBe(true);
    expect(issuesLabelled(run.state?.incidentId ?? '?')).toHaveLength(1);
  });

  it('an instance that alarms again right after its incident closed is not rebooted again (cooldown) and pages', async () => {
    // Prepare: a first incident that a reboot fixes
    const host = await w.seed('unreachable');
    const first = await w.run(host.event);
    expect(first.state?.outcome).toBe('resolved');
    await host.setMode('hung');
    const detail = host.event.detail as { state: { timestamp: string } };
    const again = {
      ...host.event,
      detail: {
        ...detail,
        state: {
          ...detail.state,
          timestamp: new Date(Date.parse(detail.state.timestamp) + 60_000).toISOString(),
        },
      },
    };
    // Act
    const second = await w.run(again);
    // Assess
    expect((await w.mutatingCalls()).length).toBe(1);
    expect(second.state?.outcome).toBe('escalated');
    expect(second.state?.cases?.[0]?.actions.map((a) => [a.kind, a.outcome])).toEqual([
      ['reboot', 'held'],
      ['page', 'paged'],
    ]);
    expect(second.state?.cases?.[0]?.actions[0]?.detail).toMatch(/^held by cooldown:/);
  });
});

describe('fleet guard', () => {
  it('3 of the 4 instances of one Auto Scaling group alarm (75 % > 50 %, under the 5-instance limit): no action, one page', async () => {
    // Prepare: an ASG of 4 opted-in instances whose probes are refused at once
    const asg = new AutoScalingClient({
      endpoint: w.s.moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'medic-local', secretAccessKey: 'medic-local' },
    });
    const vpc = await w.ec2.send(new CreateVpcCommand({ CidrBlock: '10.43.0.0/16' }));
    const subnet = await w.ec2.send(
      new CreateSubnetCommand({
        VpcId: vpc.Vpc?.VpcId,
        CidrBlock: '10.43.1.0/24',
        AvailabilityZone: 'us-east-1a',
      }),
    );
    const image = (await w.ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }))).Images?.[0]?.ImageId;
    await createGroup(asg, image, {
      AutoScalingGroupName: 'web-asg',
      MinSize: 4,
      MaxSize: 4,
      DesiredCapacity: 4,
      VPCZoneIdentifier: subnet.Subnet?.SubnetId,
      Tags: [
        { Key: 'medic:managed', Value: 'true', PropagateAtLaunch: true },
        { Key: 'medic:probe-address', Value: '127.0.0.1', PropagateAtLaunch: true },
        { Key: 'medic:ports', Value: '9', PropagateAtLaunch: true },
      ],
    });
    const { inServiceInstances } = (await import('../shared/adapters/autoscaling.ts')).autoScalingAdapter(
      asg,
    );
    const members = await inServiceInstances(['web-asg']);
    expect(members).toHaveLength(4);
    const events = members.slice(0, 3).map((instanceId, i) =>
      alarmEvent({
        alarmName: `web-asg member ${i} unhealthy`,
        metric: 'StatusCheckFailed',
        reason: 'Threshold Crossed',
        instanceId,
        at: new Date(Date.now() + i),
      }),
    );
    // Act
    const runs = await Promise.all(events.map((e) => w.run(e)));
    // Assess
    expect(runs.every((r) => r.status === 'SUCCEEDED')).toBe(true);
    expect(await w.mutatingCalls()).toEqual([]);
    const pages = (await w.inbox()).filter((m) => m.subject.includes('fleet guard tripped'));
    expect(pages).toHaveLength(1);
    expect(pages[0]?.body).toMatch(/of 4 instances of group web-asg/);
  }, 180_000);

  it('medic simulate --scenario storm --instances 200: the guard trips, no mutating call, one page, one summary ticket', async () => {
    // Prepare
    const before = w.s.jira.issues().length;
    const stormTickets = () => w.s.jira.issues().filter((i) => i.fields.labels.includes('medic-storm'));
    const stormsBefore = stormTickets().length;
    // Act
    const run = await runMedic(
      ['simulate', '--scenario', 'storm', '--instances', '200', '--json'],
      { ...w.s.env },
      300_000,
    );
    // Assess
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    console.log(`storm intake: ${JSON.stringify(result.storm)}`);
    expect(result.storm.executions).toBe(200);
    expect(result.storm.mutatingCalls).toBe(0);
    expect(await w.mutatingCalls()).toEqual([]);
    const pages = (await w.inbox()).filter((m) => m.subject.includes('fleet guard tripped'));
    expect(pages).toHaveLength(1);
    expect(stormTickets().length - stormsBefore).toBe(1);
    // Runs admitted before the guard could trip (at most the limit) are held at their first action.
    const open = result.storm.dispositions.open ?? 0;
    expect(open).toBeLessThanOrEqual(5);
    expect(result.storm.dispositions.storm).toBe(200 - open);
    expect(w.s.jira.issues().length - before).toBe(1 + open);
  }, 300_000);
});
