/**
 * The Statuspage port and its outbox, for the functions that publish (Close, the outbox drainer).
 * The API key is read from SSM (SecureString) once per Lambda sandbox, never from the environment
 * of a deployed stack; the port is bound to the caller's deadline.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';
import { documentClient } from './adapters/dynamo-document.ts';
import { dynamoStatusOutbox } from './adapters/safety/status-outbox.ts';
import { ssmSecret } from './adapters/secret-parameter.ts';
import { statusPage } from './adapters/statuspage.ts';
import { perEnvironment, safetyConfig, statusPageConfig } from './config.ts';
import type { Deadline } from './domain/deadline.ts';
import type { StatusOutbox, StatusOutboxDrain, StatusPagePort } from './ports.ts';

const ssm = new SSMClient({});
const cache = /* @__PURE__ */ perEnvironment(() => ({ apiKey: undefined as Promise<string> | undefined }));

/** Whether this deployment publishes on a status page at all (a page id is configured). */
export function statusPageEnabled(): boolean {
  return Boolean(statusPageConfig().MEDIC_STATUSPAGE_PAGE_ID);
}

export async function statusPagePort(deadline?: Deadline): Promise<StatusPagePort> {
  const config = statusPageConfig();
  const cached = cache();
  cached.apiKey ??= config.MEDIC_STATUSPAGE_KEY
    ? Promise.resolve(config.MEDIC_STATUSPAGE_KEY)
    : ssmSecret(ssm, config.MEDIC_STATUSPAGE_KEY_PARAMETER ?? '')();
  // A failed read is not cached: the next invocation asks SSM again.
  const apiKey = await cached.apiKey.catch((error: unknown) => {
    cached.apiKey = undefined;
    throw error;
  });
  return statusPage({
    baseUrl: config.MEDIC_STATUSPAGE_URL,
    pageId: config.MEDIC_STATUSPAGE_PAGE_ID ?? '',
    apiKey,
    timeoutMs: config.MEDIC_STATUSPAGE_TIMEOUT_MS,
    ...(deadline ? { deadline } : {}),
  });
}

export const statusOutbox: () => StatusOutbox & StatusOutboxDrain = /* @__PURE__ */ perEnvironment(() =>
  dynamoStatusOutbox(documentClient(new DynamoDBClient({})), safetyConfig().MEDIC_SAFETY_TABLE),
);
