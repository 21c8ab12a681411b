/**
 * The credential provider of the deployed bundles only: serverless.yml aliases the SDK's
 * `@aws-sdk/credential-provider-node` (the full default chain: env, SSO, ini files, process, web
 * identity, IMDS — with the STS/SSO clients it needs) to this module. A Lambda function always
 * gets its role's credentials in its environment, so the rest of the chain is dead weight: about
 * 145 KB of every AWS-calling function (measured by `npm run bench`). The container endpoint is
 * kept for runtimes that hand out credentials that way. Local runs and tests never use this file.
 */
import { type FromEnvInit, fromEnv } from '@aws-sdk/credential-provider-env';
import { fromContainerMetadata } from '@smithy/credential-provider-imds';

export function defaultProvider(init: FromEnvInit = {}) {
  const env = fromEnv(init);
  const container = fromContainerMetadata();
  return async () => {
    try {
      return await env();
    } catch (error) {
      const viaContainer =
        process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI || process.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
      if (viaContainer) return container();
      throw error;
    }
  };
}
