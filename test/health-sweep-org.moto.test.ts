/**
 * The scheduled health sweep over an organization, through its real handler on moto with several
 * accounts and regions: each configured (account, region) is read with clients built there (a
 * member account through its member role, the central one with the function's own keys), the same
 * instance id shape in two places is never merged, and an account whose role cannot be assumed is
 * one line of the digest — the sweep still ends normally and reports the others.
 */
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalJira } from '../local/jira-server.ts';
import { createMemberRole, type LocalMoto, startMoto } from '../local/moto.ts';
import { configureEnvironment, ensureTopic, LOCAL_EXTERNAL_ID } from '../local/simulate.ts';
import { MemberAccountError } from '../shared/errors.ts';
import { gatherScopes, SCOPE_RESERVE_MS, scopeLines } from '../shared/usecases/health-sweep.ts';
import { scheduledEvent } from './support/aws-events.ts';
import { LOCAL_JIRA, startLocalJira } from './support/jira.ts';
import { inboxMessages } from './support/substrate.ts';

const CENTRAL = '123456789012';
const MEMBER = '222222222222';
const NO_ROLE = '333333333333';
const REGIONS = ['us-east-1', 'eu-west-1'];
const localKeys = { accessKeyId: 'medic-local', secretAccessKey: 'medic-local' };
let moto: LocalMoto;
let jira: LocalJira;
const saved = { ...process.env };
/** account region → the opted-in instance launched there. */
const placed = new Map<string, string>();

async function launch(account: string, region: string, credentials: typeof localKeys): Promise<void> {
  const ec2 = new EC2Client({ endpoint: moto.endpoint, region, credentials });
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-12345678',
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'medic:managed', Value: 'true' }] }],
    }),
  );
  placed.set(`${account} ${region}`, run.Instances?.[0]?.InstanceId ?? '');
}

