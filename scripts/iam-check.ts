// `npm run iam:check` — every AWS call each function makes, proven allowed by its own role, offline.
//
//   node scripts/iam-check.ts [--template FILE] [--scenario NAME …]
//
// 1. Records every AWS API call each function makes in real local runs (the scenarios through the
//    real state machine and handlers, plus the HTTP/SNS intakes, the health sweep, the outbox drain
//    and the approval function), against moto and the local Jira, on loopback only.
// 2. Packages serverless.yml offline for the `local` stage (template only, see
//    scripts/iam/package-template.ts) unless --template names an `osls package` output to use.
// 3. Evaluates each call, and each call AWS makes with the function's role on its behalf, against
//    that function's role with @cloud-copilot/iam-simulate; prints one line per distinct
//    (function, action, resource type) and exits non-zero on any deny, on any call it cannot map
//    to IAM resources, and on any statement whose condition key the action does not support.
// 4. Evaluates the organization's IAM (scripts/iam/member.ts): the member stack's role allows
//    medic's actions on opted-in instances only, trusts the central functions with the external id
//    only, and the central bus admits the organization's accounts only.
import { readFileSync } from 'node:fs';
import { handlersFromServerless } from '../local/engine.ts';
import { check } from './iam/evaluate.ts';
import { checkOrganization } from './iam/member.ts';
import { packageTemplate } from './iam/package-template.ts';
import { deploymentArgs } from './iam/requests.ts';
import { recordRuns } from './iam/runs.ts';
import { type CfnTemplate, functionsIam, LOCAL_DEPLOYMENT } from './iam/template.ts';

/** Lambda logical id → serverless.yml function name, from serverless.yml. */
export function functionNames(): Map<string, string> {
  return new Map([...handlersFromServerless()].map(([id, h]) => [id, h.functionName]));
}

async function main(args: string[]): Promise<number> {
  const templateAt = args.indexOf('--template');
  const templateFile = templateAt >= 0 ? args[templateAt + 1] : undefined;
  const scenarios = args.flatMap((a, i) => (args[i - 1] === '--scenario' ? [a] : []));
  const say = (line: string) => console.error(line);
  // The organization's roles and bus policy (docs/member-stack.yml, serverless.yml): no runs needed.
  const organization = await checkOrganization();
  for (const line of organization.lines) console.log(line);
  say('recording the AWS calls of real local runs …');
  const runs = await recordRuns({ ...(scenarios.length > 0 ? { scenarios } : {}), say });
  say(templateFile ? `template: ${templateFile}` : 'packaging the template (osls package, stage local) …');
  // Packaged after the runs: the deployment names the hosted zones failover may change, and the
  // local zones only exist (with moto's ids) once the scenarios have made them.
  const template = templateFile
    ? (JSON.parse(readFileSync(templateFile, 'utf8')) as CfnTemplate)
    : await packageTemplate(LOCAL_DEPLOYMENT.stage, deploymentArgs(runs.calls));
  const functions = functionsIam(template, LOCAL_DEPLOYMENT, functionNames());
  const report = await check(runs.calls, functions, LOCAL_DEPLOYMENT, runs.facts);
  const silent = functions.filter((f) => !runs.calls.some((c) => c.functionName === f.functionName));
  for (const line of report.lines) console.log(line);
  if (silent.length > 0)
    say(`functions that made no AWS call of their own: ${silent.map((f) => f.functionName).join(', ')}`);
  const extra = report.findings.length > 0 ? `, unsupported condition keys: ${report.findings.length}` : '';
  console.log(`calls: ${report.calls}, denied: ${report.denied}${extra}`);
  return report.ok && organization.ok ? 0 : 1;
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
