// AWS Health events for EC2 as EventBridge delivers them (fixtures: test/fixtures/aws-health.md):
// scheduled changes become planned incidents with AWS's deadline; issues and recovery outcomes
// are remembered by Admit so the bounds hold medic's actions while AWS recovers; any other type
// ends quietly.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { healthSignal } from '../shared/domain/health.ts';
import type { IncidentState, Settings } from '../shared/domain/model.ts';
import { normalise } from '../shared/domain/normalise.ts';
import type { Ec2Port, SafetyStorePort } from '../shared/ports.ts';
import { type AdmitDeps, admit } from '../shared/usecases/admit.ts';
import { readTrigger } from '../shared/usecases/intake.ts';
import { guardSettings } from './support/guard.ts';
import { memoryHealth } from './support/health.ts';

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8')) as Record<string, unknown>;
const NOW = new Date('2026-11-27T06:30:00Z');
const SETTINGS = {
  verifyWaitSeconds: 1,
  verifyPolls: 1,
  probeTimeoutMs: 500,
  executionUrl: null,
} as Settings;

describe('AWS Health events, parsed', () => {
  it('a scheduled retirement is a planned incident whose deadline is the RFC 1123 startTime', () => {
    // Act
    const trigger = normalise(fixture('health-retirement-scheduled.json'), NOW);
    // Assess
    expect(trigger).toMatchObject({
      source: 'aws-health',
      instanceIds: ['i-0abcd1111e2f3a4b5'],
      health: {
        eventTypeCode: 'AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED',
        scheduledCode: 'instance-retirement',
        deadline: '2026-11-30T03:00:00.000Z',
      },
    });
    expect(trigger.reason).toContain('deadline 2026-11-30T03:00:00.000Z');
    expect(trigger.episodeKey.length).toBeLessThanOrEqual(80);
  });

  it('an update of the same scheduled event is the same episode (AWS re-sends events as they change)', () => {
    // Prepare
    const first = fixture('health-retirement-scheduled.json');
    const update = structuredClone(first);
    (update.detail as Record<string, unknown>).lastUpdatedTime = 'Tue, 17 Nov 2026 09:00:00 GMT';
    update.time = '2026-11-17T09:00:00Z';
    // Act / Assess
    expect(normalise(update, NOW).episodeKey).toBe(normalise(first, NOW).episodeKey);
  });

  it.each([
    ['health-operational-issue-instance.json', 'issue', ['INSTANCE#i-0abcd2222e2f3a4b5']],
    ['health-operational-issue-az.json', 'issue', ['AZ#us-east-1a']],
  ])('%s → an open %s scoped %j', (file, kind, scopes) => {
    // Act
    const signal = healthSignal(fixture(file), NOW);
    // Assess
    expect(signal.kind).toBe(kind);
    if (signal.kind !== 'issue') return;
    expect(signal.open).toBe(true);
    expect(
      signal.scopes.map((s) =>
        s.kind === 'instance'
          ? `INSTANCE#${s.instanceId}`
          : `AZ#${'availabilityZone' in s ? s.availabilityZone : ''}`,
      ),
    ).toEqual(scopes);
    expect(signal.issue.since).toMatch(/^2026-11-27T0\d:\d\d:\d\d\.000Z$/);
  });

  it('simplified automatic recovery SUCCESS is a recovery outcome for the instance', () => {
    // Act
    const signal = healthSignal(fixture('health-auto-recovery-success.json'), NOW);
    // Assess
    expect(signal).toMatchObject({
      kind: 'recovered',
      outcome: 'success',
      instanceIds: ['i-0abcd2222e2f3a4b5'],
    });
  });

  it('an unknown Health event type ends quietly as not for medic, named', () => {
    // Prepare
    const event = fixture('health-operational-issue-instance.json');
    (event.detail as Record<string, unknown>).eventTypeCode = 'AWS_EC2_SOMETHING_NEW';
    (event.detail as Record<string, unknown>).eventTypeCategory = 'accountNotification';
    // Act
    const read = readTrigger(event, { clock: () => NOW, settings: SETTINGS });
    // Assess
    expect(read).toMatchObject({
      kind: 'not-for-medic',
      quiet: { notForMedic: { kind: 'health-event', source: 'aws-health' } },
    });
  });

  it('a malformed Health event is a named error a person can act on', () => {
    // Prepare
    const event = fixture('health-retirement-scheduled.json');
    delete (event.detail as Record<string, unknown>).eventArn;
    // Act / Assess
    expect(() => normalise(event, NOW)).toThrow(/not a valid AWS Health event: detail\.eventArn/);
  });
});

