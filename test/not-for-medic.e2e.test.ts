// The quiet end: a well-formed alarm that names nothing medic answers for goes through the real
// state machine (local engine, real handlers, moto, local Jira) and ends at NotForMedic — a log
// line and an AlarmsIgnored metric, no ticket, no notification, no lookup past Intake. A malformed
// event is different: it still fails with its named error, and is ticketed and notified.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alarmEvent } from '../local/scenarios.ts';
import { intakeSignals } from '../shared/domain/normalise.ts';
import { startWorld, type World } from './support/world.ts';

let w: World;
const metricsFile = path.join(mkdtempSync(path.join(tmpdir(), 'medic-nfm-')), 'metrics.jsonl');

beforeAll(async () => {
  w = await startWorld({ MEDIC_METRICS_FILE: metricsFile });
}, 120_000);
afterAll(async () => {
  await w?.stop();
});

function ignoredReasons(): string[] {
  let text = '';
  try {
    text = readFileSync(metricsFile, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { AlarmsIgnored?: number; reason?: string })
    .filter((m) => m.AlarmsIgnored === 1)
    .map((m) => m.reason ?? '');
}

function withMetric(event: Record<string, unknown>, dims: Record<string, string>, name?: string) {
  const e = structuredClone(event) as {
    resources: string[];
    detail: {
      alarmName: string;
      configuration: { metrics: { metricStat?: { metric: { dimensions: Record<string, string> } } }[] };
    };
  };
  for (const m of e.detail.configuration.metrics) if (m.metricStat) m.metricStat.metric.dimensions = dims;
  if (name) {
    e.detail.alarmName = name;
    e.resources = [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`];
  }
  return e;
}

const base = () =>
  alarmEvent({
    alarmName: 'orders-db cpu',
    metric: 'CPUUtilization',
    reason: 'Threshold Crossed',
    instanceId: 'i-0123456789abcdef0',
    at: new Date(Date.now() - 30_000),
  }) as Record<string, unknown>;

describe('alarms that are not for medic end quietly', () => {
  beforeEach(async () => {
    await w.reset();
  });

  it.each([
    [
      'an RDS alarm (no InstanceId or AutoScalingGroupName)',
      () => withMetric(base(), { DBInstanceIdentifier: 'orders' }),
      'no-target',
    ],
    [
      'a target-tracking alarm',
      () =>
        withMetric(base(), { AutoScalingGroupName: 'web-asg' }, 'TargetTracking-web-asg-AlarmHigh-0b1c2d3e'),
      'target-tracking',
    ],
    [
      "medic's own alarm",
      () => withMetric(base(), { QueueName: 'q' }, 'medic-ops-dev-intake-sns-failures'),
      'ops-alarm',
    ],
    ['an alarm on an instance that no longer exists', () => base(), 'instance-not-found'],
    [
      'an alarm on an Auto Scaling group without InService instances',
      () => withMetric(base(), { AutoScalingGroupName: 'no-such-group' }, 'web-asg status'),
      'empty-group',
    ],
  ])(
    '%s → NotForMedic, no ticket, no notification',
    async (_what, make, reason) => {
      // Prepare
      const event = make();
      const issuesBefore = w.s.jira.issues().length;
      const entered: string[] = [];
      const before = ignoredReasons().length;
      // Act
      const run = await w.run(event, {
        onEvent: (e) => {
          if (e.type === 'StateEntered' && e.state) entered.push(e.state.name);
        },
      });
      // Assess
      expect(run.status, JSON.stringify(run.error)).toBe('SUCCEEDED');
      expect(entered).toEqual(['Admit', 'IsItANewIncident?', 'NotForMedic']);
      expect((run.output as { notForMedic?: { kind: string } }).notForMedic?.kind).toBe(reason);
      expect(w.s.jira.issues().length).toBe(issuesBefore);
      expect(await w.inbox()).toEqual([]);
      expect(ignoredReasons().slice(before)).toEqual([reason]);
    },
    60_000,
  );

  it('a malformed alarm still fails with its named error, and is ticketed and notified', async () => {
    // Prepare: an alarm event without its state
    const event = base() as { detail: Record<string, unknown> };
    delete event.detail.state;
    // Act
    const run = await w.run(event, { name: `medic-malformed-${Date.now()}` });
    // Assess
    expect(run.status).toBe('FAILED');
    expect(JSON.stringify(run.lastOutputs.get('CloseAfterFailure'))).toContain('InvalidTriggerError');
    expect((run.state as { ticket?: { key: string } | null } | undefined)?.ticket?.key).toMatch(/^OPS-\d+$/);
    expect((await w.inbox()).length).toBeGreaterThan(0);
  }, 60_000);
});

describe('the SNS intake applies the same scope', () => {
  const sns = (name: string, dims: { name: string; value: string }[], state = 'ALARM') => ({
    Type: 'Notification',
    Message: JSON.stringify({
      AlarmName: name,
      NewStateValue: state,
      NewStateReason: 'Threshold Crossed',
      StateChangeTime: '2026-11-29T10:00:00.000+0000',
      AlarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`,
      Trigger: { MetricName: 'CPUUtilization', Namespace: 'AWS/EC2', Dimensions: dims },
    }),
  });

  it.each([
    [
      "medic's own alarm",
      sns('medic-ops-prod-intake-sns-failures', [{ name: 'QueueName', value: 'q' }]),
      'ops-alarm',
    ],
    ["medic's own alarm going back to OK", sns('medic-ops-prod-intake-sns-failures', [], 'OK'), 'ops-alarm'],
    ['an RDS alarm', sns('orders-db cpu', [{ name: 'DBInstanceIdentifier', value: 'orders' }]), 'no-target'],
    [
      'a target-tracking alarm',
      sns('TargetTracking-web-AlarmLow-1', [{ name: 'AutoScalingGroupName', value: 'web' }]),
      'target-tracking',
    ],
  ])('%s is ignored (not thrown: a throw is retried, parked and paged)', (_what, message, kind) => {
    // Act
    const signals = intakeSignals(message);
    // Assess
    expect(signals).toEqual([
      {
        kind: 'ignore',
        source: 'sns-alarm',
        reason: expect.stringMatching(/^not for medic: /),
        notForMedic: kind,
      },
    ]);
  });

  it('an EC2 alarm still starts', () => {
    // Act
    const signals = intakeSignals(sns('web-1 cpu', [{ name: 'InstanceId', value: 'i-0123456789abcdef0' }]));
    // Assess
    expect(signals.map((s) => s.kind)).toEqual(['start']);
  });
});
