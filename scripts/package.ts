// `npm run package` — build the deployable artefacts fully offline, then lint the CloudFormation template.
//
//   node scripts/package.ts [osls package options…]    e.g. --stage prod --param region=eu-west-1
//   (the probe functions need --param probeSubnetIds=… --param probeSecurityGroupIds=…, or --param probes=off)
//
// serverless.yml has no default Jira site (a deploy must name one or say `--param jira=off`). This
// offline build names neither unless told: without a `jiraBaseUrl` or `jira` param it adds
// `--param jira=off`, which changes one environment value and nothing else in the template.
//
// 1. `osls package` with dummy AWS credentials and every AWS config source neutralised, so packaging
//    cannot reach AWS (osls v4 has no telemetry, dashboard or update check; packaging makes no AWS call).
//    Output goes to `.serverless/` (or to the directory given with `--package <dir>`).
// 2. `cfn-lint` on `<out>/cloudformation-template-update-stack.json`: warnings are printed, errors
//    (or cfn-lint failing to run) make this script exit non-zero.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { devNull, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const TEMPLATE_FILE = 'cloudformation-template-update-stack.json';
/**
 * Placeholder network placement for offline packaging (tests, bench): a real deploy names the fleet's
 * subnets and security group, or `--param probes=off`; packaging refuses to guess.
 */
export const DUMMY_PROBE_PARAMS: readonly string[] = [
  '--param',
  'probeSubnetIds=subnet-00000000000000a01,subnet-00000000000000b02',
  '--param',
  'probeSecurityGroupIds=sg-00000000000000c03',
];
const OSLS_BIN = path.join(repoRoot, 'node_modules', 'osls', 'bin', 'serverless.js');
const PACKAGE_TIMEOUT_MS = 300_000;
const LINT_TIMEOUT_MS = 120_000;
/**
 * cfn-lint rules not worth a line on every run. W3005 ("dependency already enforced by a GetAtt") fires for
 * the DependsOn that osls adds to every function with a custom `role:` and that serverless-step-functions adds
 * to the state machine; it is harmless and not ours to change.
 */
export const IGNORED_CFN_LINT_CHECKS: readonly string[] = ['W3005'];

export interface CfnLintFinding {
  ruleId: string;
  level: string; // 'Error' | 'Warning' | 'Informational'
  message: string;
  line: number | undefined;
  path: string;
}

export interface CfnLintResult {
  command: string;
  exitCode: number;
  findings: CfnLintFinding[];
  errors: CfnLintFinding[];
  warnings: CfnLintFinding[];
  /** Set when cfn-lint could not run or its output could not be understood. */
  fatal: string | undefined;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  spawnError: NodeJS.ErrnoException | undefined;
}

/** Environment for an offline `osls package`: dummy credentials, no profile/SSO/IMDS, no telemetry. */
export function offlineEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of [
    'AWS_PROFILE',
    'AWS_DEFAULT_PROFILE',
    'AWS_SESSION_TOKEN',
    'AWS_SECURITY_TOKEN',
    'AWS_ROLE_ARN',
    'AWS_ROLE_SESSION_NAME',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    'AWS_CONTAINER_AUTHORIZATION_TOKEN',
    'AWS_SDK_LOAD_CONFIG',
    'SERVERLESS_PLATFORM_STAGE',
    'SERVERLESS_ACCESS_KEY',
    'SLS_DEBUG',
  ]) {
    delete env[name];
  }
  return {
    ...env,
    AWS_ACCESS_KEY_ID: 'medic-offline-dummy-key-id',
    AWS_SECRET_ACCESS_KEY: 'medic-offline-dummy-secret',
    AWS_REGION: base.AWS_REGION || 'us-east-1',
    AWS_DEFAULT_REGION: base.AWS_REGION || 'us-east-1',
    // No shared config/credentials files (SSO, credential_process, …) and no instance metadata lookups.
    AWS_CONFIG_FILE: devNull,
    AWS_SHARED_CREDENTIALS_FILE: devNull,
    AWS_EC2_METADATA_DISABLED: 'true',
    // osls v4 has none of these services; the switches keep an upstream Serverless v3 CLI quiet too.
    SLS_TELEMETRY_DISABLED: '1',
    SLS_TRACKING_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_INTERACTIVE_SETUP_DISABLE: '1',
  };
}

