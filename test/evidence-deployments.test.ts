/**
 * CodeDeploy deployments in the recent changes, over fake ports: found through CloudTrail's
 * CreateDeployment events (no CodeDeploy call when there are none), bounded, only those whose
 * targets include the instance, and a refusal is one "not checked" line, never a failed branch.
 */
import { describe, expect, it } from 'vitest';
import type {
  CloudTrailPort,
  CodeDeployPort,
  CommandHistoryPort,
  DeploymentRecord,
  ScalingActivitiesPort,
  TrailEvent,
  TrailEventsPort,
} from '../shared/ports.ts';
import { gatherAlerts, MAX_DEPLOYMENTS } from '../shared/usecases/evidence-alerts.ts';
import { instanceCase } from './support/cases.ts';

const NOW = new Date('2026-11-29T12:05:00.000Z');
const clock = () => NOW;
const logs = { filter: async () => [] };
const noResources: CloudTrailPort = { lookupByResource: async () => [] };
const noScaling: ScalingActivitiesPort = { activities: async () => [] };
const noCommands: CommandHistoryPort = { commands: async () => [] };
const CAROL = 'arn:aws:sts::123456789012:assumed-role/release/carol';

function created(id: string, at: string, extra: Record<string, unknown> = {}): TrailEvent {
  return {
    eventId: `e-${id}`,
    at,
    eventName: 'CreateDeployment',
    eventSource: 'codedeploy.amazonaws.com',
    username: 'carol',
    resources: [],
    record: {
      userIdentity: { type: 'AssumedRole', arn: CAROL },
      requestParameters: { applicationName: 'shop', deploymentGroupName: 'web' },
      responseElements: { deploymentId: id },
      ...extra,
    },
  };
}

function info(id: string, at: string): DeploymentRecord {
  return {
    deploymentId: id,
    application: 'shop',
    group: 'web',
    status: 'Succeeded',
    createdAt: at,
    completedAt: at,
    creator: 'user',
    description: null,
  };
}

function run(trail: TrailEventsPort, codedeploy: CodeDeployPort, timeoutMs = 2_000) {
  const c = instanceCase();
  return gatherAlerts(c, {
    logs,
    clock,
    timeoutMs,
    windowMinutes: 30,
    changes: {
      trail: noResources,
      scaling: noScaling,
      commands: noCommands,
      lookbackMinutes: 60,
      deployments: { trail, codedeploy },
    },
  });
}

