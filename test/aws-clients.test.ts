// The per-(account, region) client cache (shared/aws-clients.ts): one AssumeRole per account and
// incident session while its credentials last, a fresh one before they expire, the central account
// on the functions' own credentials, and a refusal as a MemberAccountError — never a client with
// the central credentials in its place.
import { describe, expect, it } from 'vitest';
import {
  type AssumeRequest,
  type AwsClientsDeps,
  awsClients,
  type ClientConfig,
  REFRESH_BEFORE_MS,
} from '../shared/aws-clients.ts';

const CENTRAL = '123456789012';
const MEMBER = '222222222222';

function harness(overrides: Partial<AwsClientsDeps> = {}) {
  let now = Date.parse('2026-11-29T12:00:00Z');
  const assumed: AssumeRequest[] = [];
  const deps: AwsClientsDeps = {
    settings: async () => ({
      centralAccount: CENTRAL,
      centralRegion: 'us-east-1',
      memberRoleName: 'medic-member',
      memberAccounts: null,
    }),
    externalId: 'ext-1',
    now: () => now,
    assume: async (r) => {
      assumed.push(r);
      return {
        accessKeyId: `ASIA${assumed.length}`,
        secretAccessKey: 's',
        sessionToken: 't',
        expiration: new Date(now + 3_600_000),
      };
    },
    ...overrides,
  };
  const made: ClientConfig[] = [];
  const make = (config: ClientConfig) => {
    made.push(config);
    return { config };
  };
  return {
    clients: awsClients(deps),
    assumed,
    made,
    make,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('awsClients', () => {
  it('the central account uses the default credentials in the alarm region, no AssumeRole', async () => {
    // Prepare
    const h = harness();
    // Act
    const client = await h.clients.client('ec2', h.make, {
      account: CENTRAL,
      region: 'eu-west-1',
      incidentId: 'i1',
    });
    // Assess
    expect(client.config).toEqual({ region: 'eu-west-1' });
    expect(h.assumed).toEqual([]);
  });

  it('a member account is reached through its role with the external id; clients cached per account and region', async () => {
    // Prepare
    const h = harness();
    const where = { account: MEMBER, region: 'eu-west-1', incidentId: 'medic-ep-1' };
    // Act
    const a = await h.clients.client('ec2', h.make, where);
    const b = await h.clients.client('ec2', h.make, where);
    const ssm = await h.clients.client('ssm', h.make, where);
    const otherRegion = await h.clients.client('ec2', h.make, { ...where, region: 'us-west-2' });
    // Assess: one AssumeRole for all of them (same account, same incident session)
    expect(h.assumed).toEqual([
      {
        roleArn: `arn:aws:iam::${MEMBER}:role/medic-member`,
        sessionName: 'medic-medic-ep-1',
        externalId: 'ext-1',
        durationSeconds: 3600,
      },
    ]);
    expect(b).toBe(a);
    expect(ssm).not.toBe(a);
    expect(otherRegion).not.toBe(a);
    expect(a.config).toMatchObject({ region: 'eu-west-1', credentials: { accessKeyId: 'ASIA1' } });
    expect(otherRegion.config.region).toBe('us-west-2');
  });

  it('credentials are renewed before they expire, and only then', async () => {
    // Prepare
    const h = harness();
    const where = { account: MEMBER, region: 'eu-west-1', incidentId: 'ep' };
    const first = await h.clients.client('ec2', h.make, where);
    // Act: still comfortably valid, then inside the refresh margin
    h.advance(3_600_000 - REFRESH_BEFORE_MS - 1_000);
    const still = await h.clients.client('ec2', h.make, where);
    h.advance(2_000);
    const renewed = await h.clients.client('ec2', h.make, where);
    // Assess
    expect(still).toBe(first);
    expect(renewed).not.toBe(first);
    expect(h.assumed).toHaveLength(2);
    expect(renewed.config.credentials?.accessKeyId).toBe('ASIA2');
  });

  it('two member accounts never share credentials', async () => {
    // Prepare
    const h = harness();
    // Act
    const a = await h.clients.client('ec2', h.make, {
      account: MEMBER,
      region: 'eu-west-1',
      incidentId: 'ep',
    });
    const b = await h.clients.client('ec2', h.make, {
      account: '333333333333',
      region: 'eu-west-1',
      incidentId: 'ep',
    });
    // Assess
    expect(h.assumed.map((r) => r.roleArn)).toEqual([
      `arn:aws:iam::${MEMBER}:role/medic-member`,
      'arn:aws:iam::333333333333:role/medic-member',
    ]);
    expect(a.config.credentials?.accessKeyId).not.toBe(b.config.credentials?.accessKeyId);
  });

  it('AccessDenied is a MemberAccountError, no client is made, and the next call tries again', async () => {
    // Prepare
    let refuse = true;
    const h = harness({
      assume: async () => {
        if (refuse)
          throw Object.assign(new Error('not authorized to perform: sts:AssumeRole'), {
            name: 'AccessDenied',
          });
        return { accessKeyId: 'ASIAOK', secretAccessKey: 's' };
      },
    });
    const where = { account: MEMBER, region: 'eu-west-1', incidentId: 'ep' };
    // Act
    const refused = await h.clients.client('ec2', h.make, where).catch((e: Error) => e);
    refuse = false;
    const later = await h.clients.client('ec2', h.make, where);
    // Assess
    expect(refused).toMatchObject({ name: 'MemberAccountError', account: MEMBER, region: 'eu-west-1' });
    expect((refused as Error).message).toContain(`arn:aws:iam::${MEMBER}:role/medic-member`);
    expect(h.made).toHaveLength(1);
    expect(later.config.credentials?.accessKeyId).toBe('ASIAOK');
  });

  it('an account outside the allow-list is refused before any AssumeRole', async () => {
    // Prepare
    const h = harness({
      settings: async () => ({
        centralAccount: CENTRAL,
        centralRegion: 'us-east-1',
        memberRoleName: 'medic-member',
        memberAccounts: ['444444444444'],
      }),
    });
    // Act
    const refused = await h.clients
      .client('ec2', h.make, { account: MEMBER, region: 'eu-west-1', incidentId: 'ep' })
      .catch((e: Error) => e);
    // Assess
    expect(refused).toMatchObject({ name: 'MemberAccountError' });
    expect(h.assumed).toEqual([]);
    expect(h.made).toEqual([]);
  });
});
