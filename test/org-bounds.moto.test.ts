/**
 * One set of bounds for the whole organization, against moto's DynamoDB: the per-instance bounds
 * are keyed by account + region + instance, so the same instance id in two accounts (ids are only
 * unique inside one account) is never confused; and a storm spread over several accounts, none of
 * them past its own limit, trips the organization-wide guard once: one page, one summary ticket
 * naming the accounts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalMoto, startMoto } from '../local/moto.ts';
import { alarmEvent } from '../local/scenarios.ts';
import { ensureTables } from '../local/tables.ts';
import { dynamoSafetyStore } from '../shared/adapters/dynamo-safety.ts';
import type { IncidentState, Settings } from '../shared/domain/model.ts';
import type { Ec2Port, Notification, SafetyStorePort } from '../shared/ports.ts';
import { admit, release } from '../shared/usecases/admit.ts';
import { actionKey, authorize, caseKey, type GuardSettings } from '../shared/usecases/guard.ts';
import { instanceCase } from './support/cases.ts';
import { guardSettings } from './support/guard.ts';

const CENTRAL = '111111111111';
const A = '222222222222';
const B = '333333333333';
const C = '444444444444';
const home = { account: CENTRAL, region: 'eu-west-1' };
const SAME_ID = 'i-0aaaaaaaaaaaaaaa1';

let moto: LocalMoto;
let store: SafetyStorePort;

beforeAll(async () => {
  moto = await startMoto();
  const client = new DynamoDBClient({
    endpoint: moto.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'medic-local', secretAccessKey: 'medic-local' },
  });
  const tables = await ensureTables(client);
  store = dynamoSafetyStore(client, tables.get('SafetyTable') ?? '');
}, 60_000);
afterAll(async () => moto?.stop());

const settings: Settings = { verifyWaitSeconds: 1, verifyPolls: 1, probeTimeoutMs: 200, executionUrl: null };
const ec2: Ec2Port = {
  describeInstances: async (ids) =>
    ids.map((instanceId) => ({
      instanceId,
      state: 'running',
      tags: { 'medic:managed': 'true' },
      availabilityZone: 'eu-west-1a',
      instanceType: 't3.micro',
      privateIp: '10.0.0.5',
    })),
  describeHealth: async () => {
    throw new Error('not used');
  },
  reboot: async () => undefined,
};

/** `later` ms ahead: a test's own fleet window, clear of the registrations of the tests before it. */
function deps(over: Partial<GuardSettings>, published: Notification[] = [], later = 0) {
  return {
    store,
    clock: () => new Date(Date.now() + later),
    settings: guardSettings({ home, ...over }),
    leaseMs: 60_000,
    notifier: {
      publish: async (n: Notification) => {
        published.push(n);
        return { messageId: 'm' };
      },
    },
    intake: { ec2, autoScaling: { inServiceInstances: async () => [] }, settings, defaultPorts: [22] },
  };
}

const alarmIn = (account: string, instanceId: string, name: string, region = 'eu-west-1', later = 0) =>
  alarmEvent({
    alarmName: name,
    metric: 'StatusCheckFailed',
    reason: 'Threshold Crossed',
    instanceId,
    at: new Date(Date.now() + later - 5_000),
    account,
    region,
  });

