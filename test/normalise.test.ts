import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalise } from '../shared/domain/normalise.ts';

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8'));

describe('normalise: CloudWatch Alarm State Change (shapes as AWS documents them)', () => {
  it.each([
    ['alarm-single-metric.json', 'ServerCpuTooHigh', 'CPUUtilization', undefined, [99.50160229693434]],
    ['alarm-metric-math.json', 'TotalNetworkTrafficTooHigh', 'NetworkIn', 'SUM(METRICS())', [45628]],
    [
      'alarm-anomaly-detection.json',
      'EC2 CPU Utilization Anomaly',
      'CPUUtilization',
      'ANOMALY_DETECTION_BAND(m1, 0.8)',
      [0],
    ],
  ])(
    '%s → one trigger for the instance in the metric dimensions',
    (file, alarmName, metric, expression, values) => {
      // Prepare
      const event = fixture(file);
      // Act
      const trigger = normalise(event);
      // Assess
      expect(trigger.source).toBe('cloudwatch-alarm');
      expect(trigger.alarmName).toBe(alarmName);
      expect(trigger.instanceIds).toEqual(['i-12345678901234567']);
      expect(trigger.metric?.name).toBe(metric);
      expect(trigger.metric?.expression).toBe(expression);
      expect(trigger.datapoints.map((d) => d.value)).toEqual(values);
      expect(trigger.episodeKey).toMatch(/^medic-[A-Za-z0-9_-]+$/);
      expect(trigger.episodeKey.length).toBeLessThanOrEqual(80);
      expect(trigger.enteredAlarmAt).toBe(
        new Date(event.detail.state.timestamp.replace('+0000', 'Z')).toISOString(),
      );
      expect(trigger.raw).toContain(alarmName);
    },
  );

  it('gives the same episode key for a duplicate delivery and a different one for a new episode', () => {
    // Prepare
    const first = fixture('alarm-single-metric.json');
    const later = fixture('alarm-single-metric.json');
    later.detail.state.timestamp = '2019-10-02T18:04:40.989+0000';
    // Act
    const keys = [
      normalise(first).episodeKey,
      normalise(fixture('alarm-single-metric.json')).episodeKey,
      normalise(later).episodeKey,
    ];
    // Assess
    expect(keys[0]).toBe(keys[1]);
    expect(keys[2]).not.toBe(keys[0]);
  });

  it('resolves an AutoScalingGroupName dimension to a group target', () => {
    // Prepare
    const event = fixture('alarm-single-metric.json');
    event.detail.configuration.metrics[0].metricStat.metric.dimensions = { AutoScalingGroupName: 'web-asg' };
    // Act
    const trigger = normalise(event);
    // Assess
    expect(trigger.instanceIds).toEqual([]);
    expect(trigger.autoScalingGroupNames).toEqual(['web-asg']);
  });

  it.each([
    [
      'an OK transition',
      (e: Record<string, any>) => (e.detail.state.value = 'OK'),
      'NotAnAlarmTransitionError',
      /moved to OK/,
    ],
    [
      'no instance dimension',
      (e: Record<string, any>) =>
        (e.detail.configuration.metrics[0].metricStat.metric.dimensions = { LoadBalancer: 'x' }),
      'NoTargetError',
      /no InstanceId or AutoScalingGroupName/,
    ],
    [
      'an invalid instance id',
      (e: Record<string, any>) =>
        (e.detail.configuration.metrics[0].metricStat.metric.dimensions = { InstanceId: 'web-1' }),
      'InvalidTriggerError',
      /invalid instance id "web-1"/,
    ],
    [
      'a missing alarm name',
      (e: Record<string, any>) => delete e.detail.alarmName,
      'InvalidTriggerError',
      /detail\.alarmName/,
    ],
  ])('rejects %s with a named error saying what is wrong', (_what, mutate, name, message) => {
    // Prepare
    const event = fixture('alarm-single-metric.json');
    mutate(event);
    // Act
    const act = () => normalise(event);
    // Assess
    expect(act).toThrow(message);
    try {
      act();
    } catch (error) {
      expect((error as Error).name).toBe(name);
    }
  });
});

describe('normalise: manual input and other shapes', () => {
  it('accepts the documented manual input and defaults mode to auto', () => {
    // Prepare
    const input = { instanceId: 'i-0123456789abcdef0', reason: 'users report 502s', requestedBy: 'alice' };
    // Act
    const trigger = normalise(input, new Date('2026-01-02T03:04:05.678Z'));
    // Assess
    expect(trigger).toMatchObject({
      source: 'manual',
      instanceIds: ['i-0123456789abcdef0'],
      mode: 'auto',
      requestedBy: 'alice',
    });
    expect(trigger.episodeKey).toMatch(/^manual-i-0123456789abcdef0-/);
  });

  it.each([
    [[], 'InvalidTriggerError', /JSON object/],
    [null, 'InvalidTriggerError', /JSON object/],
    [{ foo: 1 }, 'InvalidTriggerError', /unrecognised input/],
    [{ instanceId: 'i-0123456789abcdef0', mode: 'yolo' }, 'InvalidTriggerError', /mode/],
    [
      { source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification' },
      'UnsupportedEventError',
      /aws\.ec2/,
    ],
  ])('rejects %j', (input, name, message) => {
    // Act
    const act = () => normalise(input);
    // Assess
    expect(act).toThrow(message);
    expect(() => normalise(input)).toThrowError(expect.objectContaining({ name }));
  });
});
