/**
 * Turns whatever started medic into one IncidentTrigger. Pure: no I/O, so every source shape is
 * table-tested. Malformed input ends in a named error whose message says what to fix.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import {
  InvalidTriggerError,
  NoTargetError,
  NotAnAlarmTransitionError,
  NotForMedicError,
  UnsupportedEventError,
} from '../errors.ts';
import { type HealthSignal, healthSignal, isHealthEvent } from './health.ts';
import { type IncidentTrigger, MODES, TriggerSchema } from './model.ts';
import { type IgnoredKind, notForMedic, OPS_ALARM_PREFIX } from './scope.ts';

const RAW_LIMIT = 8_000;
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

const MetricStat = z.object({
  metric: z.object({
    namespace: z.string().optional(),
    name: z.string().optional(),
    dimensions: z.record(z.string(), z.string()).optional(),
  }),
});
const AlarmMetric = z.object({
  id: z.string().optional(),
  expression: z.string().optional(),
  metricStat: MetricStat.optional(),
  returnData: z.boolean().optional(),
});
const AlarmStateChange = z.object({
  source: z.literal('aws.cloudwatch'),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  time: z.string().optional(),
  region: z.string().optional(),
  account: z.string().optional(),
  resources: z.array(z.string()).optional(),
  detail: z.object({
    alarmName: z.string().min(1),
    state: z.object({
      value: z.string(),
      reason: z.string().default(''),
      reasonData: z.string().optional(),
      timestamp: z.string(),
    }),
    previousState: z.object({ value: z.string() }).partial().optional(),
    configuration: z
      .object({ description: z.string().nullish(), metrics: z.array(AlarmMetric).optional() })
      .passthrough()
      .optional(),
  }),
});

const ManualInput = z.object({
  instanceId: z.string().regex(INSTANCE_ID, 'instanceId must look like i-0123456789abcdef0'),
  reason: z.string().min(1).max(1_000).default('manual run'),
  requestedBy: z.string().min(1).max(200).default('unknown'),
  mode: z.enum(MODES).default('auto'),
  requestId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/)
    .optional(),
  /** The member account and region the instance is in (absent: the central deployment's). */
  account: z
    .string()
    .regex(/^\d{12}$/, 'account must be a 12-digit AWS account id')
    .optional(),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'region must look like eu-west-1')
    .optional(),
});

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Step Functions execution names: ≤ 80 chars of [A-Za-z0-9-_]; also a safe Jira label. */
export function episodeKey(prefix: string, identity: string, at: string, label = identity): string {
  const stamp = at.replace(/[^0-9]/g, '').slice(0, 17);
  const slug = label.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'alarm';
  // The hash covers the full identity (e.g. the alarm ARN), so equal names in two accounts differ.
  const hash = createHash('sha256').update(`${identity}|${at}`).digest('hex').slice(0, 8);
  const room = 80 - prefix.length - stamp.length - hash.length - 3;
  return `${prefix}-${slug.slice(0, Math.max(room, 1))}-${stamp}-${hash}`;
}

function keepRaw(event: unknown): string {
  const text = JSON.stringify(event);
  return text.length > RAW_LIMIT
    ? `${text.slice(0, RAW_LIMIT)}…(truncated ${text.length - RAW_LIMIT} chars)`
    : text;
}

interface ReasonData {
  recentDatapoints?: number[];
  evaluatedDatapoints?: { timestamp?: string; value?: number }[];
  threshold?: number;
}

