// A deployed medic has items in its tables, written by the adapters that marshalled every
// attribute by hand. The adapters now go through the DynamoDB document client; an upgrade must
// read those items as before, and must write the same wire shape (same keys, same attribute
// names, same types: a number that became a string would break `leaseUntil < :now`, a list that
// became a set would break `list_append`). Each old item here is written raw with the low-level
// client, exactly as the old code wrote it, and read through the new adapter; each write of the
// new adapter is read raw and compared with the old shape. Against moto's DynamoDB.
import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalMoto, startMoto } from '../local/moto.ts';
import { ensureTables } from '../local/tables.ts';
import { dynamoSafetyStore } from '../shared/adapters/dynamo-safety.ts';
import { finalNoticeLedger } from '../shared/adapters/final-notice-ledger.ts';
import { caseStore, incidentStore } from '../shared/adapters/incident-store.ts';
import type { SafetyStorePort } from '../shared/ports.ts';
import { resolvedIncident } from './support/incident.ts';

let moto: LocalMoto;
let raw: DynamoDBClient;
let safetyTable: string;
let incidentsTable: string;
let store: SafetyStorePort;

const S = (v: string): AttributeValue => ({ S: v });
const N = (v: number): AttributeValue => ({ N: String(v) });
const AT = new Date('2026-11-25T17:00:00.000Z');
const EPOCH = Math.floor(AT.getTime() / 1000);
const DAY = 86_400;

/** Writes an item as another writer (or an older medic) left it: its key, then its attributes. */
const putRaw = (table: string, pk: string, sk: string, item: Record<string, AttributeValue>) =>
  raw.send(new PutItemCommand({ TableName: table, Item: { pk: S(pk), sk: S(sk), ...item } }));
const getRaw = async (table: string, pk: string, sk: string) =>
  (
    await raw.send(
      new GetItemCommand({ TableName: table, Key: { pk: S(pk), sk: S(sk) }, ConsistentRead: true }),
    )
  ).Item;

beforeAll(async () => {
  moto = await startMoto();
  raw = new DynamoDBClient({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'medic-local', secretAccessKey: 'medic-local' },
  });
  const tables = await ensureTables(raw);
  safetyTable = tables.get('SafetyTable') ?? '';
  incidentsTable = tables.get('IncidentsTable') ?? '';
  store = dynamoSafetyStore(raw, safetyTable);
}, 60_000);
afterAll(async () => moto?.stop());

