/**
 * The admission policy by table: one row per rule, and for each rule the deliveries that try to
 * break it (a redelivered event, a retry of the same execution, an OK without an open incident, a
 * storm follower, a locked instance, an expired lease, an instance nobody opted in).
 */
import { describe, expect, it } from 'vitest';
import {
  type AdmissionFacts,
  type AdmissionStep,
  admission,
  type LockAttempt,
  type TriggerFact,
} from '../shared/policy/admission.ts';

const alarm: TriggerFact = {
  kind: 'alarm',
  episodeKey: 'cw-web-1-20261129-abc',
  what: 'alarm "web-1 down"',
  reason: 'Threshold Crossed',
  byAlarm: true,
};
const manual: TriggerFact = { ...alarm, byAlarm: false, what: 'manual run' };
const found = {
  kind: 'found' as const,
  instances: [
    { instanceId: 'i-1', managed: true },
    { instanceId: 'i-2', managed: false },
  ],
};
const took = (instanceId: string, tookOverFrom: string | null = null): LockAttempt => ({
  instanceId,
  acquired: true,
  tookOverFrom,
});
const held = (instanceId: string, joined: string | null): LockAttempt => ({
  instanceId,
  acquired: false,
  joined,
});
/** Every fact up to the locks, none of which stops the alarm. */
const clear: AdmissionFacts = {
  trigger: alarm,
  fleetWindowMinutes: 10,
  claim: 'new',
  stormInProgress: null,
  targets: found,
  fleet: null,
};

type Expect =
  | { need: string }
  | { disposition: string; summary?: RegExp; locks?: string[]; notes?: RegExp; observeOnly?: string[] };

const ROWS: [rule: string, facts: AdmissionFacts, expected: Expect][] = [
  // 1. scope
  [
    'an alarm that names nothing medic answers for ends quietly',
    {
      trigger: { kind: 'not-for-medic', ignored: 'target-tracking', reason: 'scales' },
      fleetWindowMinutes: 10,
    },
    { disposition: 'not-for-medic' },
  ],
  // 2. OK transitions
  [
    'an OK transition first asks which open incidents it was noted on',
    { trigger: { kind: 'ok-transition', what: 'alarm "web-1 down"', at: 't' }, fleetWindowMinutes: 10 },
    { need: 'ok-notes' },
  ],
  [
    'an OK transition with an open incident is noted there and closes nothing',
    {
      trigger: { kind: 'ok-transition', what: 'alarm "web-1 down"', at: 't' },
      fleetWindowMinutes: 10,
      okNotes: [{ instanceId: 'i-1', holder: 'cw-web-1-x' }],
    },
    { disposition: 'closed', summary: /noted on the open incident\(s\): i-1 → cw-web-1-x/ },
  ],
  [
    'an OK transition without an open incident (it overtook its alarm) does nothing',
    {
      trigger: { kind: 'ok-transition', what: 'alarm "web-1 down"', at: 't' },
      fleetWindowMinutes: 10,
      okNotes: [{ instanceId: 'i-1', holder: null }],
    },
    { disposition: 'closed', summary: /no open incident for these instances/ },
  ],
  // 3. dedupe
  [
    'an alarm claims its episode before anything else',
    { trigger: alarm, fleetWindowMinutes: 10 },
    { need: 'claim' },
  ],
  [
    'a redelivered event (EventBridge is at-least-once) is a duplicate',
    { trigger: alarm, fleetWindowMinutes: 10, claim: 'duplicate' },
    { disposition: 'duplicate', summary: /already handled by another execution/ },
  ],
  [
    'a retry of the same execution is not a duplicate: it goes on',
    { trigger: alarm, fleetWindowMinutes: 10, claim: 'retry' },
    { need: 'storm-in-progress' },
  ],
  // 4. storm in progress
  [
    'during a declared storm a new alarm is held before any lookup',
    { trigger: alarm, fleetWindowMinutes: 10, claim: 'new', stormInProgress: 'medic-storm-202611291400' },
    { disposition: 'storm', summary: /storm medic-storm-202611291400 was declared less than 10 min ago/ },
  ],
  [
    'with no storm in progress the targets are looked up',
    { trigger: alarm, fleetWindowMinutes: 10, claim: 'new', stormInProgress: null },
    { need: 'targets' },
  ],
  // 5. targets
  [
    'an alarm on an empty group ends quietly',
    { ...clear, targets: { kind: 'empty-group', reason: 'no InService instance' } },
    { disposition: 'not-for-medic' },
  ],
  [
    'an alarm on an instance that is gone ends quietly',
    { ...clear, targets: { kind: 'instance-not-found', reason: 'i-9 does not exist' } },
    { disposition: 'not-for-medic' },
  ],
  [
    'a person who asked for a run on an instance that is gone is told (the run fails)',
    { ...clear, trigger: manual, targets: { kind: 'instance-not-found', reason: 'i-9 does not exist' } },
    { disposition: 'reject' },
  ],
  // 6. fleet guard
  ['found targets are checked against the fleet guard', { ...clear, fleet: undefined }, { need: 'fleet' }],
  [
    'a tripped fleet guard first claims the storm',
    { ...clear, fleet: { instances: ['i-1', 'i-2', 'i-3'], why: '3 instances (limit 2)' } },
    { need: 'storm' },
  ],
  [
    'the storm leader pages once with the list',
    {
      ...clear,
      fleet: { instances: ['i-1', 'i-2', 'i-3'], why: '3 instances (limit 2)' },
      storm: { label: 'medic-storm-1-abc', leader: true },
    },
    { disposition: 'storm', summary: /paged once with the list and filed the summary ticket/, locks: [] },
  ],
  [
    'a storm follower is held without paging again',
    {
      ...clear,
      fleet: { instances: ['i-1', 'i-2', 'i-3'], why: '3 instances (limit 2)' },
      storm: { label: 'medic-storm-1-abc', leader: false },
    },
    { disposition: 'storm', summary: /part of storm medic-storm-1-abc, already paged/, locks: [] },
  ],
  // 7. locks
  ['a clear alarm takes the per-instance locks', clear, { need: 'locks' }],
  [
    'every lock taken: a new incident',
    { ...clear, locks: [took('i-1'), took('i-2')] },
    { disposition: 'open', locks: ['i-1', 'i-2'], summary: /new incident; holds the lock of i-1, i-2$/ },
  ],
  [
    'every instance locked by an open incident: the alarm joins it, no second remediation',
    { ...clear, locks: [held('i-1', 'ep-first'), held('i-2', 'ep-first')] },
    {
      disposition: 'joined',
      locks: [],
      summary: /joined the open incident\(s\) i-1 → ep-first, i-2 → ep-first/,
    },
  ],
  [
    'some instances locked: the rest open an incident, the locked ones join',
    { ...clear, locks: [took('i-1'), held('i-2', 'ep-first')] },
    { disposition: 'open', locks: ['i-1'], summary: /holds the lock of i-1; joined i-2 → ep-first/ },
  ],
  [
    'an expired lease (its holder died) is taken over, and the timeline says from whom',
    { ...clear, locks: [took('i-1', 'ep-dead'), took('i-2')] },
    { disposition: 'open', locks: ['i-1', 'i-2'], notes: /took over the lock of i-1 from ep-dead/ },
  ],
  // opt-in, as a view
  [
    'an instance not opted in is investigated and observed, never acted on',
    { ...clear, locks: [took('i-1'), took('i-2')] },
    { disposition: 'open', observeOnly: ['i-2'] },
  ],
];

