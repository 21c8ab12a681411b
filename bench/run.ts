/**
 * `npm run bench` — medic's performance figures, each with its budget and a baseline measured in
 * the same run (the machine is shared and noisy: read the ratios, not the absolute times).
 *
 *   npm run bench                 # print the table
 *   npm run bench -- --readme     # also write it into README.md between the BENCH markers
 *   npm run bench -- --only storm # just the storm section
 *   npm run bench -- --only cold  # just the cold path (packages first); with --readme it
 *                                 # refreshes only the cold rows of the README table
 *   npm run bench -- --only chaos # just the whole crash matrix (`npm run chaos`, one row;
 *                                 # BENCH_CHAOS_ARGS='--scenarios unreachable' narrows it)
 *   BENCH_RUNS=20 BENCH_IMPORT_REPS=2 BENCH_COLD_RUNS=10 npm run bench
 *
 * Not part of `npm test`; the deterministic part (transitions per incident) is asserted by
 * test/transition-budget.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  RebootInstancesCommand,
} from '@aws-sdk/client-ec2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { handlersFromServerless, loadLocalMachine } from '../local/engine.ts';
import { setupScenario } from '../local/scenarios.ts';
import { runProcess } from '../scripts/package.ts';
import { tcpProbes } from '../shared/adapters/probes.ts';
import {
  AFTER_VERIFY_BUNDLE_BYTES,
  AFTER_VERIFY_FUNCTIONS,
  HOT_PATH_BUNDLE_BYTES,
  JIRA_FUNCTIONS,
  LATER_RUNG_BUNDLE_BYTES,
  LATER_RUNG_FUNCTIONS,
} from './budgets.ts';
import { type ColdPair, coldPair } from './cold.ts';
import {
  type FunctionBuild,
  importTimes,
  jiraWeight,
  packageFunctions,
  serverlessFunctions,
} from './coldstart.ts';
import { type IncidentMeasure, isMitigating, runOn } from './incident.ts';
import { stormIntake } from './storm.ts';
import { startBenchSubstrate } from './substrate.ts';
import { kb, median, ms, quantile, ROOT, type Row, renderTable, rowCells, runChild, x } from './util.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
/** `--only storm|cold|chaos`: one section, for iterating on it. */
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
if (ONLY !== null && ONLY !== 'storm' && ONLY !== 'cold' && ONLY !== 'chaos')
  throw new Error(`--only accepts "storm", "cold" or "chaos", not "${ONLY}"`);
if ((ONLY === 'storm' || ONLY === 'chaos') && process.argv.includes('--readme'))
  throw new Error(`--readme needs the whole table (or --only cold): drop --only ${ONLY}`);
/** The whole crash matrix takes 5–7 minutes on 2 busy cores; past this it counts as a miss. */
const CHAOS_TIMEOUT_MS = 20 * 60_000;
/** Narrows the matrix for a quick look (e.g. `--scenarios unreachable --kinds entry`); unset: all of it. */
const CHAOS_ARGS = (process.env.BENCH_CHAOS_ARGS ?? '').split(' ').filter(Boolean);
/** Pairs (warm run, cold run) of the cold section; medians of at least 10 make its figure. */
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 10);
const LOAD_AT_START = loadavg()
  .map((l) => l.toFixed(1))
  .join(' / ');
const IMPORT_REPS = Number(process.env.BENCH_IMPORT_REPS ?? 2);
/** Waits shortened by configuration (the engine's Wait override), as `MEDIC_SIM_WAIT_MS` does. */
const SHORT_WAIT_MS = 20;
const COMMON_WAIT_MS = 300;
const HEADLINE = ['unreachable', 'healthy', 'not-opted-in', 'reboot-does-not-help'];

// List prices, us-east-1 (2025): Step Functions Standard $0.025 per 1,000 state transitions;
// Lambda arm64 $0.0000133334 per GB-second (billed per 1 ms) and $0.20 per million requests.
const PRICE = { transition: 0.025 / 1000, request: 0.2 / 1e6, gbSecondArm: 0.0000133334 };

