// The local CloudTrail: moto has no LookupEvents, so the launcher answers it from the calls moto
// actually served, in CloudTrail's documented shape and with CloudTrail's limits. Driven through the
// real SDK clients (and medic's own adapter), on loopback only.
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemberRole, type LocalMoto, startMoto } from '../local/moto.ts';
import { cloudTrailAdapter } from '../shared/adapters/cloudtrail.ts';
import { changeFromTrail } from '../shared/domain/changes.ts';

let moto: LocalMoto;
const base = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'medic-local', secretAccessKey: 'medic-local' },
};
const ROLE = 'arn:aws:iam::123456789012:role/ops-admin';
let groupId = '';
let before = new Date();

/** CloudTrail allows two lookups a second per account and Region: tests wait out the window. */
const settle = () => new Promise((r) => setTimeout(r, 1_100));

beforeAll(async () => {
  moto = await startMoto();
  const ec2 = new EC2Client({ ...base, endpoint: moto.endpoint });
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
  const group = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web', VpcId: vpc.Vpc?.VpcId }),
  );
  groupId = group.GroupId ?? '';
  const rule = { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] };
  await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [rule] }));
  before = new Date(Date.now() - 60_000);
  // A person (an assumed role's session) revokes the rule; the role exists, as the local STS requires.
  await createMemberRole(moto.endpoint, {
    account: '123456789012',
    roleName: 'ops-admin',
    trustedAccount: '123456789012',
  });
  const sts = new STSClient({ ...base, endpoint: moto.endpoint });
  const session = await sts.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'alice' }));
  const alice = new EC2Client({
    region: 'us-east-1',
    endpoint: moto.endpoint,
    credentials: {
      accessKeyId: session.Credentials?.AccessKeyId ?? '',
      secretAccessKey: session.Credentials?.SecretAccessKey ?? '',
      sessionToken: session.Credentials?.SessionToken ?? '',
    },
  });
  await alice.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [rule] }));
  // A refused call (DryRun) changes nothing and is not kept.
  await alice
    .send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [rule], DryRun: true }))
    .catch(() => undefined);
}, 60_000);

afterAll(async () => {
  await moto?.stop();
});

describe('local CloudTrail LookupEvents', () => {
  it('answers a ResourceName lookup with the served revoke, its actor and its request parameters, newest first', async () => {
    // Prepare
    await settle();
    const trail = new CloudTrailClient({ ...base, endpoint: moto.endpoint });
    // Act
    const out = await trail.send(
      new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: groupId }],
        StartTime: before,
        EndTime: new Date(Date.now() + 60_000),
      }),
    );
    // Assess
    const names = (out.Events ?? []).map((e) => e.EventName);
    expect(names).toEqual(['RevokeSecurityGroupIngress', 'AuthorizeSecurityGroupIngress']);
    const revoke = out.Events?.[0];
    expect(revoke?.EventSource).toBe('ec2.amazonaws.com');
    expect(revoke?.Username).toBe('alice');
    expect(revoke?.EventTime).toBeInstanceOf(Date);
    expect(revoke?.Resources).toContainEqual({
      ResourceType: 'AWS::EC2::SecurityGroup',
      ResourceName: groupId,
    });
    const record = JSON.parse(revoke?.CloudTrailEvent ?? '{}');
    expect(record.userIdentity.type).toBe('AssumedRole');
    expect(record.userIdentity.arn).toBe('arn:aws:sts::123456789012:assumed-role/ops-admin/alice');
    expect(record.requestParameters.groupId).toBe(groupId);
    expect(record.requestParameters.ipPermissions.items[0]).toMatchObject({
      ipProtocol: 'tcp',
      fromPort: 22,
      toPort: 22,
      ipRanges: { items: [{ cidrIp: '10.0.0.0/8' }] },
    });
    // medic's summary of it names the port and the person.
    const row = changeFromTrail(
      {
        eventId: revoke?.EventId ?? '',
        at: revoke?.EventTime?.toISOString() ?? '',
        eventName: revoke?.EventName ?? '',
        eventSource: revoke?.EventSource ?? '',
        username: revoke?.Username ?? null,
        resources: [{ type: 'AWS::EC2::SecurityGroup', name: groupId }],
        record,
      },
      groupId,
    );
    expect(row).toMatchObject({
      actor: 'arn:aws:sts::123456789012:assumed-role/ops-admin/alice',
      detail: 'revoked tcp 22 from 10.0.0.0/8',
      ports: [{ protocol: 'tcp', from: 22, to: 22 }],
    });
  });

  it('honours the time range, MaxResults and NextToken, and refuses what CloudTrail refuses', async () => {
    // Prepare
    await settle();
    const trail = new CloudTrailClient({ ...base, endpoint: moto.endpoint });
    const attribute = [{ AttributeKey: 'ResourceName' as const, AttributeValue: groupId }];
    // Act
    const first = await trail.send(new LookupEventsCommand({ LookupAttributes: attribute, MaxResults: 1 }));
    const second = await trail.send(
      new LookupEventsCommand({ LookupAttributes: attribute, MaxResults: 1, NextToken: first.NextToken }),
    );
    await settle();
    const future = await trail.send(
      new LookupEventsCommand({ LookupAttributes: attribute, StartTime: new Date(Date.now() + 3_600_000) }),
    );
    const twoAttributes = await trail
      .send(
        new LookupEventsCommand({
          LookupAttributes: [...attribute, { AttributeKey: 'EventName', AttributeValue: 'RunInstances' }],
        }),
      )
      .catch((e: Error) => e);
    await settle();
    const tooMany = await trail.send(new LookupEventsCommand({ MaxResults: 51 })).catch((e: Error) => e);
    // Assess
    expect(first.Events?.map((e) => e.EventName)).toEqual(['RevokeSecurityGroupIngress']);
    expect(second.Events?.map((e) => e.EventName)).toEqual(['AuthorizeSecurityGroupIngress']);
    expect(second.NextToken).toBeUndefined();
    expect(future.Events).toEqual([]);
    expect((twoAttributes as Error).name).toBe('InvalidLookupAttributesException');
    expect((tooMany as Error).name).toBe('InvalidMaxResultsException');
  });

  it("throttles a third lookup within one second, as CloudTrail does; medic's adapter paces itself under it", async () => {
    // Prepare
    await settle();
    const raw = new CloudTrailClient({ ...base, endpoint: moto.endpoint, maxAttempts: 1 });
    const burst = () =>
      raw.send(new LookupEventsCommand({ MaxResults: 1 })).then(
        () => 'ok',
        (e: Error) => e.name,
      );
    // Act
    const unpaced = await Promise.all([burst(), burst(), burst()]);
    await settle();
    const adapter = cloudTrailAdapter(
      new CloudTrailClient({ ...base, endpoint: moto.endpoint, maxAttempts: 1 }),
    );
    const window = { start: before, end: new Date(Date.now() + 60_000), limit: 5 };
    const paced = await Promise.all(
      [groupId, groupId, groupId, groupId].map((id) =>
        adapter.lookupByResource(id, window).then(
          () => 'ok',
          (e: Error) => e.name,
        ),
      ),
    );
    // Assess
    expect(unpaced.filter((r) => r === 'ThrottlingException')).toHaveLength(1);
    expect(paced).toEqual(['ok', 'ok', 'ok', 'ok']);
  });
});
