// Storm intake: the safety store's answers against moto's DynamoDB, and how many calls
// each costs. In a storm every delivery pays them, so the counts are part of the contract: a
// duplicate ends after ONE call, the fleet window is read in a bounded number of calls however
// many instances it holds, and Admit settles duplicates and declared storms with no EC2 lookup.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalMoto, startMoto } from '../local/moto.ts';
import { alarmEvent } from '../local/scenarios.ts';
import { ensureTables } from '../local/tables.ts';
import { dynamoSafetyStore, FLEET_BUCKET_MS } from '../shared/adapters/dynamo-safety.ts';
import type { IncidentState, Settings } from '../shared/domain/model.ts';
import type { Ec2Port, SafetyStorePort } from '../shared/ports.ts';
import { admit } from '../shared/usecases/admit.ts';
import { guardSettings } from './support/guard.ts';

let moto: LocalMoto;
let store: SafetyStorePort;

/** Calls that reached moto while `act` ran, by action. */
async function callsDuring(act: () => Promise<unknown>): Promise<string[]> {
  await moto.clearCalls();
  await act();
  return (await moto.calls()).map((c) => c.action);
}

beforeAll(async () => {
  moto = await startMoto();
  const client = new DynamoDBClient({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'medic-local', secretAccessKey: 'medic-local' },
  });
  const tables = await ensureTables(client);
  store = dynamoSafetyStore(client, tables.get('SafetyTable') ?? '');
}, 60_000);
afterAll(async () => moto?.stop());

describe('safety store on DynamoDB (moto): one-call answers', () => {
  it('claims an episode once; a retry of the same execution and a duplicate are told apart in one call each', async () => {
    // Prepare
    const at = new Date('2026-11-25T17:00:00Z');
    // Act
    const first = await store.claimEpisode('ep-1', 'exec-a', at);
    let retry: string | undefined;
    let duplicate: string | undefined;
    const retryCalls = await callsDuring(
      async () => (retry = await store.claimEpisode('ep-1', 'exec-a', at)),
    );
    const duplicateCalls = await callsDuring(
      async () => (duplicate = await store.claimEpisode('ep-1', 'exec-b', at)),
    );
    // Assess
    expect([first, retry, duplicate]).toEqual(['new', 'retry', 'duplicate']);
    expect(retryCalls).toEqual(['PutItem']);
    expect(duplicateCalls).toEqual(['PutItem']);
  });

  it('takes a lock in one call, names the holder in one call, and takes over an expired lease', async () => {
    // Prepare
    const now = new Date('2026-11-25T17:00:00Z');
    const later = new Date(now.getTime() + 10 * 60_000);
    // Act
    let taken: unknown;
    let refused: unknown;
    const takeCalls = await callsDuring(
      async () =>
        (taken = await store.acquireLock(
          'i-0aaa1111bbbb2222c',
          { episodeKey: 'ep-a', executionId: 'x-a' },
          now,
          60_000,
        )),
    );
    const refuseCalls = await callsDuring(
      async () =>
        (refused = await store.acquireLock(
          'i-0aaa1111bbbb2222c',
          { episodeKey: 'ep-b', executionId: 'x-b' },
          now,
          60_000,
        )),
    );
    const takeover = await store.acquireLock(
      'i-0aaa1111bbbb2222c',
      { episodeKey: 'ep-c', executionId: 'x-c' },
      later,
      60_000,
    );
    // Assess
    expect(taken).toEqual({ acquired: true, tookOverFrom: null });
    expect(refused).toEqual({ acquired: false, holder: 'ep-a' });
    expect(takeover).toEqual({ acquired: true, tookOverFrom: 'ep-a' });
    expect(takeCalls).toEqual(['PutItem']);
    expect(refuseCalls).toEqual(['PutItem']);
  });

  it('reads a fleet window of 300 instances in one call, counting each instance once and only inside the window', async () => {
    // Prepare: 300 instances over two buckets, one of them registered twice, one before the window
    const now = new Date('2026-11-25T18:02:00Z');
    const windowStart = new Date(now.getTime() - 10 * 60_000);
    for (let i = 0; i < 300; i++) {
      const at = new Date(now.getTime() - (i % 2 ? 1 : 6) * 60_000);
      await store.registerFleet(`i-${String(i).padStart(17, '0')}`, `ep-${i}`, at, i < 3 ? 'web' : null);
    }
    await store.registerFleet(`i-${String(7).padStart(17, '0')}`, 'ep-7-again', now, null);
    await store.registerFleet('i-0old0old0old0old0', 'ep-old', new Date(windowStart.getTime() - 1_000), null);
    // Act
    let entries: Awaited<ReturnType<SafetyStorePort['fleetSince']>> = [];
    const calls = await callsDuring(async () => (entries = await store.fleetSince(windowStart, now)));
    // Assess
    expect(new Set(entries.map((e) => e.instanceId)).size).toBe(300);
    expect(entries.some((e) => e.instanceId === 'i-0old0old0old0old0')).toBe(false);
    expect(entries.filter((e) => e.group === 'web')).toHaveLength(3);
    expect(calls).toEqual(['BatchGetItem']);
    expect(FLEET_BUCKET_MS).toBeLessThan(10 * 60_000);
  });
});