const rows: Row[] = [];
const notes: string[] = [];
const sectionTimes: string[] = [];
let sectionStarted = performance.now();
let sectionName = '';
/** Progress on stderr; also closes the previous section's timer (reported under the table). */
const log = (line: string, section?: string) => {
  if (section) {
    if (sectionName)
      sectionTimes.push(`${sectionName} ${((performance.now() - sectionStarted) / 1000).toFixed(0)} s`);
    sectionName = section;
    sectionStarted = performance.now();
  }
  process.stderr.write(`${line}\n`);
};

async function main() {
  const started = performance.now();
  const work = mkdtempSync(join(tmpdir(), 'medic-bench-'));
  const s = await startBenchSubstrate({ MEDIC_VERIFY_POLLS: '6' });
  try {
    let packagingMs: number | null = null;
    let builds: FunctionBuild[] = [];
    if (ONLY === null) {
      // ---- cold start (first: it does not need the substrate, and builds the bundles used below) ----
      log('packaging with osls (esbuild, minified) …', 'cold start');
      const pkg = await packageFunctions(join(work, 'pkg'));
      packagingMs = pkg.ms;
      builds = pkg.builds;
      for (const b of pkg.builds) {
        const t = await importTimes(b, IMPORT_REPS);
        const later = LATER_RUNG_FUNCTIONS.has(b.name);
        const afterVerify = AFTER_VERIFY_FUNCTIONS.has(b.name);
        const hot = !JIRA_FUNCTIONS.has(b.name) && !later && !afterVerify;
        const limit = later
          ? LATER_RUNG_BUNDLE_BYTES
          : afterVerify
            ? AFTER_VERIFY_BUNDLE_BYTES
            : HOT_PATH_BUNDLE_BYTES;
        rows.push({
          section: 'bundle',
          figure: `${b.name} (.mjs; zip ${kb(b.zipBytes)})`,
          value: kb(b.bundleBytes),
          budget:
            hot || later || afterVerify
              ? `≤ ${kb(limit)}${later ? ' (never the first rung)' : afterVerify ? ' (after Verify, tagged only)' : ''}`
              : 'reported',
          baseline: '',
          ratio: '',
          ok: hot || later || afterVerify ? b.bundleBytes <= limit : null,
        });
        rows.push({
          section: 'import',
          figure: `${b.name} bundle (with --enable-source-maps: ${ms(t.bundledSourceMaps)})`,
          value: ms(t.bundled),
          budget: '< unbundled',
          baseline: `unbundled ${ms(t.unbundled)}`,
          ratio: x(t.bundled / t.unbundled),
          ok: t.bundled < t.unbundled,
        });
        for (const e of t.errors) notes.push(`import ${b.name}: ${e}`);
      }
      const record = pkg.builds.find((b) => b.name === 'record');
      if (record) {
        const j = await jiraWeight(record, work, IMPORT_REPS);
        rows.push({
          section: 'jira',
          figure: `jira-client alone, bundled (${j.jiraPackages} packages)`,
          value: kb(j.jiraBundleBytes),
          budget: 'reported',
          baseline: `record bundle ${kb(record.bundleBytes)}`,
          ratio: x(j.jiraBundleBytes / record.bundleBytes),
          ok: null,
        });
        rows.push({
          section: 'jira',
          figure: 'jira-client import (bundled / from node_modules)',
          value: ms(j.jiraBundleImportMs),
          budget: 'reported',
          baseline: `node_modules ${ms(j.jiraNodeModulesImportMs)}`,
          ratio: x(j.jiraBundleImportMs / j.jiraNodeModulesImportMs),
          ok: null,
        });
        rows.push({
          section: 'jira',
          figure: `record with jira-client bundled, eager (${kb(j.eagerBytes)}): import`,
          value: ms(j.eagerImportMs),
          budget: 'reported',
          baseline: `record without it ${ms(j.recordImportMs)} (lazy: + ${ms(j.jiraBundleImportMs)} at first ticket)`,
          ratio: x(j.eagerImportMs / j.recordImportMs),
          ok: null,
        });
        rows.push({
          section: 'jira',
          figure: 'record bundle contains jira-client / zip ships it',
          value: `${j.recordBundlesJira ? 'yes' : 'no'} / ${j.zipShipsJira ? 'yes' : 'no'}`,
          budget: 'loadable',
          baseline: '',
          ratio: '',
          ok: j.recordBundlesJira || j.zipShipsJira,
        });
      }

      // ---- transitions, invocations, cost, memory: each headline scenario once, common Waits ----
      log('headline scenarios …', 'scenarios + memory');
      const machine = await loadLocalMachine();
      const captured = await captureHandlerInputs();
      const bundles = new Map(pkg.builds.map((b) => [b.name, b]));
      const memory = new Map<string, { rssKb: number; error: string | null; scenario: string }>();
      const byScenario = new Map<string, IncidentMeasure>();
      const memoryOf = serverlessFunctions();
      for (const scenario of HEADLINE) {
        await s.reset();
        captured.inputs.clear();
        log(`scenario ${scenario} …`);
        const m = await runOn(s, machine, scenario, COMMON_WAIT_MS, {
          // Peak RSS: replay each handler's real input from this run in a fresh process (like a
          // Lambda sandbox) on the bundle osls built, while the scenario's hosts are still up.
          beforeTeardown: async () => {
            for (const [name, input] of captured.inputs) {
              if (memory.has(name)) continue;
              const b = bundles.get(name);
              if (!b) continue;
              const file = join(work, `input-${name}.json`);
              writeFileSync(file, JSON.stringify(input));
              const r = await runChild([b.bundle, file], s.env);
              // Record must still file the ticket from its bundle (e.g. jira-client must be loadable).
              const noTicket = name === 'record' && !/"key"/.test(r.result ?? '');
              memory.set(name, {
                rssKb: r.maxRssKb,
                error: r.error ?? (noTicket ? `bundle filed no ticket: ${r.result}` : null),
                scenario,
              });
            }
          },
        });
        byScenario.set(scenario, m);
        const seconds = m.taskSpans.map((t) => Math.max(1, Math.ceil(t.exitedAt - t.enteredAt)) / 1000);
        const gbSeconds = m.taskSpans.reduce((sum, t, i) => {
          const mb = memoryOf.find((f) => captured.fnOfState.get(t.state) === f.name)?.memoryMb ?? 256;
          return sum + (seconds[i] ?? 0) * (mb / 1024);
        }, 0);
        const sfn = m.transitions * PRICE.transition;
        const lambda = m.invocations * PRICE.request + gbSeconds * PRICE.gbSecondArm;
        const common = scenario === 'unreachable';
        rows.push({
          section: 'transitions',
          figure: `${scenario} (${m.outcome}): to first action / whole run`,
          value: `${m.transitionsToFirstAction ?? '–'} / ${m.transitions}`,
          budget: common ? '≤ 12 / ≤ 20' : 'reported',
          baseline: '',
          ratio: '',
          ok: common
            ? (m.transitionsToFirstAction ?? 99) <= 12 && m.transitions <= 20 && m.outcome === 'resolved'
            : null,
        });
        rows.push({
          section: 'lambda',
          figure: `${scenario}: sequential hops to first action; invocations to it / whole run`,
          value: `${m.lambdaHopsToFirstAction ?? '–'}; ${m.invocationsToFirstAction ?? '–'} / ${m.invocations}`,
          budget: common ? '≤ 4 hops' : 'reported',
          baseline: '',
          ratio: '',
          ok: common ? (m.lambdaHopsToFirstAction ?? 99) <= 4 : null,
        });
        rows.push({
          section: 'cost',
          figure: `${scenario}: per incident (SFN $${sfn.toFixed(5)} + Lambda $${lambda.toFixed(6)})`,
          value: `$${(sfn + lambda).toFixed(5)}`,
          budget: common ? '≤ $0.001' : 'reported',
          baseline: '',
          ratio: '',
          ok: common ? sfn + lambda <= 0.001 : null,
        });
      }
      const noAction = byScenario.get('healthy');
      const commonRun = byScenario.get('unreachable');
      if (noAction && commonRun) {
        const row = rows.find((r) => r.section === 'transitions' && r.figure.startsWith('unreachable'));
        if (row) {
          row.baseline = `no-action incident (healthy) ${noAction.transitions}`;
          row.ratio = x(commonRun.transitions / noAction.transitions);
        }
      }
      const bare = await runChild(['-'], s.env);
      for (const [name, m] of memory) {
        rows.push({
          section: 'memory',
          figure: `${name} peak RSS (bundle, replayed from ${m.scenario})${m.error ? ` — ${m.error}` : ''}`,
          value: `${Math.round(m.rssKb / 1024)} MB`,
          budget: '< 256 MB (memorySize)',
          baseline: `bare node ${Math.round(bare.maxRssKb / 1024)} MB`,
          ratio: x(m.rssKb / bare.maxRssKb),
          ok: m.rssKb / 1024 < 256 && !m.error,
        });
      }

      // ---- time to first mitigating action: unreachable, Waits shortened, RUNS runs ----
      log(`time to first action: ${RUNS} runs (+ ${Math.ceil(RUNS / 2)} baseline runs) …`, 'first action');
      const total: number[] = [];
      const split: Record<string, number[]> = {
        admit: [],
        evidence: [],
        assess: [],
        act: [],
      };
      const floor: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        await s.reset();
        const m = await runOn(s, machine, 'unreachable', SHORT_WAIT_MS);
        if (!m.firstAction) {
          notes.push(`run ${i}: no mitigating action (${m.status}, ${m.outcome})`);
          continue;
        }
        total.push(m.firstAction.at - m.startedAt);
        const span = (name: string) => {
          const sp = m.firstSpan.get(name);
          return sp ? sp.exitedAt - sp.enteredAt : Number.NaN;
        };
        split.admit?.push(span('Admit'));
        split.evidence?.push(span('GatherEvidence'));
        split.assess?.push(span('Decide'));
        const actor = m.firstAction.state ? m.firstSpan.get(m.firstAction.state) : undefined;
        split.act?.push(actor ? m.firstAction.at - actor.enteredAt : Number.NaN);
        // The baseline on every other run: enough for its median, and keeps the bench near 4 minutes.
        if (i % 2 === 0) {
          await s.reset();
          floor.push(await floorPath(s));
        }
      }
      const med = median(total);
      const p95 = quantile(total, 0.95);
      const floorMed = median(floor);
      rows.push({
        section: 'first action',
        figure: `unreachable, median of ${total.length} (Waits ${SHORT_WAIT_MS} ms)`,
        value: ms(med),
        budget: '≤ 1500 ms',
        baseline: `same calls + probes, no engine, median of ${floor.length} ${ms(floorMed)}`,
        ratio: x(med / floorMed),
        ok: med <= 1500,
      });
      rows.push({
        section: 'first action',
        figure: `unreachable, p95 of ${total.length}`,
        value: ms(p95),
        budget: '≤ 1500 ms',
        baseline: `p95 ${ms(quantile(floor, 0.95))}`,
        ratio: x(p95 / quantile(floor, 0.95)),
        ok: p95 <= 1500,
      });
      for (const [part, values] of Object.entries(split)) {
        rows.push({
          section: 'first action',
          figure: `  split: ${part}${part === 'act' ? ' (Task entered → call at moto)' : ''} median`,
          value: ms(median(values)),
          budget: '',
          baseline: '',
          ratio: `${Math.round((median(values) / med) * 100)} %`,
          ok: null,
        });
      }
    }

    if (ONLY === null || ONLY === 'cold') {
      if (builds.length === 0) {
        log('packaging with osls (esbuild, minified) …', 'packaging');
        const pkg = await packageFunctions(join(work, 'pkg'));
        packagingMs = pkg.ms;
        builds = pkg.builds;
      }
      await coldSection(s, builds, work);
    }

    if (ONLY === null || ONLY === 'storm') await stormSection(s);
    if (ONLY === null || ONLY === 'chaos') await chaosSection();
    log('done', 'end');
    const elapsed = (performance.now() - started) / 1000;

    const machineLine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GB RAM, Node ${process.versions.node}, ${process.platform}/${process.arch}; load average ${LOAD_AT_START} at start`;
    const table = renderTable(rows);
    const text = [
      `medic bench — ${new Date().toISOString().slice(0, 16)}Z, ${elapsed.toFixed(0)} s, osls package ${packagingMs === null ? 'skipped' : `${(packagingMs / 1000).toFixed(0)} s`}`,
      `machine: ${machineLine}`,
      `sections: ${sectionTimes.join(', ')}`,
      '',
      table,
      ...(notes.length ? ['', ...notes.map((n) => `note: ${n}`)] : []),
    ].join('\n');
    process.stdout.write(`${text}\n`);
    if (process.argv.includes('--readme')) {
      if (ONLY === 'cold') writeReadmeRows('cold', rows, notes, machineLine);
      else writeReadme(text);
    }
  } finally {
    await s.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * First action with every Lambda on the way cold (fresh process on its bundle) against the same
 * incident warm, in pairs (see bench/cold.ts for how the cold figure is made).
 */
async function coldSection(
  s: Awaited<ReturnType<typeof startBenchSubstrate>>,
  builds: FunctionBuild[],
  work: string,
) {
  log(`cold path: ${COLD_RUNS} pairs of runs (warm, then each Lambda on the way cold) …`, 'cold path');
  const machine = await loadLocalMachine();
  const bundles = new Map(builds.map((b) => [b.name, b]));
  // One unmeasured warm run first: the in-process handlers are imported on first use, and the
  // warm figure is of handlers already loaded (alone, `--only cold` would time their import).
  await s.reset();
  await runOn(s, machine, 'unreachable', SHORT_WAIT_MS);
  const pairs: ColdPair[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const pair = await coldPair({ machine, substrate: s, bundles, work, waitMs: SHORT_WAIT_MS });
    for (const p of pair.problems) notes.push(`cold run ${i}: ${p}`);
    if (Number.isFinite(pair.coldMs) && Number.isFinite(pair.warmMs)) pairs.push(pair);
  }
  const warm = median(pairs.map((p) => p.warmMs));
  const cold = median(pairs.map((p) => p.coldMs));
  const hops = pairs[0]?.warm.lambdaHopsToFirstAction ?? null;
  rows.push({
    section: 'cold',
    figure: `unreachable: first action, each of the ${hops ?? '?'} Lambda hops a fresh process on its bundle, median of ${pairs.length}`,
    value: ms(cold),
    budget: '≤ 1.5 × warm',
    baseline: `warm (in-process), median of ${pairs.length} ${ms(warm)}`,
    ratio: x(cold / warm),
    ok: pairs.length >= Math.min(10, COLD_RUNS) && cold / warm <= 1.5,
  });
  rows.push({
    section: 'cold',
    figure: '  outside the Lambdas (engine, state passing; from the warm runs) median',
    value: ms(median(pairs.map((p) => p.outsideLambdaMs))),
    budget: '',
    baseline: '',
    ratio: '',
    ok: null,
  });
  const labels = pairs[0]?.hops.map((h) => h.label) ?? [];
  labels.forEach((label, k) => {
    const c = median(pairs.map((p) => p.hops[k]?.coldMs ?? Number.NaN));
    const w = median(pairs.map((p) => p.hops[k]?.warmMs ?? Number.NaN));
    rows.push({
      section: 'cold',
      figure: `  hop ${k + 1}: ${label}${k === labels.length - 1 ? ' (to the call at moto)' : ''}, fresh process median`,
      value: ms(c),
      budget: '',
      baseline: `in-process ${ms(w)}`,
      ratio: x(c / w),
      ok: null,
    });
  });
}

/**
 * The whole crash matrix (`npm run chaos`: every Task of the common path and of each ladder rung,
 * failed three ways), in its own process on its own moto and Jira. `npm test` runs a reduced set;
 * the whole one is too long for every CI run, so it is a row here: it must find no violation.
 */
async function chaosSection() {
  log('chaos: the whole crash matrix …', 'chaos');
  const run = await runProcess(process.execPath, [join(ROOT, 'scripts', 'chaos.ts'), ...CHAOS_ARGS], {
    cwd: ROOT,
    timeoutMs: CHAOS_TIMEOUT_MS,
    capture: true,
  });
  const last = run.stdout.trim().split('\n').pop() ?? '';
  const counted = /^crash points: (\d+), violations: (\d+)$/.exec(last);
  const took = /^took (\d+) s$/m.exec(run.stdout)?.[1];
  if (!counted)
    notes.push(`chaos did not finish (${run.signal ?? `exit ${run.code}`}): ${run.stderr.slice(-300)}`);
  for (const line of run.stdout.split('\n').filter((l) => /VIOLATION|✗/.test(l)))
    notes.push(`chaos: ${line.trim()}`);
  rows.push({
    section: 'chaos',
    figure: `crash at every Task boundary, ${CHAOS_ARGS.length ? `narrowed (${CHAOS_ARGS.join(' ')})` : 'the whole matrix'}${took ? ` (${took} s)` : ''}`,
    value: counted ? `${counted[1]} crash points, ${counted[2]} violations` : 'did not finish',
    budget: '0 violations',
    baseline: 'a reduced set runs in npm test',
    ratio: '',
    ok: counted !== null && counted[2] === '0' && run.code === 0,
  });
}

async function stormSection(s: Awaited<ReturnType<typeof startBenchSubstrate>>) {
  // ---- storm intake ----
  log('storm intake: 1,000 events …', 'storm');
  await s.reset();
  const admitBinding = [...handlersFromServerless().values()].find((h) =>
    h.file.endsWith('functions/admit.ts'),
  );
  const admitModule = (await import(
    pathToFileURL(admitBinding?.file ?? join(ROOT, 'functions', 'admit.ts')).href
  )) as {
    handler: (e: unknown, c: unknown) => Promise<unknown>;
  };
  const storm = await stormIntake({
    ec2: s.ec2,
    moto: s.moto,
    intake: admitModule.handler,
    instances: 200,
    duplicates: 5,
    concurrency: 10,
  });
  rows.push({
    section: 'storm',
    figure: `intake, ${storm.events} events (${storm.instances} instances × 5), concurrency 10`,
    value: `${Math.round(storm.eventsPerSecond)} events/s`,
    budget: '≥ 200 events/s',
    baseline: `1 DescribeInstances/event ${Math.round(storm.baselineEventsPerSecond)}/s`,
    ratio: x(storm.eventsPerSecond / storm.baselineEventsPerSecond),
    ok: storm.eventsPerSecond >= 200,
  });
  // The same storm spread over an organization, in the same run: every delivery keyed and counted by
  // account, the organization-wide guard tripping once. Each member account's instances live in
  // that account (moto binds them to it) and Admit looks them up there, through the member role.
  log('storm intake: organization-wide, 3 accounts …', 'storm');
  await s.reset();
  const org = await stormIntake({
    ec2: s.ec2,
    moto: s.moto,
    intake: admitModule.handler,
    instances: 200,
    duplicates: 5,
    concurrency: 10,
    accounts: ['123456789012', '222222222222', '333333333333'],
  });
  rows.push({
    section: 'storm',
    figure: `intake, organization-wide storm: ${org.events} events over 3 accounts (dispositions ${JSON.stringify(org.dispositions)})`,
    value: `${Math.round(org.eventsPerSecond)} events/s`,
    budget: '≥ 200 events/s',
    baseline: `single account ${Math.round(storm.eventsPerSecond)}/s`,
    ratio: x(org.eventsPerSecond / storm.eventsPerSecond),
    ok: org.eventsPerSecond >= 200 && org.instancesOpenedTwice === 0,
  });
  rows.push({
    section: 'storm',
    figure: `floor: 1 conditional PutItem/event (dedupe first; ${storm.dedupeFloorFirstWrites} first writes)`,
    value: `${Math.round(storm.dedupeFloorEventsPerSecond)} events/s`,
    budget: 'reported',
    baseline: `1 DescribeInstances/event ${Math.round(storm.baselineEventsPerSecond)}/s`,
    ratio: x(storm.dedupeFloorEventsPerSecond / storm.baselineEventsPerSecond),
    ok: null,
  });
  const callCount = Object.values(storm.callsByAction).reduce((a, b) => a + b, 0);
  rows.push({
    section: 'storm',
    figure: `AWS calls per delivery (${Object.entries(storm.callsByAction)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')})`,
    value: (callCount / storm.events).toFixed(2),
    budget: 'reported',
    baseline: `handler CPU ${storm.handlerCpuMsPerEvent.toFixed(2)} ms/delivery`,
    ratio: '',
    ok: null,
  });
  // An incident is a delivery Admit let through ('open'); the fleet guard holds the rest
  // of a storm ('storm'), and duplicates end at once. Budget: every delivery has a disposition,
  // and no instance gets a second open incident.
  const admittedTotal = Object.values(storm.dispositions).reduce((a, b) => a + b, 0);
  rows.push({
    section: 'storm',
    figure: `incidents opened (dispositions ${JSON.stringify(storm.dispositions)}, of which settled before any lookup ${JSON.stringify(storm.decidedByIntake)}${Object.keys(storm.rejected).length ? `; errors ${JSON.stringify(storm.rejected)}` : ''})`,
    value: String(storm.incidentsCreated),
    budget: 'one per instance that passed the guard',
    baseline: `${storm.instances} instances`,
    ratio: '',
    ok:
      storm.instancesOpenedTwice === 0 &&
      admittedTotal + Object.values(storm.rejected).reduce((a, b) => a + b, 0) === storm.events,
  });
}

