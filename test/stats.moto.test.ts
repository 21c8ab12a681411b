// The fix record on DynamoDB (moto): what Close writes, what Admit reads back in one GetItem, what
// a recurrence marks, and `medic stats` aggregating it with one Query per classification.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalMoto, startMoto } from '../local/moto.ts';
import { fixRecord } from '../shared/adapters/fix-record.ts';
import { lastFixesReader } from '../shared/adapters/last-fixes.ts';
import type { ClosedIncident } from '../shared/policy/learning.ts';
import { createIncidentsTable, motoProcessEnv } from './support/moto.ts';
import { runOperator } from './support/operator.ts';

const TABLE = 'medic-dev-incidents';
const DAY = 86_400_000;
let moto: LocalMoto;
let dynamodb: DynamoDBClient;

const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString();

function row(n: number, over: Partial<ClosedIncident> = {}): ClosedIncident {
  return {
    incidentId: `medic-${n}`,
    instanceId: `i-0000000000000000${n % 10}`,
    classification: 'os',
    outcome: 'resolved',
    startedAt: daysAgo(n + 0.01),
    endedAt: daysAgo(n),
    ticketKey: `OPS-${n}`,
    actions: ['reboot'],
    fixedBy: 'reboot',
    fixedRung: 0,
    timeToMitigateSeconds: 60 * n,
    recurredBy: null,
    ...over,
  };
}

beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, motoProcessEnv(moto.endpoint));
  dynamodb = new DynamoDBClient({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'medic-local', secretAccessKey: 'medic-local' },
  });
  await createIncidentsTable(dynamodb, TABLE);
  const fixes = fixRecord(dynamodb, TABLE);
  // os: reboot ran in 9 incidents (days 1–9), fixed 7 (2 of them recurred), 2 went on to stop-start
  // (one fixed by it). network: 1 reboot that fixed it. One os reboot 40 days ago: outside --days 30.
  const fixed = Array.from({ length: 7 }, (_, i) => row(i + 1));
  for (const f of fixed) await fixes.put(f);
  await fixes.put(row(8, { actions: ['reboot', 'stop-start'], fixedBy: 'stop-start', fixedRung: 1 }));
  await fixes.put(row(9, { outcome: 'escalated', actions: ['reboot', 'stop-start'], fixedBy: null }));
  await fixes.put(row(10, { classification: 'network', instanceId: 'i-00000000000000aa' }));
  await fixes.put(row(40));
  // The very rows stored (their end time is part of the key), as the record hands them back.
  await fixes.markRecurred(fixed[0] as ClosedIncident, 'medic-later-1');
  await fixes.markRecurred(fixed[1] as ClosedIncident, 'medic-later-2');
}, 120_000);

afterAll(async () => {
  await moto?.stop();
});

describe('the fix record on DynamoDB', () => {
  it("Admit's one GetItem sees the instance's last fix per classification and whether it recurred", async () => {
    // Act
    const read = lastFixesReader(dynamodb, TABLE);
    const one = await read('i-00000000000000001');
    const three = await read('i-00000000000000003');
    // Assess
    expect(one.map((f) => [f.incidentId, f.classification, f.fixedBy, f.recurredBy])).toEqual([
      ['medic-1', 'os', 'reboot', 'medic-later-1'],
    ]);
    expect(three.map((f) => [f.incidentId, f.recurredBy])).toEqual([['medic-3', null]]);
  });

  it('a newer fix of the same instance replaces the last one and clears the recurrence mark', async () => {
    // Prepare
    const fixes = fixRecord(dynamodb, TABLE);
    // Act
    await fixes.put(
      row(0, { incidentId: 'medic-0b', instanceId: 'i-00000000000000002', endedAt: daysAgo(0) }),
    );
    const now = await lastFixesReader(dynamodb, TABLE)('i-00000000000000002');
    // Assess
    expect(now.map((f) => [f.incidentId, f.recurredBy])).toEqual([['medic-0b', null]]);
  });
});

describe('medic stats [--days N] [--json]', () => {
  it('per classification × action: attempts, verified fixes, recurrences, median time to mitigate', async () => {
    // Prepare
    await moto.clearCalls();
    // Act
    const run = await runOperator(['--table', TABLE, 'stats', '--days', '30', '--json']);
    const calls = await moto.calls();
    // Assess
    expect(run.code, run.stderr).toBe(0);
    const { days, stats } = JSON.parse(run.stdout);
    expect(days).toBe(30);
    const os = stats.filter((s: { classification: string }) => s.classification === 'os');
    // The row written by the previous test (day 0) adds one reboot attempt and fix.
    expect(os).toEqual([
      {
        classification: 'os',
        action: 'reboot',
        attempts: 10,
        verified: 8,
        recurred: 2,
        medianTimeToMitigateSeconds: 210,
      },
      {
        classification: 'os',
        action: 'stop-start',
        attempts: 2,
        verified: 1,
        recurred: 0,
        medianTimeToMitigateSeconds: 480,
      },
    ]);
    expect(stats.find((s: { classification: string }) => s.classification === 'network')).toMatchObject({
      attempts: 1,
      verified: 1,
    });
    // Bounded reads: one Query per classification, never a Scan.
    expect(calls.map((c) => c.action).filter((a) => a !== 'Query')).toEqual([]);
  });

  it('--days narrows the window; the table form names each column', async () => {
    // Act
    const run = await runOperator(['--table', TABLE, 'stats', '--days', '3']);
    // Assess: days 0, 1 and 2 are os reboots that fixed it (day 3 is just outside); 1 and 2 recurred.
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('attempts  verified  recurred  median TTM');
    expect(run.stdout).toMatch(/os\s+reboot\s+3\s+3\s+2/);
  });

  it('--days outside 1–90 is a usage error, exit 2', async () => {
    // Act
    const run = await runOperator(['--table', TABLE, 'stats', '--days', '0']);
    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--days must be a whole number from 1 to 90');
  });
});
