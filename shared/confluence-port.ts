/**
 * The Confluence review port the functions that write reviews share (Close, the outbox drainer).
 * The token is read from SSM (SecureString) once per Lambda sandbox, never from the stack's
 * environment and never logged; the port is bound to the caller's deadline.
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import { confluencePages } from './adapters/confluence.ts';
import { ssmSecret } from './adapters/secret-parameter.ts';
import { confluenceConfig, perEnvironment } from './config.ts';
import type { Deadline } from './domain/deadline.ts';
import type { ReviewPort } from './ports.ts';

const ssm = new SSMClient({});
const cache = /* @__PURE__ */ perEnvironment(() => ({ token: undefined as Promise<string> | undefined }));

export async function reviewPort(deadline?: Deadline): Promise<ReviewPort> {
  const config = confluenceConfig();
  const cached = cache();
  cached.token ??= config.MEDIC_CONFLUENCE_TOKEN
    ? Promise.resolve(config.MEDIC_CONFLUENCE_TOKEN)
    : ssmSecret(ssm, config.MEDIC_CONFLUENCE_TOKEN_PARAMETER ?? '')();
  // A failed read is not cached: the next invocation asks SSM again.
  const token = await cached.token.catch((error: unknown) => {
    cached.token = undefined;
    throw error;
  });
  return confluencePages({
    baseUrl: config.MEDIC_CONFLUENCE_URL ?? '',
    flavour: config.MEDIC_CONFLUENCE_FLAVOUR,
    space: config.MEDIC_CONFLUENCE_SPACE ?? '',
    ...(config.MEDIC_CONFLUENCE_PARENT_ID ? { parentId: config.MEDIC_CONFLUENCE_PARENT_ID } : {}),
    ...(config.MEDIC_CONFLUENCE_EMAIL ? { email: config.MEDIC_CONFLUENCE_EMAIL } : {}),
    token,
    timeoutMs: config.MEDIC_CONFLUENCE_TIMEOUT_MS,
    ...(deadline ? { deadline } : {}),
  });
}
