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
  options: { optional?: boolean; now?: () => number } = {},
): SecretSource {
  const now = options.now ?? Date.now;
  let cached: { value: string; until: number } | null = null;
  return async () => {
    if (cached && now() < cached.until) return cached.value;
    let value: string | undefined;
    try {
      const out = await callAws(`SSM GetParameter ${name}`, () =>
        client.send(new GetParameterCommand({ Name: name, WithDecryption: true })),
      );
      value = out.Parameter?.Value;
    } catch (error) {
      // An optional secret that was never created: the caller goes without (and says so if refused).
      if (!options.optional || (error as Error).name !== 'ParameterNotFound') throw error;
      value = '';
    }
    if (!value && !options.optional) throw new ConfigError(`SSM parameter ${name} is empty or missing`);
    cached = { value: value ?? '', until: now() + maxAgeSeconds * 1000 };
    return cached.value;
  };
}