function assess(step: AdmissionStep, expected: Expect) {
  if ('need' in expected) {
    expect(step).toEqual({ need: expected.need });
    return;
  }
  expect('verdict' in step && step.verdict.disposition).toBe(expected.disposition);
  if (!('verdict' in step) || !('summary' in step.verdict)) return;
  const v = step.verdict;
  if (expected.summary) expect(v.summary).toMatch(expected.summary);
  if (expected.locks) expect(v.locks).toEqual(expected.locks);
  if (expected.notes) expect(v.notes.map((n) => n.summary).join('\n')).toMatch(expected.notes);
  if (expected.observeOnly) expect(v.observeOnly).toEqual(expected.observeOnly);
}

describe('admission policy: how an alarm becomes an incident', () => {
  it.each(ROWS)('%s', (_rule, facts, expected) => {
    // Act
    const step = admission(facts);
    // Assess
    assess(step, expected);
  });

  it('asks for each fact once, in rule order, on the way to a new incident', () => {
    // Prepare: the answers a clear alarm gets, fed in as the policy asks for them
    const answers: Partial<AdmissionFacts> = {
      claim: 'new',
      stormInProgress: null,
      targets: found,
      fleet: null,
      locks: [took('i-1'), took('i-2')],
    };
    const facts: AdmissionFacts = { trigger: alarm, fleetWindowMinutes: 10 };
    const asked: string[] = [];
    // Act
    let step = admission(facts);
    while ('need' in step && asked.length < 10) {
      asked.push(step.need);
      const key = (step.need === 'storm-in-progress' ? 'stormInProgress' : step.need) as keyof AdmissionFacts;
      Object.assign(facts, { [key]: answers[key] });
      step = admission(facts);
    }
    // Assess
    expect(asked).toEqual(['claim', 'storm-in-progress', 'targets', 'fleet', 'locks']);
    expect('verdict' in step && step.verdict.disposition).toBe('open');
  });
});
