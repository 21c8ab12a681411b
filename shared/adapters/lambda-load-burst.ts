/**
 * The sweep's bursts run in the LoadCheck function, which sits in the probe subnets: the sweep
 * itself is outside the VPC, and a burst from there would measure a different path than the one
 * Verify and the probes use.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { LoadResultSchema } from '../domain/load-check.ts';
import { LoadCheckFailedError } from '../errors.ts';
import type { LoadBurstPort } from '../ports.ts';
import { callAws } from './aws-errors.ts';

export function lambdaLoadBurst(client: LambdaClient, functionName: string): LoadBurstPort {
  return {
    async burst(url, limits) {
      const out = await callAws('Invoke LoadCheck', () =>
        client.send(
          new InvokeCommand({
            FunctionName: functionName,
            Payload: new TextEncoder().encode(JSON.stringify({ stress: { url, ...limits } })),
          }),
        ),
      );
      const body = out.Payload ? new TextDecoder().decode(out.Payload) : '';
      if (out.FunctionError)
        throw new LoadCheckFailedError(`LoadCheck failed (${out.FunctionError}): ${body.slice(0, 300)}`);
      return LoadResultSchema.parse(JSON.parse(body));
    },
  };
}
