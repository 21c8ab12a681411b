// Event scope: the EventBridge rule that starts incident runs, taken from serverless.yml as osls
// resolves it, is asked about sample alarm events through the TestEventPattern API (moto, with the
// EventBridge array semantics the launcher adds: see moto_launcher.py), never a hand-written
// matcher. Alarms that cannot name a target must not start a run.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalMoto, startMoto } from '../local/moto.ts';
import { oslsOffline, repoRoot } from '../scripts/package.ts';
import { OPS_ALARM_PREFIX } from '../shared/domain/scope.ts';
import { standardAlarms } from '../shared/domain/standard-alarms.ts';

let moto: LocalMoto;
let pattern: string;
let healthPattern: string;

/** The rule's patterns from `osls print` (variables resolved, as packaging resolves them). */
async function rulePatterns(): Promise<unknown[]> {
  const printed = await oslsOffline([
    'print',
    '--format',
    'json',
    '--path',
    'stepFunctions.stateMachines.incident.events',
    '--param',
    'jira=off',
  ]);
  if (printed.code !== 0) throw new Error(`osls print failed: ${printed.output}`);
  const json = printed.output.slice(printed.output.indexOf('['));
  const events = JSON.parse(json) as { eventBridge?: { event?: unknown } }[];
  const rules = events.flatMap((e) => (e.eventBridge?.event ? [e.eventBridge.event] : []));
  if (rules.length === 0) throw new Error('no eventBridge event on the incident state machine');
  return rules;
}

const isHealthRule = (rule: unknown) =>
  JSON.stringify((rule as { source?: unknown }).source) === '["aws.health"]';

/** TestEventPattern on the wire (JSON 1.1, as the SDK sends it); moto does not check signatures. */
async function testEventPattern(eventPattern: string, event: unknown): Promise<boolean> {
  const response = await fetch(moto.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AWSEvents.TestEventPattern',
      authorization:
        'AWS4-HMAC-SHA256 Credential=test/20261129/us-east-1/events/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify({ EventPattern: eventPattern, Event: JSON.stringify(event) }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json()) as { Result?: boolean; __type?: string; message?: string };
  if (!response.ok) throw new Error(`${body.__type}: ${body.message}`);
  return body.Result === true;
}

type Metric = {
  id: string;
  expression?: string;
  metricStat?: { metric: { namespace: string; name: string; dimensions: Record<string, string> } };
  returnData?: boolean;
};

function alarm(name: string, metrics: Metric[], state = 'ALARM') {
  return {
    version: '0',
    id: '2dde0eb1-528b-d2d5-9ca6-6d590caf2329',
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '123456789012',
    time: '2026-11-29T10:00:00Z',
    region: 'us-east-1',
    resources: [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`],
    detail: {
      alarmName: name,
      state: { value: state, reason: 'Threshold Crossed', timestamp: '2026-11-29T10:00:00.000+0000' },
      previousState: { value: state === 'ALARM' ? 'OK' : 'ALARM' },
      configuration: { metrics },
    },
  };
}

const single = (namespace: string, name: string, dimensions: Record<string, string>): Metric[] => [
  { id: 'm1', metricStat: { metric: { namespace, name, dimensions } }, returnData: true },
];

const INSTANCE = 'i-0123456789abcdef0';
const standard = standardAlarms({ instanceId: INSTANCE, name: 'web-1', tags: {} }, 'arn:topic');

const SAMPLES: [string, unknown, boolean][] = [
  [
    'a single-metric EC2 alarm with InstanceId',
    alarm('web-1 cpu', single('AWS/EC2', 'CPUUtilization', { InstanceId: INSTANCE })),
    true,
  ],
  [
    'a metric-math alarm whose metrics include InstanceId',
    alarm('web-1 traffic', [
      { id: 'e1', expression: 'SUM(METRICS())', returnData: true },
      {
        id: 'm1',
        metricStat: {
          metric: { namespace: 'AWS/EC2', name: 'NetworkIn', dimensions: { InstanceId: INSTANCE } },
        },
        returnData: false,
      },
    ]),
    true,
  ],
  [
    'an RDS alarm',
    alarm('orders-db cpu', single('AWS/RDS', 'CPUUtilization', { DBInstanceIdentifier: 'orders' })),
    false,
  ],
  [
    'a billing alarm',
    alarm('billing over 1000', single('AWS/Billing', 'EstimatedCharges', { Currency: 'USD' })),
    false,
  ],
  [
    'a target-tracking alarm of an Auto Scaling group',
    alarm(
      'TargetTracking-web-asg-AlarmHigh-1b7e2c4d-9f0a-4b1c-8d2e-3f4a5b6c7d8e',
      single('AWS/EC2', 'CPUUtilization', { AutoScalingGroupName: 'web-asg' }),
    ),
    false,
  ],
  [
    'an Auto Scaling group alarm a person made',
    alarm(
      'web-asg status checks',
      single('AWS/EC2', 'StatusCheckFailed', { AutoScalingGroupName: 'web-asg' }),
    ),
    true,
  ],
  [
    "medic's own operational alarm",
    alarm(
      `${OPS_ALARM_PREFIX}prod-intake-sns-failures`,
      single('AWS/SQS', 'ApproximateNumberOfMessagesVisible', {
        QueueName: 'medic-prod-intake-sns-failures',
      }),
    ),
    false,
  ],
  [
    "medic's own alarm even if it had an InstanceId dimension",
    alarm(`${OPS_ALARM_PREFIX}prod-probe`, single('AWS/EC2', 'CPUUtilization', { InstanceId: INSTANCE })),
    false,
  ],
  ...standard.map(
    (a) =>
      [
        `the standard alarm ${a.AlarmName} from \`medic alarms sync\``,
        alarm(
          a.AlarmName,
          single(a.Namespace, a.MetricName, Object.fromEntries(a.Dimensions.map((d) => [d.Name, d.Value]))),
        ),
        true,
      ] as [string, unknown, boolean],
  ),
  [
    // Noted on the open incident, if any: an OK must reach medic for that.
    'an OK transition of an EC2 alarm',
    alarm('web-1 cpu', single('AWS/EC2', 'CPUUtilization', { InstanceId: INSTANCE }), 'OK'),
    true,
  ],
  [
    'an EC2 alarm going to INSUFFICIENT_DATA',
    alarm('web-1 cpu', single('AWS/EC2', 'CPUUtilization', { InstanceId: INSTANCE }), 'INSUFFICIENT_DATA'),
    false,
  ],
];

beforeAll(async () => {
  // Prepare: the rule as packaged, and a moto to ask
  const [rules, started] = await Promise.all([rulePatterns(), startMoto()]);
  pattern = JSON.stringify(rules.find((r) => !isHealthRule(r)));
  healthPattern = JSON.stringify(rules.find(isHealthRule) ?? null);
  moto = started;
}, 90_000);

afterAll(async () => {
  await moto?.stop();
});

describe('the incident rule (EventBridge TestEventPattern)', () => {
  it.each(SAMPLES.map(([what, event, starts]) => ({ what, event, starts })))(
    '$what → starts a run: $starts',
    async ({ event, starts }) => {
      // Act
      const matched = await testEventPattern(pattern, event);
      // Assess
      expect(matched).toBe(starts);
    },
  );

  it('is the pattern the packaged template carries (serverless.yml is the one source)', () => {
    // Prepare
    const yml = readFileSync(path.join(repoRoot, 'serverless.yml'), 'utf8');
    // Act / Assess: the operators the matcher was asked about are the ones in the file
    expect(yml).toContain('wildcard: "*:alarm:medic-ops-*"');
    expect(pattern).toContain('"$or"');
    expect(pattern).toContain('"prefix":"TargetTracking-"');
  });

  it('rejects a pattern with an operator EventBridge does not know, as EventBridge does', async () => {
    // Prepare
    const typo = pattern.replace('"exists":true', '"exist":true');
    // Act
    const asked = testEventPattern(typo, SAMPLES[0]?.[1]);
    // Assess
    await expect(asked).rejects.toThrow(/InvalidEventPatternException/);
  });

  it('standard alarm names never carry the operational prefix', () => {
    // Assess: a synced alarm must reach the state machine
    for (const a of standard) expect(a.AlarmName.startsWith(OPS_ALARM_PREFIX), a.AlarmName).toBe(false);
  });
});

const healthFixture = (name: string) =>
  JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8')) as {
    detail: Record<string, unknown>;
  };
