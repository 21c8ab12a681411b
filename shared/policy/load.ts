/**
 * Recovered under load: after the probes say the service is back, a burst against the health URL
 * either confirms it or sends the ladder on ("answers one probe, fails under load").
 */
import { LOAD_CAPS, type LoadCheck, type LoadResult } from '../domain/load-check.ts';

export type LoadVerdict = { pass: true } | { pass: false; why: string[] };

export function judgeLoad(check: LoadCheck, r: LoadResult): LoadVerdict {
  const why: string[] = [];
  if (r.requests === 0) why.push('no request of the burst was answered');
  if (r.cutShort)
    why.push(`${r.requests} of ${check.requests} requests answered within the ${LOAD_CAPS.seconds} s cap`);
  if (r.p99Ms > check.p99Ms) why.push(`p99 ${r.p99Ms} ms over the ${check.p99Ms} ms limit`);
  if (r.errorPct > check.maxErrorPct)
    why.push(`errors ${r.errorPct.toFixed(1)}% over the ${check.maxErrorPct}% limit`);
  return why.length === 0 ? { pass: true } : { pass: false, why };
}

/**
 * The sweep's routine stress check: a regression against the service's own baseline (p99 more
 * than `factor` times the baseline's), or a burst that fails the tag's limits outright.
 */
export function loadRegression(
  check: LoadCheck,
  r: LoadResult,
  baseline: { p99Ms: number } | null,
  factor = 1.5,
): string | null {
  const verdict = judgeLoad(check, r);
  if (!verdict.pass) return verdict.why.join('; ');
  if (baseline && baseline.p99Ms > 0 && r.p99Ms > baseline.p99Ms * factor)
    return `p99 ${r.p99Ms} ms is ${(r.p99Ms / baseline.p99Ms).toFixed(1)}× the baseline ${baseline.p99Ms} ms`;
  return null;
}

/** The baseline moves slowly (an exponential average) and only on healthy bursts. */
export function nextBaseline(
  baseline: { p99Ms: number; samples: number } | null,
  r: LoadResult,
  healthy: boolean,
) {
  if (!healthy) return baseline;
  if (!baseline) return { p99Ms: r.p99Ms, samples: 1 };
  return { p99Ms: Math.round(baseline.p99Ms * 0.8 + r.p99Ms * 0.2), samples: baseline.samples + 1 };
}