beforeAll(async () => {
  [moto, jira] = await Promise.all([startMoto(), startLocalJira()]);
  configureEnvironment(moto.endpoint, {
    baseUrl: jira.baseUrl,
    email: LOCAL_JIRA.email,
    token: LOCAL_JIRA.apiToken,
    project: LOCAL_JIRA.projectKey,
  });
  const config = { endpoint: moto.endpoint, region: 'us-east-1', credentials: localKeys };
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    MEDIC_CENTRAL_ACCOUNT: CENTRAL,
    MEDIC_MEMBER_ACCOUNTS: `${MEMBER},${NO_ROLE}`,
    MEDIC_REGIONS: REGIONS.join(','),
    MEDIC_STAKEHOLDER_TOPIC_ARN: await ensureTopic(new SNSClient(config), new SQSClient(config)),
  });
  await createMemberRole(moto.endpoint, {
    account: MEMBER,
    trustedAccount: CENTRAL,
    externalId: LOCAL_EXTERNAL_ID,
  });
  const k = (
    await new STSClient(config).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${MEMBER}:role/medic-member`,
        RoleSessionName: 'test-setup',
        ExternalId: LOCAL_EXTERNAL_ID,
      }),
    )
  ).Credentials;
  const memberKeys = {
    accessKeyId: k?.AccessKeyId ?? '',
    secretAccessKey: k?.SecretAccessKey ?? '',
    sessionToken: k?.SessionToken ?? '',
  };
  for (const region of REGIONS) {
    await launch(CENTRAL, region, localKeys);
    await launch(MEMBER, region, memberKeys);
  }
}, 60_000);

afterAll(async () => {
  process.env = saved;
  await Promise.all([moto?.stop(), jira?.close()]);
});

describe('the health sweep of an organization', () => {
  it('reads every configured account and region there; an unassumable account is one digest line', async () => {
    // Prepare
    await moto.clearCalls();
    const { handler } = await import('../functions/health-sweep.ts');
    const context = {
      functionName: 'medic-test-healthSweep',
      awsRequestId: 'sweep-1',
      getRemainingTimeInMillis: () => 120_000,
    } as unknown as Context;

    // Act
    const result = (await (handler as (e: unknown, c: Context) => Promise<unknown>)(
      scheduledEvent('medic-sweep'),
      context,
    )) as { checked: number; drift: number };

    // Assess: the four opted-in instances of the two reachable accounts × two regions
    expect(result.checked).toBe(4);
    const [digest] = (await inboxMessages(moto.endpoint)).filter((m) => m.subject.includes('health sweep'));
    expect(digest?.body.split('\n')[0]).toMatch(/; 2 account\/region\(s\) not swept$/);
    expect(digest?.body).toContain('Accounts × regions: 4 of 6 swept.');
    for (const region of REGIONS)
      expect(digest?.body).toMatch(
        new RegExp(
          `account ${NO_ROLE} ${region}: not swept — MemberAccountError: cannot assume arn:aws:iam::${NO_ROLE}:role/medic-member`,
        ),
      );
    // Assess: each instance named where it lives (the central region's by its bare id)
    expect(digest?.body).toContain(`- ${placed.get(`${CENTRAL} us-east-1`)}: [alarms-missing]`);
    expect(digest?.body).toContain(
      `- ${CENTRAL}/eu-west-1/${placed.get(`${CENTRAL} eu-west-1`)}: [alarms-missing]`,
    );
    for (const region of REGIONS)
      expect(digest?.body).toContain(
        `- ${MEMBER}/${region}/${placed.get(`${MEMBER} ${region}`)}: [alarms-missing]`,
      );
    // Assess: each account and region was read there, with that account's keys
    const reads = (await moto.calls()).filter((c) => c.action === 'DescribeInstances');
    expect(new Set(reads.map((c) => `${c.account} ${c.region}`))).toEqual(
      new Set([CENTRAL, MEMBER].flatMap((a) => REGIONS.map((r) => `${a} ${r}`))),
    );
  });
});

describe('gatherScopes: bounded in time', () => {
  const snapshot = (id: string) => ({
    fleet: [{ instanceId: id, name: null, state: 'running', availabilityZone: null, autoScalingGroup: null }],
    metrics: new Map(),
    alarms: new Set<string>(),
    zones: new Map(),
  });

  it.each([
    ['plenty of time: every account read', 120_000, 'never', ['a', 'b'], [], []],
    [
      'a read that outlasts the time left is skipped, not awaited',
      SCOPE_RESERVE_MS + 50,
      'hangs',
      ['a'],
      ['b'],
      [],
    ],
    ['no time left: nothing is started', SCOPE_RESERVE_MS - 1, 'never', [], ['a', 'b'], []],
    ['a refused role is one line, the others read', 120_000, 'refuses', ['a'], [], ['b']],
  ] as const)('%s', async (_rule, leftMs, b, swept, skipped, unreachable) => {
    // Prepare: account a answers at once; account b as the row says
    const started = Date.now();
    const scopes = {
      scopes: [
        { account: '111111111111', region: 'a' },
        { account: '222222222222', region: 'b' },
      ],
      home: { account: '111111111111', region: 'a' },
      read: async (s: { region: string }) => {
        if (s.region === 'b' && b === 'hangs') return new Promise<never>(() => undefined);
        if (s.region === 'b' && b === 'refuses')
          throw new MemberAccountError('cannot assume the role', '222222222222', 'b');
        return snapshot(`i-0${s.region}`);
      },
    };
    // Act
    const g = await gatherScopes(scopes, { leftMs: () => leftMs - (Date.now() - started) });
    // Assess
    expect(g.swept.map((s) => s.region)).toEqual(swept);
    expect(g.skipped.map((s) => s.region)).toEqual(skipped);
    expect(g.unreachable.map((u) => u.scope.region)).toEqual(unreachable);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(scopeLines(g)[0]).toBe(`Accounts × regions: ${swept.length} of 2 swept.`);
  });
});
