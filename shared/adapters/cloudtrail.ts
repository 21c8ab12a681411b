/**
 * CloudTrail adapter: LookupEvents for one resource name. AWS takes one lookup attribute per call,
 * answers at most 50 events a page, and limits lookups to two requests per second per account and
 * Region (beyond it: ThrottlingException). Calls from this container are paced to that rate, and
 * pages are bounded, so one incident's lookups never throttle themselves.
 */
import { type CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import type { CloudTrailPort, TrailEvent, TrailEventsPort } from '../ports.ts';
import { callAws } from './aws-errors.ts';

/**
 * Two requests per second per account and Region. Exactly 500 ms apart, the third call can reach
 * CloudTrail less than a second after the first (the first one's trip was slower) and be
 * throttled: the spacing keeps a margin for that.
 */
export const LOOKUP_INTERVAL_MS = 600;
const MAX_PAGES = 2;
const PAGE_SIZE = 50;

/** Hands out call slots at least `intervalMs` apart, across every caller in this container. */
export function pacer(intervalMs: number, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))) {
  let next = 0;
  return async () => {
    const now = Date.now();
    const slot = Math.max(now, next);
    next = slot + intervalMs;
    if (slot > now) await sleep(slot - now);
  };
}

function parse(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function cloudTrailAdapter(
  client: CloudTrailClient,
  intervalMs = LOOKUP_INTERVAL_MS,
): CloudTrailPort & TrailEventsPort {
  // One pacer for both kinds of lookup: CloudTrail's rate is per account and Region, not per attribute.
  const pace = pacer(intervalMs);
  const lookup = async (
    attribute: { AttributeKey: 'ResourceName' | 'EventName'; AttributeValue: string },
    { start, end, limit }: { start: Date; end: Date; limit: number },
  ) => {
    const out: TrailEvent[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES && out.length < limit; page++) {
      await pace();
      const res = await callAws('LookupEvents', () =>
        client.send(
          new LookupEventsCommand({
            LookupAttributes: [attribute],
            StartTime: start,
            EndTime: end,
            MaxResults: Math.min(PAGE_SIZE, limit - out.length),
            NextToken: token,
          }),
        ),
      );
      for (const e of res.Events ?? []) {
        out.push({
          eventId: e.EventId ?? '',
          at: (e.EventTime ?? new Date(0)).toISOString(),
          eventName: e.EventName ?? 'unknown',
          eventSource: e.EventSource ?? '',
          username: e.Username ?? null,
          resources: (e.Resources ?? []).flatMap((r) =>
            r.ResourceName ? [{ type: r.ResourceType ?? null, name: r.ResourceName }] : [],
          ),
          record: parse(e.CloudTrailEvent),
        });
      }
      token = res.NextToken;
      if (!token) break;
    }
    return out.slice(0, limit);
  };
  return {
    lookupByResource: (resourceName, options) =>
      lookup({ AttributeKey: 'ResourceName', AttributeValue: resourceName }, options),
    lookupByEventName: (eventName, options) =>
      lookup({ AttributeKey: 'EventName', AttributeValue: eventName }, options),
  };
}
