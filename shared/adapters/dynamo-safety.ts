/**
 * The safety store on one DynamoDB table: the ports of shared/ports.ts put together over one
 * document client. Every guarantee that must hold across concurrent executions is a conditional
 * write, never a read-then-write: episode dedupe, the per-instance lock, the storm leader, the
 * at-most-once action ledger and the outbox lease. One file per record kind in ./safety/ (the
 * table layout is in ./safety/document.ts).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type {
  AdmissionStorePort,
  GuardStorePort,
  OutboxDrain,
  ReviewOutbox,
  ReviewOutboxDrain,
  SafetyStorePort,
} from '../ports.ts';
import { dynamoActionBudget, dynamoActionLedger } from './safety/actions.ts';
import { documentClient } from './safety/document.ts';
import { dynamoEpisodeLedger } from './safety/episodes.ts';
import { dynamoFleetRegistry, dynamoFleetView, dynamoStormClaims } from './safety/fleet.ts';
import { dynamoHealthIssueRecorder, dynamoHealthIssues } from './safety/health.ts';
import { dynamoInstanceHistory, dynamoInstanceHistoryRecorder } from './safety/history.ts';
import { dynamoLockStore } from './safety/locks.ts';
import { dynamoOutbox, dynamoOutboxDrain } from './safety/outbox.ts';
import { dynamoReviewOutbox, dynamoReviewOutboxDrain } from './safety/review-outbox.ts';

export { FLEET_BUCKET_MS } from './safety/fleet.ts';

/** What the safety bounds read and claim before an action: the action functions bundle only this. */
export function dynamoGuardStore(client: DynamoDBClient, table: string): GuardStorePort {
  const doc = documentClient(client);
  return {
    ...dynamoInstanceHistory(doc, table),
    ...dynamoFleetView(doc, table),
    ...dynamoStormClaims(doc, table),
    ...dynamoActionLedger(doc, table),
    ...dynamoActionBudget(doc, table),
    ...dynamoOutbox(doc, table),
    ...dynamoHealthIssues(doc, table),
  };
}

/** Admission's side: episodes, locks, the instance's episodes, the fleet registry and storms. */
export function dynamoAdmissionStore(client: DynamoDBClient, table: string): AdmissionStorePort {
  const doc = documentClient(client);
  return {
    ...dynamoEpisodeLedger(doc, table),
    ...dynamoLockStore(doc, table),
    ...dynamoInstanceHistoryRecorder(doc, table),
    ...dynamoFleetRegistry(doc, table),
    ...dynamoFleetView(doc, table),
    ...dynamoStormClaims(doc, table),
    ...dynamoOutbox(doc, table),
    ...dynamoHealthIssues(doc, table),
    ...dynamoHealthIssueRecorder(doc, table),
  };
}

/** The Jira outbox drainer's side. */
export function dynamoOutboxStore(client: DynamoDBClient, table: string): OutboxDrain {
  return dynamoOutboxDrain(documentClient(client), table);
}

/** The composite SafetyStorePort: every record kind of the safety table. */
export function dynamoSafetyStore(client: DynamoDBClient, table: string): SafetyStorePort {
  const doc = documentClient(client);
  return {
    ...dynamoEpisodeLedger(doc, table),
    ...dynamoLockStore(doc, table),
    ...dynamoInstanceHistory(doc, table),
    ...dynamoInstanceHistoryRecorder(doc, table),
    ...dynamoFleetRegistry(doc, table),
    ...dynamoFleetView(doc, table),
    ...dynamoStormClaims(doc, table),
    ...dynamoActionLedger(doc, table),
    ...dynamoActionBudget(doc, table),
    ...dynamoOutbox(doc, table),
    ...dynamoOutboxDrain(doc, table),
    ...dynamoHealthIssues(doc, table),
    ...dynamoHealthIssueRecorder(doc, table),
  };
}

/** The review outbox (Close fills it, the drainer empties it): its own partition of the table. */
export function dynamoReviewStore(client: DynamoDBClient, table: string): ReviewOutbox & ReviewOutboxDrain {
  const doc = documentClient(client);
  return { ...dynamoReviewOutbox(doc, table), ...dynamoReviewOutboxDrain(doc, table) };
}
