/**
 * `medic simulate --scenario org`, end to end on moto with three accounts and two regions: one
 * incident per (account, region), each acting only where its alarm is (checked by describing every
 * account's instances with that account's own credentials, in each region), then alarms from two
 * member accounts at once trip the organization-wide guard once: one page, one summary ticket
 * naming the accounts, nothing acted on. The missing-member-role page is org-accounts.e2e's.
 */
import { DescribeInstancesCommand, EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OrgReport, SimulationResult } from '../local/simulate.ts';
import { LOCAL_CENTRAL_ACCOUNT, LOCAL_EXTERNAL_ID } from '../local/simulate.ts';
import { runMedic, useSubstrate } from './support/substrate.ts';

const s = useSubstrate();
const MEMBERS = ['222222222222', '333333333333'];
const ACCOUNTS = [LOCAL_CENTRAL_ACCOUNT, ...MEMBERS];
const REGIONS = ['us-east-1', 'eu-west-1'];
const localKeys = { accessKeyId: 'medic-local', secretAccessKey: 'medic-local' };
type Keys = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

let result: SimulationResult & { org: OrgReport };
const keys = new Map<string, Keys>();

/** An account's own credentials, as a test (not medic) gets them: the central keys or the member role. */
async function keysOf(account: string): Promise<Keys> {
  if (account === LOCAL_CENTRAL_ACCOUNT) return localKeys;
  const known = keys.get(account);
  if (known) return known;
  const sts = new STSClient({ endpoint: s.moto.endpoint, region: 'us-east-1', credentials: localKeys });
  const answer = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${account}:role/medic-member`,
      RoleSessionName: 'test-assertions',
      ExternalId: LOCAL_EXTERNAL_ID,
    }),
  );
  const k = answer.Credentials;
  if (!k?.AccessKeyId || !k.SecretAccessKey) throw new Error(`no credentials for ${account}`);
  const made = {
    accessKeyId: k.AccessKeyId,
    secretAccessKey: k.SecretAccessKey,
    sessionToken: k.SessionToken,
  };
  keys.set(account, made);
  return made;
}

async function describeIn(account: string, region: string, id: string): Promise<Instance | null> {
  const ec2 = new EC2Client({ endpoint: s.moto.endpoint, region, credentials: await keysOf(account) });
  try {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    return out.Reservations?.[0]?.Instances?.[0] ?? null;
  } catch (error) {
    if ((error as Error).name === 'InvalidInstanceID.NotFound') return null;
    throw error;
  }
}

beforeAll(async () => {
  // Prepare + Act: the whole scenario, once (3 × 2 incidents, then the storm)
  const run = await runMedic(['simulate', '--scenario', 'org', '--json'], s.env, 240_000);
  expect(run.code, run.stderr).toBe(0);
  result = JSON.parse(run.stdout);
}, 260_000);

describe('medic simulate --scenario org', () => {
  it('runs one incident in each of 3 accounts × 2 regions, each acting only in its own account and region', async () => {
    // Assess: one incident per (account, region), each rebooted its host and recovered
    const incidents = result.org.incidents;
    expect(incidents.map((i) => `${i.account} ${i.region}`).sort()).toEqual(
      ACCOUNTS.flatMap((a) => REGIONS.map((r) => `${a} ${r}`)).sort(),
    );
    for (const i of incidents) {
      expect(i.status).toBe('SUCCEEDED');
      expect(i.outcome).toBe('resolved');
      expect(i.actions.map((a) => `${a.kind}:${a.outcome}`)).toEqual(['reboot:recovered']);
      // Assess: every mutating EC2 call of this incident was answered in its account and region
      expect(i.actedIn.length).toBeGreaterThan(0);
      expect(i.actedIn).toEqual(
        i.actedIn.map((c) => ({ action: c.action, account: i.account, region: i.region })),
      );
    }
  });

  it('never confuses instances of the same id shape: each exists only in its own account and region', async () => {
    // Assess: described with each account's own credentials, in each region — an acted instance
    // is there (running after its reboot) and nowhere else
    const ids = result.org.incidents.map((i) => i.instanceId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const i of result.org.incidents) {
      expect(i.instanceId).toMatch(/^i-[0-9a-f]{17}$/);
      expect((await describeIn(i.account, i.region, i.instanceId))?.State?.Name).toBe('running');
      for (const account of ACCOUNTS)
        for (const region of REGIONS) {
          if (account === i.account && region === i.region) continue;
          expect(
            await describeIn(account, region, i.instanceId),
            `${i.instanceId} in ${account} ${region}`,
          ).toBeNull();
        }
    }
  });

  it('a storm spread over two accounts trips the organization-wide guard once: one page, one summary ticket naming the accounts', () => {
    const storm = result.org.storm;
    // Assess: the storm's alarms came from both member accounts, none above its own limit
    expect(Object.keys(storm.alarmed).sort()).toEqual(MEMBERS);
    for (const ids of Object.values(storm.alarmed)) expect(ids.length).toBeLessThanOrEqual(5);
    // Assess: every alarm held, nothing acted on, one page
    expect(storm.dispositions).toEqual({ storm: storm.instances });
    expect(storm.mutatingCalls).toBe(0);
    expect(storm.pages).toHaveLength(1);
    expect(storm.pages[0]).toMatch(/fleet guard tripped .* in 3 accounts/);
    // Assess: one summary ticket naming the storm's accounts (and every account it counted)
    expect(storm.tickets).toHaveLength(1);
    const [ticket] = storm.tickets;
    for (const account of MEMBERS) {
      expect(ticket?.summary).toContain(account);
      expect(ticket?.labels).toContain(`account-${account}`);
    }
    expect(ticket?.summary).toContain('in accounts');
  });
});
