/**
 * The Prometheus HTTP API, called directly (`GET /api/v1/query_range`): no client library, one
 * request per query, each with its own time limit, the answer's size bounded before it is parsed.
 * An optional bearer token (read from SSM by the caller) goes in the Authorization header, as
 * Prometheus behind an authenticating proxy or a managed Prometheus expects.
 */
import { isLoopbackUrl } from '../domain/net.ts';
import { PrometheusQueryError, UnsafeEndpointError } from '../errors.ts';
import type { PrometheusPort, PromSeries, SecretSource } from '../ports.ts';

/** A range query for one instance is a few KB; anything near this is not an answer medic can use. */
export const MAX_RESPONSE_BYTES = 2_000_000;
/** Series kept per query (a host with dozens of mounts still yields a bounded evidence row). */
export const MAX_SERIES = 16;

export interface PrometheusOptions {
  baseUrl: string;
  timeoutMs: number;
  token?: SecretSource;
  /** Local runs and tests: a URL off this machine is refused before any request. */
  loopbackOnly?: boolean;
  fetch?: typeof fetch;
}

interface QueryRangeBody {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: { metric?: Record<string, string>; values?: [number, string][] }[] };
}

export function prometheusApi(options: PrometheusOptions): PrometheusPort {
  const base = options.baseUrl.replace(/\/+$/, '');
  const get = options.fetch ?? fetch;
  return {
    async queryRange(query, range) {
      if (options.loopbackOnly && !isLoopbackUrl(base))
        throw new UnsafeEndpointError(
          `Prometheus at ${base} is not on loopback; this run only talks to this machine`,
        );
      const url = new URL(`${base}/api/v1/query_range`);
      url.searchParams.set('query', query);
      url.searchParams.set('start', String(range.start.getTime() / 1000));
      url.searchParams.set('end', String(range.end.getTime() / 1000));
      url.searchParams.set('step', `${range.stepSeconds}s`);
      const headers: Record<string, string> = { accept: 'application/json' };
      const token = options.token ? (await options.token()).trim() : '';
      if (token) headers.authorization = `Bearer ${token}`;
      let response: Response;
      try {
        response = await get(url, { headers, signal: AbortSignal.timeout(options.timeoutMs) });
      } catch (error) {
        const e = error as Error;
        const why = e.name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : e.message;
        throw new PrometheusQueryError(`query_range: ${why}`, { cause: error });
      }
      const declared = Number(response.headers.get('content-length') ?? '0');
      if (declared > MAX_RESPONSE_BYTES) {
        await response.body?.cancel();
        throw new PrometheusQueryError(
          `query_range: answer of ${declared} bytes is above ${MAX_RESPONSE_BYTES}`,
        );
      }
      const text = await response.text();
      if (text.length > MAX_RESPONSE_BYTES)
        throw new PrometheusQueryError(`query_range: answer above ${MAX_RESPONSE_BYTES} bytes`);
      let body: QueryRangeBody;
      try {
        body = JSON.parse(text) as QueryRangeBody;
      } catch {
        throw new PrometheusQueryError(`query_range: HTTP ${response.status}, not a Prometheus API answer`);
      }
      if (!response.ok || body.status !== 'success') {
        // 401/403: the token; 400/422: the query (Prometheus says which in `error`).
        throw new PrometheusQueryError(
          `query_range: HTTP ${response.status} ${body.errorType ?? ''} ${String(body.error ?? '').slice(0, 300)}`.trim(),
        );
      }
      if (body.data?.resultType !== 'matrix' || !Array.isArray(body.data.result))
        throw new PrometheusQueryError(`query_range: expected a matrix, got ${body.data?.resultType}`);
      return body.data.result.slice(0, MAX_SERIES).map(
        (s): PromSeries => ({
          labels: s.metric ?? {},
          points: (s.values ?? [])
            .map(([t, v]) => ({ at: new Date(t * 1000).toISOString(), value: Number(v) }))
            .filter((p) => Number.isFinite(p.value)),
        }),
      );
    },
  };
}
