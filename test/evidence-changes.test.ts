/** The recent-changes lookup in the alerts evidence branch, over fake ports: bounded, deduplicated, never failing. */
import { describe, expect, it } from 'vitest';
import type {
  CloudTrailPort,
  CommandHistoryPort,
  ScalingActivitiesPort,
  TrailEvent,
} from '../shared/ports.ts';
import { gatherAlerts, MAX_CHANGE_ROWS, MAX_TRAIL_LOOKUPS } from '../shared/usecases/evidence-alerts.ts';
import { instanceCase } from './support/cases.ts';

const NOW = new Date('2026-11-29T12:05:00.000Z');
const clock = () => NOW;
const logs = { filter: async () => [] };

function revoke(id: string, at: string, resource: string): TrailEvent {
  return {
    eventId: id,
    at,
    eventName: 'RevokeSecurityGroupIngress',
    eventSource: 'ec2.amazonaws.com',
    username: 'alice',
    resources: [{ type: 'AWS::EC2::SecurityGroup', name: resource }],
    record: {
      userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::123456789012:assumed-role/ops/alice' },
      requestParameters: {
        groupId: resource,
        ipPermissions: {
          items: [
            { ipProtocol: 'tcp', fromPort: 22, toPort: 22, ipRanges: { items: [{ cidrIp: '<b>x</b>' }] } },
          ],
        },
      },
    },
  };
}

const noScaling: ScalingActivitiesPort = { activities: async () => [] };
const noCommands: CommandHistoryPort = { commands: async () => [] };

function aCase(
  attached = { securityGroups: ['sg-1', 'sg-2'], networkInterfaces: ['eni-1'], volumes: ['vol-1'] },
) {
  const c = instanceCase();
  return { ...c, target: { ...c.target, attached } };
}

describe('recent changes in the alerts evidence', () => {
  it('looks up the instance and each attached resource one at a time, keeps each event once, newest first', async () => {
    // Prepare
    const asked: string[] = [];
    let inFlight = 0;
    let most = 0;
    const trail: CloudTrailPort = {
      async lookupByResource(name) {
        asked.push(name);
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        // The same event is found through two resources (as DetachVolume is through the instance and the volume).
        return name === 'sg-1' || name === 'eni-1' ? [revoke('e-1', '2026-11-29T11:58:00.000Z', 'sg-1')] : [];
      },
    };
    // Act
    const branch = await gatherAlerts(aCase(), {
      logs,
      clock,
      timeoutMs: 2_000,
      windowMinutes: 30,
      changes: { trail, scaling: noScaling, commands: noCommands, lookbackMinutes: 60 },
    });
    // Assess
    const changes = branch.value?.changes;
    expect(asked).toEqual([expect.stringMatching(/^i-/), 'sg-1', 'sg-2', 'eni-1', 'vol-1']);
    expect(most).toBe(1);
    expect(changes?.rows).toHaveLength(1);
    expect(changes?.rows[0]).toMatchObject({
      actor: 'arn:aws:sts::123456789012:assumed-role/ops/alice',
      resource: 'sg-1',
      detail: 'revoked tcp 22 from <b>x</b>',
    });
    expect(changes?.window.start).toBe('2026-11-29T11:05:00.000Z');
    expect(branch.checks.some((c) => c.name === 'change: RevokeSecurityGroupIngress')).toBe(true);
  });

  it('a throttled or slow source is an unchecked line and the branch still answers', async () => {
    // Prepare
    const trail: CloudTrailPort = {
      async lookupByResource(name) {
        if (name === 'sg-1') throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
        if (name === 'sg-2') return new Promise(() => undefined); // never answers
        return [];
      },
    };
    const commands: CommandHistoryPort = {
      commands: async () => {
        throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
      },
    };
    // Act
    const branch = await gatherAlerts(aCase(), {
      logs,
      clock,
      timeoutMs: 300,
      windowMinutes: 30,
      changes: { trail, scaling: noScaling, commands, lookbackMinutes: 60 },
    });
    // Assess
    const unchecked = branch.value?.changes?.unchecked ?? [];
    expect(branch.ok).toBe(true);
    expect(unchecked).toContainEqual(
      expect.stringMatching(/CloudTrail for sg-1: ThrottlingException: Rate exceeded/),
    );
    expect(unchecked).toContainEqual(expect.stringMatching(/CloudTrail for sg-2: EvidenceTimeoutError/));
    expect(unchecked).toContainEqual(expect.stringMatching(/CloudTrail for eni-1: no time left/));
    expect(unchecked).toContainEqual(expect.stringMatching(/SSM commands on i-.*: AccessDeniedException/));
    expect(branch.checks.find((c) => c.name === 'recent changes')?.status).toBe('unknown');
  });

  it('bounds the lookups and the rows the state keeps', async () => {
    // Prepare: more resources and events than medic keeps
    const many = Array.from({ length: 12 }, (_, i) => `sg-${i}`);
    const trail: CloudTrailPort = {
      lookupByResource: async (name) =>
        Array.from({ length: 5 }, (_, i) =>
          revoke(`${name}-${i}`, `2026-11-29T11:${String(10 + i).padStart(2, '0')}:00.000Z`, name),
        ),
    };
    const asked: string[] = [];
    const counting: CloudTrailPort = {
      lookupByResource: (name, o) => {
        asked.push(name);
        return trail.lookupByResource(name, o);
      },
    };
    // Act
    const branch = await gatherAlerts(aCase({ securityGroups: many, networkInterfaces: [], volumes: [] }), {
      logs,
      clock,
      timeoutMs: 2_000,
      windowMinutes: 30,
      changes: { trail: counting, scaling: noScaling, commands: noCommands, lookbackMinutes: 60 },
    });
    // Assess
    const changes = branch.value?.changes;
    expect(asked).toHaveLength(MAX_TRAIL_LOOKUPS);
    expect(changes?.rows).toHaveLength(MAX_CHANGE_ROWS);
    expect(changes?.truncated).toBe(true);
    expect(changes?.unchecked).toContainEqual(expect.stringMatching(/not looked up for sg-7/));
  });
});
