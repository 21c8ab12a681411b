/**
 * A historical alarm stream, as `medic replay` reads it: either what
 * `aws cloudwatch describe-alarm-history --history-item-type StateUpdate` prints (AlarmHistoryItems
 * with HistoryData, a JSON string carrying oldState / newState), or EventBridge "CloudWatch Alarm
 * State Change" events (a JSON array, or one event per line). Both become one list of transitions,
 * oldest first, and each transition becomes the EventBridge event medic would have received. Pure.
 */
import { InvalidTriggerError } from '../errors.ts';

export interface AlarmTransition {
  alarmName: string;
  /** ISO-8601 UTC: when the alarm changed state. */
  at: string;
  state: string;
  previous: string | null;
  reason: string;
  /** The event as delivered, when the stream was EventBridge events (replayed unchanged). */
  event?: Record<string, unknown>;
}

/** The alarm's definition as CloudWatch holds it now, in the event's `configuration` shape. */
export interface AlarmDefinition {
  alarmArn: string;
  /** `detail.configuration.metrics` of the event EventBridge would send for this alarm. */
  metrics: Record<string, unknown>[];
  description?: string;
}

export interface ParsedStream {
  transitions: AlarmTransition[];
  /** History items that are not state updates (configuration changes, actions): not replayed. */
  skipped: number;
}

const record = (v: unknown): Record<string, unknown> | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function iso(v: unknown, where: string): string {
  const at = typeof v === 'string' || typeof v === 'number' ? Date.parse(String(v)) : Number.NaN;
  if (Number.isNaN(at)) throw new InvalidTriggerError(`${where}: no valid timestamp (${String(v)})`);
  return new Date(at).toISOString();
}

function fromHistoryItem(item: Record<string, unknown>, n: number): AlarmTransition | null {
  if (item.HistoryItemType !== undefined && item.HistoryItemType !== 'StateUpdate') return null;
  const name = str(item.AlarmName);
  if (!name) throw new InvalidTriggerError(`AlarmHistoryItems[${n}] has no AlarmName`);
  let data: Record<string, unknown> | null;
  try {
    data = record(JSON.parse(str(item.HistoryData) ?? 'null'));
  } catch {
    data = null;
  }
  const next = record(data?.newState);
  const old = record(data?.oldState);
  const state = str(next?.stateValue);
  if (!state) throw new InvalidTriggerError(`AlarmHistoryItems[${n}] (${name}): HistoryData has no newState`);
  return {
    alarmName: name,
    at: iso(item.Timestamp, `AlarmHistoryItems[${n}] (${name})`),
    state,
    previous: str(old?.stateValue),
    reason: str(next?.stateReason) ?? '',
  };
}

function fromEvent(event: Record<string, unknown>, n: number): AlarmTransition {
  const detail = record(event.detail);
  const name = str(detail?.alarmName);
  const state = record(detail?.state);
  if (event['detail-type'] !== 'CloudWatch Alarm State Change' || !name || !str(state?.value))
    throw new InvalidTriggerError(
      `event ${n} is not an EventBridge "CloudWatch Alarm State Change" event with detail.alarmName and detail.state`,
    );
  return {
    alarmName: name,
    at: iso(state?.timestamp ?? event.time, `event ${n} (${name})`),
    state: str(state?.value) ?? '',
    previous: str(record(detail?.previousState)?.value),
    reason: str(state?.reason) ?? '',
    event,
  };
}

/** Parses either format; throws InvalidTriggerError naming what is wrong. Oldest first, stable. */
export function parseAlarmStream(text: string): ParsedStream {
  const trimmed = text.trim();
  let docs: unknown[];
  try {
    const whole: unknown = JSON.parse(trimmed);
    docs = [whole];
  } catch {
    // JSON lines: one event per line.
    try {
      docs = trimmed
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .map((l) => JSON.parse(l) as unknown);
    } catch (error) {
      throw new InvalidTriggerError(
        `not JSON, nor one JSON event per line: ${(error as Error).message.slice(0, 200)}`,
      );
    }
  }
  const one = docs.length === 1 ? record(docs[0]) : null;
  const transitions: AlarmTransition[] = [];
  let skipped = 0;
  if (one && Array.isArray(one.AlarmHistoryItems)) {
    one.AlarmHistoryItems.forEach((raw, n) => {
      const item = record(raw);
      if (!item) throw new InvalidTriggerError(`AlarmHistoryItems[${n}] is not an object`);
      const t = fromHistoryItem(item, n);
      if (t) transitions.push(t);
      else skipped++;
    });
  } else {
    const events = docs.length === 1 && Array.isArray(docs[0]) ? (docs[0] as unknown[]) : docs;
    events.forEach((raw, n) => {
      const event = record(raw);
      if (!event) throw new InvalidTriggerError(`event ${n} is not an object`);
      transitions.push(fromEvent(event, n));
    });
  }
  // describe-alarm-history prints newest first; replay runs the clock forwards.
  const order = transitions.map((t, i) => [t, i] as const);
  order.sort(([a, i], [b, j]) => Date.parse(a.at) - Date.parse(b.at) || i - j);
  return { transitions: order.map(([t]) => t), skipped };
}

/** The alarms whose current definitions the stream needs (EventBridge events carry their own). */
export function alarmsToDescribe(stream: ParsedStream): string[] {
  return [...new Set(stream.transitions.filter((t) => !t.event).map((t) => t.alarmName))].sort();
}

/** The EventBridge event medic would have received for a history transition. */
export function eventFor(
  t: AlarmTransition,
  definition: AlarmDefinition,
  where: { account: string; region: string },
): Record<string, unknown> {
  if (t.event) return t.event;
  return {
    version: '0',
    id: `replay-${t.alarmName}-${t.at}`,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: where.account,
    time: `${t.at.slice(0, 19)}Z`,
    region: where.region,
    resources: [definition.alarmArn],
    detail: {
      alarmName: t.alarmName,
      state: { value: t.state, reason: t.reason, timestamp: t.at },
      ...(t.previous ? { previousState: { value: t.previous } } : {}),
      configuration: {
        metrics: definition.metrics,
        ...(definition.description ? { description: definition.description } : {}),
      },
    },
  };
}
