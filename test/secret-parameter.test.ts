// The one SSM secret reader (Powertools Parameters): a throttle or 5xx keeps the name the ASL
// retries (AwsTransientError), a missing parameter keeps its own, and a value is read once per
// cache period. Unit test: the SSM client is mocked (aws-sdk-client-mock), no network.
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ssmSecret } from '../shared/adapters/secret-parameter.ts';

const ssm = mockClient(SSMClient);
afterEach(() => ssm.reset());

function throttled(): Error {
  return Object.assign(new Error('Rate exceeded'), {
    name: 'ThrottlingException',
    $metadata: { httpStatusCode: 400 },
  });
}

describe('ssmSecret', () => {
  it('a throttled read fails as AwsTransientError, which every Task retries', async () => {
    // Prepare
    ssm.on(GetParameterCommand).rejects(throttled());
    const secret = ssmSecret(new SSMClient({ region: 'us-east-1' }), '/medic/test/throttled');
    // Act
    const error = await secret().catch((e: Error) => e);
    // Assess
    expect((error as Error).name).toBe('AwsTransientError');
    expect((error as Error).message).toContain('/medic/test/throttled');
  });

  it('a missing parameter is not retried: it keeps a non-transient name', async () => {
    // Prepare
    ssm
      .on(GetParameterCommand)
      .rejects(new ParameterNotFound({ message: 'not found', $metadata: { httpStatusCode: 400 } }));
    const secret = ssmSecret(new SSMClient({ region: 'us-east-1' }), '/medic/test/missing');
    // Act
    const error = await secret().catch((e: Error) => e);
    // Assess
    expect((error as Error).name).not.toBe('AwsTransientError');
    expect((error as Error).name).toMatch(/GetParameterError|ParameterNotFound/);
  });

  it('reads a value once per cache period', async () => {
    // Prepare
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 's3cr3t-value' } });
    const secret = ssmSecret(new SSMClient({ region: 'us-east-1' }), '/medic/test/cached');
    // Act
    const values = [await secret(), await secret()];
    // Assess
    expect(values).toEqual(['s3cr3t-value', 's3cr3t-value']);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
  });
});
