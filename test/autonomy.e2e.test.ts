/**
 * End to end: the deploy-wide mode, per-action autonomy and the kill switch through `medic
 * simulate` on a real moto and the local Jira. What is asserted is what AWS would have seen (moto's
 * call log: mutating calls, DryRun flags), what a person reads (timeline, page, ticket) and the
 * SSM parameter `medic pause` / `medic resume` write and clear.
 *
 * The first runs go through the CLI as a user runs it (each with its own MEDIC_MODE /
 * MEDIC_AUTONOMY: configuration is read once per process). The kill-switch runs call the same
 * `simulate()` in this process, so the test can pause medic at an exact point of a run.
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { simulate } from '../local/simulate.ts';
import { runOperator } from './support/operator.ts';
import { inboxMessages, runMedic, useSubstrate } from './support/substrate.ts';

const RUN_TIMEOUT_MS = 150_000;
/** Every action on, so the ladder reaches its second rung without a person. */
const ALL_AUTO = 'restart-service=auto,reboot=auto,stop-start=auto,failover=auto';

const s = useSubstrate({
  resetEachTest: true,
  started: (started) => {
    // This file's incidents share one moto: they must not add up to a fleet-guard storm.
    Object.assign(process.env, started.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'medic-local',
      AWS_SECRET_ACCESS_KEY: 'medic-local',
      MEDIC_FLEET_MAX_INSTANCES: '100',
      MEDIC_VERIFY_POLLS: '2',
      MEDIC_AUTONOMY: ALL_AUTO,
    });
    delete process.env.MEDIC_MODE;
    delete process.env.MEDIC_STAGE;
  },
});

interface Result {
  outcome: string;
  status: string;
  actions: { kind: string; outcome: string; detail: string }[];
  timeline: { kind: string; step: string; summary: string }[];
  ticket: { key: string } | null;
}

async function cli(scenario: string, env: Record<string, string>): Promise<Result> {
  const run = await runMedic(
    ['simulate', '--scenario', scenario, '--json'],
    { ...s.env, MEDIC_FLEET_MAX_INSTANCES: '100', MEDIC_VERIFY_POLLS: '2', ...env },
    RUN_TIMEOUT_MS,
  );
  expect(run.code, run.stderr).toBe(0);
  const result = JSON.parse(run.stdout) as Result;
  expect(result.status).toBe('SUCCEEDED');
  return result;
}

/** Calls that change something in AWS (DryRun calls and the read-only evidence command excluded). */
async function mutating() {
  return (await s.moto.calls())
    .filter((c) =>
      /^(Reboot|Stop|Start)Instances$|^SendCommand$|^AssociateAddress$|Targets$|^ChangeResourceRecordSets$|^SetInstanceHealth$/.test(
        c.action,
      ),
    )
    .filter((c) => c.params.DryRun !== 'true')
    .filter((c) => !(c.action === 'SendCommand' && String(c.params.Comment ?? '').includes('read-only')))
    .map((c) => c.action);
}

const steps = (r: Result) => r.actions.map((a) => [a.kind, a.outcome]);

async function operator(args: string[]) {
  const { code, stdout, stderr } = await runOperator(args);
  return { code, out: stdout, err: stderr };
}

async function pauseParameter(): Promise<string | null> {
  const ssm = new SSMClient({ endpoint: s.moto.endpoint, region: 'us-east-1' });
  try {
    return (await ssm.send(new GetParameterCommand({ Name: '/medic/dev/pause' }))).Parameter?.Value ?? null;
  } catch (error) {
    if ((error as Error).name === 'ParameterNotFound') return null;
    throw error;
  }
}

