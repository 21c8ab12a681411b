/** Reads a SecureString once per container and caches it; the value is never logged. */
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError } from '../errors.ts';
import { callAws } from './aws-errors.ts';

const cache = new Map<string, { value: string; until: number }>();
const TTL_MS = 5 * 60_000;

export async function secureParameter(client: SSMClient, name: string): Promise<string> {
  const hit = cache.get(name);
  if (hit && hit.until > Date.now()) return hit.value;
  const out = await callAws('GetParameter', () =>
    client.send(new GetParameterCommand({ Name: name, WithDecryption: true })),
  );
  const value = out.Parameter?.Value;
  if (!value) throw new ConfigError(`SSM parameter ${name} is empty or missing`);
  cache.set(name, { value, until: Date.now() + TTL_MS });
  return value;
}