function admitWorld(lockedBy: string | null = null) {
  const health = memoryHealth();
  const joined: { instanceId: string; summary: string }[] = [];
  const store = {
    ...health,
    joinLock: async (instanceId: string, e: { summary: string }) => {
      joined.push({ instanceId, summary: e.summary });
      return lockedBy;
    },
  } as unknown as SafetyStorePort;
  const deps: AdmitDeps = {
    store,
    clock: () => NOW,
    settings: guardSettings(),
    leaseMs: 60_000,
    notifier: { publish: async () => ({ messageId: 'm' }) },
    intake: {
      ec2: { describeInstances: async () => [] } as unknown as Ec2Port,
      autoScaling: { inServiceInstances: async () => [] },
      settings: SETTINGS,
      defaultPorts: [22],
    },
  };
  return { health, joined, deps };
}

describe('Admit remembers what AWS is recovering', () => {
  it('an open issue for an instance is remembered until it closes, and the run ends as no new incident', async () => {
    // Prepare
    const { health, deps } = admitWorld();
    // Act
    const state = (await admit(
      fixture('health-operational-issue-instance.json'),
      'exec-1',
      deps,
    )) as IncidentState;
    // Assess
    expect(state.admission?.disposition).toBe('closed');
    const open = await health.openHealthIssues(['INSTANCE#i-0abcd2222e2f3a4b5'], NOW);
    expect(open.map((i) => i.eventTypeCode)).toEqual(['AWS_EC2_OPERATIONAL_ISSUE']);
    expect(
      await health.openHealthIssues(
        ['INSTANCE#i-0abcd2222e2f3a4b5'],
        new Date(NOW.getTime() + 25 * 3_600_000),
      ),
    ).toEqual([]);
  });

  it('the closed status of the same issue forgets it', async () => {
    // Prepare
    const { health, deps } = admitWorld();
    const closed = fixture('health-operational-issue-az.json');
    (closed.detail as Record<string, unknown>).statusCode = 'closed';
    await admit(fixture('health-operational-issue-az.json'), 'exec-1', deps);
    // Act
    await admit(closed, 'exec-2', deps);
    // Assess
    expect(await health.openHealthIssues(['AZ#us-east-1a'], NOW)).toEqual([]);
  });

  it('auto-recovery SUCCESS lifts the hold and is noted on the open incident', async () => {
    // Prepare
    const { health, joined, deps } = admitWorld('health-open-incident');
    await admit(fixture('health-operational-issue-instance.json'), 'exec-1', deps);
    // Act
    const state = (await admit(
      fixture('health-auto-recovery-success.json'),
      'exec-2',
      deps,
    )) as IncidentState;
    // Assess
    expect(await health.openHealthIssues(['INSTANCE#i-0abcd2222e2f3a4b5'], NOW)).toEqual([]);
    expect(joined.at(-1)).toMatchObject({
      instanceId: 'i-0abcd2222e2f3a4b5',
      summary: expect.stringMatching(/AWS recovered i-0abcd2222e2f3a4b5/),
    });
    expect(state.timeline.at(-1)?.summary).toMatch(
      /noted on the open incident\(s\) i-0abcd2222e2f3a4b5 → health-open-incident/,
    );
  });
});
