/**
 * Secrets through Powertools Parameters: an SSM SecureString, decrypted, cached for `maxAge`
 * seconds per container. The value is returned to the caller only and never logged. The one SSM
 * secret reader: Jira's token, the webhook secrets and the approval links' signing key.
 */
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { AwsTransientError, ConfigError } from '../errors.ts';
import type { SecretSource } from '../ports.ts';
import { isTransient } from './aws-errors.ts';

export function ssmSecret(client: SSMClient, name: string, maxAge = 300): SecretSource {
  const provider = new SSMProvider({ awsSdkV3Client: client });
  return async () => {
    let value: unknown;
    try {
      value = await provider.get(name, { decrypt: true, maxAge });
    } catch (error) {
      // Powertools wraps the SDK's error: a throttle or a 5xx must stay retryable by name
      // (AwsTransientError is what every Task's Retry names), anything else keeps its own.
      const cause = (error as { cause?: unknown }).cause;
      if (cause && isTransient(cause))
        throw new AwsTransientError(`GetParameter ${name}: ${(cause as Error).message}`, { cause });
      throw error;
    }
    if (typeof value !== 'string' || value.length === 0) {
      throw new ConfigError(`SSM parameter ${name} is empty or missing`);
    }
    return value;
  };
}