describe('fleet registry under concurrency (moto)', () => {
  it('executions registering at once into a fresh bucket are all counted (DynamoDB writes are atomic per item)', async () => {
    // Prepare: 15 buckets nobody has written yet, 4 instances alarming at once in each
    const rounds = Array.from({ length: 15 }, (_, r) => new Date(Date.UTC(2026, 10, 27, 0, r * 5, 30)));
    const ids = (r: number) =>
      Array.from({ length: 4 }, (_, i) => `i-c${String(r * 10 + i).padStart(16, '0')}`);
    // Act
    const counted = [];
    for (const [r, at] of rounds.entries()) {
      await Promise.all(ids(r).map((id, i) => store.registerFleet(id, `ep-c${r}-${i}`, at, 'web')));
      counted.push((await store.fleetSince(new Date(at.getTime() - 1_000), at)).length);
    }
    // Assess: every round counts its 4 instances
    expect(counted).toEqual(rounds.map(() => 4));
  });
});

describe('Admit (moto): dedupe and the storm check before any lookup', () => {
  const settings = {
    verifyWaitSeconds: 1,
    verifyPolls: 1,
    probeTimeoutMs: 500,
    executionUrl: null,
    actionPollWaitSeconds: 1,
    actionPolls: 1,
    approvalTimeoutSeconds: 60,
  } as Settings;
  let lookups: string[] = [];
  const ec2: Ec2Port = {
    describeInstances: async (ids) => {
      lookups.push(...ids);
      return ids.map((instanceId) => ({
        instanceId,
        state: 'running',
        tags: { 'medic:managed': 'true' },
        availabilityZone: 'us-east-1a',
        instanceType: 't3.micro',
        privateIp: '10.0.0.5',
      }));
    },
    describeHealth: async () => {
      throw new Error('not used');
    },
    reboot: async () => undefined,
  };
  // The store exists once beforeAll ran: read it when a test runs.
  const deps = () => ({
    store,
    clock: () => new Date(),
    settings: guardSettings({ fleetMaxInstances: 50, fleetMaxGroupPercent: 100 }),
    leaseMs: 60_000,
    notifier: { publish: async () => ({ messageId: 'm-1' }) },
    intake: { ec2, autoScaling: { inServiceInstances: async () => [] }, settings, defaultPorts: [22] },
  });
  beforeEach(() => {
    lookups = [];
  });

  it('a redelivered alarm ends in Admit after one call, with no EC2 lookup', async () => {
    // Prepare
    const event = alarmEvent({
      alarmName: 'gate status check failed',
      metric: 'StatusCheckFailed',
      reason: 'Threshold Crossed',
      instanceId: 'i-0123456789abcdef0',
      at: new Date(Date.now() - 30_000),
    });
    const first = (await admit(structuredClone(event), 'exec-first', deps())) as IncidentState;
    lookups = [];
    // Act
    let second: IncidentState | undefined;
    const calls = await callsDuring(
      async () => (second = (await admit(structuredClone(event), 'exec-second', deps())) as IncidentState),
    );
    // Assess
    expect(first.admission?.disposition).toBe('open');
    expect(first.targets.map((t) => t.instanceId)).toEqual(['i-0123456789abcdef0']);
    expect(second?.admission?.disposition).toBe('duplicate');
    expect(second?.targets).toEqual([]);
    expect(lookups).toEqual([]);
    expect(calls).toEqual(['PutItem']);
  });

  it('during a declared storm a new alarm is held in Admit: claim + one read, no EC2 lookup', async () => {
    // Prepare: a storm claimed now
    const now = new Date();
    await store.claimStorm(
      new Date(Math.floor(now.getTime() / 600_000) * 600_000).toISOString(),
      'ep-leader',
      now,
    );
    const event = alarmEvent({
      alarmName: 'gate storm member',
      metric: 'StatusCheckFailed',
      reason: 'Threshold Crossed',
      instanceId: 'i-0fedcba9876543210',
      at: new Date(Date.now() - 10_000),
    });
    // Act
    let held: IncidentState | undefined;
    const calls = await callsDuring(
      async () => (held = (await admit(event, 'exec-storm', deps())) as IncidentState),
    );
    // Assess
    expect(held?.admission?.disposition).toBe('storm');
    expect(held?.timeline.at(-1)?.summary).toMatch(/held by the fleet guard: storm medic-storm-\d+/);
    expect(lookups).toEqual([]);
    expect(calls).toEqual(['PutItem', 'BatchGetItem']);
  });
});

