// `npm run chaos` — a crash at every Task boundary of the common path and of each ladder rung
// (fails at entry, dies after its AWS calls, answers twice), on one moto and one local Jira, with
// the invariants checked after each run. One line per crash point; the last line is the count;
// the exit code is non-zero when any invariant was broken.
// `--kinds entry,timeout`, `--scenarios unreachable` or `--states Admit,Record` narrow the matrix.
import { CHAOS_SCENARIOS, CRASH_KINDS, type CrashKind, formatResult, startChaos } from '../local/chaos.ts';

function listArg(name: string): string[] | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]?.split(',').filter(Boolean) : undefined;
}

const scenarios = listArg('scenarios') ?? [...CHAOS_SCENARIOS];
const states = listArg('states');
const kinds = (listArg('kinds') ?? [...CRASH_KINDS]) as CrashKind[];
for (const k of kinds)
  if (!(CRASH_KINDS as readonly string[]).includes(k))
    throw new Error(`unknown crash kind "${k}" (${CRASH_KINDS.join(', ')})`);

const started = Date.now();
const chaos = await startChaos();
let points = 0;
let violations = 0;
try {
  const { points: plan, baseline } = await chaos.plan(scenarios, kinds);
  for (const b of baseline) {
    // A clean run that already breaks an invariant would make every crash point's verdict moot.
    console.log(`baseline ${formatResult(b)}`);
    violations += b.violations.length;
  }
  for (const point of plan.filter((p) => !states || states.includes(p.state))) {
    const result = await chaos.runPoint(point);
    points++;
    violations += result.violations.length;
    console.log(formatResult(result));
  }
} finally {
  await chaos.stop();
}
console.log(`took ${Math.round((Date.now() - started) / 1000)} s`);
console.log(`crash points: ${points}, violations: ${violations}`);
process.exit(violations > 0 ? 1 : 0);