function parseReasonData(text: string | undefined): ReasonData {
  if (!text) return {};
  try {
    const parsed = JSON.parse(text) as ReasonData;
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}

function fromAlarmEvent(event: unknown): IncidentTrigger {
  const parsed = AlarmStateChange.safeParse(event);
  if (!parsed.success) {
    throw new InvalidTriggerError(
      `not a valid CloudWatch Alarm State Change event: ${describeIssues(parsed.error)}`,
    );
  }
  const { detail } = parsed.data;
  if (detail.state.value !== 'ALARM') {
    throw new NotAnAlarmTransitionError(
      `alarm "${detail.alarmName}" moved to ${detail.state.value}, not ALARM: medic starts work only on transitions into ALARM`,
    );
  }
  const metrics = detail.configuration?.metrics ?? [];
  const dims = metrics.flatMap((m) =>
    m.metricStat?.metric.dimensions ? [m.metricStat.metric.dimensions] : [],
  );
  const instanceIds = [...new Set(dims.flatMap((d) => (d.InstanceId ? [d.InstanceId] : [])))];
  const asgNames = [
    ...new Set(dims.flatMap((d) => (d.AutoScalingGroupName ? [d.AutoScalingGroupName] : []))),
  ];
  const why = notForMedic({ alarmName: detail.alarmName, instanceIds, autoScalingGroupNames: asgNames });
  if (why) {
    throw why.kind === 'no-target'
      ? new NoTargetError(why.reason)
      : new NotForMedicError(why.reason, why.kind);
  }
  const bad = instanceIds.find((id) => !INSTANCE_ID.test(id));
  if (bad) throw new InvalidTriggerError(`alarm "${detail.alarmName}" names an invalid instance id "${bad}"`);
  // Metric math / anomaly detection: the returned series is an expression over metricStat inputs.
  const primary = metrics.find((m) => m.metricStat) ?? metrics[0];
  const expression = metrics.find((m) => m.expression && m.returnData !== false)?.expression;
  const reasonData = parseReasonData(detail.state.reasonData);
  const datapoints =
    reasonData.evaluatedDatapoints
      ?.filter((d): d is { timestamp?: string; value: number } => typeof d.value === 'number')
      .map((d) => ({ timestamp: d.timestamp, value: d.value })) ??
    (reasonData.recentDatapoints ?? []).map((value) => ({ timestamp: undefined, value }));
  const alarmArn = parsed.data.resources?.find((r) => r.includes(':alarm:'));
  return {
    source: 'cloudwatch-alarm',
    episodeKey: episodeKey('medic', alarmArn ?? detail.alarmName, detail.state.timestamp, detail.alarmName),
    alarmName: detail.alarmName,
    alarmArn,
    metric: {
      namespace: primary?.metricStat?.metric.namespace,
      name: primary?.metricStat?.metric.name,
      expression,
    },
    reason: detail.state.reason,
    datapoints,
    threshold: reasonData.threshold,
    enteredAlarmAt: new Date(detail.state.timestamp.replace(/\+0000$/, 'Z')).toISOString(),
    region: parsed.data.region,
    account: parsed.data.account,
    instanceIds,
    autoScalingGroupNames: asgNames,
    mode: 'auto',
    raw: keepRaw(event),
  };
}

function fromManualInput(event: unknown, now: Date): IncidentTrigger {
  const parsed = ManualInput.safeParse(event);
  if (!parsed.success) {
    throw new InvalidTriggerError(`not a valid manual run input: ${describeIssues(parsed.error)}`);
  }
  const { instanceId, reason, requestedBy, mode, requestId, account, region } = parsed.data;
  const at = now.toISOString();
  // The same instance id in two accounts is two runs: the hash covers where, the slug stays the id.
  const where = account || region ? `${account ?? ''}/${region ?? ''}/` : '';
  return {
    source: 'manual',
    episodeKey: episodeKey(
      'manual',
      `${where}${instanceId}-${requestId ?? ''}`,
      at,
      `${instanceId}-${requestId ?? ''}`,
    ),
    reason,
    datapoints: [],
    enteredAlarmAt: at,
    instanceIds: [instanceId],
    autoScalingGroupNames: [],
    mode,
    requestedBy,
    ...(account ? { account } : {}),
    ...(region ? { region } : {}),
    raw: keepRaw(event),
  };
}

/** Normalise any supported source into an IncidentTrigger, or throw a named, actionable error. */
export function normalise(event: unknown, now: Date = new Date()): IncidentTrigger {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InvalidTriggerError('the event must be a JSON object');
  }
  const record = event as Record<string, unknown>;
  // An HTTP/SNS intake already normalised it; a webhook or SNS shape pasted by hand.
  if (MEDIC_TRIGGER in record) return fromEnvelope(record[MEDIC_TRIGGER]);
  if (detectSource(record) !== null) {
    const found = intakeSignals(event, now);
    const starts = found.filter((s): s is StartSignal => s.kind === 'start');
    if (starts.length === 1 && found.length === 1 && starts[0]) return starts[0].trigger;
    if (starts.length === 0) {
      const first = found[0];
      throw new NotAnAlarmTransitionError(
        first?.kind === 'close'
          ? `${first.source} says "${first.alarmName}" recovered: that closes an episode, it does not start one`
          : `nothing to start: ${first?.kind === 'ignore' ? first.reason : 'no alert in the payload'}`,
      );
    }
    throw new InvalidTriggerError(
      `the payload carries ${found.length} alerts; send it to the HTTP intake, which starts one execution per alert`,
    );
  }
  if (isHealthEvent(record)) {
    const signal = readHealth(event, now);
    if (signal.kind === 'planned') return plannedTrigger(signal, event);
    if (signal.kind === 'ignore') throw new NotForMedicError(signal.reason, 'health-event');
    throw new NotAnAlarmTransitionError(
      `AWS Health ${signal.kind === 'issue' ? signal.issue.eventTypeCode : signal.eventTypeCode} starts no incident: Admit remembers it (medic holds its actions while AWS recovers)`,
    );
  }
  if ('detail-type' in record || 'source' in record) {
    if (record.source === 'aws.cloudwatch' && record['detail-type'] === 'CloudWatch Alarm State Change') {
      return fromAlarmEvent(event);
    }
    throw new UnsupportedEventError(
      `unsupported event: source "${String(record.source)}", detail-type "${String(record['detail-type'])}"; medic handles CloudWatch Alarm State Change events and manual inputs ({"instanceId": "i-…"})`,
    );
  }
  if ('instanceId' in record) return fromManualInput(event, now);
  throw new InvalidTriggerError(
    'unrecognised input: expected a CloudWatch Alarm State Change event or a manual input {"instanceId": "i-…", "reason": "…", "requestedBy": "…", "mode": "auto|dry-run|approve"}',
  );
}

