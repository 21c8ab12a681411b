/**
 * The status page outbox alone, for a step that tells users without carrying the Statuspage client
 * or the SSM read of its key (a function under a tight bundle budget): its update is queued and the
 * drainer publishes it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { documentClient } from './adapters/dynamo-document.ts';
import { dynamoStatusOutbox } from './adapters/safety/status-outbox.ts';
import { perEnvironment, safetyConfig, statusPageConfig } from './config.ts';
import type { Deadline } from './domain/deadline.ts';
import type { ActionKind, InstanceCase } from './domain/model.ts';
import { systemClock } from './domain/timeline.ts';
import type { StatusOutbox } from './ports.ts';
import { queueUsersSoFar } from './usecases/status-page.ts';

const outbox: () => StatusOutbox = /* @__PURE__ */ perEnvironment(() =>
  dynamoStatusOutbox(documentClient(new DynamoDBClient({})), safetyConfig().MEDIC_SAFETY_TABLE),
);

/** A MidRunTeller (usecases/status-page.ts) that queues; never throws. */
export async function queueUsersMidRun<C extends InstanceCase>(
  c: C,
  starting: ActionKind | null,
  step: string,
  _deadline: Deadline,
): Promise<C> {
  try {
    if (!statusPageConfig().MEDIC_STATUSPAGE_PAGE_ID) return c;
    return await queueUsersSoFar(c, starting, step, { outbox: outbox(), clock: systemClock });
  } catch {
    return c;
  }
}
