/**
 * One SSM SecureString, read with a plain GetParameter (WithDecryption) and kept for `maxAgeMs` per
 * sandbox. The Statuspage API key on the run's hot path (Decide, the action steps) is read this way
 * rather than through Powertools Parameters (secret-parameter.ts), which would add its provider to
 * every function an incident waits on. The value goes to the caller only and is never logged.
 */
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError } from '../errors.ts';
import type { SecretSource } from '../ports.ts';
import { callAws } from './aws-errors.ts';

export function ssmSecureString(
  client: SSMClient,
  name: string,
  maxAgeMs = 300_000,
  now: () => number = Date.now,
): SecretSource {
  let cached: { value: string; until: number } | undefined;
  return async () => {
    if (cached && now() < cached.until) return cached.value;
    const out = await callAws(`GetParameter ${name}`, () =>
      client.send(new GetParameterCommand({ Name: name, WithDecryption: true })),
    );
    const value = out.Parameter?.Value;
    if (typeof value !== 'string' || value.length === 0)
      throw new ConfigError(`SSM parameter ${name} is empty or missing`);
    // Kept a while only: a rotated key is picked up without a redeploy.
    cached = { value, until: now() + maxAgeMs };
    return value;
  };
}
