// `node scripts/ladder-transitions.ts [SCENARIO…]` — runs the mitigation ladder's scenarios (issue
// #4) through `medic simulate` in one process and prints, per scenario, the outcome, the actions
// and the state transitions counted from the local engine's event log (StateEntered events), with
// the per-instance path the ItemProcessor took. Uses MEDIC_VERIFY_POLLS / MEDIC_SIM_WAIT_MS as set.
import { simulate } from '../shared/local/simulate.ts';

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

const scenarios = process.argv.slice(2).length ? process.argv.slice(2) : LADDER;
console.log('| scenario | outcome | actions | transitions | path inside Investigate |');
console.log('|---|---|---|---|---|');
for (const scenario of scenarios) {
  const states: string[] = [];
  const result = await simulate({
    scenario,
    progress: (line) => {
      const m = /^ {2}→ (\w+)/.exec(line);
      if (m?.[1]) states.push(m[1]);
    },
  });
  const inner = states.slice(states.indexOf('GatherEvidence'), states.indexOf('Record'));
  // Compress runs of the verify/poll loops: "VerifyWait→Verify→NextStep ×3".
  const path: string[] = [];
  for (let i = 0; i < inner.length; ) {
    let n = 1;
    const loop = inner.slice(i, i + 3).join('→');
    while (inner.slice(i + 3 * n, i + 3 * n + 3).join('→') === loop && /Wait/.test(loop)) n++;
    path.push(n > 1 ? `(${loop})×${n}` : (inner[i] ?? ''));
    i += n > 1 ? 3 * n : 1;
  }
  const actions = result.actions.map((a) => `${a.kind}:${a.outcome}`).join(', ');
  console.log(`| ${scenario} | ${result.outcome} | ${actions} | ${result.transitions} | ${path.join('→')} |`);
}