/**
 * The baseline for the time to first action: the same external work medic must do before it can
 * act — describe, notify, describe + status + probes (in parallel), reboot — issued directly,
 * with no engine, no handlers, no middy and no state passing.
 */
async function floorPath(s: Awaited<ReturnType<typeof startBenchSubstrate>>): Promise<number> {
  const world = await setupScenario('unreachable', { ec2: s.ec2, moto: s.moto, now: new Date() });
  try {
    const sns = new SNSClient({ endpoint: s.moto.endpoint, region: 'us-east-1' });
    const id = world.instanceIds[0] as string;
    const before = (await s.moto.calls()).at(-1)?.seq ?? 0;
    const t0 = Date.now();
    const described = await s.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    const tags = Object.fromEntries(
      (described.Reservations?.[0]?.Instances?.[0]?.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']),
    );
    await sns.send(new PublishCommand({ TopicArn: s.env.MEDIC_STAKEHOLDER_TOPIC_ARN, Message: 'opened' }));
    const timeoutMs = Number(s.env.MEDIC_PROBE_TIMEOUT_MS);
    await Promise.all([
      s.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] })),
      s.ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id], IncludeAllInstances: true })),
      tcpProbes.tcp('127.0.0.1', Number(tags['medic:ssh-port']), { timeoutMs, readBanner: true }),
      tcpProbes.http(tags['medic:health-url'] ?? '', timeoutMs),
    ]);
    await s.ec2.send(new RebootInstancesCommand({ InstanceIds: [id] }));
    const call = (await s.moto.calls()).find((c) => c.seq > before && isMitigating(c));
    return call ? Date.parse(call.at) - t0 : Number.NaN;
  } finally {
    await world.teardown();
  }
}