describe('the deploy-wide mode and per-action autonomy', { timeout: RUN_TIMEOUT_MS }, () => {
  it('MEDIC_MODE=dry-run: an ALARM-started run changes nothing and says what it would have done', async () => {
    // Act
    const r = await cli('unreachable', { MEDIC_MODE: 'dry-run' });
    // Assess
    expect(r.outcome).toBe('dry-run');
    expect(steps(r)).toEqual([['reboot', 'would-have']]);
    expect(await mutating()).toEqual([]);
    const reboots = (await s.moto.calls()).filter((c) => c.action === 'RebootInstances');
    expect(reboots.map((c) => c.params.DryRun)).toEqual(['true']);
    expect(r.timeline.some((e) => /^dry run: would have rebooted/.test(e.summary))).toBe(true);
    expect(r.timeline.some((e) => /^mode dry-run \(deploy-wide MEDIC_MODE=dry-run/.test(e.summary))).toBe(
      true,
    );
    const decision = r.timeline.find((e) => e.step === 'Assess' && e.kind === 'decision');
    expect(decision?.summary).toMatch(/Plan: reboot \(dry-run\) → stop-start \(dry-run\)/);
  });

  it('MEDIC_AUTONOMY=reboot=approve: an alarm-started reboot waits for a person, then runs', async () => {
    // Act
    const r = await cli('reboot-fixes', { MEDIC_AUTONOMY: 'reboot=approve' });
    // Assess
    expect(r.outcome).toBe('resolved');
    expect(steps(r)).toEqual([['reboot', 'recovered']]);
    const messages = await inboxMessages(s.moto.endpoint);
    const ask = messages.find((m) => m.subject.startsWith('[medic] APPROVE?'));
    expect(ask?.body).toMatch(/decision=approve/);
    const action = messages.find((m) => m.subject.startsWith('[medic] ACTION: reboot'));
    expect(action?.body).toMatch(/this rung runs approve, approved/);
    expect(action?.body).toMatch(
      /Plan: reboot \(approve\) → stop-start \(approve\) → failover \(approve\) → page/,
    );
    const decision = r.timeline.find((e) => e.step === 'Assess' && e.kind === 'decision');
    expect(decision?.summary).toMatch(/Plan: reboot \(approve\) → stop-start \(approve\)/);
    expect(r.timeline.some((e) => /^approved: reboot /.test(e.summary))).toBe(true);
    expect(await mutating()).toEqual(['RebootInstances']);
  });

  it('a bad MEDIC_AUTONOMY or MEDIC_MODE starts nothing and names the variable (exit 2)', async () => {
    // Act
    const badAutonomy = await runMedic(['simulate', '--scenario', 'unreachable', '--json'], {
      ...s.env,
      MEDIC_AUTONOMY: 'reboot=sometimes',
    });
    const badMode = await runMedic(['simulate', '--scenario', 'unreachable', '--json'], {
      ...s.env,
      MEDIC_MODE: 'yolo',
    });
    // Assess
    expect(badAutonomy.code).toBe(2);
    expect(badAutonomy.stderr).toMatch(/ConfigError: .*MEDIC_AUTONOMY: unknown level "sometimes" for reboot/);
    expect(badMode.code).toBe(2);
    expect(badMode.stderr).toMatch(/ConfigError: .*MEDIC_MODE: must be one of auto, dry-run, approve/);
    expect(await s.moto.calls()).toEqual([]);
  });
});

describe('the kill switch: medic pause / medic resume', { timeout: RUN_TIMEOUT_MS }, () => {
  it('pause writes the stage parameter; a run while paused acts on nothing, pages and files the ticket; resume clears it', async () => {
    // Prepare
    const paused = await operator(['pause', '--reason', 'database failover in progress', '--by', 'alice']);
    const stored = JSON.parse((await pauseParameter()) ?? 'null') as Record<string, unknown>;
    // Act
    const r = await simulate({ scenario: 'unreachable' });
    const messages = await inboxMessages(s.moto.endpoint);
    const resumed = await operator(['resume']);
    // Assess
    expect(paused.code, paused.err).toBe(0);
    expect(stored).toMatchObject({ paused: true, reason: 'database failover in progress', by: 'alice' });
    expect(r.outcome).toBe('held');
    expect(steps(r)).toEqual([
      ['reboot', 'held'],
      ['page', 'paged'],
    ]);
    expect(await mutating()).toEqual([]);
    const held = r.timeline.find((e) => e.step === 'Reboot' && e.summary.startsWith('held by paused'));
    expect(held?.summary).toMatch(/medic is paused by alice since \S+: "database failover in progress"/);
    const pageMessage = messages.find((m) => m.subject.startsWith('[medic] PAGE:'));
    expect(pageMessage?.body).toMatch(/Why: held by paused: medic is paused by alice/);
    expect(r.ticket?.key).toMatch(/^OPS-\d+$/);
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.out).toMatch(/resumed medic \(stage dev, everything\); it was paused by alice/);
    expect(await pauseParameter()).toBeNull();
  });

  it('a ladder already running holds before its next rung: reboot ran, then pause, then no stop/start', async () => {
    // Prepare: pause exactly between the first rung (reboot, done and verified) and the second.
    let pausedAt: string | null = null;
    const beforeTask = async (state: string, input: unknown) => {
      // Decide folds the first rung's result (rung 1 next) before it gates the second rung.
      if (pausedAt || state !== 'Decide' || (input as { result?: { rung?: number } }).result?.rung !== 1)
        return;
      const p = await operator(['pause', '--reason', 'hands off: vendor is on the box', '--by', 'bob']);
      expect(p.code, p.err).toBe(0);
      pausedAt = new Date().toISOString();
    };
    // Act
    const r = await simulate({ scenario: 'reboot-does-not-help', beforeTask });
    // Assess
    expect(pausedAt).not.toBeNull();
    expect(r.outcome).toBe('held');
    expect(steps(r)).toEqual([
      ['reboot', 'not-recovered'],
      ['stop-start', 'held'],
      ['page', 'paged'],
    ]);
    expect(await mutating()).toEqual(['RebootInstances']);
    const held = r.timeline.find((e) => e.step === 'StopStart' && e.summary.startsWith('held by paused'));
    expect(held?.summary).toMatch(/paused by bob .*"hands off: vendor is on the box"/);
    expect(r.ticket?.key).toMatch(/^OPS-\d+$/);
    await operator(['resume']);
  });
});
