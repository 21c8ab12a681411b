/**
 * The fleet guard's group share across an organization (shared/usecases/guard.ts fleetTripped):
 * a group is sized in its own account and region, and the same group name in two accounts is two
 * groups — never one group's share made of the other's instances.
 */
import { describe, expect, it } from 'vitest';
import { fleetTripped } from '../shared/usecases/guard.ts';

const HOME = { account: '111111111111', region: 'eu-west-1' };
const MEMBER = '222222222222';
const at = '2026-01-01T00:00:00.000Z';

function deps(sized: { group: string; where: unknown }[]) {
  const entries = [
    ...[0, 1].map((i) => ({ instanceId: `i-a${i}`, episodeKey: `a${i}`, at, group: 'web' })),
    ...[0, 1].map((i) => ({
      instanceId: `${MEMBER}/eu-west-1/i-b${i}`,
      episodeKey: `b${i}`,
      at,
      group: 'web',
      account: MEMBER,
      region: 'eu-west-1',
    })),
  ];
  return {
    clock: () => new Date(at),
    settings: {
      home: HOME,
      fleetMaxInstances: 10,
      fleetWindowMs: 600_000,
      fleetMaxGroupPercent: 50,
    } as never,
    store: { fleetSince: async () => entries, stormsAt: async () => new Map<string, Date>() },
    groupSize: async (group: string, where?: unknown) => {
      sized.push({ group, where });
      return 4;
    },
  };
}

describe('group share across accounts', () => {
  it('sizes a member group in its own account and region; "web" of two accounts is not one group', async () => {
    // Prepare
    const sized: { group: string; where: unknown }[] = [];
    // Act
    const trip = await fleetTripped(['web'], deps(sized), [], { account: MEMBER, region: 'eu-west-1' });
    // Assess: two of four in each account is 50 %, not past the limit; the member's group was
    // sized there, by its own name
    expect(trip).toBeNull();
    expect(sized).toEqual([{ group: 'web', where: { account: MEMBER, region: 'eu-west-1' } }]);
  });

  it('the central group is sized with the central clients', async () => {
    // Prepare
    const sized: { group: string; where: unknown }[] = [];
    // Act
    await fleetTripped(['web'], deps(sized), []);
    // Assess
    expect(sized).toEqual([{ group: 'web', where: undefined }]);
  });
});
