// The other intake sources: SNS (classic alarm action), Alertmanager v4, Datadog — each with
// payloads shaped as their vendors document them, all landing on the same IncidentTrigger.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TriggerSchema } from '../shared/domain/model.ts';
import {
  DATADOG_TEMPLATE,
  intakeSignals,
  MEDIC_TRIGGER,
  normalise,
  type StartSignal,
} from '../shared/domain/normalise.ts';

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8'));

const starts = (event: unknown) =>
  intakeSignals(event)
    .filter((s): s is StartSignal => s.kind === 'start')
    .map((s) => s.trigger);

describe('every source lands on the same trigger shape', () => {
  it.each([
    [
      'sns-alarm-single-metric.json',
      'sns-alarm',
      'web-1-cpu-high',
      'i-12345678901234567',
      'CPUUtilization',
      [99.50160229693434],
    ],
    [
      'sns-lambda-metric-math.json',
      'sns-alarm',
      'TotalNetworkTrafficTooHigh',
      'i-12345678901234567',
      'NetworkIn',
      [45628],
    ],
    [
      'alertmanager-v4-firing.json',
      'alertmanager',
      'NodeFilesystemAlmostOutOfSpace',
      'i-0a1b2c3d4e5f60718',
      'NodeFilesystemAlmostOutOfSpace',
      [],
    ],
    [
      'datadog-triggered.json',
      'datadog',
      '[Triggered on {host:i-0a1b2c3d4e5f60718}] High CPU on web tier',
      'i-0a1b2c3d4e5f60718',
      'system.cpu.user',
      [],
    ],
  ])('%s → %s trigger for %s', (file, source, alarmName, instanceId, metric, values) => {
    // Prepare
    const event = fixture(file);
    // Act
    const trigger = starts(event)[0];
    // Assess
    expect(trigger).toBeDefined();
    expect(TriggerSchema.parse(trigger)).toEqual(trigger);
    expect(trigger?.source).toBe(source);
    expect(trigger?.alarmName).toBe(alarmName);
    expect(trigger?.instanceIds).toEqual([instanceId]);
    expect(trigger?.metric?.name).toBe(metric);
    expect(trigger?.datapoints.map((d) => d.value)).toEqual(values);
    expect(trigger?.episodeKey).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(trigger?.mode).toBe('auto');
  });

  it('SNS: reads the state time, the threshold, the datapoint time and the metric-math expression', () => {
    // Prepare
    const single = fixture('sns-alarm-single-metric.json');
    const math = fixture('sns-lambda-metric-math.json');
    // Act
    const [a] = starts(single);
    const [b] = starts(math);
    // Assess
    expect(a?.enteredAlarmAt).toBe('2019-10-02T17:04:40.985Z');
    expect(a?.threshold).toBe(90);
    expect(a?.datapoints[0]?.timestamp).toBe('2019-10-02T16:59:00.000Z');
    expect(a?.region).toBe('us-east-1');
    expect(a?.alarmArn).toBe('arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-1-cpu-high');
    expect(b?.metric?.expression).toBe('SUM(METRICS())');
    expect(b?.metric?.namespace).toBe('AWS/EC2');
  });

  it('SNS and EventBridge deliveries of the same alarm transition share one episode key', () => {
    // Prepare
    const eventBridge = fixture('alarm-metric-math.json');
    const sns = fixture('sns-lambda-metric-math.json');
    // Act
    const viaEventBridge = normalise(eventBridge).episodeKey;
    const viaSns = normalise(sns).episodeKey;
    // Assess
    expect(viaSns).toBe(viaEventBridge);
  });

  it('SNS: OK closes the alarm episode, INSUFFICIENT_DATA is ignored, neither starts work', () => {
    // Prepare
    const ok = fixture('sns-alarm-single-metric.json');
    const message = JSON.parse(ok.Message);
    ok.Message = JSON.stringify({ ...message, NewStateValue: 'OK', OldStateValue: 'ALARM' });
    const insufficient = { ...message, NewStateValue: 'INSUFFICIENT_DATA' };
    // Act
    const [closed] = intakeSignals(ok);
    const [ignored] = intakeSignals(insufficient);
    // Assess
    expect(closed).toMatchObject({
      kind: 'close',
      identity: message.AlarmArn,
      instanceIds: ['i-12345678901234567'],
    });
    expect(ignored).toMatchObject({ kind: 'ignore' });
    expect(() => normalise(ok)).toThrowError(expect.objectContaining({ name: 'NotAnAlarmTransitionError' }));
  });

  it('Alertmanager: one start per firing alert; instance from instance_id or the instance label', () => {
    // Prepare
    const event = fixture('alertmanager-v4-firing.json');
    // Act
    const triggers = starts(event);
    // Assess
    expect(triggers.map((t) => t.instanceIds[0])).toEqual(['i-0a1b2c3d4e5f60718', 'i-0f1e2d3c4b5a69788']);
    expect(triggers[0]?.reason).toBe('Filesystem has less than 5% space left.');
    expect(triggers[0]?.links).toEqual([{ title: 'Prometheus', url: event.alerts[0].generatorURL }]);
    expect(new Set(triggers.map((t) => t.episodeKey)).size).toBe(2);
    expect(() => normalise(event)).toThrowError(/2 alerts/);
  });

  it('Alertmanager: resolved closes the very episode its firing started', () => {
    // Prepare
    const firing = fixture('alertmanager-v4-firing.json');
    const resolved = fixture('alertmanager-v4-resolved.json');
    // Act
    const [started] = starts(firing);
    const [closed] = intakeSignals(resolved);
    // Assess
    expect(closed).toMatchObject({
      kind: 'close',
      source: 'alertmanager',
      episodeKey: started?.episodeKey,
      instanceIds: ['i-0a1b2c3d4e5f60718'],
      at: '2024-05-01T09:41:17.500Z',
    });
  });

  it('Datadog: Triggered starts, Recovered closes the same cycle, Warn is ignored', () => {
    // Prepare
    const triggered = fixture('datadog-triggered.json');
    const recovered = { ...triggered, alert_transition: 'Recovered', id: '7450934576089699999' };
    const warn = { ...triggered, alert_transition: 'Warn' };
    // Act
    const [start] = starts(triggered);
    const [close] = intakeSignals(recovered);
    const [ignore] = intakeSignals(warn);
    // Assess
    expect(start?.enteredAlarmAt).toBe('2024-05-01T09:14:32.000Z');
    expect(start?.links?.[0]?.url).toContain('datadoghq.com');
    expect(close).toMatchObject({ kind: 'close', episodeKey: start?.episodeKey });
    expect(ignore).toMatchObject({ kind: 'ignore', reason: expect.stringContaining('Warn') });
  });

  it('Datadog: the documented template names every field the parser reads', () => {
    // Prepare
    const sample = fixture('datadog-triggered.json');
    // Act
    const templateKeys = Object.keys(DATADOG_TEMPLATE).sort();
    // Assess
    expect(templateKeys).toEqual(Object.keys(sample).sort());
    expect(() => intakeSignals({ ...DATADOG_TEMPLATE })).toThrowError(/unexpanded/);
  });

  it('Datadog: the README shows users exactly this template to paste', () => {
    // Prepare
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    // Act
    const pasted = JSON.stringify(DATADOG_TEMPLATE, null, 2);
    // Assess
    expect(readme).toContain(`\`\`\`json\n${pasted}\n\`\`\``);
  });

  it('accepts an already normalised trigger envelope and validates it', () => {
    // Prepare
    const [trigger] = starts(fixture('datadog-triggered.json'));
    // Act
    const back = normalise({ [MEDIC_TRIGGER]: trigger });
    // Assess
    expect(back).toEqual(trigger);
    expect(() => normalise({ [MEDIC_TRIGGER]: { ...trigger, episodeKey: '' } })).toThrowError(
      expect.objectContaining({ name: 'InvalidTriggerError' }),
    );
  });
});

