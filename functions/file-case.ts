/** FileCase Task: the finished case goes whole to the incident store; the state keeps its compact form. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { caseStore } from '../shared/adapters/incident-store.ts';
import { coreConfig } from '../shared/config.ts';
import { InstanceCaseSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { fileCase } from '../shared/usecases/file-case.ts';

const dynamodb = new DynamoDBClient({});

export const handler = lambda(async (event) => {
  const table = coreConfig().MEDIC_INCIDENTS_TABLE;
  return fileCase(parseWith(InstanceCaseSchema, event, 'FileCase'), {
    store: table ? caseStore(dynamodb, table) : null,
    clock: systemClock,
  });
});
