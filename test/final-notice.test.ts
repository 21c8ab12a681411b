/**
 * Record runs at least once (a lost answer sends the run down the catch-all path, which records
 * again; Step Functions may redeliver): the stakeholders' final notification must still go out
 * once, and at least once.
 */
import { describe, expect, it } from 'vitest';
import type { FinalNoticeLedgerPort, NotifierPort } from '../shared/ports.ts';
import { record } from '../shared/usecases/record.ts';
import { inbox, resolvedIncident } from './support/incident.ts';

/** The ledger's contract, in memory: a claim holds until the notice was sent. */
function memoryLedger(): FinalNoticeLedgerPort & { sent: Map<string, string> } {
  const sent = new Map<string, string>();
  return {
    sent,
    async claim(key) {
      return !sent.has(key);
    },
    async markSent(key, outcome) {
      sent.set(key, outcome);
    },
  };
}

const deps = (notifier: NotifierPort, finalNotices?: FinalNoticeLedgerPort) => ({
  // Jira is out of the picture here: the ticket attempt fails and is on the timeline.
  tickets: async () => Promise.reject(new Error('no Jira in this test')),
  notifier,
  clock: () => new Date('2026-03-01T10:00:00Z'),
  ...(finalNotices ? { finalNotices } : {}),
});

describe('the final notification, once per episode', () => {
  it('a second Record for the same episode does not tell the stakeholders again, and says so', async () => {
    // Prepare
    const notifier = inbox();
    const ledger = memoryLedger();
    const state = resolvedIncident();
    // Act
    await record(state, deps(notifier, ledger));
    const again = await record(
      { ...state, error: { Error: 'Sandbox.Timedout', Cause: 'lost answer' } },
      deps(notifier, ledger),
    );
    // Assess
    expect(notifier.sent.map((n) => n.subject)).toHaveLength(1);
    expect(ledger.sent.get(state.incidentId)).toBe('resolved');
    expect(again.timeline.map((e) => e.summary)).toContain(
      'the final notification already went out from an earlier attempt of this step: not sending it again',
    );
  });

  it('a ledger that cannot be read does not silence the notification', async () => {
    // Prepare
    const notifier = inbox();
    const broken: FinalNoticeLedgerPort = {
      claim: async () => Promise.reject(new Error('AccessDeniedException')),
      markSent: async () => Promise.reject(new Error('AccessDeniedException')),
    };
    // Act
    await record(resolvedIncident(), deps(notifier, broken));
    await record(resolvedIncident(), deps(notifier, broken));
    // Assess: told twice rather than never
    expect(notifier.sent).toHaveLength(2);
  });

  it('an attempt that claimed but died before publishing does not hold back the next one', async () => {
    // Prepare
    const notifier = inbox();
    const ledger = memoryLedger();
    const state = resolvedIncident();
    await ledger.claim(state.incidentId, new Date());
    // Act
    await record(state, deps(notifier, ledger));
    // Assess
    expect(notifier.sent).toHaveLength(1);
  });
});
