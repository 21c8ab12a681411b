/**
 * One medic for an AWS Organization, end to end on moto with several accounts: `medic simulate
 * --event` with an alarm from a member account looks and acts only in that account and region,
 * through the member role (assumed on the same endpoint: moto binds the keys to the role's account),
 * and an account whose member role is missing is paged about, never acted on — least of all in the
 * central account, where an instance with the very same id may exist.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstancesCommand, EC2Client, type Instance, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemberRole, injectFaults } from '../local/moto.ts';
import { type FakeHost, startFakeHost } from '../local/probe-servers.ts';
import { alarmEvent } from '../local/scenarios.ts';
import { LOCAL_CENTRAL_ACCOUNT, LOCAL_EXTERNAL_ID } from '../local/simulate.ts';
import { inboxMessages, runMedic, useSubstrate } from './support/substrate.ts';

const s = useSubstrate({ resetEachTest: true });
const MEMBER = '222222222222';
const NO_ROLE = '333333333333';
const MUTATING =
  /^(RebootInstances|StopInstances|StartInstances|TerminateInstances|SendCommand|AssociateAddress)$/;
/** The services that look at or act on an instance (medic's own table, topic and queue are central). */
const INSTANCE_SERVICES = new Set([
  'ec2',
  'ssm',
  'monitoring',
  'logs',
  'autoscaling',
  'elasticloadbalancing',
  'route53',
]);
const hosts: FakeHost[] = [];
afterAll(async () => {
  for (const h of hosts) await h.close();
});

const localKeys = { accessKeyId: 'medic-local', secretAccessKey: 'medic-local' };

function ec2In(region: string, credentials = localKeys) {
  return new EC2Client({ endpoint: s.moto.endpoint, region, credentials });
}

/** The member account's own credentials, as a test (not medic) gets them: the member role. */
async function memberKeys(account: string) {
  const sts = new STSClient({ endpoint: s.moto.endpoint, region: 'us-east-1', credentials: localKeys });
  const answer = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${account}:role/medic-member`,
      RoleSessionName: 'test-assertions',
      ExternalId: LOCAL_EXTERNAL_ID,
    }),
  );
  const k = answer.Credentials;
  if (!k?.AccessKeyId || !k.SecretAccessKey) throw new Error('no member credentials');
  return { accessKeyId: k.AccessKeyId, secretAccessKey: k.SecretAccessKey, sessionToken: k.SessionToken };
}

/** An opted-in instance whose probe address is a hung loopback host (no SSH banner). */
async function launchHung(ec2: EC2Client, name: string): Promise<string> {
  const host = await startFakeHost('hung');
  hosts.push(host);
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-12345678',
      InstanceType: 't3.micro',
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: [
        {
          ResourceType: 'instance',
          Tags: [
            { Key: 'Name', Value: name },
            { Key: 'medic:managed', Value: 'true' },
            { Key: 'medic:probe-address', Value: '127.0.0.1' },
            { Key: 'medic:ports', Value: String(host.sshPort) },
            { Key: 'medic:ssh-port', Value: String(host.sshPort) },
          ],
        },
      ],
    }),
  );
  const id = run.Instances?.[0]?.InstanceId;
  if (!id) throw new Error('moto launched nothing');
  // The independent signals agree the host is down (no SSM agent), so medic may act.
  await injectFaults(s.moto.endpoint, { instanceId: id, ssmAgent: 'ConnectionLost' });
  return id;
}

async function describeOne(ec2: EC2Client, id: string): Promise<Instance | null> {
  try {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    return out.Reservations?.[0]?.Instances?.[0] ?? null;
  } catch (error) {
    if ((error as Error).name === 'InvalidInstanceID.NotFound') return null;
    throw error;
  }
}

function eventFile(event: Record<string, unknown>): string {
  const file = join(tmpdir(), `medic-org-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(event));
  return file;
}

const ENV = {
  // Short ladder: a reboot that does not help is followed by a stop/start, then a page.
  MEDIC_AUTONOMY: 'restart-service=off,reboot=auto,stop-start=auto,failover=off',
  MEDIC_VERIFY_POLLS: '2',
};