/**
 * Records the first input each handler receives in-process: middy's `use()` adds a `before` hook to
 * the very handler object the engine invokes (same module instance), so nothing is re-implemented.
 */
async function captureHandlerInputs() {
  const inputs = new Map<string, unknown>();
  const fnOfState = new Map<string, string>();
  const byFile = new Map(serverlessFunctions().map((f) => [f.source, f.name]));
  const raw = JSON.parse(readFileSync(join(ROOT, 'statemachines', 'incident.asl.json'), 'utf8'));
  const { prepareDefinition } = await import('../local/engine.ts');
  const bindings = handlersFromServerless();
  const hooked = new Set<string>();
  for (const task of prepareDefinition(raw).tasks) {
    const binding = bindings.get(task.logicalId);
    const name = binding ? byFile.get(binding.file) : undefined;
    if (!binding || !name) continue;
    fnOfState.set(task.stateName, name);
    const mod = (await import(pathToFileURL(binding.file).href)) as Record<
      string,
      { use?: (m: { before: (r: { event: unknown }) => void }) => unknown }
    >;
    const handler = mod[binding.exportName];
    if (handler?.use && !hooked.has(name)) {
      hooked.add(name);
      handler.use({
        before: (request) => {
          if (!inputs.has(name)) inputs.set(name, structuredClone(request.event));
        },
      });
    }
  }
  return { inputs, fnOfState };
}

