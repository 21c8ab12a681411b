/**
 * `medic alarms sync --account ID --region R` on moto with several accounts: the standard alarms
 * are created in the instance's own account and region, through the member role assumed with the
 * external id (as the Lambdas assume it), without alarm actions there (the member stack forwards
 * state changes); an account whose role cannot be assumed is one line and exit code 1, and the
 * other accounts are still synced.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemberRole, type LocalMoto, startMoto } from '../local/moto.ts';
import { motoProcessEnv } from './support/moto.ts';
import { runOperator } from './support/operator.ts';

const CENTRAL = '123456789012';
const MEMBER = '222222222222';
const NO_ROLE = '333333333333';
const EXTERNAL_ID = 'sync-external-id';
const localKeys = { accessKeyId: 'medic-local', secretAccessKey: 'medic-local' };
let moto: LocalMoto;
let memberKeys: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
let memberInstance: string;
const saved = { ...process.env };

beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, motoProcessEnv(moto.endpoint), {
    MEDIC_CENTRAL_ACCOUNT: CENTRAL,
    MEDIC_MEMBER_EXTERNAL_ID: EXTERNAL_ID,
    MEDIC_MEMBER_ACCOUNTS: `${MEMBER},${NO_ROLE}`,
  });
  await createMemberRole(moto.endpoint, {
    account: MEMBER,
    trustedAccount: CENTRAL,
    externalId: EXTERNAL_ID,
  });
  const sts = new STSClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: localKeys });
  const k = (
    await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${MEMBER}:role/medic-member`,
        RoleSessionName: 'test-setup',
        ExternalId: EXTERNAL_ID,
      }),
    )
  ).Credentials;
  memberKeys = {
    accessKeyId: k?.AccessKeyId ?? '',
    secretAccessKey: k?.SecretAccessKey ?? '',
    sessionToken: k?.SessionToken ?? '',
  };
  const ec2 = new EC2Client({ endpoint: moto.endpoint, region: 'eu-west-1', credentials: memberKeys });
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-12345678',
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'medic:managed', Value: 'true' }] }],
    }),
  );
  memberInstance = run.Instances?.[0]?.InstanceId ?? '';
}, 60_000);

afterAll(async () => {
  process.env = saved;
  await moto?.stop();
});

const alarmsIn = async (region: string, credentials: typeof localKeys) =>
  (
    await new CloudWatchClient({ endpoint: moto.endpoint, region, credentials }).send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: 'medic-' }),
    )
  ).MetricAlarms ?? [];

describe('medic alarms sync in a member account', () => {
  it('creates the standard alarms in the instance account and region, through the member role, without actions', async () => {
    // Prepare
    await moto.clearCalls();
    // Act
    const run = await runOperator(['alarms', 'sync', '--account', MEMBER, '--region', 'eu-west-1']);
    // Assess: five alarms in the member's eu-west-1, none in the central account or another region
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toContain(`account ${MEMBER} eu-west-1: 1 opted-in instance(s)`);
    const there = await alarmsIn('eu-west-1', memberKeys);
    expect(there.map((a) => a.AlarmName).sort()).toEqual(
      ['cpu', 'disk', 'memory', 'status-instance', 'status-system'].map(
        (s) => `medic-${memberInstance}-${s}`,
      ),
    );
    for (const a of there) {
      expect(a.AlarmActions).toEqual([]);
      expect(a.OKActions).toEqual([]);
    }
    expect(await alarmsIn('eu-west-1', localKeys)).toEqual([]);
    expect(await alarmsIn('us-east-1', memberKeys)).toEqual([]);
    // Assess: every write was answered in the member account and region, after an AssumeRole of
    // the member role with the external id
    const calls = await moto.calls();
    const puts = calls.filter((c) => c.action === 'PutMetricAlarm');
    expect(puts).toHaveLength(5);
    expect(new Set(puts.map((c) => `${c.account} ${c.region}`))).toEqual(new Set([`${MEMBER} eu-west-1`]));
    const assumed = calls.filter((c) => c.action === 'AssumeRole');
    expect(assumed.length).toBeGreaterThan(0);
    for (const c of assumed)
      expect(c.params).toMatchObject({
        RoleArn: `arn:aws:iam::${MEMBER}:role/medic-member`,
        ExternalId: EXTERNAL_ID,
      });
  });

  it('--all: an account whose role cannot be assumed is one line and exit 1; the others are synced', async () => {
    // Prepare
    await moto.clearCalls();
    // Act
    const run = await runOperator(['alarms', 'sync', '--all', '--regions', 'eu-west-1', '--dry-run']);
    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`account ${CENTRAL} eu-west-1: 0 opted-in instance(s)`);
    expect(run.stdout).toContain(`account ${MEMBER} eu-west-1: 1 opted-in instance(s)`);
    expect(run.stdout).toMatch(
      new RegExp(
        `account ${NO_ROLE} eu-west-1: not synced — cannot assume arn:aws:iam::${NO_ROLE}:role/medic-member`,
      ),
    );
    expect((await moto.calls()).filter((c) => c.action === 'PutMetricAlarm')).toEqual([]);
  });

  it('refuses an account medic does not serve before any call', async () => {
    // Act
    const run = await runOperator(['alarms', 'sync', '--account', '444444444444', '--region', 'eu-west-1']);
    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('not one of the member accounts');
  });
});
