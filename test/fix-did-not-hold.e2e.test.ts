/**
 * End to end: `medic simulate --scenario fix-did-not-hold --json` as a user runs it, against moto
 * and the local Jira (which answers only routes in Atlassian's spec) with the real ASL and
 * handlers. A reboot resolves the first incident; the same alarm fires again for the same instance
 * 20 minutes later. What is asserted is what the stores and services received: the first fix is
 * marked as not held in the fix record, Jira links the two tickets, and the second incident's
 * first rung is the one above the reboot.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { tablesFromServerless } from '../local/tables.ts';
import { fixRecord } from '../shared/adapters/fix-record.ts';
import { runMedic, useSubstrate } from './support/substrate.ts';

const s = useSubstrate({ resetEachTest: true });

describe('medic simulate --scenario fix-did-not-hold', () => {
  it('marks the first fix as failed, links both tickets and starts one rung higher', async () => {
    // Act
    const run = await runMedic(['simulate', '--scenario', 'fix-did-not-hold', '--json'], s.env, 200_000);
    // Assess: the second incident, resolved by the rung above the reboot
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as {
      incidentId: string;
      outcome: string;
      classification: string;
      targets: string[];
      actions: { kind: string; outcome: string }[];
      timeline: { step: string; summary: string }[];
      ticket: { key: string } | null;
    };
    const [instanceId] = result.targets;
    expect(result).toMatchObject({ outcome: 'resolved', classification: 'os' });
    expect(result.actions.map((a) => [a.kind, a.outcome])).toEqual([['stop-start', 'recovered']]);
    const said = result.timeline.map((e) => e.summary).join('\n');
    expect(said).toMatch(/recurrence: i-[0-9a-f]+ was resolved by reboot in \S+ \(OPS-\d+\)/);
    // Assess: what reached EC2 over both incidents — one reboot (first), one stop/start (second)
    const mutating = (await s.moto.calls())
      .filter(
        (c) =>
          /^(RebootInstances|StopInstances|StartInstances)$/.test(c.action) && c.params.DryRun !== 'true',
      )
      .map((c) => c.action);
    expect(mutating).toEqual(['RebootInstances', 'StopInstances', 'StartInstances']);
    // Assess: the two tickets are linked in Jira, each side seeing the other
    const second = s.jira.issues().find((i) => i.key === result.ticket?.key);
    const firstKey = /resolved by reboot in \S+ \((OPS-\d+)\)/.exec(said)?.[1];
    expect(firstKey).toBeDefined();
    expect(firstKey).not.toBe(second?.key);
    const first = s.jira.issues().find((i) => i.key === firstKey);
    expect(second?.links?.map((l) => l.key)).toContain(firstKey);
    expect(first?.links?.map((l) => l.key)).toContain(second?.key);
    // Assess: the fix record marks the reboot's fix as not held, by the second incident
    const table = tablesFromServerless().get('IncidentsTable')?.TableName ?? '';
    const client = new DynamoDBClient({
      endpoint: s.moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'medic-local', secretAccessKey: 'medic-local' },
    });
    const rows = await fixRecord(client, table).since('os', new Date(Date.now() - 3_600_000));
    const rebootFix = rows.find((r) => r.instanceId === instanceId && r.fixedBy === 'reboot');
    expect(rebootFix?.ticketKey).toBe(firstKey);
    expect(rebootFix?.recurredBy).toBe(result.incidentId);
  }, 240_000);
});
