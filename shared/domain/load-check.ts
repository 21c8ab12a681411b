/**
 * The `medic:load-check` tag: `<requests>/<concurrency>/<p99 ms>/<max error %>`. A server that answers
 * one probe but falls over under real traffic is not recovered, so after Verify sees the service
 * back medic sends a bounded burst to the same health URL and judges it against these limits.
 *
 * The burst comes from inside the customer's VPC and hits a server that has just come back: the
 * caps below are hard, whatever the tag asks. A tag over a cap is not refused outright (the owner
 * clearly wants a load check): the cap is used and the timeline says so.
 */
import * as z from 'zod';

/** Hard caps on any burst medic sends, enforced here and again by the load adapter. */
export const LOAD_CAPS = Object.freeze({ requests: 2000, connections: 50, seconds: 15 });

export const LoadCheckSchema = z.object({
  requests: z.number().int().min(1).max(LOAD_CAPS.requests),
  concurrency: z.number().int().min(1).max(LOAD_CAPS.connections),
  p99Ms: z.number().int().min(1),
  maxErrorPct: z.number().min(0).max(100),
  /** What was capped, said on the timeline ("requests 5000 → 2000"). */
  capped: z.array(z.string()).optional(),
});
export type LoadCheck = z.infer<typeof LoadCheckSchema>;

export type LoadCheckTag = { check: LoadCheck; problem: null } | { check: null; problem: string };

const FORMAT = '<requests>/<concurrency>/<p99 ms>/<max error %>';

/** Parses the tag strictly: four fields, whole positive numbers (the error % may be a decimal). */
export function parseLoadCheck(tag: string): LoadCheckTag {
  const parts = tag.trim().split('/');
  if (parts.length !== 4)
    return { check: null, problem: `medic:load-check "${tag.slice(0, 64)}" is not ${FORMAT}` };
  const [requests, concurrency, p99Ms, maxErrorPct] = parts.map((p) =>
    /^\d+(\.\d+)?$/.test(p.trim()) ? Number(p.trim()) : Number.NaN,
  ) as [number, number, number, number];
  const wholes = { requests, concurrency, 'p99 ms': p99Ms };
  for (const [name, value] of Object.entries(wholes))
    if (!Number.isInteger(value) || value < 1)
      return { check: null, problem: `medic:load-check ${name} must be a whole number ≥ 1 (${FORMAT})` };
  if (!Number.isFinite(maxErrorPct) || maxErrorPct > 100)
    return { check: null, problem: `medic:load-check max error % must be between 0 and 100 (${FORMAT})` };
  const capped: string[] = [];
  const cap = (name: string, value: number, limit: number) => {
    if (value <= limit) return value;
    capped.push(`${name} ${value} → ${limit}`);
    return limit;
  };
  const check: LoadCheck = {
    requests: cap('requests', requests, LOAD_CAPS.requests),
    concurrency: cap('concurrency', concurrency, LOAD_CAPS.connections),
    p99Ms,
    maxErrorPct,
  };
  // More connections than requests would open idle sockets: never more than one per request.
  check.concurrency = Math.min(check.concurrency, check.requests);
  return { check: capped.length > 0 ? { ...check, capped } : check, problem: null };
}

/** What one burst measured. */
export const LoadResultSchema = z.object({
  requests: z.number().int(),
  /** Connection errors, timeouts and non-2xx/3xx answers. */
  errors: z.number().int(),
  errorPct: z.number(),
  requestsPerSecond: z.number(),
  p50Ms: z.number(),
  p99Ms: z.number(),
  durationMs: z.number(),
  /** The burst stopped at the time cap before sending every request. */
  cutShort: z.boolean(),
});
export type LoadResult = z.infer<typeof LoadResultSchema>;

export function describeLoad(r: LoadResult, check: LoadCheck): string {
  return (
    `${r.requests} requests at ${check.concurrency} connections in ${(r.durationMs / 1000).toFixed(1)} s: ` +
    `${r.requestsPerSecond.toFixed(0)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms (limit ${check.p99Ms} ms), ` +
    `errors ${r.errorPct.toFixed(1)}% (limit ${check.maxErrorPct}%)${r.cutShort ? `, stopped at the ${LOAD_CAPS.seconds} s cap` : ''}`
  );
}