describe('items written by the hand-marshalling adapters are read by the document-client adapters', () => {
  it('an episode: the same execution is a retry, another one a duplicate', async () => {
    // Prepare
    await putRaw(safetyTable, 'EPISODE#old-ep', 'episode', {
      executionId: S('exec-old'),
      at: S(AT.toISOString()),
      expiresAt: N(EPOCH + 30 * DAY),
    });
    // Act
    const answers = [
      await store.claimEpisode('old-ep', 'exec-old', AT),
      await store.claimEpisode('old-ep', 'exec-new', AT),
    ];
    // Assess
    expect(answers).toEqual(['retry', 'duplicate']);
  });

  it('a lock: its holder is named, a join lands in its list, and release hands back every joined entry', async () => {
    // Prepare
    const earlier = {
      at: AT.toISOString(),
      step: 'Admit',
      status: 'info',
      detail: 'joined before the upgrade',
    };
    await putRaw(safetyTable, 'LOCK#i-old', 'lock', {
      owner: S('old-ep'),
      executionId: S('exec-old'),
      leaseUntil: N(AT.getTime() + 3_600_000),
      joined: { L: [S(JSON.stringify(earlier))] },
      expiresAt: N(EPOCH + 3_600 + DAY),
    });
    const later = { ...earlier, detail: 'joined after the upgrade' };
    // Act
    const other = await store.acquireLock(
      'i-old',
      { episodeKey: 'new-ep', executionId: 'exec-new' },
      AT,
      60_000,
    );
    const joinedTo = await store.joinLock('i-old', later as never);
    const released = await store.releaseLock('i-old', 'old-ep');
    // Assess
    expect(other).toEqual({ acquired: false, holder: 'old-ep' });
    expect(joinedTo).toBe('old-ep');
    expect(released).toEqual([earlier, later]);
  });

  it('instance history: episodes are counted and the last close is a date', async () => {
    // Prepare
    for (const [minute, key] of [
      ['10', 'a'],
      ['20', 'b'],
    ])
      await putRaw(safetyTable, 'INSTANCE#i-hist', `EPISODE#2026-11-25T16:${minute}:00.000Z#${key}`, {
        expiresAt: N(EPOCH + 7 * DAY),
      });
    await putRaw(safetyTable, 'INSTANCE#i-hist', 'closed', {
      at: S('2026-11-25T16:30:00.000Z'),
      expiresAt: N(EPOCH + 7 * DAY),
    });
    // Act
    const episodes = await store.episodesSince('i-hist', new Date('2026-11-25T16:15:00.000Z'));
    const closed = await store.lastClosed('i-hist');
    // Assess
    expect(episodes).toBe(1);
    expect(closed?.toISOString()).toBe('2026-11-25T16:30:00.000Z');
  });

  it('the fleet registry and storms: map entries and claim times come back whole', async () => {
    // Prepare
    await putRaw(safetyTable, 'FLEET', '2026-11-25T17:00:00.000Z', {
      'i:i-f1': { M: { episodeKey: S('ep-f1'), at: S('2026-11-25T17:01:00.000Z'), group: S('web-asg') } },
      'i:i-f2': { M: { episodeKey: S('ep-f2'), at: S('2026-11-25T17:02:00.000Z') } },
      expiresAt: N(EPOCH + 2 * DAY),
    });
    await putRaw(safetyTable, 'STORM', '2026-11-25T17:00:00.000Z', {
      leader: S('ep-f1'),
      at: S('2026-11-25T17:03:00.000Z'),
      expiresAt: N(EPOCH + 7 * DAY),
    });
    // Act
    const fleet = await store.fleetSince(AT, new Date('2026-11-25T17:04:00.000Z'));
    const storms = await store.stormsAt(['2026-11-25T17:00:00.000Z', '2026-11-25T16:55:00.000Z']);
    const again = await store.claimStorm('2026-11-25T17:00:00.000Z', 'ep-f2', AT);
    // Assess
    expect(fleet.sort((a, b) => a.instanceId.localeCompare(b.instanceId))).toEqual([
      // Entries written before medic served an organization carry no account, region or AZ.
      {
        instanceId: 'i-f1',
        episodeKey: 'ep-f1',
        at: '2026-11-25T17:01:00.000Z',
        group: 'web-asg',
        account: null,
        region: null,
        availabilityZone: null,
      },
      {
        instanceId: 'i-f2',
        episodeKey: 'ep-f2',
        at: '2026-11-25T17:02:00.000Z',
        group: null,
        account: null,
        region: null,
        availabilityZone: null,
      },
    ]);
    expect([...storms].map(([k, d]) => [k, d.toISOString()])).toEqual([
      ['2026-11-25T17:00:00.000Z', '2026-11-25T17:03:00.000Z'],
    ]);
    expect(again).toBe(false);
  });

  it('the action ledger: an old claim spends the budget and is not claimed twice', async () => {
    // Prepare
    await putRaw(safetyTable, 'BUDGET#i-budget', 'old-ep#reboot#1', {
      at: S(AT.toISOString()),
      expiresAt: N(EPOCH + 31 * DAY),
    });
    // Act
    const used = await store.actionsSince('i-budget', new Date(AT.getTime() - 60_000));
    const usedByOthers = await store.actionsSince(
      'i-budget',
      new Date(AT.getTime() - 60_000),
      'old-ep#reboot#1',
    );
    const claimed = await store.claimAction('i-budget', 'old-ep#reboot#1', AT);
    // Assess
    expect([used, usedByOthers, claimed]).toEqual([1, 0, false]);
  });

  it('the outbox: a due item comes back with its draft and a numeric attempt count, and can be leased', async () => {
    // Prepare
    const draft = { summary: 'i-out down', labels: ['medic'], priority: 'High', description: { blocks: [] } };
    await putRaw(safetyTable, 'OUTBOX', 'ep-out', {
      draft: S(JSON.stringify(draft)),
      attempts: N(2),
      nextAttemptAt: S('2026-11-25T16:59:00.000Z'),
      lastError: S('Jira 503'),
    });
    // Act
    const due = await store.dueOutbox(AT, 10);
    const leased = await store.leaseOutbox(
      'ep-out',
      '2026-11-25T16:59:00.000Z',
      new Date(AT.getTime() + 60_000),
    );
    // Assess
    expect(due).toEqual([
      {
        episodeKey: 'ep-out',
        draft,
        attempts: 2,
        nextAttemptAt: '2026-11-25T16:59:00.000Z',
        lastError: 'Jira 503',
      },
    ]);
    expect(leased).toBe(true);
  });

  it('the final-notice ledger: a notice already sent is not claimed again', async () => {
    // Prepare
    await putRaw(safetyTable, 'FINAL#ep-final', 'final', {
      sentAt: S(AT.toISOString()),
      outcome: S('resolved'),
      expiresAt: N(EPOCH + 7 * DAY),
    });
    // Act
    const claimed = await finalNoticeLedger(raw, safetyTable).claim('ep-final', AT);
    // Assess
    expect(claimed).toBe(false);
  });

  it('the incident store: NULL attributes read as null; a stored case body is parsed', async () => {
    // Prepare
    await putRaw(incidentsTable, 'instance#i-inc', 'incident#2026-11-25T17:00:00.000Z#inc-1', {
      incidentId: S('inc-1'),
      instanceId: S('i-inc'),
      startedAt: S('2026-11-25T17:00:00.000Z'),
      endedAt: { NULL: true },
      outcome: S('escalated'),
      classification: { NULL: true },
      ticketKey: S('OPS-1'),
      executionArn: { NULL: true },
      alarmName: S('cpu-high'),
      expiresAt: N(EPOCH + 400 * DAY),
    });
    const c = resolvedIncident().cases?.[0];
    if (!c) throw new Error('the fixture has no case');
    await putRaw(incidentsTable, `case#${c.incidentId}`, `instance#${c.target.instanceId}`, {
      body: S(JSON.stringify(c)),
      expiresAt: N(EPOCH + 400 * DAY),
    });
    // Act
    const rows = await incidentStore(raw, incidentsTable).incidentsFor('i-inc', 5);
    const cases = await caseStore(raw, incidentsTable).casesFor(c.incidentId);
    // Assess
    expect(rows).toEqual([
      {
        incidentId: 'inc-1',
        instanceId: 'i-inc',
        startedAt: '2026-11-25T17:00:00.000Z',
        endedAt: null,
        outcome: 'escalated',
        classification: null,
        ticketKey: 'OPS-1',
        executionArn: null,
        alarmName: 'cpu-high',
        account: null,
        region: null,
      },
    ]);
    expect(cases.map((x) => x.target.instanceId)).toEqual([c.target.instanceId]);
  });
});

