/**
 * Secrets through Powertools Parameters: an SSM SecureString, decrypted, cached for `maxAge`
 * seconds per container. The value is returned to the caller only and never logged.
 */
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError } from '../errors.ts';
import type { SecretSource } from '../ports.ts';

export function ssmSecret(client: SSMClient, name: string, maxAge = 300): SecretSource {
  const provider = new SSMProvider({ awsSdkV3Client: client });
  return async () => {
    const value = await provider.get(name, { decrypt: true, maxAge });
    if (typeof value !== 'string' || value.length === 0) {
      throw new ConfigError(`SSM parameter ${name} is empty or missing`);
    }
    return value;
  };
}
