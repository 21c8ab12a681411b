/**
 * End to end: each fault scenario through `medic simulate`, against a real moto (with the
 * launcher's fault injection) and the local Jira. One simulate run per scenario; what is asserted
 * is the classification plus the evidence a person would look for.
 *
 * To keep the suite affordable on two shared cores, one scenario goes through the CLI as a user
 * runs it (`medic simulate --scenario disk-full --json`, a subprocess); the others call the same
 * `simulate()` the CLI prints, in this process, so the handlers are loaded once per file instead
 * of once per run. The moto fault-injection interface is tested here too, on the same moto.
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
import { describe, expect, it } from 'vitest';
import { injectFaults } from '../local/moto.ts';
import { simulate as simulateInProcess } from '../local/simulate.ts';
import { runMedic, useSubstrate } from './support/substrate.ts';

const s = useSubstrate({
  started: (started) => {
    // simulate() reads its endpoints from the environment, exactly as the CLI does. This file's
    // scenarios share one moto, so its unrelated incidents must not add up to a fleet-guard storm
    // (> 5 instances in 10 min would hold every action, as it should in production).
    Object.assign(process.env, started.env, { AWS_REGION: 'us-east-1', MEDIC_FLEET_MAX_INSTANCES: '100' });
  },
});

interface Result {
  targets: string[];
  classification: string;
  outcome: string;
  actions: { kind: string; outcome: string }[];
  timeline: { kind: string; summary: string; instanceId?: string }[];
  ticket: { key: string } | null;
}

async function simulate(scenario: string): Promise<Result> {
  const result = await simulateInProcess({ scenario });
  expect(result.status, JSON.stringify(result.error)).toBe('SUCCEEDED');
  // The same document `--json` prints.
  return JSON.parse(JSON.stringify(result)) as Result;
}

async function simulateCli(scenario: string): Promise<Result> {
  const run = await runMedic(['simulate', '--scenario', scenario, '--json'], s.env);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Result;
}

/** Mutating EC2 calls that reached moto for this run's instance (the moto is shared by the file). */
async function mutations(r: Result): Promise<string[]> {
  return (await s.moto.calls())
    .filter((c) => /^(Reboot|Stop|Start|Terminate)Instances$/.test(c.action))
    .filter((c) => Object.values(c.params).includes(r.targets[0]))
    .map((c) => c.action);
}

const evidence = (r: Result) => r.timeline.filter((e) => e.kind === 'evidence').map((e) => e.summary);
const decision = (r: Result) => r.timeline.find((e) => e.kind === 'decision')?.summary ?? '';
const ticketText = (r: Result) =>
  JSON.stringify(s.jira.issues().find((i) => i.key === r.ticket?.key)?.fields.description ?? null);