describe('the document-client adapters write the wire shape the hand-marshalling ones wrote', () => {
  it('episode, lock, history, budget, storm, outbox and final notice: same keys, attribute names and types', async () => {
    // Prepare
    const ledger = finalNoticeLedger(raw, safetyTable);
    // Act
    await store.claimEpisode('w-ep', 'exec-w', AT);
    await store.acquireLock('i-w', { episodeKey: 'w-ep', executionId: 'exec-w' }, AT, 900_000);
    await store.joinLock('i-w', {
      at: AT.toISOString(),
      step: 'Admit',
      status: 'info',
      detail: 'x',
    } as never);
    await store.recordEpisode('i-w', 'w-ep', AT);
    await store.markClosed('i-w', AT);
    await store.claimAction('i-w', 'w-ep#reboot#1', AT);
    await store.claimStorm('w-storm', 'w-ep', AT);
    await store.enqueueOutbox({
      episodeKey: 'w-ep',
      draft: { summary: 's', labels: [], priority: 'High', description: { blocks: [] } } as never,
      attempts: 0,
      nextAttemptAt: AT.toISOString(),
      lastError: '',
    });
    await ledger.markSent('w-ep', 'resolved', AT);
    // Assess
    expect(await getRaw(safetyTable, 'EPISODE#w-ep', 'episode')).toEqual({
      pk: S('EPISODE#w-ep'),
      sk: S('episode'),
      executionId: S('exec-w'),
      at: S(AT.toISOString()),
      expiresAt: N(EPOCH + 30 * DAY),
    });
    expect(await getRaw(safetyTable, 'LOCK#i-w', 'lock')).toEqual({
      pk: S('LOCK#i-w'),
      sk: S('lock'),
      owner: S('w-ep'),
      executionId: S('exec-w'),
      leaseUntil: N(AT.getTime() + 900_000),
      joined: {
        L: [S(JSON.stringify({ at: AT.toISOString(), step: 'Admit', status: 'info', detail: 'x' }))],
      },
      expiresAt: N(EPOCH + 900 + DAY),
    });
    expect(await getRaw(safetyTable, 'INSTANCE#i-w', `EPISODE#${AT.toISOString()}#w-ep`)).toEqual({
      pk: S('INSTANCE#i-w'),
      sk: S(`EPISODE#${AT.toISOString()}#w-ep`),
      expiresAt: N(EPOCH + 7 * DAY),
    });
    expect(await getRaw(safetyTable, 'INSTANCE#i-w', 'closed')).toEqual({
      pk: S('INSTANCE#i-w'),
      sk: S('closed'),
      at: S(AT.toISOString()),
      expiresAt: N(EPOCH + 7 * DAY),
    });
    expect(await getRaw(safetyTable, 'BUDGET#i-w', 'w-ep#reboot#1')).toEqual({
      pk: S('BUDGET#i-w'),
      sk: S('w-ep#reboot#1'),
      at: S(AT.toISOString()),
      expiresAt: N(EPOCH + 31 * DAY),
    });
    expect(await getRaw(safetyTable, 'STORM', 'w-storm')).toEqual({
      pk: S('STORM'),
      sk: S('w-storm'),
      leader: S('w-ep'),
      at: S(AT.toISOString()),
      expiresAt: N(EPOCH + 7 * DAY),
    });
    expect(await getRaw(safetyTable, 'OUTBOX', 'w-ep')).toEqual({
      pk: S('OUTBOX'),
      sk: S('w-ep'),
      draft: S(JSON.stringify({ summary: 's', labels: [], priority: 'High', description: { blocks: [] } })),
      attempts: N(0),
      nextAttemptAt: S(AT.toISOString()),
      lastError: S(''),
    });
    expect(await getRaw(safetyTable, 'FINAL#w-ep', 'final')).toEqual({
      pk: S('FINAL#w-ep'),
      sk: S('final'),
      sentAt: S(AT.toISOString()),
      outcome: S('resolved'),
      expiresAt: N(EPOCH + 7 * DAY),
    });
  });

  it('a fleet entry is a map per instance; an incident row keeps NULL for an absent value', async () => {
    // Act
    await store.registerFleet('i-wf', 'w-ep', AT, null);
    await store.registerFleet('i-wg', 'w-ep2', AT, 'web-asg');
    await incidentStore(raw, incidentsTable, { now: () => AT }).putIncident({
      incidentId: 'w-inc',
      instanceId: 'i-w',
      startedAt: AT.toISOString(),
      endedAt: null,
      outcome: 'resolved',
      classification: null,
      ticketKey: null,
      executionArn: null,
      alarmName: null,
    });
    const incident = await raw.send(
      new QueryCommand({
        TableName: incidentsTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': S('instance#i-w') },
      }),
    );
    // Assess
    const bucket = await getRaw(safetyTable, 'FLEET', AT.toISOString());
    expect(bucket?.['i:i-wf']).toEqual({ M: { episodeKey: S('w-ep'), at: S(AT.toISOString()) } });
    expect(bucket?.['i:i-wg']).toEqual({
      M: { episodeKey: S('w-ep2'), at: S(AT.toISOString()), group: S('web-asg') },
    });
    expect(bucket?.expiresAt).toEqual(N(EPOCH + 2 * DAY));
    expect(incident.Items?.[0]).toEqual({
      pk: S('instance#i-w'),
      sk: S(`incident#${AT.toISOString()}#w-inc`),
      incidentId: S('w-inc'),
      instanceId: S('i-w'),
      startedAt: S(AT.toISOString()),
      endedAt: { NULL: true },
      outcome: S('resolved'),
      classification: { NULL: true },
      ticketKey: { NULL: true },
      executionArn: { NULL: true },
      alarmName: { NULL: true },
      expiresAt: N(EPOCH + 400 * DAY),
    });
  });
});
