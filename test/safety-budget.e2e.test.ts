/**
 * The per-instance budget on moto + the local Jira. Cooldown and flap detection are set
 * out of the way (this file's own process env) so that only the budget can hold the 4th incident.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from './support/world.ts';

let w: World;

beforeAll(async () => {
  w = await startWorld({ MEDIC_COOLDOWN_MINUTES: '0', MEDIC_FLAP_EPISODES: '50', MEDIC_BUDGET_ACTIONS: '3' });
});
afterAll(async () => {
  await w?.stop();
});

describe('per-instance budget', () => {
  it('the 4th incident for an instance within 24 h takes no action and escalates', async () => {
    // Prepare
    const host = await w.seed('unreachable');
    const detail = host.event.detail as { state: { timestamp: string } };
    const incident = (n: number) => ({
      ...host.event,
      detail: {
        ...detail,
        state: {
          ...detail.state,
          timestamp: new Date(Date.parse(detail.state.timestamp) + n * 60_000).toISOString(),
        },
      },
    });
    // Act: four separate episodes, the host hung again before each
    const runs = [];
    for (let n = 0; n < 4; n++) {
      await host.setMode('hung');
      runs.push(await w.run(incident(n)));
    }
    // Assess: three reboots reached AWS, the fourth was held by the budget and paged a person
    expect(runs.slice(0, 3).map((r) => r.state?.outcome)).toEqual(['resolved', 'resolved', 'resolved']);
    expect((await w.mutatingCalls()).map((c) => c.action)).toEqual([
      'RebootInstances',
      'RebootInstances',
      'RebootInstances',
    ]);
    const fourth = runs[3]?.state;
    expect(fourth?.outcome).toBe('escalated');
    expect(fourth?.cases?.[0]?.actions.map((a) => [a.kind, a.outcome])).toEqual([
      ['reboot', 'held'],
      ['page', 'paged'],
    ]);
    expect(fourth?.cases?.[0]?.actions[0]?.detail).toMatch(
      /^held by budget: .* already had 3 automatic actions/,
    );
    const pages = (await w.inbox()).filter((m) => m.subject.startsWith('[medic] PAGE: web-1'));
    expect(pages).toHaveLength(1);
    const issue = w.s.jira.issues().find((i) => i.fields.labels.includes(fourth?.incidentId ?? '?'));
    expect(JSON.stringify(issue?.fields.description)).toContain('held reboot:');
  });
});
