/**
 * The OK transitions noted on an open incident: Admit joins a note to the instance's lock item
 * (`LOCK#<instance>` / `lock`, its `joined` list, locks.ts) when the alarm goes OK; Decide reads the
 * newest one back before the next rung. One strongly consistent GetItem of one attribute, with the
 * low-level client only, so the Decide bundle carries no document marshaller.
 */
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { OK_AT } from '../../policy/ok.ts';
import type { OkNotesPort } from '../../ports.ts';
import { callAws } from '../aws-errors.ts';

/** The newest OK transition among the lock item's joined entries (JSON strings); null: none. */
export function newestOk(joined: readonly string[]): string | null {
  let newest: string | null = null;
  for (const raw of joined) {
    try {
      const at = (JSON.parse(raw) as { detail?: Record<string, unknown> }).detail?.[OK_AT];
      if (typeof at === 'string' && !Number.isNaN(Date.parse(at)))
        if (newest === null || Date.parse(at) > Date.parse(newest)) newest = at;
    } catch {
      // A joined entry that is not JSON is no OK note.
    }
  }
  return newest;
}

export function okNotes(client: DynamoDBClient, table: string): OkNotesPort {
  return {
    async newestOk(lockKey) {
      const out = await callAws('GetItem lock (OK notes)', () =>
        client.send(
          new GetItemCommand({
            TableName: table,
            Key: { pk: { S: `LOCK#${lockKey}` }, sk: { S: 'lock' } },
            ProjectionExpression: 'joined',
            // An OK joined a moment ago must be seen by the very next rung.
            ConsistentRead: true,
          }),
        ),
      );
      const joined = out.Item?.joined?.L ?? [];
      return newestOk(joined.flatMap((v) => (typeof v.S === 'string' ? [v.S] : [])));
    },
  };
}
