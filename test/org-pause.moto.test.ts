/**
 * The kill switch scoped to one account, one region, or everything, against moto's SSM: `medic pause
 * --account ID` / `--region R` write their own parameter under the stage's; a case reads the three
 * that apply to it in one GetParameters call and any of them holds it. A value that is not medic's,
 * in any scope that applies, fails closed.
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalMoto, startMoto } from '../local/moto.ts';
import {
  clearPause,
  type PauseTarget,
  pauseParameterName,
  pauseSwitch,
  writePause,
} from '../shared/adapters/pause-switch.ts';
import type { InstanceCase } from '../shared/domain/model.ts';
import { prepareRung } from '../shared/usecases/ladder.ts';
import { instanceCase } from './support/cases.ts';

const BASE = '/medic/orgtest/pause';
const A = '222222222222';
const B = '333333333333';
let moto: LocalMoto;
let ssm: SSMClient;

beforeAll(async () => {
  moto = await startMoto();
  ssm = new SSMClient({
    endpoint: moto.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'medic-local', secretAccessKey: 'medic-local' },
  });
}, 60_000);
afterAll(async () => moto?.stop());

const scopes: PauseTarget[] = [{ everything: true }, { account: A }, { account: B }, { region: 'us-east-1' }];
beforeEach(async () => {
  for (const s of scopes) await clearPause(ssm, pauseParameterName(BASE, s));
});

const pause = (target: PauseTarget) =>
  writePause(ssm, pauseParameterName(BASE, target), {
    paused: true,
    reason: 'change in progress',
    by: 'alice',
    at: '2026-11-29T10:00:00.000Z',
  });

/** Whether the reboot rung of a case in this account and region is held by the kill switch. */
async function held(account: string, region: string): Promise<boolean> {
  const c: InstanceCase = instanceCase({ account, region });
  const k = await prepareRung(c, {
    ec2: { consoleOutput: async () => null },
    clock: () => new Date('2026-11-29T10:01:00Z'),
    pause: [pauseSwitch(ssm, BASE, { maxAgeMs: 0 })],
  });
  return k.outcome === 'held';
}

describe('the kill switch, scoped', () => {
  it('pausing one account holds only that account, in every region', async () => {
    // Prepare
    await pause({ account: A });
    // Act / Assess
    expect(await held(A, 'eu-west-1')).toBe(true);
    expect(await held(A, 'us-east-1')).toBe(true);
    expect(await held(B, 'eu-west-1')).toBe(false);
  });

  it('pausing one region holds only that region, in every account', async () => {
    // Prepare
    await pause({ region: 'us-east-1' });
    // Act / Assess
    expect(await held(A, 'us-east-1')).toBe(true);
    expect(await held(B, 'us-east-1')).toBe(true);
    expect(await held(A, 'eu-west-1')).toBe(false);
  });

  it('pausing everything holds every account and region', async () => {
    // Prepare
    await pause({ everything: true });
    // Act / Assess
    expect(await held(A, 'eu-west-1')).toBe(true);
    expect(await held(B, 'us-east-1')).toBe(true);
  });

  it('resuming one account lifts only its own pause: the pause of everything still holds', async () => {
    // Prepare
    await pause({ everything: true });
    await pause({ account: A });
    // Act
    const previous = await clearPause(ssm, pauseParameterName(BASE, { account: A }));
    // Assess
    expect(previous?.by).toBe('alice');
    expect(await held(A, 'eu-west-1')).toBe(true);
  });

  it("an account's pause that holds a value not medic's fails closed for that account only", async () => {
    // Prepare
    await writePause(ssm, pauseParameterName(BASE, { account: B }), 'garbage' as never);
    // Act
    const c = instanceCase({ account: B, region: 'eu-west-1' });
    const k = await prepareRung(c, {
      ec2: { consoleOutput: async () => null },
      clock: () => new Date('2026-11-29T10:01:00Z'),
      pause: [pauseSwitch(ssm, BASE, { maxAgeMs: 0 })],
    });
    // Assess
    expect(k.outcome).toBe('held');
    expect(k.timeline.at(-1)?.summary).toMatch(/could not read the kill switch .*account\/333333333333/);
    expect(await held(A, 'eu-west-1')).toBe(false);
  });
});