describe('malformed payloads end in named errors that say what to fix', () => {
  it.each([
    [
      'SNS message that is not JSON',
      { Type: 'Notification', Message: 'hello' },
      'InvalidTriggerError',
      /not JSON/,
    ],
    [
      'Alertmanager of another version',
      { ...fixture('alertmanager-v4-firing.json'), version: '3' },
      'InvalidTriggerError',
      /version "4"/,
    ],
    [
      'Alertmanager with no alerts',
      { ...fixture('alertmanager-v4-firing.json'), alerts: [] },
      'InvalidTriggerError',
      /no alerts/,
    ],
    [
      'Alertmanager alert without an instance id',
      {
        ...fixture('alertmanager-v4-firing.json'),
        alerts: [
          {
            ...fixture('alertmanager-v4-firing.json').alerts[0],
            labels: { alertname: 'X', instance: '10.0.0.1:9100' },
          },
        ],
      },
      'NoTargetError',
      /instance_id/,
    ],
    [
      'Datadog without an EC2 host',
      {
        ...fixture('datadog-triggered.json'),
        hostname: 'web-1',
        tags: 'env:prod',
        alert_scope: 'host:web-1',
      },
      'NoTargetError',
      /instance-id/,
    ],
    [
      'Datadog without a cycle key',
      { ...fixture('datadog-triggered.json'), alert_cycle_key: '' },
      'InvalidTriggerError',
      /ALERT_CYCLE_KEY/,
    ],
    ['an unknown body', { hello: 'world' }, 'InvalidTriggerError', /unrecognised/],
  ])('%s → %s', (_what, body, name, message) => {
    // Prepare / Act
    const run = () => intakeSignals(body);
    // Assess
    expect(run).toThrowError(expect.objectContaining({ name, message: expect.stringMatching(message) }));
  });
});
