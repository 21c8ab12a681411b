/** HTTP intake (Lambda function URL): Alertmanager / Datadog / manual webhooks → executions. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { incidentStore } from '../shared/adapters/incident-store.ts';
import { ssmSecret } from '../shared/adapters/secret-parameter.ts';
import { stepFunctions } from '../shared/adapters/stepfunctions.ts';
import { FunctionUrlRequestSchema } from '../shared/aws-events.ts';
import { intakeConfig } from '../shared/config.ts';
import { ConfigError } from '../shared/errors.ts';
import { awsLambda, logger } from '../shared/lambda.ts';
import type { SecretSource } from '../shared/ports.ts';
import { handleWebhook } from '../shared/usecases/webhook.ts';

const sfn = new SFNClient({});
const dynamodb = new DynamoDBClient({});
const ssm = new SSMClient({});
let secret: SecretSource | undefined;

export const handler = awsLambda(FunctionUrlRequestSchema, async (request) => {
  const config = intakeConfig();
  if (!config.MEDIC_WEBHOOK_SECRET_PARAMETER) {
    throw new ConfigError('MEDIC_WEBHOOK_SECRET_PARAMETER (an SSM SecureString name) is required');
  }
  secret ??= ssmSecret(ssm, config.MEDIC_WEBHOOK_SECRET_PARAMETER, config.MEDIC_SECRET_MAX_AGE_SECONDS);
  return handleWebhook(
    {
      method: request.requestContext.http.method,
      headers: request.headers,
      body: request.body,
      isBase64Encoded: request.isBase64Encoded,
    },
    {
      secret,
      workflow: stepFunctions(sfn, config.MEDIC_STATE_MACHINE_ARN),
      store: incidentStore(dynamodb, config.MEDIC_INCIDENTS_TABLE),
      maxBodyBytes: config.MEDIC_WEBHOOK_MAX_BYTES,
      now: () => new Date(),
      log: (message, detail) => logger.info(message, detail),
    },
  );
});
