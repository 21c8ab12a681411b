/**
 * A SecureString read with GetParameter alone, cached per sandbox for `maxAgeSeconds`. For the
 * functions on the way to the first action, whose bundles have a size budget that the Powertools
 * reader (secret-parameter.ts) would break; the value is returned to the caller only, never logged.
 */
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError } from '../errors.ts';
import type { SecretSource } from '../ports.ts';
import { callAws } from './aws-errors.ts';

export function ssmSecureString(
  client: SSMClient,
  name: string,
  maxAgeSeconds: number,
  now: () => number = Date.now,
): SecretSource {
  let cached: { value: string; until: number } | null = null;
  return async () => {
    if (cached && now() < cached.until) return cached.value;
    const out = await callAws(`SSM GetParameter ${name}`, () =>
      client.send(new GetParameterCommand({ Name: name, WithDecryption: true })),
    );
    const value = out.Parameter?.Value;
    if (!value) throw new ConfigError(`SSM parameter ${name} is empty or missing`);
    cached = { value, until: now() + maxAgeSeconds * 1000 };
    return value;
  };
}
