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
  UnsupportedEventError,
} from '../errors.ts';
import { type IncidentTrigger, MODES } from './model.ts';

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
  if (instanceIds.length === 0 && asgNames.length === 0) {
    throw new NoTargetError(
      `alarm "${detail.alarmName}" has no InstanceId or AutoScalingGroupName dimension: medic cannot tell which instance to look at`,
    );
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
  const { instanceId, reason, requestedBy, mode, requestId } = parsed.data;
  const at = now.toISOString();
  return {
    source: 'manual',
    episodeKey: episodeKey('manual', `${instanceId}-${requestId ?? ''}`, at),
    reason,
    datapoints: [],
    enteredAlarmAt: at,
    instanceIds: [instanceId],
    autoScalingGroupNames: [],
    mode,
    requestedBy,
    raw: keepRaw(event),
  };
}

/** Normalise any supported source into an IncidentTrigger, or throw a named, actionable error. */
export function normalise(event: unknown, now: Date = new Date()): IncidentTrigger {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InvalidTriggerError('the event must be a JSON object');
  }
  const record = event as Record<string, unknown>;
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
