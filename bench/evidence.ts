/**
 * Evidence benchmark: how long each GatherEvidence branch takes on the local substrate
 * (moto + loopback fake hosts), and what the whole Parallel step costs — the branches run
 * concurrently, so the step should cost about its slowest branch, not their sum.
 *
 *   npx node bench/evidence.ts [--iterations N] [--scenario NAME]
 *
 * Runs the real handlers in-process (as the local engine does) against one moto it starts and
 * stops itself. Reports medians and ratios from one run; nothing is asserted (CPU is shared).
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { startMoto } from '../local/moto.ts';
import { setupScenario } from '../local/scenarios.ts';
import type { IncidentState, InstanceCase } from '../shared/domain/model.ts';
import { motoProcessEnv } from '../test/support/moto.ts';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? (args[i + 1] as string) : fallback;
};
const iterations = Math.max(1, Math.min(50, Number(arg('--iterations', '7'))));
const scenario = arg('--scenario', 'app-down');

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const ms = (x: number) => `${x.toFixed(1)} ms`;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function main() {
  const moto = await startMoto();
  let world: Awaited<ReturnType<typeof setupScenario>> | null = null;
  try {
    Object.assign(process.env, {
      ...motoProcessEnv(moto.endpoint),
      MEDIC_STAKEHOLDER_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:medic-bench',
      MEDIC_PROBES_LOOPBACK_ONLY: 'true',
      MEDIC_PROBE_TIMEOUT_MS: process.env.MEDIC_PROBE_TIMEOUT_MS ?? '500',
      MEDIC_SSM_POLL_MS: process.env.MEDIC_SSM_POLL_MS ?? '100',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    const ec2 = new EC2Client({ endpoint: moto.endpoint, region: 'us-east-1' });
    world = await setupScenario(scenario, { ec2, moto, now: new Date() });

    const load = async (file: string) =>
      ((await import(`../functions/${file}.ts`)) as { handler: Handler }).handler;
    const intake = await load('intake');
    const state = (await intake({ event: world.event, execution: {} }, {})) as IncidentState;
    const c = state.cases?.[0] as InstanceCase;
    const branches: [string, Handler][] = [
      ['EvidenceEc2', await load('evidence-ec2')],
      ['EvidenceReachability', await load('evidence-reachability')],
      ['EvidenceResources', await load('evidence-resources')],
      ['EvidenceHost', await load('evidence-host')],
      ['EvidenceAlerts', await load('evidence-alerts')],
    ];
    const ctx = { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 30_000 };
    const run = (h: Handler) => h(structuredClone(c), { ...ctx });

    // Warm-up: first SDK calls pay for client setup and moto's lazy backends.
    await Promise.all(branches.map(([, h]) => run(h)));

    const each = new Map<string, number[]>(branches.map(([n]) => [n, []]));
    const sequentialSum: number[] = [];
    const parallelAll: number[] = [];
    const parallelBefore: number[] = [];
    for (let i = 0; i < iterations; i++) {
      let sum = 0;
      for (const [name, h] of branches) {
        const t = await timed(() => run(h));
        each.get(name)?.push(t);
        sum += t;
      }
      sequentialSum.push(sum);
      parallelAll.push(await timed(() => Promise.all(branches.map(([, h]) => run(h)))));
      // The walking skeleton's Parallel: EC2 + reachability only.
      parallelBefore.push(await timed(() => Promise.all(branches.slice(0, 2).map(([, h]) => run(h)))));
    }

    const lines = [
      `evidence bench — scenario ${scenario}, ${iterations} iterations, medians (one run, shared CPU)`,
      '',
      '| branch | median | min | max |',
      '| --- | ---: | ---: | ---: |',
      ...branches.map(([n]) => {
        const xs = each.get(n) ?? [];
        return `| ${n} | ${ms(median(xs))} | ${ms(Math.min(...xs))} | ${ms(Math.max(...xs))} |`;
      }),
      '',
      `sum of the five branches run one after another: ${ms(median(sequentialSum))}`,
      `GatherEvidence, five branches concurrently:      ${ms(median(parallelAll))}`,
      `GatherEvidence, the skeleton's two branches:     ${ms(median(parallelBefore))}`,
      `concurrent / sequential: ${(median(parallelAll) / median(sequentialSum)).toFixed(2)}`,
      `added latency of the three new branches: ${ms(median(parallelAll) - median(parallelBefore))} (${(median(parallelAll) / median(parallelBefore)).toFixed(2)}× the two-branch step)`,
    ];
    console.log(lines.join('\n'));
  } finally {
    await world?.teardown().catch(() => undefined);
    await moto.stop();
  }
  process.exit(0);
}

await main();