const withDetail = (name: string, detail: Record<string, unknown>) => {
  const event = healthFixture(name);
  return { ...event, detail: { ...event.detail, ...detail } };
};

const HEALTH_SAMPLES: [string, unknown, boolean][] = [
  ['a scheduled retirement of an instance', healthFixture('health-retirement-scheduled.json'), true],
  [
    'an open EC2 operational issue naming an instance',
    healthFixture('health-operational-issue-instance.json'),
    true,
  ],
  ['an open EC2 issue for one zone', healthFixture('health-operational-issue-az.json'), true],
  ['simplified automatic recovery SUCCESS', healthFixture('health-auto-recovery-success.json'), true],
  [
    'an EC2 account notification (nothing to recover or plan)',
    withDetail('health-operational-issue-az.json', { eventTypeCategory: 'accountNotification' }),
    false,
  ],
  [
    'an RDS issue',
    withDetail('health-operational-issue-az.json', {
      service: 'RDS',
      eventTypeCode: 'AWS_RDS_OPERATIONAL_ISSUE',
    }),
    false,
  ],
];

describe('the AWS Health rule (EventBridge TestEventPattern)', () => {
  it.each(HEALTH_SAMPLES.map(([what, event, starts]) => ({ what, event, starts })))(
    '$what → starts a run: $starts',
    async ({ event, starts }) => {
      // Act
      const matched = await testEventPattern(healthPattern, event);
      // Assess
      expect(matched).toBe(starts);
    },
  );

  it('alarm events never match the Health rule, and Health events never match the alarm rule', async () => {
    // Act
    const alarmOnHealth = await testEventPattern(healthPattern, SAMPLES[0]?.[1]);
    const healthOnAlarm = await testEventPattern(pattern, healthFixture('health-retirement-scheduled.json'));
    // Assess
    expect([alarmOnHealth, healthOnAlarm]).toEqual([false, false]);
  });
});