describe('the same instance id in two accounts', () => {
  it('the lock of i-x in account A does not hold i-x in account B; a second alarm in A joins A', async () => {
    // Prepare
    const loose = { fleetMaxInstances: 50, fleetMaxOrgInstances: 50 };
    // Act
    const inA = (await admit(alarmIn(A, SAME_ID, 'lock-a'), 'exec-lock-a', deps(loose))) as IncidentState;
    const inB = (await admit(alarmIn(B, SAME_ID, 'lock-b'), 'exec-lock-b', deps(loose))) as IncidentState;
    const againA = (await admit(
      alarmIn(A, SAME_ID, 'lock-a2'),
      'exec-lock-a2',
      deps(loose),
    )) as IncidentState;
    // Assess
    expect(inA.admission?.disposition).toBe('open');
    expect(inB.admission?.disposition).toBe('open');
    expect(againA.admission?.disposition).toBe('joined');
    expect(againA.admission?.detail).toContain(inA.incidentId);
    expect(inB.cases?.[0]?.account).toBe(B);
    expect(inB.cases?.[0]?.region).toBe('eu-west-1');
    await release(inA, deps(loose));
    await release(inB, deps(loose));
  });

  it('the cooldown of i-x in account A does not hold i-x in account B, nor in A another region', async () => {
    // Prepare: an incident of i-x in A just closed
    const id = 'i-0aaaaaaaaaaaaaaa2';
    const s = guardSettings({ home, cooldownMs: 3_600_000, fleetMaxInstances: 50 });
    const opened = (await admit(alarmIn(A, id, 'cool-a'), 'exec-cool-a', deps({}))) as IncidentState;
    await release(opened, deps({}));
    const g = {
      store,
      clock: () => new Date(),
      settings: s,
      notifier: { publish: async () => ({ messageId: 'm' }) },
    };
    // Act
    const a = await authorize(
      instanceCase({ account: A, region: 'eu-west-1', target: { instanceId: id } }),
      'reboot',
      g,
    );
    const b = await authorize(
      instanceCase({ account: B, region: 'eu-west-1', target: { instanceId: id } }),
      'reboot',
      g,
    );
    const aElsewhere = await authorize(
      instanceCase({
        incidentId: 'medic-test-elsewhere',
        account: A,
        region: 'us-east-1',
        target: { instanceId: id },
      }),
      'reboot',
      g,
    );
    // Assess
    expect(a).toMatchObject({ allow: false, bound: 'cooldown' });
    expect(b).toEqual({ allow: true });
    expect(aElsewhere).toEqual({ allow: true });
  });

  it('the action budget of i-x in account A spent does not hold i-x in account B', async () => {
    // Prepare: two actions on i-x in A within the window, budget 2
    const id = 'i-0aaaaaaaaaaaaaaa3';
    const s = guardSettings({ home, budgetActions: 2, fleetMaxInstances: 50 });
    const inA = instanceCase({ account: A, region: 'eu-west-1', target: { instanceId: id } });
    await store.claimAction(caseKey(inA, s), 'ep-old-1#0#reboot', new Date());
    await store.claimAction(caseKey(inA, s), 'ep-old-2#0#reboot', new Date());
    const g = {
      store,
      clock: () => new Date(),
      settings: s,
      notifier: { publish: async () => ({ messageId: 'm' }) },
    };
    const inB = instanceCase({
      incidentId: 'medic-test-b',
      account: B,
      region: 'eu-west-1',
      target: { instanceId: id },
    });
    // Act
    const a = await authorize(inA, 'reboot', g);
    const b = await authorize(inB, 'reboot', g);
    // Assess
    expect(a).toMatchObject({ allow: false, bound: 'budget' });
    expect(b).toEqual({ allow: true });
    expect(await store.actionsSince(caseKey(inB, s), new Date(Date.now() - 60_000))).toBe(1);
    expect(actionKey(inB, 'reboot')).toBe('medic-test-b#0#reboot');
  });

  it('the central account keeps the bare instance id: records written before the organization still count', async () => {
    // Prepare: a claim under the bare id, as medic wrote it before it served an organization
    const id = 'i-0aaaaaaaaaaaaaaa4';
    const s = guardSettings({ home, budgetActions: 1, fleetMaxInstances: 50 });
    await store.claimAction(id, 'ep-legacy#0#reboot', new Date());
    const g = {
      store,
      clock: () => new Date(),
      settings: s,
      notifier: { publish: async () => ({ messageId: 'm' }) },
    };
    // Act
    const central = await authorize(
      instanceCase({ account: CENTRAL, region: 'eu-west-1', target: { instanceId: id } }),
      'reboot',
      g,
    );
    const member = await authorize(
      instanceCase({ account: A, region: 'eu-west-1', target: { instanceId: id } }),
      'reboot',
      g,
    );
    // Assess
    expect(central).toMatchObject({ allow: false, bound: 'budget' });
    expect(member).toEqual({ allow: true });
  });
});

describe('a storm spread over accounts', () => {
  it('trips the organization-wide guard once: one page and one summary ticket naming the accounts', async () => {
    // Prepare: two instances in each of three accounts, each account well within its own limit
    const published: Notification[] = [];
    const later = 3 * 3_600_000;
    const limits = { fleetMaxInstances: 4, fleetMaxOrgInstances: 5, fleetWindowMs: 10 * 60_000 };
    const alarms = [A, B, C].flatMap((account, a) =>
      [1, 2].map((n) =>
        alarmIn(account, `i-0bbbbbbbbbbbbbb${a}${n}`, `storm-${account}-${n}`, 'eu-west-1', later),
      ),
    );
    // Act: the alarms arrive at once, as a storm's do
    const results = (await Promise.all(
      alarms.map((event, i) => admit(event, `exec-storm-${i}`, deps(limits, published, later))),
    )) as IncidentState[];
    const late = (await admit(
      alarmIn(B, 'i-0bbbbbbbbbbbbbb99', 'storm-late', 'eu-west-1', later),
      'exec-late',
      deps(limits, published, later),
    )) as IncidentState;
    // Assess
    const pages = published.filter((n) => n.attributes.event === 'storm');
    expect(pages).toHaveLength(1);
    expect(pages[0]?.subject).toMatch(/fleet guard tripped — 6 instances alarming in 3 accounts/);
    expect(pages[0]?.body).toMatch(/organization limit 5/);
    expect(pages[0]?.body).toContain(`Accounts: ${A}, ${B}, ${C}`);
    const tickets = (await store.dueOutbox(new Date(Date.now() + later + 60_000), 50)).filter((o) =>
      o.draft.labels.includes('medic-storm'),
    );
    expect(tickets).toHaveLength(1);
    expect(tickets[0]?.draft.summary).toContain(`in accounts ${A}, ${B}, ${C}`);
    expect(tickets[0]?.draft.labels).toEqual(
      expect.arrayContaining([`account-${A}`, `account-${B}`, `account-${C}`]),
    );
    expect(results.filter((r) => r.admission?.disposition === 'storm').length).toBeGreaterThanOrEqual(1);
    expect(late.admission?.disposition).toBe('storm');
    for (const r of results) await release(r, deps(limits, [], later));
  });
});
