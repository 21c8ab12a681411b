// `npx node scripts/ladder-transitions.ts [SCENARIO…]` — runs the mitigation ladder's scenarios
// with `medic simulate` (one process per scenario, one shared moto and Jira) and prints
// a Markdown table: outcome, actions, and the state transitions counted from the local engine's
// event log (every StateEntered event is one "  → State" progress line), with the path the
// per-instance loop took. Honours MEDIC_VERIFY_POLLS / MEDIC_SIM_WAIT_MS from the environment.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startJiraServer } from '../local/jira-server.ts';
import { startMoto } from '../local/moto.ts';

const LADDER = [
  'reboot-fixes',
  'reboot-fails-stopstart-fixes',
  'app-restart-fixes',
  'failover-target-group',
  'failover-eip',
  'failover-route53',
  'failover-asg',
  'nothing-works',
  'dry-run',
  'approve-granted',
  'approve-rejected',
  'approve-timeout',
];
const BIN = join(import.meta.dirname, '..', 'bin', 'medic.mjs');

/** "A→B→C→A→B→C" → "(A→B→C)×2" for the Wait loops, so a path stays readable. */
function compress(states: string[]): string {
  const out: string[] = [];
  for (let i = 0; i < states.length; ) {
    const loop = states.slice(i, i + 3).join('→');
    let n = 1;
    while (/Wait/.test(loop) && states.slice(i + 3 * n, i + 3 * n + 3).join('→') === loop) n++;
    out.push(n > 1 ? `(${loop})×${n}` : (states[i] ?? ''));
    i += n > 1 ? 3 * n : 1;
  }
  return out.join('→');
}

const scenarios = process.argv.slice(2).length ? process.argv.slice(2) : LADDER;
const moto = await startMoto();
const jira = await startJiraServer({
  email: 'medic@example.com',
  apiToken: 'local-token',
  projectKey: 'OPS',
});
console.log('| scenario | outcome | actions | transitions | path inside Investigate (per instance) |');
console.log('|---|---|---|---|---|');
try {
  for (const scenario of scenarios) {
    // Asynchronous on purpose: the local Jira answers from this process's event loop.
    const run = await new Promise<{ stdout: string; stderr: string; status: number | null }>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'simulate', '--scenario', scenario], {
        env: {
          ...process.env,
          AWS_ENDPOINT_URL: moto.endpoint,
          JIRA_BASE_URL: jira.baseUrl,
          AWS_REGION: 'us-east-1',
        },
        timeout: 300_000,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
      });
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      child.on('close', (status) => resolve({ stdout, stderr, status }));
    });
    const states = [...run.stdout.matchAll(/^ {2}→ (\w+)/gm)].map((m) => m[1] ?? '');
    const inner = states.slice(states.indexOf('GatherEvidence'), states.indexOf('Close'));
    const outcome = /^Incident .* — (\S+)$/m.exec(run.stdout)?.[1]?.toLowerCase() ?? `exit ${run.status}`;
    const actions = /^ {2}actions: +(.*)$/m.exec(run.stdout)?.[1] ?? '';
    if (process.env.DEBUG_LADDER) console.error(run.stdout, run.stderr);
    console.log(`| ${scenario} | ${outcome} | ${actions} | ${states.length} | ${compress(inner)} |`);
  }
} finally {
  await jira.close();
  await moto.stop();
}
