/**
 * A loopback stand-in for the Prometheus HTTP API, for `medic simulate` only: it answers
 * `GET /api/v1/query_range` for the queries medic sends (shared/domain/prometheus.ts) from series
 * a scenario chose, so the scenario runs on a machine without the prometheus binary. It reads
 * the instance the same way Prometheus would (the first `instance="…"` literal, unescaped) and
 * answers an empty matrix for an instance it does not know. Not a PromQL engine: anything else
 * it is asked is a 400 bad_data, as a real Prometheus answers a query it cannot parse. The real
 * Prometheus is exercised by test/prometheus.e2e.test.ts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What one host's exporter would report, as the ratios medic's queries compute. */
export interface PrometheusHostSeries {
  /** Available/size per mountpoint, oldest first (the last value is "now"). */
  filesystemAvailable: Record<string, number[]>;
  memoryAvailable?: number;
  loadPerCpu?: number;
  up?: number;
}

export interface LocalPrometheus {
  url: string;
  /** Every query asked, in order. */
  queries: string[];
  close(): Promise<void>;
}

const MAX_STEPS = 11_000;

function instanceOf(query: string): string | null {
  const m = /instance="((?:[^"\\]|\\.)*)"/.exec(query);
  if (!m) return null;
  try {
    return JSON.parse(`"${m[1]}"`) as string;
  } catch {
    return null;
  }
}

export async function startLocalPrometheus(
  hosts: Record<string, PrometheusHostSeries>,
): Promise<LocalPrometheus> {
  const queries: string[] = [];
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== '/api/v1/query_range')
      return send(404, {
        status: 'error',
        errorType: 'not_found',
        error: `${url.pathname} is not served here`,
      });
    const query = url.searchParams.get('query') ?? '';
    const start = Number(url.searchParams.get('start'));
    const end = Number(url.searchParams.get('end'));
    const step = Number.parseFloat(url.searchParams.get('step') ?? '');
    queries.push(query);
    if (!(Number.isFinite(start) && Number.isFinite(end) && step > 0 && end >= start))
      return send(400, { status: 'error', errorType: 'bad_data', error: 'invalid start, end or step' });
    if ((end - start) / step > MAX_STEPS)
      return send(400, {
        status: 'error',
        errorType: 'bad_data',
        error: 'exceeded maximum resolution of 11,000 points per timeseries',
      });
    const instance = instanceOf(query);
    const host = instance === null ? undefined : hosts[instance];
    const times: number[] = [];
    for (let t = start; t <= end; t += step) times.push(t);
    /** A series whose values run over the window (a constant, or the given values spread out). */
    const series = (metric: Record<string, string>, values: number[]) => ({
      metric,
      values: times.map((t, i) => [
        t,
        String(values[Math.min(values.length - 1, Math.floor((i * values.length) / times.length))]),
      ]),
    });
    const matrix = (result: unknown[]) =>
      send(200, { status: 'success', data: { resultType: 'matrix', result } });
    const labels = { instance: instance ?? '', job: 'node' };
    if (query.startsWith('up{'))
      return matrix(host ? [series({ ...labels, __name__: 'up' }, [host.up ?? 1])] : []);
    if (query.startsWith('node_load1{'))
      return matrix(
        host?.loadPerCpu !== undefined ? [series({ instance: labels.instance }, [host.loadPerCpu])] : [],
      );
    if (query.startsWith('node_filesystem_avail_bytes{'))
      return matrix(
        Object.entries(host?.filesystemAvailable ?? {}).map(([mountpoint, values]) =>
          series({ ...labels, mountpoint, device: '/dev/nvme0n1p1', fstype: 'ext4' }, values),
        ),
      );
    if (query.startsWith('node_memory_MemAvailable_bytes{'))
      return matrix(host?.memoryAvailable !== undefined ? [series(labels, [host.memoryAvailable])] : []);
    return send(400, {
      status: 'error',
      errorType: 'bad_data',
      error: `this stand-in does not evaluate: ${query}`,
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    queries,
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