/** An AWS Health event read, or the named error of a malformed one. */
export function readHealth(event: unknown, now: Date): HealthSignal {
  try {
    return healthSignal(event, now);
  } catch (error) {
    if (error instanceof z.ZodError) {
      throw new InvalidTriggerError(`not a valid AWS Health event: ${describeIssues(error)}`);
    }
    throw error;
  }
}

/**
 * A scheduled change (retirement, maintenance) as a planned incident: one episode per Health event
 * and instance set, whatever update of it arrives (AWS re-sends an event as it changes).
 */
export function plannedTrigger(
  signal: Extract<HealthSignal, { kind: 'planned' }>,
  event: unknown,
): IncidentTrigger {
  const h = signal.health;
  const name = `AWS Health ${h.eventTypeCode}`;
  return {
    source: 'aws-health',
    episodeKey: episodeKey(
      'health',
      `${h.eventArn}|${signal.instanceIds.join(',')}`,
      '',
      `${h.scheduledCode}-${signal.instanceIds[0] ?? ''}`,
    ),
    alarmName: name,
    reason: `AWS scheduled ${h.scheduledCode} for ${signal.instanceIds.join(', ')}${h.deadline ? `, deadline ${h.deadline}` : ''}: ${h.description || h.eventTypeCode}`,
    datapoints: [],
    enteredAlarmAt: signal.at,
    region: signal.region,
    account: signal.account,
    instanceIds: signal.instanceIds,
    autoScalingGroupNames: [],
    mode: 'auto',
    health: h,
    raw: keepRaw(event),
  };
}

// ---------------------------------------------------------------------------------------------
// SNS (classic alarm action), Prometheus Alertmanager v4 and Datadog webhooks.
// One webhook may carry several alerts and may close episodes, so these sources normalise into
// a list of signals; `normalise` above keeps its one-trigger contract for the state machine.
// ---------------------------------------------------------------------------------------------

/** Key of the envelope the intake functions pass to StartExecution: an already normalised trigger. */
export const MEDIC_TRIGGER = 'medicTrigger';

export interface StartSignal {
  kind: 'start';
  /** Stable identity of the alert across firing/resolved (alarm ARN, fingerprint, cycle key). */
  identity: string;
  trigger: IncidentTrigger;
}
export interface CloseSignal {
  kind: 'close';
  source: IncidentTrigger['source'];
  identity: string;
  /** Known when the resolved message carries the firing time (Alertmanager, Datadog cycle key). */
  episodeKey: string | null;
  alarmName: string;
  instanceIds: string[];
  at: string;
  reason: string;
}
export interface IgnoreSignal {
  kind: 'ignore';
  source: IncidentTrigger['source'];
  reason: string;
  /** Set when the alarm is out of medic's scope (not merely a transition that starts nothing). */
  notForMedic?: IgnoredKind;
}
export type IntakeSignal = StartSignal | CloseSignal | IgnoreSignal;