describe('medic simulate --event from a member account', () => {
  it('acts only in the alarm account and region, through its member role; the central account is untouched', async () => {
    // Prepare: the same kind of opted-in, hung instance in the central account (us-east-1) and in
    // a member account (eu-west-1, not the default region), the member role deployed there.
    await createMemberRole(s.moto.endpoint, {
      account: MEMBER,
      trustedAccount: LOCAL_CENTRAL_ACCOUNT,
      externalId: LOCAL_EXTERNAL_ID,
    });
    const member = await memberKeys(MEMBER);
    const centralEc2 = ec2In('us-east-1');
    const memberEc2 = ec2In('eu-west-1', member);
    const centralId = await launchHung(centralEc2, 'web-central');
    const memberId = await launchHung(memberEc2, 'web-member');
    expect(memberId).toMatch(/^i-[0-9a-f]{17}$/);
    expect(centralId).toMatch(/^i-[0-9a-f]{17}$/);
    await s.moto.clearCalls();
    const file = eventFile(
      alarmEvent({
        alarmName: 'web-member status check failed',
        metric: 'StatusCheckFailed',
        reason: 'Threshold Crossed: 2 out of the last 2 datapoints were >= 1.0',
        instanceId: memberId,
        at: new Date(),
        account: MEMBER,
        region: 'eu-west-1',
      }),
    );

    // Act
    const run = await runMedic(['simulate', '--event', file, '--json'], { ...s.env, ...ENV });

    // Assess: the JSON names the alarm's account and region
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ account: MEMBER, region: 'eu-west-1', targets: [memberId] });
    expect(result.actions.map((a: { kind: string }) => a.kind)).toEqual(['reboot', 'stop-start', 'page']);
    // Assess: every mutating call went to the member account, none to the central one
    const calls = await s.moto.calls();
    const mutating = calls.filter((c) => MUTATING.test(c.action) && c.params.DryRun !== 'true');
    expect(mutating.length).toBeGreaterThanOrEqual(3);
    expect(new Set(mutating.map((c) => c.account))).toEqual(new Set([MEMBER]));
    expect(mutating.every((c) => JSON.stringify(c.params).includes(memberId))).toBe(true);
    // …and nothing about the member's instance was read or done with the central credentials
    // (medic's own table, topic and Jira are central by design: only the instance's services count)
    const aboutInstance = calls.filter(
      (c) => INSTANCE_SERVICES.has(c.service) && JSON.stringify(c.params).includes(memberId),
    );
    expect(aboutInstance.length).toBeGreaterThan(0);
    expect(aboutInstance.filter((c) => c.account !== MEMBER).map((c) => `${c.service} ${c.action}`)).toEqual(
      [],
    );
    // …through the member role with the external id, in a session named after the incident
    const assumed = calls.filter((c) => c.action === 'AssumeRole');
    expect(assumed.length).toBeGreaterThan(0);
    for (const c of assumed) {
      expect(c.params).toMatchObject({
        RoleArn: `arn:aws:iam::${MEMBER}:role/medic-member`,
        ExternalId: LOCAL_EXTERNAL_ID,
      });
      expect(String(c.params.RoleSessionName)).toMatch(/^medic-[\w+=,.@-]{1,58}$/);
    }
    // Assess: each account described with its own credentials — the member instance is back up in
    // eu-west-1 after its stop/start, the central one still running, neither visible to the other
    expect((await describeOne(memberEc2, memberId))?.State?.Name).toBe('running');
    expect((await describeOne(centralEc2, centralId))?.State?.Name).toBe('running');
    expect(await describeOne(ec2In('eu-west-1'), memberId)).toBeNull();
    expect(await describeOne(ec2In('us-east-1', member), centralId)).toBeNull();
  });

  it('an account without the member role is a timeline entry, a ticket and a page — no action anywhere', async () => {
    // Prepare: an instance in the central account; the alarm names that very id but comes from an
    // account that never deployed the member stack
    const centralEc2 = ec2In('us-east-1');
    const centralId = await launchHung(centralEc2, 'web-central');
    await s.moto.clearCalls();
    const file = eventFile(
      alarmEvent({
        alarmName: 'web-elsewhere status check failed',
        metric: 'StatusCheckFailed',
        reason: 'Threshold Crossed: 2 out of the last 2 datapoints were >= 1.0',
        instanceId: centralId,
        at: new Date(),
        account: NO_ROLE,
        region: 'us-east-1',
      }),
    );

    // Act
    const run = await runMedic(['simulate', '--event', file, '--json'], { ...s.env, ...ENV });

    // Assess: the run ends normally, says why, pages and files the ticket
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ account: NO_ROLE, region: 'us-east-1', status: 'SUCCEEDED' });
    expect(result.ticket?.key).toMatch(/^OPS-\d+$/);
    const escalation = result.timeline.find(
      (e: { kind: string; summary: string }) =>
        e.kind === 'escalation' && e.summary.includes(`arn:aws:iam::${NO_ROLE}:role/medic-member`),
    );
    expect(escalation?.summary).toMatch(/cannot assume .*AccessDenied/);
    expect(result.actions.filter((a: { kind: string }) => a.kind !== 'page' && a.kind !== 'reboot')).toEqual(
      [],
    );
    expect(result.actions.some((a: { kind: string; outcome: string }) => a.kind === 'page')).toBe(true);
    expect(result.actions.every((a: { outcome: string }) => a.outcome !== 'recovered')).toBe(true);
    const subjects = (await inboxMessages(s.moto.endpoint)).map((m) => m.subject);
    expect(subjects.some((x) => x.startsWith('[medic] PAGE:'))).toBe(true);
    // Assess: nothing was read or done in the central account in that account's place
    const calls = await s.moto.calls();
    expect(calls.filter((c) => MUTATING.test(c.action))).toEqual([]);
    expect(calls.filter((c) => c.service === 'ec2' && c.account === LOCAL_CENTRAL_ACCOUNT)).toEqual([]);
    expect((await describeOne(centralEc2, centralId))?.State?.Name).toBe('running');
  });
});