describe('CodeDeploy deployments in the recent changes', () => {
  it('keeps the deployments whose targets include the instance, with who created them', async () => {
    // Prepare
    const instanceId = instanceCase().target.instanceId;
    const asked: string[] = [];
    const trail: TrailEventsPort = {
      lookupByEventName: async (name) => {
        asked.push(name);
        return [
          created('d-OTHER', '2026-11-29T11:50:00.000Z'),
          created('d-HERE', '2026-11-29T11:58:00.000Z'),
          // Refused by CodeDeploy: no deployment was made.
          created('d-DENIED', '2026-11-29T11:59:00.000Z', { errorCode: 'AccessDenied' }),
        ];
      },
    };
    const targetsAsked: [string, string][] = [];
    const codedeploy: CodeDeployPort = {
      deployments: async (ids) =>
        ids.map((id) => info(id, id === 'd-HERE' ? '2026-11-29T11:58:00.000Z' : '2026-11-29T11:50:00.000Z')),
      instanceTarget: async (id, instance) => {
        targetsAsked.push([id, instance]);
        return id === 'd-HERE' ? { status: 'Succeeded', lastUpdatedAt: null, failedEvent: null } : null;
      },
    };
    // Act
    const branch = await run(trail, codedeploy);
    // Assess
    const rows = branch.value?.changes?.rows ?? [];
    expect(asked).toEqual(['CreateDeployment']);
    expect(targetsAsked).toEqual([
      ['d-HERE', instanceId],
      ['d-OTHER', instanceId],
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      source: 'codedeploy',
      eventName: 'CreateDeployment',
      actor: CAROL,
      resource: instanceId,
      at: '2026-11-29T11:58:00.000Z',
      deployment: { id: 'd-HERE', application: 'shop', group: 'web', instanceStatus: 'Succeeded' },
    });
    expect(rows[0]?.detail).toContain('deployment d-HERE of shop/web');
    expect(branch.value?.changes?.deployments).toMatch(/^1 of 2 deployments since .* targeted i-/);
    expect(branch.checks.find((c) => c.name === 'CodeDeploy deployments')?.status).toBe('pass');
  });

  it('no CreateDeployment event: "none", and CodeDeploy is not called at all', async () => {
    // Prepare
    let codeDeployCalls = 0;
    const codedeploy: CodeDeployPort = {
      deployments: async () => {
        codeDeployCalls++;
        return [];
      },
      instanceTarget: async () => {
        codeDeployCalls++;
        return null;
      },
    };
    // Act
    const branch = await run({ lookupByEventName: async () => [] }, codedeploy);
    // Assess
    expect(codeDeployCalls).toBe(0);
    expect(branch.value?.changes?.deployments).toBe('none since 2026-11-29T11:05:00.000Z');
    expect(branch.value?.changes?.rows).toEqual([]);
  });

  it('CodeDeploy refusing (AccessDenied) is one "not checked" line and the branch still answers', async () => {
    // Prepare
    const codedeploy: CodeDeployPort = {
      deployments: async () => {
        throw Object.assign(new Error('not authorized to perform codedeploy:BatchGetDeployments'), {
          name: 'AccessDeniedException',
        });
      },
      instanceTarget: async () => null,
    };
    const trail: TrailEventsPort = {
      lookupByEventName: async () => [created('d-1', '2026-11-29T11:58:00.000Z')],
    };
    // Act
    const branch = await run(trail, codedeploy);
    // Assess
    expect(branch.ok).toBe(true);
    expect(branch.value?.changes?.deployments).toMatch(/^not checked: 1 deployments created/);
    expect(branch.value?.changes?.unchecked).toContainEqual(
      expect.stringMatching(/CodeDeploy BatchGetDeployments: AccessDeniedException/),
    );
    expect(branch.checks.find((c) => c.name === 'CodeDeploy deployments')?.status).toBe('unknown');
  });

  it('a target lookup that fails is "not checked", not "did not target the instance"', async () => {
    // Prepare
    const codedeploy: CodeDeployPort = {
      deployments: async (ids) => ids.map((id) => info(id, '2026-11-29T11:58:00.000Z')),
      instanceTarget: async () => {
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      },
    };
    const trail: TrailEventsPort = {
      lookupByEventName: async () => [created('d-1', '2026-11-29T11:58:00.000Z')],
    };
    // Act
    const branch = await run(trail, codedeploy);
    // Assess
    expect(branch.value?.changes?.deployments).toMatch(/^not checked: the targets of 1 of 1 deployments/);
    expect(branch.checks.find((c) => c.name === 'CodeDeploy deployments')?.status).toBe('unknown');
  });

  it(`looks at the newest ${MAX_DEPLOYMENTS} deployments only`, async () => {
    // Prepare
    const events = Array.from({ length: 12 }, (_, i) =>
      created(
        `d-${String(i).padStart(2, '0')}`,
        new Date(Date.parse('2026-11-29T11:10:00.000Z') + i * 60_000).toISOString(),
      ),
    );
    let looked: readonly string[] = [];
    let targetCalls = 0;
    const codedeploy: CodeDeployPort = {
      deployments: async (ids) => {
        looked = ids;
        return ids.map((id) => info(id, '2026-11-29T11:30:00.000Z'));
      },
      instanceTarget: async () => {
        targetCalls++;
        return { status: 'Succeeded', lastUpdatedAt: null, failedEvent: null };
      },
    };
    // Act
    const branch = await run({ lookupByEventName: async () => events }, codedeploy);
    // Assess
    expect(looked).toEqual(['d-11', 'd-10', 'd-09', 'd-08', 'd-07']);
    expect(targetCalls).toBe(MAX_DEPLOYMENTS);
    expect(branch.value?.changes?.deployments).toContain(`(newest ${MAX_DEPLOYMENTS} looked at)`);
  });
});
