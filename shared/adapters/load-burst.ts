/**
 * A bounded HTTP burst with autocannon. The caps are enforced here a second time, whatever the
 * caller passes: at most LOAD_CAPS.requests requests, LOAD_CAPS.connections connections, and a
 * timer that stops the burst at LOAD_CAPS.seconds even when the server stalls every request.
 *
 * autocannon is loaded on first use: most instances carry no load check, and the Verify bundle
 * should not pay for it on every cold start.
 */
import { LOAD_CAPS, type LoadResult } from '../domain/load-check.ts';
import type { LoadBurstPort } from '../ports.ts';

export const autocannonBurst: LoadBurstPort = {
  async burst(url, limits) {
    const { default: autocannon } = await import('autocannon');
    const requests = Math.max(1, Math.min(limits.requests, LOAD_CAPS.requests));
    const connections = Math.max(1, Math.min(limits.connections, LOAD_CAPS.connections, requests));
    const maxSeconds = Math.max(1, Math.min(limits.maxSeconds, LOAD_CAPS.seconds));
    const started = performance.now();
    let stoppedByCap = false;
    const result = await new Promise<{
      requests: { total: number };
      latency: { p50: number; p99: number };
      errors: number;
      '4xx': number;
      '5xx': number;
    }>((resolve, reject) => {
      const instance = autocannon(
        {
          url,
          connections,
          amount: requests,
          // Per-request timeout: a request that stalls counts as an error, not as a hang.
          timeout: Math.min(maxSeconds, 10),
          pipelining: 1,
          headers: { 'user-agent': 'medic-load-check' },
        },
        (error, r) => (error ? reject(error) : resolve(r)),
      );
      const timer = setTimeout(() => {
        stoppedByCap = true;
        instance.stop();
      }, maxSeconds * 1000);
      instance.on('done', () => clearTimeout(timer));
    });
    const durationMs = Math.round(performance.now() - started);
    const answered = result.requests.total;
    const errors = result.errors + result['4xx'] + result['5xx'];
    const attempted = Math.max(answered + result.errors, 1);
    return {
      requests: answered,
      errors,
      errorPct: Math.round((errors / attempted) * 1000) / 10,
      requestsPerSecond: Math.round((answered / Math.max(durationMs, 1)) * 1000 * 10) / 10,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      durationMs,
      cutShort: stoppedByCap && answered + result.errors < requests,
    } satisfies LoadResult;
  },
};