type WebhookSource = 'sns-alarm' | 'alertmanager' | 'datadog';

function detectSource(record: Record<string, unknown>): WebhookSource | null {
  if (record.Type === 'Notification' && typeof record.Message === 'string') return 'sns-alarm';
  if (Array.isArray(record.Records) && record.Records.some((r) => isSnsRecord(r))) return 'sns-alarm';
  if ('AlarmName' in record && 'NewStateValue' in record) return 'sns-alarm';
  if ('alerts' in record && ('version' in record || 'groupKey' in record)) return 'alertmanager';
  if ('alert_transition' in record || 'alert_cycle_key' in record) return 'datadog';
  return null;
}

function isSnsRecord(r: unknown): r is { Sns: { Message: string } } {
  const rec = r as { EventSource?: unknown; Sns?: { Message?: unknown } } | null;
  return rec?.EventSource === 'aws:sns' && typeof rec.Sns?.Message === 'string';
}

/**
 * Every start/close/ignore signal in a payload of any webhook-ish source. All-or-nothing: one
 * malformed alert rejects the whole payload, so a caller never starts half of a delivery.
 */
export function intakeSignals(event: unknown, now: Date = new Date()): IntakeSignal[] {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InvalidTriggerError('the body must be a JSON object');
  }
  const record = event as Record<string, unknown>;
  switch (detectSource(record)) {
    case 'sns-alarm':
      return fromSns(record);
    case 'alertmanager':
      return fromAlertmanager(event);
    case 'datadog':
      return [fromDatadog(event)];
    default:
      if ('instanceId' in record) {
        const trigger = fromManualInput(event, now);
        return [{ kind: 'start', identity: trigger.episodeKey, trigger }];
      }
      throw new InvalidTriggerError(
        'unrecognised body: expected an SNS alarm notification, an Alertmanager webhook (version 4), the medic Datadog template, or a manual input {"instanceId": "i-…"}',
      );
  }
}