function writeReadme(text: string) {
  const path = join(ROOT, 'README.md');
  const readme = readFileSync(path, 'utf8');
  const begin = '<!-- BENCH:BEGIN (generated by `npm run bench -- --readme`) -->';
  const end = '<!-- BENCH:END -->';
  const block = `${begin}\n\`\`\`text\n${text}\n\`\`\`\n${end}`;
  const from = readme.indexOf(begin);
  const to = readme.indexOf(end);
  if (from < 0 || to < 0) throw new Error('README.md has no BENCH markers');
  writeFileSync(path, readme.slice(0, from) + block + readme.slice(to + end.length));
}

await main();

/**
 * `--only cold --readme`: refreshes one section's rows of the README table in place and says so
 * under the table. The other rows keep the figures (and the lines) of the whole run that wrote
 * them; the new rows are padded to the table's columns (a longer cell just overflows).
 */
function writeReadmeRows(section: string, fresh: Row[], freshNotes: string[], machineLine: string) {
  const path = join(ROOT, 'README.md');
  const readme = readFileSync(path, 'utf8');
  const begin = '<!-- BENCH:BEGIN (generated by `npm run bench -- --readme`) -->';
  const from = readme.indexOf(begin);
  const to = readme.indexOf('<!-- BENCH:END -->');
  if (from < 0 || to < 0) throw new Error('README.md has no BENCH markers');
  const lines = readme.slice(from, to).split('\n');
  const tableAt = lines.findIndex((l) => l.startsWith('| '));
  if (tableAt < 0) throw new Error('the README bench block has no table: run the whole bench');
  let end = tableAt;
  while (lines[end]?.startsWith('| ')) end++;
  const widths = (lines[tableAt + 1] ?? '')
    .slice(2, -2)
    .split(' | ')
    .map((dashes) => dashes.length);
  const rendered = fresh.map((r) => {
    return `| ${rowCells(r)
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join(' | ')} |`;
  });
  const body = lines.slice(tableAt + 2, end);
  const mine = (l: string) => (l.split(' | ')[1] ?? '').startsWith(`${section}: `);
  const at = body.findIndex(mine);
  const kept = body.filter((l) => !mine(l));
  const merged = at < 0 ? [...kept, ...rendered] : [...kept.slice(0, at), ...rendered, ...kept.slice(at)];
  const marker = `note: ${section} rows: \`npm run bench -- --only ${section} --readme\``;
  const rest = lines
    .slice(end)
    .filter((l) => !l.startsWith(marker) && !l.startsWith(`note: ${section} run `));
  const stamp = `${marker} at ${new Date().toISOString().slice(0, 16)}Z (${machineLine})`;
  const notesOut = freshNotes.map((n) => `note: ${section} run — ${n}`);
  const closing = rest.findIndex((l) => l.startsWith('```'));
  const tail = closing < 0 ? rest : [...rest.slice(0, closing), stamp, ...notesOut, ...rest.slice(closing)];
  const block = [...lines.slice(0, tableAt + 2), ...merged, ...tail].join('\n');
  writeFileSync(path, readme.slice(0, from) + block + readme.slice(to));
}
