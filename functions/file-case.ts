/** FileCase Task: the finished case goes whole to the incident store; the state keeps its compact form. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { caseStore } from '../shared/adapters/incident-store.ts';
import { coreConfig } from '../shared/config.ts';
import { StepInputSchema, withPrior } from '../shared/domain/step-result.ts';
import { StepResultSchema } from '../shared/domain/step-result-schema.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { fileCase } from '../shared/usecases/file-case.ts';

const dynamodb = new DynamoDBClient({});

export const handler = lambda(async (event) => {
  const table = coreConfig().MEDIC_INCIDENTS_TABLE;
  // A page (or a step that failed the case) left its result beside the case: fold it first.
  const { result, ...c } = parseWith(StepInputSchema, event, 'FileCase');
  return fileCase(withPrior(c, StepResultSchema.safeParse(result).data), {
    store: table ? caseStore(dynamodb, table) : null,
    clock: systemClock,
  });
});