function fromEnvelope(value: unknown): IncidentTrigger {
  const parsed = TriggerSchema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidTriggerError(`not a valid ${MEDIC_TRIGGER} envelope: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

/** An instance id inside a label/tag value such as "i-0abc…", "i-0abc…:9100" or "host:i-0abc…". */
function instanceIdIn(value: string | undefined): string | undefined {
  const match = value ? /(?:^|[:/,\s])?(i-[0-9a-f]{8,17})(?=$|[:,\s/])/.exec(value) : null;
  return match?.[1];
}

// ---- SNS: the classic alarm action message (JSON inside the SNS `Message`) ----

const SnsDimension = z.object({ name: z.string(), value: z.string() });
const ClassicAlarm = z.object({
  AlarmName: z.string().min(1),
  AlarmDescription: z.string().nullish(),
  AWSAccountId: z.string().optional(),
  NewStateValue: z.string(),
  NewStateReason: z.string().default(''),
  StateChangeTime: z.string().min(1),
  Region: z.string().optional(),
  AlarmArn: z.string().optional(),
  OldStateValue: z.string().optional(),
  Trigger: z
    .object({
      MetricName: z.string().nullish(),
      Namespace: z.string().nullish(),
      Threshold: z.number().nullish(),
      Dimensions: z.array(SnsDimension).nullish(),
      Metrics: z
        .array(
          z.object({
            Id: z.string().optional(),
            Expression: z.string().optional(),
            ReturnData: z.boolean().optional(),
            MetricStat: z
              .object({
                Metric: z.object({
                  MetricName: z.string().optional(),
                  Namespace: z.string().optional(),
                  Dimensions: z.array(SnsDimension).optional(),
                }),
              })
              .optional(),
          }),
        )
        .nullish(),
    })
    .passthrough(),
});

function fromSns(record: Record<string, unknown>): IntakeSignal[] {
  const messages: unknown[] = [];
  if (typeof record.Message === 'string') messages.push(record.Message);
  else if (Array.isArray(record.Records)) {
    for (const r of record.Records) if (isSnsRecord(r)) messages.push(r.Sns.Message);
  } else messages.push(record);
  return messages.map((m) => fromClassicAlarm(m));
}

/** "[99.5 (02/10/19 17:04:00), 98.1 (…)]" in NewStateReason → datapoints (dd/MM/yy, UTC). */
function datapointsFromReason(reason: string): { timestamp?: string; value: number }[] {
  const list = /\[([^\]]+)\]/.exec(reason)?.[1] ?? '';
  const found: { timestamp?: string; value: number }[] = [];
  for (const m of list.matchAll(
    /(-?\d+(?:\.\d+)?(?:E-?\d+)?)\s*\((\d\d)\/(\d\d)\/(\d\d) (\d\d:\d\d:\d\d)\)/g,
  )) {
    const [, value, dd, mm, yy, time] = m;
    found.push({ value: Number(value), timestamp: `20${yy}-${mm}-${dd}T${time}.000Z` });
  }
  return found;
}

function fromClassicAlarm(message: unknown): IntakeSignal {
  let body = message;
  if (typeof message === 'string') {
    try {
      body = JSON.parse(message);
    } catch {
      throw new InvalidTriggerError(
        'the SNS Message is not JSON: medic expects a CloudWatch alarm action notification',
      );
    }
  }
  const parsed = ClassicAlarm.safeParse(body);
  if (!parsed.success) {
    throw new InvalidTriggerError(`not a CloudWatch alarm notification: ${describeIssues(parsed.error)}`);
  }
  const alarm = parsed.data;
  const identity = alarm.AlarmArn ?? alarm.AlarmName;
  const metrics = alarm.Trigger.Metrics ?? [];
  const dims = [
    ...(alarm.Trigger.Dimensions ?? []),
    ...metrics.flatMap((m) => m.MetricStat?.Metric.Dimensions ?? []),
  ];
  const instanceIds = [...new Set(dims.filter((d) => d.name === 'InstanceId').map((d) => d.value))];
  const asgNames = [...new Set(dims.filter((d) => d.name === 'AutoScalingGroupName').map((d) => d.value))];
  const at = new Date(alarm.StateChangeTime.replace(/\+0000$/, 'Z'));
  if (Number.isNaN(at.getTime())) {
    throw new InvalidTriggerError(`alarm "${alarm.AlarmName}" has an unreadable StateChangeTime`);
  }
  // An alarm action publishes whatever alarm it belongs to: the scope the EventBridge rule applies
  // before anything runs is applied here, and an alarm that is not medic's ends as "ignored" (a
  // thrown error would be retried, parked in the failures queue and paged).
  const why = notForMedic({ alarmName: alarm.AlarmName, instanceIds, autoScalingGroupNames: asgNames });
  if (why && (alarm.NewStateValue !== 'OK' || alarm.AlarmName.startsWith(OPS_ALARM_PREFIX))) {
    return {
      kind: 'ignore',
      source: 'sns-alarm',
      reason: `not for medic: ${why.reason}`,
      notForMedic: why.kind,
    };
  }
  if (alarm.NewStateValue === 'OK') {
    return {
      kind: 'close',
      source: 'sns-alarm',
      identity,
      episodeKey: null,
      alarmName: alarm.AlarmName,
      instanceIds,
      at: at.toISOString(),
      reason: alarm.NewStateReason,
    };
  }
  if (alarm.NewStateValue !== 'ALARM') {
    return {
      kind: 'ignore',
      source: 'sns-alarm',
      reason: `alarm "${alarm.AlarmName}" moved to ${alarm.NewStateValue}: medic starts work only on ALARM`,
    };
  }
  const bad = instanceIds.find((id) => !INSTANCE_ID.test(id));
  if (bad) throw new InvalidTriggerError(`alarm "${alarm.AlarmName}" names an invalid instance id "${bad}"`);
  const primary = metrics.find((m) => m.MetricStat)?.MetricStat?.Metric;
  const expression = metrics.find((m) => m.Expression && m.ReturnData !== false)?.Expression;
  return {
    kind: 'start',
    identity,
    trigger: {
      source: 'sns-alarm',
      // Same inputs as the EventBridge path (alarm ARN + state timestamp), so an alarm wired to
      // both routes starts one execution, not two.
      episodeKey: episodeKey('medic', identity, alarm.StateChangeTime, alarm.AlarmName),
      alarmName: alarm.AlarmName,
      alarmArn: alarm.AlarmArn,
      metric: {
        namespace: alarm.Trigger.Namespace ?? primary?.Namespace,
        name: alarm.Trigger.MetricName ?? primary?.MetricName,
        expression,
      },
      reason: alarm.NewStateReason,
      datapoints: datapointsFromReason(alarm.NewStateReason),
      threshold: alarm.Trigger.Threshold ?? undefined,
      enteredAlarmAt: at.toISOString(),
      region: alarm.AlarmArn?.split(':')[3],
      account: alarm.AWSAccountId,
      instanceIds,
      autoScalingGroupNames: asgNames,
      mode: 'auto',
      raw: keepRaw(body),
    },
  };
}

// ---- Prometheus Alertmanager webhook, payload version 4 ----

const AmAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()).default({}),
  startsAt: z.string().min(1),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});
const AmWebhook = z.object({
  version: z.literal('4', { message: 'only Alertmanager webhook payload version "4" is supported' }),
  groupKey: z.string().optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().optional(),
  externalURL: z.string().optional(),
  alerts: z.array(AmAlert).min(1, 'the webhook carries no alerts'),
});

function fromAlertmanager(event: unknown): IntakeSignal[] {
  const parsed = AmWebhook.safeParse(event);
  if (!parsed.success) {
    throw new InvalidTriggerError(`not a valid Alertmanager webhook: ${describeIssues(parsed.error)}`);
  }
  const hook = parsed.data;
  return hook.alerts.map((alert, index) => {
    const name = alert.labels.alertname ?? 'alert';
    const instanceId =
      instanceIdIn(alert.labels.instance_id) ??
      instanceIdIn(alert.labels.instance) ??
      instanceIdIn(alert.labels.instanceId);
    if (!instanceId) {
      throw new NoTargetError(
        `alerts[${index}] "${name}" has no EC2 instance id in labels.instance_id or labels.instance (got instance="${alert.labels.instance ?? ''}"); relabel __meta_ec2_instance_id into instance_id`,
      );
    }
    const startsAt = new Date(alert.startsAt);
    if (Number.isNaN(startsAt.getTime())) {
      throw new InvalidTriggerError(`alerts[${index}] "${name}" has an unreadable startsAt`);
    }
    const fingerprint =
      alert.fingerprint ??
      createHash('sha256')
        .update(JSON.stringify(Object.entries(alert.labels).sort()))
        .digest('hex')
        .slice(0, 16);
    const identity = `alertmanager:${fingerprint}`;
    // Firing and resolved share fingerprint and startsAt, so both map to the same episode.
    const key = episodeKey('am', identity, startsAt.toISOString(), name);
    const reason = alert.annotations.summary ?? alert.annotations.description ?? `${name} is ${alert.status}`;
    if (alert.status === 'resolved') {
      const ended = alert.endsAt ? new Date(alert.endsAt) : new Date(Number.NaN);
      return {
        kind: 'close',
        source: 'alertmanager',
        identity,
        episodeKey: key,
        alarmName: name,
        instanceIds: [instanceId],
        at: (Number.isNaN(ended.getTime()) ? startsAt : ended).toISOString(),
        reason,
      } satisfies CloseSignal;
    }
    return {
      kind: 'start',
      identity,
      trigger: {
        source: 'alertmanager',
        episodeKey: key,
        alarmName: name,
        metric: { name: alert.labels.__name__ ?? name, expression: undefined, namespace: undefined },
        reason,
        datapoints: [],
        enteredAlarmAt: startsAt.toISOString(),
        instanceIds: [instanceId],
        autoScalingGroupNames: [],
        mode: 'auto',
        links: alert.generatorURL ? [{ title: 'Prometheus', url: alert.generatorURL }] : [],
        raw: keepRaw({ ...hook, alerts: [alert] }),
        ...(alert.labels.instance && alert.labels.instance.length <= 256
          ? { prometheusInstance: alert.labels.instance }
          : {}),
      },
    } satisfies StartSignal;
  });
}

// ---- Datadog webhook: the JSON template documented in the README (DATADOG_TEMPLATE) ----

/** The payload users paste into Datadog's webhook integration; `$…` are Datadog's variables. */
export const DATADOG_TEMPLATE = {
  id: '$ID',
  alert_cycle_key: '$ALERT_CYCLE_KEY',
  alert_id: '$ALERT_ID',
  alert_transition: '$ALERT_TRANSITION',
  alert_title: '$ALERT_TITLE',
  alert_status: '$ALERT_STATUS',
  alert_metric: '$ALERT_METRIC',
  alert_query: '$ALERT_QUERY',
  alert_scope: '$ALERT_SCOPE',
  alert_priority: '$ALERT_PRIORITY',
  hostname: '$HOSTNAME',
  tags: '$TAGS',
  date: '$DATE',
  link: '$LINK',
  org_id: '$ORG_ID',
} as const;

const Datadog = z.object({
  id: z.string().optional(),
  alert_cycle_key: z
    .string()
    .min(1, 'alert_cycle_key is required (paste the medic template: "$ALERT_CYCLE_KEY")'),
  alert_id: z.string().optional(),
  alert_transition: z.string().min(1),
  alert_title: z.string().default('Datadog monitor'),
  alert_status: z.string().optional(),
  alert_metric: z.string().optional(),
  alert_query: z.string().optional(),
  alert_scope: z.string().optional(),
  alert_priority: z.string().optional(),
  hostname: z.string().optional(),
  tags: z.string().optional(),
  date: z.union([z.string(), z.number()]),
  link: z.string().optional(),
  org_id: z.string().optional(),
});

function fromDatadog(event: unknown): IntakeSignal {
  const parsed = Datadog.safeParse(event);
  if (!parsed.success) {
    throw new InvalidTriggerError(`not the medic Datadog webhook template: ${describeIssues(parsed.error)}`);
  }
  const dd = parsed.data;
  if (/^\$[A-Z_]+$/.test(dd.alert_cycle_key) || /^\$[A-Z_]+$/.test(String(dd.date))) {
    throw new InvalidTriggerError(
      'the Datadog payload still holds unexpanded $VARIABLES: send it from a monitor notification, not as the raw template',
    );
  }
  const at = new Date(/^\d+$/.test(String(dd.date)) ? Number(dd.date) : String(dd.date));
  if (Number.isNaN(at.getTime()))
    throw new InvalidTriggerError(`date "${dd.date}" is not epoch milliseconds`);
  const identity = `datadog:${dd.alert_cycle_key}`;
  // The cycle key links a trigger to its recovery, so it alone is the episode.
  const key = episodeKey('dd', identity, '', dd.alert_title);
  const place = [dd.alert_scope, dd.tags]
    .join(',')
    .split(',')
    .map((t) => t.trim());
  const instanceId =
    instanceIdIn(place.find((t) => t.startsWith('instance-id:'))) ??
    instanceIdIn(place.find((t) => t.startsWith('host:i-'))) ??
    instanceIdIn(dd.hostname);
  const transition = dd.alert_transition;
  if (/^recovered$/i.test(transition)) {
    return {
      kind: 'close',
      source: 'datadog',
      identity,
      episodeKey: key,
      alarmName: dd.alert_title,
      instanceIds: instanceId ? [instanceId] : [],
      at: at.toISOString(),
      reason: dd.alert_status ?? 'recovered',
    };
  }
  if (!/^(re-)?triggered$/i.test(transition)) {
    return {
      kind: 'ignore',
      source: 'datadog',
      reason: `Datadog transition "${transition}" does not start work (only Triggered / Re-Triggered do)`,
    };
  }
  if (!instanceId) {
    throw new NoTargetError(
      `Datadog alert "${dd.alert_title}" names no EC2 instance: expected an instance-id:i-… tag (AWS integration), a host:i-… scope or an i-… hostname`,
    );
  }
  return {
    kind: 'start',
    identity,
    trigger: {
      source: 'datadog',
      episodeKey: key,
      alarmName: dd.alert_title,
      metric: { name: dd.alert_metric, expression: dd.alert_query, namespace: undefined },
      reason: dd.alert_status ?? dd.alert_title,
      datapoints: [],
      enteredAlarmAt: at.toISOString(),
      instanceIds: [instanceId],
      autoScalingGroupNames: [],
      mode: 'auto',
      links: dd.link ? [{ title: 'Datadog', url: dd.link }] : [],
      raw: keepRaw(event),
    },
  };
}
