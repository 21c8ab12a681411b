/** Guard settings for tests: every bound set, loose enough that only the bound under test holds. */
import type { GuardSettings } from '../../shared/usecases/guard.ts';

export function guardSettings(over: Partial<GuardSettings> = {}): GuardSettings {
  return {
    budgetActions: 3,
    budgetWindowMs: 3_600_000,
    cooldownMs: 0,
    flapEpisodes: 10,
    flapWindowMs: 3_600_000,
    fleetMaxInstances: 5,
    fleetWindowMs: 10 * 60_000,
    fleetMaxGroupPercent: 50,
    changeFreeze: false,
    maintenanceWindows: [],
    ...over,
  };
}