/** Runs a command, killed after `timeoutMs`; with `capture`, what it printed comes back. */
export function runProcess(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number; capture: boolean },
): Promise<RunResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let spawnError: NodeJS.ErrnoException | undefined;
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: options.capture ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL',
    });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      spawnError = error;
    });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, spawnError }));
  });
}

/** The directory osls writes to: `--package <dir>` / `-p <dir>` / `--package=<dir>`, else `.serverless`. */
export function outputDir(args: readonly string[], cwd: string = repoRoot): string {
  let dir = '.serverless';
  args.forEach((arg, i) => {
    const next = args[i + 1];
    if ((arg === '--package' || arg === '-p') && next !== undefined) dir = next;
    else if (arg.startsWith('--package=')) dir = arg.slice('--package='.length);
  });
  return path.resolve(cwd, dir);
}

/** Runs `osls package` offline. Resolves with the wall time; rejects if osls fails or times out. */
export async function packageService(args: readonly string[] = []): Promise<{ ms: number; outDir: string }> {
  const started = performance.now();
  // serverless-esbuild zips each function through a temp directory it then fails to remove (a
  // non-recursive remove of a non-empty directory, error swallowed): every package run would leave
  // one directory per function behind. Give osls a temp directory of its own and remove it after.
  const scratch = mkdtempSync(path.join(tmpdir(), 'medic-package-'));
  let result: RunResult;
  try {
    result = await runProcess(process.execPath, [OSLS_BIN, 'package', ...args], {
      cwd: repoRoot,
      env: { ...offlineEnv(), TMPDIR: scratch, TMP: scratch, TEMP: scratch },
      timeoutMs: PACKAGE_TIMEOUT_MS,
      capture: false,
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const ms = performance.now() - started;
  if (result.spawnError) throw new Error(`could not start osls: ${result.spawnError.message}`);
  if (result.signal) throw new Error(`osls package killed by ${result.signal} after ${Math.round(ms)} ms`);
  if (result.code !== 0) throw new Error(`osls package exited with code ${result.code}`);
  return { ms, outDir: outputDir(args) };
}

function regionOf(outDir: string): string {
  try {
    const state = JSON.parse(readFileSync(path.join(outDir, 'serverless-state.json'), 'utf8')) as {
      service?: { provider?: { region?: unknown } };
    };
    const region = state.service?.provider?.region;
    if (typeof region === 'string' && region) return region;
  } catch {
    // fall through to the default
  }
  return 'us-east-1';
}

interface RawFinding {
  Level?: string;
  Message?: string;
  Rule?: { Id?: string };
  Location?: { Start?: { LineNumber?: number }; Path?: unknown[] | null };
}

/** Lints a template with cfn-lint (`cfn-lint` on PATH, else `python3 -m cfnlint`). Never throws. */
export async function runCfnLint(templatePath: string, region = 'us-east-1'): Promise<CfnLintResult> {
  const lintArgs = ['--format', 'json', '--regions', region];
  if (IGNORED_CFN_LINT_CHECKS.length > 0) lintArgs.push('--ignore-checks', ...IGNORED_CFN_LINT_CHECKS);
  lintArgs.push('--', templatePath);
  const empty = { findings: [], errors: [], warnings: [] };
  if (!existsSync(templatePath)) {
    return { command: 'cfn-lint', exitCode: -1, ...empty, fatal: `template not found: ${templatePath}` };
  }
  let command = 'cfn-lint';
  let result = await runProcess(command, lintArgs, {
    cwd: repoRoot,
    timeoutMs: LINT_TIMEOUT_MS,
    capture: true,
  });
  if (result.spawnError?.code === 'ENOENT') {
    command = 'python3 -m cfnlint';
    result = await runProcess('python3', ['-m', 'cfnlint', ...lintArgs], {
      cwd: repoRoot,
      timeoutMs: LINT_TIMEOUT_MS,
      capture: true,
    });
  }
  const exitCode = result.code ?? -1;
  const base = { command: `${command} ${lintArgs.join(' ')}`, exitCode };
  if (result.spawnError) {
    const hint = result.spawnError.code === 'ENOENT' ? ' (install it with `pip install cfn-lint`)' : '';
    return { ...base, ...empty, fatal: `cfn-lint could not be started: ${result.spawnError.message}${hint}` };
  }
  let raw: RawFinding[];
  try {
    raw = JSON.parse(result.stdout || '[]') as RawFinding[];
    if (!Array.isArray(raw)) throw new Error('not an array');
  } catch {
    return {
      ...base,
      ...empty,
      fatal: `cfn-lint output is not JSON (exit ${exitCode}):\n${result.stdout}\n${result.stderr}`.trim(),
    };
  }
  const findings = raw.map(
    (f): CfnLintFinding => ({
      ruleId: f.Rule?.Id ?? '?',
      level: f.Level ?? 'Error',
      message: f.Message ?? '',
      line: f.Location?.Start?.LineNumber,
      path: (f.Location?.Path ?? []).join('/'),
    }),
  );
  // cfn-lint's exit code is a bit mask: 2 errors, 4 warnings, 8 informational; anything else is a crash.
  const fatal =
    result.signal || exitCode < 0 || exitCode > 15 || (exitCode & 1) === 1
      ? `cfn-lint failed (exit ${exitCode}${result.signal ? `, ${result.signal}` : ''}):\n${result.stderr}`.trim()
      : undefined;
  return {
    ...base,
    findings,
    errors: findings.filter((f) => f.level === 'Error'),
    warnings: findings.filter((f) => f.level !== 'Error'),
    fatal,
  };
}

export function formatFinding(f: CfnLintFinding): string {
  const where = [f.path, f.line === undefined ? '' : `line ${f.line}`].filter(Boolean).join(', ');
  return `${f.ruleId} [${f.level}] ${f.message}${where ? ` (${where})` : ''}`;
}

/** The args with `--param jira=off` added when they name no Jira site and no `jira` switch. */
export function withOfflineJira(args: readonly string[]): string[] {
  const named = args.some((a, i) => {
    const value = a.startsWith('--param=') ? a.slice('--param='.length) : args[i - 1] === '--param' ? a : '';
    return /^(jira|jiraBaseUrl)=/.test(value);
  });
  return named ? [...args] : [...args, '--param', 'jira=off'];
}

/** One `osls` command run offline (dummy credentials), output captured: for checks that expect a failure. */
export async function oslsOffline(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  const result = await runProcess(process.execPath, [OSLS_BIN, ...args], {
    cwd: repoRoot,
    env: offlineEnv(),
    timeoutMs: PACKAGE_TIMEOUT_MS,
    capture: true,
  });
  return { code: result.code, output: `${result.stdout}${result.stderr}` };
}

async function main(given: string[]): Promise<number> {
  const args = withOfflineJira(given);
  if (args.length > given.length) console.log('no Jira site given: packaging with --param jira=off');
  let packaged: { ms: number; outDir: string };
  try {
    packaged = await packageService(args);
  } catch (error) {
    console.error(`✖ ${(error as Error).message}`);
    return 1;
  }
  console.log(`osls package finished in ${(packaged.ms / 1000).toFixed(1)} s → ${packaged.outDir}`);

  const templatePath = path.join(packaged.outDir, TEMPLATE_FILE);
  const lint = await runCfnLint(templatePath, regionOf(packaged.outDir));
  console.log(`$ ${lint.command}`);
  for (const finding of lint.findings) {
    (finding.level === 'Error' ? console.error : console.log)(formatFinding(finding));
  }
  if (lint.fatal) {
    console.error(`✖ ${lint.fatal}`);
    return 1;
  }
  console.log(`cfn-lint: ${lint.errors.length} error(s), ${lint.warnings.length} warning(s)/info`);
  return lint.errors.length > 0 ? 1 : 0;
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
