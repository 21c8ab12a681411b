/**
 * The moto launcher's fault-injection interface (documented at the top of moto_launcher.py), as
 * the scenarios and other tests use it: real SDK clients against the real moto server.
 */
import {
  DescribeImagesCommand,
  DescribeInstanceStatusCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { injectFaults, type LocalMoto, startMoto } from '../shared/local/moto.ts';

let moto: LocalMoto;
let ec2: EC2Client;
let ssm: SSMClient;

beforeAll(async () => {
  moto = await startMoto();
  const config = {
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 't', secretAccessKey: 't' },
  };
  ec2 = new EC2Client(config);
  ssm = new SSMClient(config);
});
afterAll(async () => {
  await moto?.stop();
});

async function launch(): Promise<string> {
  const images = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  const run = await ec2.send(
    new RunInstancesCommand({ ImageId: images.Images?.[0]?.ImageId, MinCount: 1, MaxCount: 1 }),
  );
  return run.Instances?.[0]?.InstanceId ?? '';
}

describe('moto fault injection', () => {
  it('shows impaired status checks and scheduled events for one instance only', async () => {
    // Prepare
    const [sick, well] = [await launch(), await launch()];
    // Act
    await injectFaults(moto.endpoint, {
      instanceId: sick,
      systemStatus: 'impaired',
      events: [{ code: 'system-reboot', description: 'host maintenance', notBefore: '2030-01-01T00:00:00Z' }],
    });
    const out = await ec2.send(
      new DescribeInstanceStatusCommand({ InstanceIds: [sick, well], IncludeAllInstances: true }),
    );
    // Assess
    const byId = new Map(out.InstanceStatuses?.map((s) => [s.InstanceId, s]));
    expect(byId.get(sick)?.SystemStatus?.Status).toBe('impaired');
    expect(byId.get(sick)?.InstanceStatus?.Status).toBe('ok');
    expect(byId.get(sick)?.Events?.map((e) => [e.Code, e.NotBefore?.toISOString()])).toEqual([
      ['system-reboot', '2030-01-01T00:00:00.000Z'],
    ]);
    expect(byId.get(well)?.SystemStatus?.Status).toBe('ok');
    expect(byId.get(well)?.Events ?? []).toEqual([]);
  });

  it('answers the SSM agent inventory and Run Command output; refuses commands to offline agents', async () => {
    // Prepare
    const [online, lost] = [await launch(), await launch()];
    await injectFaults(moto.endpoint, {
      instanceId: online,
      ssmAgent: 'Online',
      ssmOutput: { stdout: 'disk full\n' },
    });
    await injectFaults(moto.endpoint, { instanceId: lost, ssmAgent: 'ConnectionLost' });
    // Act
    const info = await ssm.send(
      new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [online, lost] }] }),
    );
    const sent = await ssm.send(
      new SendCommandCommand({
        InstanceIds: [online],
        DocumentName: 'AWS-RunShellScript',
        Parameters: { commands: ['df'] },
      }),
    );
    const invocation = await ssm.send(
      new GetCommandInvocationCommand({ CommandId: sent.Command?.CommandId, InstanceId: online }),
    );
    const refused = await ssm
      .send(
        new SendCommandCommand({
          InstanceIds: [lost],
          DocumentName: 'AWS-RunShellScript',
          Parameters: { commands: ['df'] },
        }),
      )
      .catch((e: unknown) => e);
    // Assess
    expect(info.InstanceInformationList?.map((i) => [i.InstanceId, i.PingStatus]).sort()).toEqual(
      [
        [online, 'Online'],
        [lost, 'ConnectionLost'],
      ].sort(),
    );
    expect(invocation).toMatchObject({ Status: 'Success', StandardOutputContent: 'disk full\n' });
    expect(refused).toMatchObject({ name: 'InvalidInstanceId' });
  });

  it('rejects an unknown fault key with 400 and forgets every fault on reset', async () => {
    // Prepare
    const id = await launch();
    await injectFaults(moto.endpoint, { instanceId: id, ssmAgent: 'Online' });
    // Act
    const bad = await injectFaults(moto.endpoint, { instanceId: id, cpu: 99 } as never).catch(
      (e: unknown) => e,
    );
    await moto.reset();
    const after = (await (await fetch(`${moto.endpoint}/_medic/faults`)).json()) as { faults: object };
    // Assess
    expect(bad).toMatchObject({
      name: 'LocalSubstrateError',
      message: expect.stringMatching(/400.*unknown fault keys/),
    });
    expect(after.faults).toEqual({});
  });
});
