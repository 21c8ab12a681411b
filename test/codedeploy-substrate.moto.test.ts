// The local CodeDeploy: moto serves deployments and groups but not their targets, so the launcher
// resolves a deployment's EC2 targets from the group's tag filters when moto served CreateDeployment,
// answers BatchGetDeploymentTargets in CodeDeploy's shape and with its errors, and keeps the
// CreateDeployment event (with its deploymentId) for LookupEvents. Real SDK clients and medic's own
// adapters, on loopback only.
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import {
  BatchGetDeploymentTargetsCommand,
  CodeDeployClient,
  CreateApplicationCommand,
  CreateDeploymentCommand,
  CreateDeploymentGroupCommand,
} from '@aws-sdk/client-codedeploy';
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalMoto, startMoto } from '../local/moto.ts';
import { cloudTrailAdapter } from '../shared/adapters/cloudtrail.ts';
import { codeDeployAdapter } from '../shared/adapters/codedeploy.ts';
import { deploymentIdOf } from '../shared/domain/changes.ts';

let moto: LocalMoto;
const base = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'medic-local', secretAccessKey: 'medic-local' },
};
let web = '';
let other = '';
let deploymentId = '';
let before = new Date();

async function run(ec2: EC2Client, tags: Record<string, string>): Promise<string> {
  const out = await ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-12c6146b',
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: [
        { ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
      ],
    }),
  );
  return out.Instances?.[0]?.InstanceId ?? '';
}

beforeAll(async () => {
  moto = await startMoto();
  const ec2 = new EC2Client({ ...base, endpoint: moto.endpoint });
  web = await run(ec2, { app: 'shop-web' });
  other = await run(ec2, { app: 'billing' });
  before = new Date(Date.now() - 60_000);
  const cd = new CodeDeployClient({ ...base, endpoint: moto.endpoint });
  await cd.send(new CreateApplicationCommand({ applicationName: 'shop', computePlatform: 'Server' }));
  await cd.send(
    new CreateDeploymentGroupCommand({
      applicationName: 'shop',
      deploymentGroupName: 'web',
      serviceRoleArn: 'arn:aws:iam::123456789012:role/codedeploy',
      ec2TagFilters: [{ Key: 'app', Value: 'shop-web', Type: 'KEY_AND_VALUE' }],
    }),
  );
  const created = await cd.send(
    new CreateDeploymentCommand({
      applicationName: 'shop',
      deploymentGroupName: 'web',
      revision: {
        revisionType: 'S3',
        s3Location: { bucket: 'releases', key: 'shop.zip', bundleType: 'zip' },
      },
    }),
  );
  deploymentId = created.deploymentId ?? '';
}, 60_000);

afterAll(async () => {
  await moto?.stop();
});

describe('the local CodeDeploy deployment targets', () => {
  it('the deployment reached the tagged instance, not the other one, through medic’s adapter', async () => {
    // Prepare
    const port = codeDeployAdapter(new CodeDeployClient({ ...base, endpoint: moto.endpoint }));
    // Act
    const [info] = await port.deployments([deploymentId]);
    const here = await port.instanceTarget(deploymentId, web);
    const there = await port.instanceTarget(deploymentId, other);
    // Assess
    expect(info).toMatchObject({ deploymentId, application: 'shop', group: 'web', status: 'Succeeded' });
    expect(here).toMatchObject({ status: 'Succeeded', failedEvent: null });
    expect(there).toBeNull();
  });

  it('answers as strictly as CodeDeploy: unknown deployment, no target ids, more than 25', async () => {
    // Prepare
    const cd = new CodeDeployClient({ ...base, endpoint: moto.endpoint, maxAttempts: 1 });
    const send = (input: { deploymentId?: string; targetIds?: string[] }) =>
      cd.send(new BatchGetDeploymentTargetsCommand(input as never)).then(
        () => 'ok',
        (e: Error) => e.name,
      );
    // Act
    const answers = [
      await send({ deploymentId: 'd-NOPE', targetIds: [web] }),
      await send({ deploymentId, targetIds: [] }),
      await send({ deploymentId, targetIds: Array.from({ length: 26 }, () => web) }),
      await send({ deploymentId, targetIds: [web, other] }),
      await send({ targetIds: [web] }),
    ];
    // Assess
    expect(answers).toEqual([
      'DeploymentDoesNotExistException',
      'DeploymentTargetIdRequiredException',
      'DeploymentTargetListSizeExceededException',
      'DeploymentTargetDoesNotExistException',
      'DeploymentIdRequiredException',
    ]);
  });

  it('CloudTrail keeps CreateDeployment with its deploymentId and the caller', async () => {
    // Prepare
    await new Promise((r) => setTimeout(r, 1_100));
    const trail = cloudTrailAdapter(new CloudTrailClient({ ...base, endpoint: moto.endpoint }));
    // Act
    const events = await trail.lookupByEventName('CreateDeployment', {
      start: before,
      end: new Date(Date.now() + 60_000),
      limit: 10,
    });
    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]?.eventSource).toBe('codedeploy.amazonaws.com');
    expect(deploymentIdOf(events[0] as never)).toBe(deploymentId);
    expect(events[0]?.record.userIdentity).toMatchObject({ arn: expect.stringContaining(':user/') });
  });
});
