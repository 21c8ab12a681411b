/**
 * The AWS SDK's own settings (endpoint, region, credentials) per local run. The handlers build their
 * clients once, at import, with `{}`: the SDK then reads AWS_ENDPOINT_URL, AWS_REGION and the keys
 * from `process.env` and pins the endpoint on the first call. Deployed that is right (one sandbox,
 * one account); locally two runs in one process may each have their own moto, or their own stand-in
 * for Step Functions' callback API (AWS_ENDPOINT_URL_SFN), and `process.env` is nobody's to rewrite.
 *
 * So, as the IAM recorder does, this wraps the one smithy `send` every client inherits: a call made
 * inside a run's environment (`withEnvironment`, shared/config.ts) that names an endpoint goes
 * through a twin of the client built from that environment, kept per client and per run. Outside a
 * run nothing changes.
 * Test and tooling infrastructure only: no deployed code imports this module.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CLIENT_ORIGIN, type TemporaryCredentials } from '../shared/aws-clients.ts';
import { currentEnvironment, type Environment } from '../shared/config.ts';
import { isLoopbackUrl } from '../shared/domain/net.ts';
import { UnsafeEndpointError } from '../shared/errors.ts';
import { sendOwners } from './sdk-clients.ts';

const SCOPED = Symbol.for('medic.awsScope.patched');
const TWIN = Symbol.for('medic.awsScope.twin');
const OWN_CREDENTIALS = Symbol.for('medic.awsScope.ownCredentials');

/**
 * The client keeps the credentials it was built with inside a run (the run still decides the
 * endpoint): a scenario acting as a person (an assumed role's session) must reach moto as that
 * person, or the local CloudTrail would name medic's keys instead.
 */
export function keepOwnCredentials<T extends object>(client: T): T {
  (client as Record<symbol, unknown>)[OWN_CREDENTIALS] = true;
  return client;
}

interface SdkClient {
  constructor: new (config: Record<string, unknown>) => SdkClient;
  config: { serviceId?: string; maxAttempts?: unknown; translateConfig?: unknown; credentials?: unknown };
  [TWIN]?: true;
  [OWN_CREDENTIALS]?: true;
}
type Send = (this: SdkClient, command: unknown, ...rest: unknown[]) => unknown;

/** The SDK's environment variable for one service's endpoint (`SFN` → AWS_ENDPOINT_URL_SFN). */
export function serviceEndpointVariable(serviceId: string): string {
  return `AWS_ENDPOINT_URL_${serviceId.toUpperCase().replace(/[\s-]+/g, '_')}`;
}

/** Client settings for `serviceId` from a run's environment; null when the run names no endpoint. */
export function sdkSettingsFrom(
  environment: Environment,
  serviceId: string,
): {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
} | null {
  const endpoint = environment[serviceEndpointVariable(serviceId)] || environment.AWS_ENDPOINT_URL;
  if (!endpoint) return null;
  // The same refusal as `medic simulate`'s: a local run never sends a request off this machine.
  if (!isLoopbackUrl(endpoint))
    throw new UnsafeEndpointError(
      `a local run's ${serviceId} endpoint ${endpoint} is not a loopback address`,
    );
  return {
    endpoint,
    region: environment.AWS_REGION || 'us-east-1',
    credentials: {
      accessKeyId: environment.AWS_ACCESS_KEY_ID || 'medic-local',
      secretAccessKey: environment.AWS_SECRET_ACCESS_KEY || 'medic-local',
    },
  };
}

interface ClientOrigin {
  region?: string;
  credentials?: TemporaryCredentials;
}

const twins = new WeakMap<SdkClient, WeakMap<Environment, Promise<SdkClient>>>();

/** The one setting medic's handlers give their clients (`maxAttempts: 1` on the mutating calls). */
async function maxAttemptsOf(client: SdkClient): Promise<number | undefined> {
  const value = client.config.maxAttempts;
  const resolved = typeof value === 'function' ? await (value as () => Promise<unknown>)() : value;
  return typeof resolved === 'number' ? resolved : undefined;
}

/**
 * The client's twin for this run. A resolved client keeps no copy of what it was built with (its
 * config is the resolved one, endpoint pinned), so the twin is built afresh: the run's endpoint,
 * region and keys, and the original's retry budget. Every call of a run goes to the run's endpoints.
 */
function twinOf(client: SdkClient, environment: Environment): Promise<SdkClient> | null {
  const settings = sdkSettingsFrom(environment, client.config.serviceId ?? '');
  if (!settings) return null;
  let perRun = twins.get(client);
  if (!perRun) {
    perRun = new WeakMap();
    twins.set(client, perRun);
  }
  let twin = perRun.get(environment);
  if (twin) return twin;
  // A client built for a case (shared/aws-clients.ts) keeps its own region and, in a member
  // account, its assumed-role keys: only the endpoint is the run's (moto maps the keys to the account).
  const origin = (client as unknown as Record<symbol, ClientOrigin | undefined>)[CLIENT_ORIGIN];
  twin = maxAttemptsOf(client).then((maxAttempts) => {
    const config = {
      ...settings,
      ...(origin?.region ? { region: origin.region } : {}),
      ...(client[OWN_CREDENTIALS]
        ? { credentials: client.config.credentials as never }
        : origin?.credentials
          ? { credentials: origin.credentials }
          : {}),
      ...(maxAttempts === undefined ? {} : { maxAttempts }),
    };
    const made =
      client instanceof DynamoDBDocumentClient
        ? // A document client shares its DynamoDB client's stack and keeps no link to it: rebuild both.
          (DynamoDBDocumentClient.from(
            new DynamoDBClient(config),
            client.config.translateConfig as never,
          ) as unknown as SdkClient)
        : new client.constructor(config);
    made[TWIN] = true;
    return made;
  });
  perRun.set(environment, twin);
  return twin;
}

/** Idempotent: after this, every SDK call made inside a run's environment uses that run's settings. */
export function scopeAwsClientsToRuns(): void {
  for (const owner of sendOwners([DynamoDBDocumentClient]) as Record<string | symbol, unknown>[]) {
    if (owner[SCOPED]) continue;
    const original = owner.send as Send;
    owner.send = function scopedSend(this: SdkClient, command: unknown, ...rest: unknown[]) {
      const environment = currentEnvironment();
      if (this[TWIN] || environment === process.env) return original.call(this, command, ...rest);
      const twin = twinOf(this, environment);
      return twin
        ? twin.then((t) => original.call(t, command, ...rest))
        : original.call(this, command, ...rest);
    };
    owner[SCOPED] = true;
  }
}
