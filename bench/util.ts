/** Small helpers shared by the bench sections: statistics, child processes, the result table. */
import { join } from 'node:path';
import { runProcess } from '../scripts/package.ts';

export const BENCH_DIR = import.meta.dirname;
export const ROOT = join(BENCH_DIR, '..');

export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest-rank: the p95 of 20 runs is the 19th value, never an interpolation below a real run.
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}
export const median = (values: number[]) => quantile(values, 0.5);

export interface ChildResult {
  importMs: number;
  invokeMs: number | null;
  maxRssKb: number;
  error: string | null;
  result?: string;
}

/** Runs bench/child.ts in a fresh Node process (bounded in time). */
export async function runChild(
  args: string[],
  env: Record<string, string | undefined>,
  nodeOptions: string[] = [],
  timeoutMs = 60_000,
): Promise<ChildResult> {
  const { stdout, stderr } = await runProcess(
    process.execPath,
    [...nodeOptions, join(BENCH_DIR, 'child.ts'), ...args],
    { cwd: process.cwd(), env: { ...process.env, ...env }, timeoutMs, capture: true },
  );
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as ChildResult;
  } catch {
    return { importMs: Number.NaN, invokeMs: null, maxRssKb: 0, error: stderr.slice(-300) || 'no output' };
  }
}

export interface Row {
  section: string;
  figure: string;
  value: string;
  budget: string;
  baseline: string;
  ratio: string;
  /** true = meets the budget, false = misses it, null = no budget (informational). */
  ok: boolean | null;
}

/** A row's cells in the table's column order. */
export function rowCells(r: Row): string[] {
  return [
    r.ok === null ? '' : r.ok ? 'ok' : 'MISS',
    `${r.section}: ${r.figure}`,
    r.value,
    r.budget,
    r.baseline,
    r.ratio,
  ];
}

export function renderTable(rows: Row[]): string {
  const head = ['', 'figure', 'value', 'budget', 'baseline (same run)', 'ratio'];
  const body = rows.map(rowCells);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...body.map(line)].join('\n');
}

export const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)} ms` : 'n/a');
export const kb = (bytes: number) => `${Math.round(bytes / 1024)} KB`;
export const x = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : 'n/a');
