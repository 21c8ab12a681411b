/**
 * The `medic` command. Errors a person can act on print as one line (no stack trace) with a
 * non-zero exit; anything else is a bug and prints in full.
 */
import { parseArgs } from 'node:util';
import { USER_FACING_ERRORS } from '../../shared/errors.ts';
import { SCENARIOS } from '../scenarios.ts';
import { type SimulationResult, simulate } from '../simulate.ts';

const HELP = `medic — a serverless first responder for EC2 alarms

Usage:
  medic simulate --scenario NAME [--json]   run a scenario end to end on moto + a local Jira
  medic simulate --scenario storm [--instances N] [--json]
                                            N instances alarm at once: the fleet guard trips
  medic simulate --scenario NAME [--json] [--report FILE]
                                            run a scenario end to end on moto + a local Jira;
                                            writes an HTML incident report (default
                                            reports/<incident>.html)
  medic simulate --event FILE [--json]      run the workflow for an event file (CloudWatch alarm
                                            event or manual input) against AWS_ENDPOINT_URL
  medic serve [--port P] [--host 127.0.0.1|::1]
                                            the HTTP intake on loopback (default port 9095):
                                            each accepted webhook runs the workflow in-process;
                                            needs MEDIC_WEBHOOK_SECRET; stops on Ctrl-C / SIGTERM
  medic demo                                the headline scenarios, human-readable
  medic --help

Scenarios: ${Object.keys(SCENARIOS).join(', ')}

Environment (simulate): AWS_ENDPOINT_URL (use this moto instead of starting one), JIRA_BASE_URL,
JIRA_PROJECT_KEY, JIRA_EMAIL, JIRA_API_TOKEN (use this Jira instead of the local one). Only
loopback endpoints are accepted. MEDIC_SIM_WAIT_MS shortens every Wait state (default 300).
approve mode: MEDIC_SIM_APPROVAL (approve | reject | ignore, default approve) answers the approval
request of --event runs; MEDIC_APPROVAL_TIMEOUT_SECONDS (default 2 locally) is the approval timeout.
MEDIC_MODE (auto | approve | dry-run) and MEDIC_AUTONOMY (e.g. reboot=approve,failover=off) apply
as in a deployed stack; the kill switch is stage dev's (\`medic --stage dev pause --reason …\` with
AWS_ENDPOINT_URL pointing at the same moto).
Exit codes: 0 the run completed, 1 the run failed, 2 bad input or configuration.`;

export function renderHuman(result: SimulationResult): string {
  const lines = [
    '',
    `Incident ${result.incidentId ?? '(none)'} — ${result.outcome.toUpperCase()}`,
    `  targets:        ${result.targets.join(', ') || 'none'}`,
    `  classification: ${result.classification ?? 'n/a'}`,
    `  actions:        ${result.actions.map((a) => `${a.kind} → ${a.outcome}`).join(', ') || 'none'}`,
    `  ticket:         ${result.ticket ? `${result.ticket.key}${result.ticket.url ? ` (${result.ticket.url})` : ''}` : 'not filed'}`,
    `  report:         ${result.report ?? 'none'}`,
    ...(result.review !== undefined
      ? [`  review:         ${result.review ? result.review.url : 'not written yet (waiting in the outbox)'}`]
      : []),
    '',
    'Timeline (UTC):',
    ...result.timeline.map(
      (e) => `  ${e.at}  ${e.kind.padEnd(10)} ${e.instanceId ? `${e.instanceId}: ` : ''}${e.summary}`,
    ),
  ];
  if (result.error) lines.push('', `The run failed: ${result.error.Error}: ${result.error.Cause}`);
  if (result.storm) {
    const st = result.storm;
    lines.push(
      '',
      `Storm: ${st.instances} alarm events → ${st.executions} executions; intake (all past Admit) ${st.intakeMs} ms, total ${st.totalMs} ms`,
      `  dispositions: ${Object.entries(st.dispositions)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}; mutating AWS calls: ${st.mutatingCalls}`,
    );
  }
  return lines.join('\n');
}

/** What `npm start` shows: the fix that works, and the instance medic must not touch. */
export const DEMO_SCENARIOS = ['unreachable', 'not-opted-in'] as const;

