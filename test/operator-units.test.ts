// Pure parts of the operator tools: follow rendering and exit codes, the alarms plan, and the
// incident summaries Record writes for `medic history`.
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { eventLine, exitCodeFor, renderOutcome } from '../cli/progress.ts';
import { planAlarms, renderPlan, standardAlarms } from '../shared/domain/standard-alarms.ts';
import { incidentSummaries } from '../shared/usecases/incident-summary.ts';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:medic-prod-alarms';

describe('--follow rendering', () => {
  it('shows states entered, failures and the waiting approval; skips the noise', () => {
    // Prepare
    const at = new Date('2024-05-01T09:00:01.250Z');
    const events = [
      { id: 1, type: 'ExecutionStarted', timestamp: at },
      { id: 2, type: 'TaskStateEntered', timestamp: at, stateEnteredEventDetails: { name: 'Intake' } },
      { id: 3, type: 'LambdaFunctionScheduled', timestamp: at },
      {
        id: 4,
        type: 'TaskScheduled',
        timestamp: at,
        taskScheduledEventDetails: {
          resource: 'invoke.waitForTaskToken',
          resourceType: 'lambda',
          region: 'us-east-1',
          parameters: '{}',
        },
      },
      {
        id: 5,
        type: 'LambdaFunctionFailed',
        timestamp: at,
        lambdaFunctionFailedEventDetails: { error: 'AwsTransientError', cause: 'throttled' },
      },
      { id: 6, type: 'ExecutionSucceeded', timestamp: at },
    ];
    // Act
    const lines = (events as HistoryEvent[]).map(eventLine).filter((l) => l !== null);
    // Assess
    expect(lines).toEqual([
      '09:00:01.250  → Intake',
      '09:00:01.250    waiting for an operator (medic approve|reject <token>)',
      '09:00:01.250  ! LambdaFunctionFailed: AwsTransientError throttled',
      '09:00:01.250  ■ execution succeeded',
    ]);
  });

  it.each([
    ['SUCCEEDED', 'resolved', 0],
    ['SUCCEEDED', 'self-recovered', 0],
    ['SUCCEEDED', 'dry-run', 0],
    ['SUCCEEDED', 'escalated', 3],
    ['SUCCEEDED', 'held', 3],
    ['SUCCEEDED', 'failed', 1],
    ['SUCCEEDED', undefined, 1],
    ['FAILED', 'failed', 1],
    ['TIMED_OUT', undefined, 1],
  ])('%s with outcome %s → exit %i', (status, outcome, code) => {
    // Prepare
    const output = outcome ? { outcome } : 'An output';
    // Act
    const exit = exitCodeFor(status, output);
    // Assess
    expect(exit).toBe(code);
  });

  it('ends with the outcome, the ticket key and the timeline', () => {
    // Prepare
    const output = {
      incidentId: 'medic-web-1-cpu-2024',
      outcome: 'resolved',
      ticket: { key: 'OPS-42', url: 'https://example.atlassian.net/browse/OPS-42' },
      timeline: [
        { at: '2024-05-01T09:00:00.000Z', kind: 'alarm', summary: 'web-1-cpu-high entered ALARM' },
        {
          at: '2024-05-01T09:01:00.000Z',
          kind: 'action',
          instanceId: 'i-0a1b2c3d4e5f60718',
          summary: 'rebooted',
        },
      ],
    };
    // Act
    const text = renderOutcome('SUCCEEDED', output, null, null);
    // Assess
    expect(text).toContain('outcome: RESOLVED');
    expect(text).toContain('ticket:   OPS-42 (https://example.atlassian.net/browse/OPS-42)');
    expect(text).toContain('2024-05-01T09:01:00.000Z  action     i-0a1b2c3d4e5f60718: rebooted');
  });
});

describe('alarms plan', () => {
  const instance = {
    instanceId: 'i-0a1b2c3d4e5f60718',
    name: 'web-1',
    tags: { 'medic:cpu-threshold': '75' },
  };

  it('creates all five on an empty account, honouring the per-instance threshold tag', () => {
    // Prepare
    const desired = standardAlarms(instance, TOPIC);
    // Act
    const plan = planAlarms(desired, []);
    // Assess
    expect(plan.map((s) => s.op)).toEqual(['create', 'create', 'create', 'create', 'create']);
    expect(desired.find((d) => d.MetricName === 'CPUUtilization')?.Threshold).toBe(75);
    expect(renderPlan(plan)).toContain('Plan: 5 to create, 0 to update, 0 unchanged, 0 orphaned.');
  });

  it('keeps equal alarms (dimension order does not matter), updates drifted ones, reports orphans', () => {
    // Prepare
    const desired = standardAlarms(instance, TOPIC);
    const existing = desired.map((d) => ({ ...d, Dimensions: [...d.Dimensions].reverse() }));
    const disk = existing.find((e) => e.MetricName === 'disk_used_percent');
    if (disk) disk.AlarmActions = [];
    existing.push({ ...desired[0], AlarmName: 'medic-i-0ffffffffffffffff-cpu' } as (typeof existing)[number]);
    // Act
    const plan = planAlarms(desired, existing);
    const text = renderPlan(plan);
    // Assess
    expect(plan.filter((s) => s.op === 'keep')).toHaveLength(4);
    expect(text).toContain(`~ medic-i-0a1b2c3d4e5f60718-disk\n    AlarmActions: (none) → ${TOPIC}`);
    expect(text).toContain('! medic-i-0ffffffffffffffff-cpu');
  });
});

describe('incident summaries for the incident store', () => {
  it('one row per instance case with its outcome, classification and the ticket', () => {
    // Prepare
    const state = {
      incidentId: 'medic-x',
      trigger: { enteredAlarmAt: '2024-05-01T09:00:00.000Z', alarmName: 'cpu', instanceIds: ['i-00000001'] },
      targets: [],
      ticket: { key: 'OPS-3', url: null, created: true },
      cases: [
        { target: { instanceId: 'i-00000001' }, outcome: 'resolved', assessment: { classification: 'os' } },
        { target: { instanceId: 'i-00000002' }, outcome: null, caseError: { Error: 'X' }, assessment: null },
      ],
    } as unknown as Parameters<typeof incidentSummaries>[0];
    // Act
    const rows = incidentSummaries(state, '2024-05-01T09:05:00.000Z', null);
    // Assess
    expect(rows.map((r) => [r.instanceId, r.outcome, r.classification, r.ticketKey])).toEqual([
      ['i-00000001', 'resolved', 'os', 'OPS-3'],
      ['i-00000002', 'failed', null, 'OPS-3'],
    ]);
  });
});
