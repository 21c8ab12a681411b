/**
 * Wiring shared by the handlers that enforce the safety bounds: the DynamoDB store and the
 * bounds read once from the environment (`safetyConfig`). Handlers stay thin; use cases stay SDK-free.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  dynamoAdmissionStore,
  dynamoGuardStore,
  dynamoReviewStore,
  dynamoSafetyStore,
} from './adapters/dynamo-safety.ts';
import { orgConfig, perEnvironment, safetyConfig } from './config.ts';
import { ConfigError } from './errors.ts';
import type { Home } from './policy/org.ts';
import type {
  AdmissionStorePort,
  GuardStorePort,
  ReviewOutbox,
  ReviewOutboxDrain,
  SafetyStorePort,
} from './ports.ts';
import { type GuardSettings, parseMaintenanceWindows } from './usecases/guard.ts';

export const safetyStore: () => SafetyStorePort = /* @__PURE__ */ perEnvironment(() =>
  dynamoSafetyStore(new DynamoDBClient({}), safetyConfig().MEDIC_SAFETY_TABLE),
);

/** Only what admission needs: Admit bundles no action-ledger or drain code. */
export const admissionStore: () => AdmissionStorePort = /* @__PURE__ */ perEnvironment(() =>
  dynamoAdmissionStore(new DynamoDBClient({}), safetyConfig().MEDIC_SAFETY_TABLE),
);

/** Only what the bounds need: the action functions bundle no lock, fleet-write or outbox code. */
export const guardStore: () => GuardStorePort = /* @__PURE__ */ perEnvironment(() =>
  dynamoGuardStore(new DynamoDBClient({}), safetyConfig().MEDIC_SAFETY_TABLE),
);

export const guardSettings: () => GuardSettings = /* @__PURE__ */ perEnvironment(() => {
  const c = safetyConfig();
  const org = orgConfig();
  let maintenanceWindows: GuardSettings['maintenanceWindows'];
  try {
    maintenanceWindows = parseMaintenanceWindows(c.MEDIC_MAINTENANCE_WINDOWS);
  } catch (error) {
    throw new ConfigError(`MEDIC_MAINTENANCE_WINDOWS: ${(error as Error).message}`);
  }
  return {
    budgetActions: c.MEDIC_BUDGET_ACTIONS,
    budgetWindowMs: c.MEDIC_BUDGET_WINDOW_HOURS * 3_600_000,
    cooldownMs: c.MEDIC_COOLDOWN_MINUTES * 60_000,
    flapEpisodes: c.MEDIC_FLAP_EPISODES,
    flapWindowMs: c.MEDIC_FLAP_WINDOW_MINUTES * 60_000,
    fleetMaxInstances: c.MEDIC_FLEET_MAX_INSTANCES,
    fleetWindowMs: c.MEDIC_FLEET_WINDOW_MINUTES * 60_000,
    fleetMaxGroupPercent: c.MEDIC_FLEET_MAX_GROUP_PERCENT,
    changeFreeze: c.MEDIC_CHANGE_FREEZE,
    maintenanceWindows,
    fleetMaxOrgInstances: c.MEDIC_FLEET_MAX_ORG_INSTANCES ?? 2 * c.MEDIC_FLEET_MAX_INSTANCES,
    fleetMaxAzInstances: c.MEDIC_FLEET_MAX_AZ_INSTANCES ?? c.MEDIC_FLEET_MAX_INSTANCES,
    home: homeOf(),
    accountNames: org.MEDIC_ACCOUNT_NAMES,
  };
});

/** The central deployment's own account and region: the bounds keys are relative to it. */
export function homeOf(): Home {
  const org = orgConfig();
  return { account: org.MEDIC_CENTRAL_ACCOUNT, region: org.AWS_REGION };
}

export function lockLeaseMs(): number {
  return safetyConfig().MEDIC_LOCK_LEASE_MINUTES * 60_000;
}

/** The review outbox (Close and the drainer only). */
export const reviewStore: () => ReviewOutbox & ReviewOutboxDrain = /* @__PURE__ */ perEnvironment(() =>
  dynamoReviewStore(new DynamoDBClient({}), safetyConfig().MEDIC_SAFETY_TABLE),
);