async function runSimulate(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      scenario: { type: 'string' },
      event: { type: 'string' },
      json: { type: 'boolean', default: false },
      instances: { type: 'string' }, // storm size
      report: { type: 'string' },
    },
    strict: true,
  });
  const instances = values.instances === undefined ? undefined : Number(values.instances);
  if (instances !== undefined && !(Number.isInteger(instances) && instances >= 1 && instances <= 1_000)) {
    console.error('medic: --instances must be a whole number from 1 to 1000');
    return 2;
  }
  const json = values.json === true;
  const result = await simulate({
    ...(values.scenario ? { scenario: values.scenario } : {}),
    ...(values.event ? { eventFile: values.event } : {}),
    ...(instances ? { instances } : {}),
    ...(json ? {} : { progress: (line: string) => console.log(line) }),
    ...(values.report ? { reportPath: values.report } : {}),
  });
  console.log(json ? JSON.stringify(result, null, 2) : renderHuman(result));
  return result.status === 'SUCCEEDED' ? 0 : 1;
}

/**
 * The headline scenarios on one moto and one local Jira that the demo owns: each run is given
 * AWS_ENDPOINT_URL / JIRA_BASE_URL, so every scenario lands in the same places and the ticket
 * numbers run on (OPS-1, OPS-2, …) as they would in a real project.
 */
async function runDemo(): Promise<number> {
  const { startMoto } = await import('../moto.ts');
  const { startJiraServer } = await import('../jira-server.ts');
  const env = process.env;
  const given = { aws: env.AWS_ENDPOINT_URL, jira: env.JIRA_BASE_URL };
  const moto = given.aws ? null : await startMoto();
  const jira = given.jira
    ? null
    : await startJiraServer({
        email: env.JIRA_EMAIL ?? 'medic@example.com',
        apiToken: env.JIRA_API_TOKEN ?? 'local-token',
        projectKey: env.JIRA_PROJECT_KEY ?? 'OPS',
      });
  // One local Confluence too, so the review pages of every scenario stay in one space.
  const { startConfluenceServer } = await import('../confluence-server.ts');
  const confluence = env.MEDIC_CONFLUENCE_URL ? null : await startConfluenceServer();
  const demoEnv = {
    ...env,
    ...(moto ? { AWS_ENDPOINT_URL: moto.endpoint } : {}),
    ...(jira ? { JIRA_BASE_URL: jira.baseUrl } : {}),
    ...(confluence
      ? { MEDIC_CONFLUENCE_URL: confluence.baseUrl, MEDIC_CONFLUENCE_PARENT_ID: confluence.homepageId }
      : {}),
  };
  let code = 0;
  try {
    for (const scenario of DEMO_SCENARIOS) {
      console.log(`\n=== scenario: ${scenario} — ${SCENARIOS[scenario]?.description}`);
      const result = await simulate({ scenario, env: demoEnv, progress: (line) => console.log(line) });
      console.log(renderHuman(result));
      if (result.status !== 'SUCCEEDED') code = 1;
    }
  } finally {
    await Promise.all([moto?.stop(), jira?.close(), confluence?.close()]);
  }
  return code;
}

/** `medic serve`: listens until SIGINT or SIGTERM, then stops what it started and exits 0. */
async function runServe(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { port: { type: 'string' }, host: { type: 'string' } },
    strict: true,
  });
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65_535)) {
    console.error('medic: --port must be a whole number from 0 to 65535');
    return 2;
  }
  const { serve } = await import('../serve.ts');
  const serving = await serve({
    ...(values.host ? { host: values.host } : {}),
    ...(port !== undefined ? { port } : {}),
  });
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  console.log(`medic serve: ${signal}, stopping`);
  await serving.close();
  console.log('medic serve: stopped');
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // The handlers' Powertools logger takes its level from the process environment when it is
  // created, once per process; this process is the CLI's, so it sets it before any handler loads
  // (stdout carries the progress lines or the one `--json` document, not logs).
  process.env.POWERTOOLS_LOG_LEVEL ??= process.env.MEDIC_LOG_LEVEL ?? 'SILENT';
  try {
    switch (command) {
      case 'simulate':
        return await runSimulate(rest);
      case 'demo':
        return await runDemo();
      case 'serve':
        return await runServe(rest);
      case undefined:
      case '--help':
      case '-h':
      case 'help': {
        // The operator commands first, then the local simulation's details.
        const { operatorProgram } = await import('../../cli/operator.ts');
        console.log(operatorProgram().program.helpInformation());
        console.log(`Local runs (no AWS account needed):\n\n${HELP}`);
        return 0;
      }
      default: {
        // Operator commands: start, status, history, approve, reject, alarms sync (and their --help).
        const { runOperator } = await import('../../cli/operator.ts');
        return await runOperator(argv);
      }
    }
  } catch (error) {
    const e = error as Error & { code?: string };
    if (
      USER_FACING_ERRORS.has(e.name) ||
      e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
      e.code?.startsWith('ERR_PARSE_ARGS')
    ) {
      console.error(`medic: ${e.name === 'TypeError' ? '' : `${e.name}: `}${e.message}`);
      return 2;
    }
    console.error(e.stack ?? String(e));
    return 1;
  }
}
