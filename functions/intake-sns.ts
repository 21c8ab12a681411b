/**
 * SNS intake: CloudWatch alarm actions that publish to the medic alarms topic. SNS already
 * authenticated the publisher (topic policy), so this only normalises and starts executions.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { incidentStore } from '../shared/adapters/incident-store.ts';
import { emitAlarmIgnored } from '../shared/adapters/metrics.ts';
import { stepFunctions } from '../shared/adapters/stepfunctions.ts';
import { SnsDeliverySchema } from '../shared/aws-events.ts';
import { intakeConfig } from '../shared/config.ts';
import { intakeSignals } from '../shared/domain/normalise.ts';
import { awsLambda } from '../shared/lambda.ts';
import { dispatchSignals } from '../shared/usecases/dispatch.ts';

const sfn = new SFNClient({});
const dynamodb = new DynamoDBClient({});

export const handler = awsLambda(
  SnsDeliverySchema,
  async (event) => {
    const config = intakeConfig();
    // A malformed delivery or message throws a named error: SNS invokes asynchronously, so after
    // Lambda's retries the event lands in the failure queue instead of vanishing.
    const signals = intakeSignals(event);
    for (const s of signals) if (s.kind === 'ignore' && s.notForMedic) emitAlarmIgnored(s.notForMedic);
    return dispatchSignals(signals, {
      workflow: stepFunctions(sfn, config.MEDIC_STATE_MACHINE_ARN),
      store: incidentStore(dynamodb, config.MEDIC_INCIDENTS_TABLE),
    });
  },
  {
    outcome: (result) => ({
      started: result.started.map((s) => s.episodeKey),
      joined: result.joined.length,
      closed: result.closed.length,
      ignored: result.ignored,
    }),
  },
);
