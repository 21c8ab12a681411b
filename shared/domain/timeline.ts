/**
 * Timeline entries are appended in order and bounded: the Step Functions payload limit is 256 KB,
 * so summaries are clipped and the oldest detail is dropped before the state can outgrow it.
 */
import type { TimelineEntry } from './model.ts';

export const MAX_TIMELINE_ENTRIES = 200;
const MAX_SUMMARY = 500;
const MAX_DETAIL_JSON = 2_000;

export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

export function entry(clock: Clock, fields: Omit<TimelineEntry, 'at'>): TimelineEntry {
  const summary =
    fields.summary.length > MAX_SUMMARY ? `${fields.summary.slice(0, MAX_SUMMARY)}…` : fields.summary;
  const detail =
    fields.detail && JSON.stringify(fields.detail).length > MAX_DETAIL_JSON
      ? { truncated: JSON.stringify(fields.detail).slice(0, MAX_DETAIL_JSON) }
      : fields.detail;
  return { ...fields, summary, ...(detail ? { detail } : {}), at: clock().toISOString() };
}

/** Append keeping the bound: the first entries (alarm, ack) and the latest ones are what RCA needs. */
export function append(timeline: TimelineEntry[], ...entries: TimelineEntry[]): TimelineEntry[] {
  const all = [...timeline, ...entries];
  if (all.length <= MAX_TIMELINE_ENTRIES) return all;
  const head = all.slice(0, 10);
  const tail = all.slice(all.length - (MAX_TIMELINE_ENTRIES - 11));
  const dropped = all.length - head.length - tail.length;
  const marker: TimelineEntry = {
    at: tail[0]?.at ?? head[head.length - 1]?.at ?? new Date(0).toISOString(),
    step: 'timeline',
    kind: 'note',
    summary: `${dropped} timeline entries omitted to stay within the payload limit`,
  };
  return [...head, marker, ...tail];
}

/** Merge several timelines into one ordered by time (stable for equal timestamps). */
export function merge(...timelines: TimelineEntry[][]): TimelineEntry[] {
  return timelines
    .flat()
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (a.e.at < b.e.at ? -1 : a.e.at > b.e.at ? 1 : a.i - b.i))
    .map(({ e }) => e);
}