describe('medic simulate: every fault scenario is classified from its evidence', () => {
  it('system-check-failed → hardware: stop-start first, never a reboot loop', async () => {
    // Act
    const r = await simulate('system-check-failed');
    // Assess
    expect(r.classification).toBe('hardware');
    expect(evidence(r)).toEqual(
      expect.arrayContaining([
        'system status check: impaired [fail]',
        expect.stringMatching(/^scheduled events: instance-retirement \(2030-01-01/),
      ]),
    );
    expect(r.actions[0]?.kind).toBe('stop-start');
    // Stop/start is real: it stops and starts the host; it never reboots it.
    expect(await mutations(r)).toEqual(['StopInstances', 'StartInstances']);
  });

  it('network-partition → network: status checks pass, nothing accepts TCP', async () => {
    // Act
    const r = await simulate('network-partition');
    // Assess
    expect(r.classification).toBe('network');
    expect(evidence(r)).toEqual(
      expect.arrayContaining([
        'system status check: ok [pass]',
        expect.stringMatching(/^SSH 127\.0\.0\.1:\d+: TCP refused \[fail\]$/),
        expect.stringMatching(/^SSM agent: SSM agent ConnectionLost/),
      ]),
    );
  });

  it('app-down → application: SSH answers, health 503, the unit failed, the logs say why', async () => {
    // Act
    const r = await simulate('app-down');
    // Assess
    expect(r.classification).toBe('application');
    expect(r.actions[0]?.kind).toBe('restart-service');
    const lines = evidence(r);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^SSH 127\.0\.0\.1:\d+: SSH-2\.0-OpenSSH/),
        expect.stringMatching(/^HTTP http:\/\/127\.0\.0\.1:\d+\/health: 503 in \d+ ms \[fail\]$/),
        'service webapp.service: failed [fail]',
        'failed systemd units: webapp.service [fail]',
        expect.stringMatching(/^errors in \/medic\/sim\/web-5: 2 error lines in the window; last: FATAL/),
      ]),
    );
    // Assess: the INFO line was read but is not an error line
    expect(lines.join('\n')).not.toContain('GET /health 200');
  });

  it('disk-full → resource:disk: evidence and a page, nothing deleted or rebooted; the ticket shows each check', async () => {
    // Act
    const r = await simulateCli('disk-full');
    // Assess
    expect(r.classification).toBe('resource:disk');
    expect(r.actions.map((a) => [a.kind, a.outcome])).toEqual([['page', 'paged']]);
    expect(await mutations(r)).toEqual([]);
    expect(evidence(r)).toEqual(
      expect.arrayContaining([
        'disk usage (df): / 100 %, /boot 31 % [fail]',
        expect.stringMatching(/^disk used path=\/.*: latest 100 %, max 100 % \(10 samples\) \[fail\]$/),
      ]),
    );
    const ticket = ticketText(r);
    for (const cell of [
      'disk usage (df)',
      '/ 100 %, /boot 31 %',
      'FAIL',
      'SSM Run Command (AWS-RunShellScript)',
    ]) {
      expect(ticket).toContain(`"text":"${cell}"`);
    }
    expect(ticket).toContain('No space left on device');
  });

  it('memory-leak → resource:memory: the agent metric and free agree', async () => {
    // Act
    const r = await simulate('memory-leak');
    // Assess
    expect(r.classification).toBe('resource:memory');
    expect(evidence(r)).toEqual(
      expect.arrayContaining([
        'memory used: latest 97 %, max 97 % (10 samples) [fail]',
        expect.stringMatching(/^memory \(free\): 97\.5 % used/),
      ]),
    );
    expect(r.actions[0]?.kind).toBe('restart-service');
  });

  it('agent-missing → the evidence names the monitoring gap instead of calling memory and disk healthy', async () => {
    // Act
    const r = await simulate('agent-missing');
    // Assess
    expect(r.classification).toBe('transient');
    const lines = evidence(r);
    expect(lines.filter((l) => l.startsWith('monitoring gap:'))).toHaveLength(2);
    expect(lines.some((l) => /^memory used:/.test(l))).toBe(false);
    expect(lines).toEqual(
      expect.arrayContaining([expect.stringMatching(/^SSM agent: monitoring gap: not an SSM managed node/)]),
    );
    expect(decision(r)).toMatch(/monitoring gap/);
    expect(ticketText(r)).toMatch(
      /Monitoring gap on i-[0-9a-f]+: install and configure the CloudWatch agent/,
    );
  });
});

const clientConfig = () => ({
  endpoint: s.moto.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 't', secretAccessKey: 't' },
});
const ec2 = () => new EC2Client(clientConfig());
const ssm = () => new SSMClient(clientConfig());

async function launch(): Promise<string> {
  const images = await ec2().send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  const run = await ec2().send(
    new RunInstancesCommand({ ImageId: images.Images?.[0]?.ImageId, MinCount: 1, MaxCount: 1 }),
  );
  return run.Instances?.[0]?.InstanceId ?? '';
}

describe('moto fault injection (the interface at the top of moto_launcher.py)', () => {
  it('shows impaired status checks and scheduled events for one instance only', async () => {
    // Prepare
    const [sick, well] = [await launch(), await launch()];
    // Act
    await injectFaults(s.moto.endpoint, {
      instanceId: sick,
      systemStatus: 'impaired',
      events: [{ code: 'system-reboot', description: 'host maintenance', notBefore: '2030-01-01T00:00:00Z' }],
    });
    const out = await ec2().send(
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
    await injectFaults(s.moto.endpoint, {
      instanceId: online,
      ssmAgent: 'Online',
      ssmOutput: { stdout: 'disk full\n' },
    });
    await injectFaults(s.moto.endpoint, { instanceId: lost, ssmAgent: 'ConnectionLost' });
    // Act
    const info = await ssm().send(
      new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [online, lost] }] }),
    );
    const sent = await ssm().send(
      new SendCommandCommand({
        InstanceIds: [online],
        DocumentName: 'AWS-RunShellScript',
        Parameters: { commands: ['df'] },
      }),
    );
    const invocation = await ssm().send(
      new GetCommandInvocationCommand({ CommandId: sent.Command?.CommandId, InstanceId: online }),
    );
    const refused = await ssm()
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
    await injectFaults(s.moto.endpoint, { instanceId: id, ssmAgent: 'Online' });
    // Act
    const bad = await injectFaults(s.moto.endpoint, { instanceId: id, cpu: 99 } as never).catch(
      (e: unknown) => e,
    );
    await s.moto.reset();
    const after = (await (await fetch(`${s.moto.endpoint}/_medic/faults`)).json()) as { faults: object };
    // Assess
    expect(bad).toMatchObject({
      name: 'LocalSubstrateError',
      message: expect.stringMatching(/400.*unknown fault keys/),
    });
    expect(after.faults).toEqual({});
  });
});