describe('open AWS Health issues on DynamoDB (moto)', () => {
  const arn = (n: number) =>
    `arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_${n}`;
  const issue = (n: number) => ({
    eventArn: arn(n),
    eventTypeCode: 'AWS_EC2_OPERATIONAL_ISSUE',
    since: '2026-11-27T06:02:51.000Z',
    summary: `issue ${n}`,
  });
  const now = new Date('2026-11-27T07:00:00Z');
  const until = new Date('2026-11-28T07:00:00Z');

  it('remembers issues per scope, reads any number of scopes in one call, and forgets one or all', async () => {
    // Prepare
    await store.rememberHealthIssue('INSTANCE#i-0health000000001', issue(1), until);
    await store.rememberHealthIssue('INSTANCE#i-0health000000001', issue(2), until);
    await store.rememberHealthIssue('AZ#us-east-1a', issue(3), until);
    // Act
    let open: Awaited<ReturnType<SafetyStorePort['openHealthIssues']>> = [];
    const readCalls = await callsDuring(
      async () =>
        (open = await store.openHealthIssues(
          ['INSTANCE#i-0health000000001', 'AZ#us-east-1a', 'SERVICE#us-east-1#EC2'],
          now,
        )),
    );
    await store.forgetHealthIssues('INSTANCE#i-0health000000001', arn(1));
    const afterOne = await store.openHealthIssues(['INSTANCE#i-0health000000001'], now);
    await store.forgetHealthIssues('AZ#us-east-1a', null);
    const afterAll = await store.openHealthIssues(['AZ#us-east-1a'], now);
    // Assess
    expect(readCalls).toEqual(['BatchGetItem']);
    expect(open.map((i) => [i.scope, i.eventArn]).sort()).toEqual([
      ['AZ#us-east-1a', arn(3)],
      ['INSTANCE#i-0health000000001', arn(1)],
      ['INSTANCE#i-0health000000001', arn(2)],
    ]);
    expect(afterOne.map((i) => i.eventArn)).toEqual([arn(2)]);
    expect(afterAll).toEqual([]);
  });

  it('an issue past its memory is not open, even while TTL has not deleted it yet', async () => {
    // Prepare
    await store.rememberHealthIssue('INSTANCE#i-0health000000002', issue(4), until);
    // Act
    const later = await store.openHealthIssues(
      ['INSTANCE#i-0health000000002'],
      new Date(until.getTime() + 1),
    );
    // Assess
    expect(later).toEqual([]);
  });
});
