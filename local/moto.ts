/**
 * Starts and stops medic's moto server (the local AWS endpoint) for `medic simulate` and the tests.
 * Loopback only; the server exits by itself when this process goes away (its stdin closes).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalSubstrateError } from '../shared/errors.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const PROJECT_ROOT = resolve(HERE, '..');
const LAUNCHER = join(HERE, 'moto_launcher.py');
const VENV_PYTHON = join(PROJECT_ROOT, '.venv', 'bin', 'python');
const READY_TIMEOUT_MS = 30_000;

export interface RecordedAwsCall {
  seq: number;
  at: string;
  service: string;
  action: string;
  params: Record<string, unknown>;
  /** The account moto answered the call in (from the caller's access key). */
  account?: string;
  /** The region the call was signed for (its SigV4 credential scope). */
  region?: string | null;
}

/** The member stack's execution role, as a member account deploys it (trust policy only). */
export interface MemberRole {
  account: string;
  trustedAccount: string;
  roleName?: string;
  externalId?: string;
}

/** POST /_medic/member-role: the role exists in `account`; answers its ARN. */
export async function createMemberRole(endpoint: string, role: MemberRole): Promise<string> {
  const body = (await controlRequest(endpoint, '/_medic/member-role', 'POST', role)) as { roleArn: string };
  return body.roleArn;
}

/** Fault injection (see moto_launcher.py's header): what AWS would report for one instance. */
export interface InstanceFaults {
  instanceId: string;
  systemStatus?: 'ok' | 'impaired' | 'insufficient-data' | 'initializing' | null;
  instanceStatus?: 'ok' | 'impaired' | 'insufficient-data' | 'initializing' | null;
  events?: { code: string; description: string; notBefore?: string }[] | null;
  /** SSM agent PingStatus; null: not a managed node (DescribeInstanceInformation omits it). */
  ssmAgent?: 'Online' | 'ConnectionLost' | 'Inactive' | null;
  ssmOutput?: { stdout: string; stderr?: string; responseCode?: number; status?: string } | null;
}

/** POST /_medic/faults: merges these faults into what moto reports for the instance. */
export async function injectFaults(endpoint: string, faults: InstanceFaults): Promise<void> {
  const response = await fetch(`${endpoint}/_medic/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok)
    throw new LocalSubstrateError(
      `moto fault injection answered ${response.status}: ${await response.text()}`,
    );
}

export interface LocalMoto {
  endpoint: string;
  port: number;
  /** Every AWS API call that reached moto since start (or the last clearCalls), oldest first. */
  calls(): Promise<RecordedAwsCall[]>;
  clearCalls(): Promise<void>;
  /** moto's own reset: drops every resource in every backend. */
  reset(): Promise<void>;
  stop(): Promise<void>;
  /** The next `count` matching calls answer an AWS error (see moto_launcher.py). */
  addAwsError(rule: AwsErrorRule): Promise<void>;
  clearAwsErrors(): Promise<void>;
  /** Stop listening for downMs, then listen again on the same port; state survives. */
  restart(downMs: number): Promise<void>;
}

export interface AwsErrorRule {
  service: string;
  action: string;
  code: string;
  status?: number;
  count: number;
  message?: string;
  /** The call reaches moto, then its answer is replaced by the error (a crash mid-action). */
  passThrough?: boolean;
}

function canImportMoto(python: string): boolean {
  try {
    execFileSync(python, ['-c', 'import moto.server, werkzeug'], { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * python3 when moto is importable there (these machines ship it); otherwise a project-local
 * virtualenv with moto[server], created once, so a fresh machine works too.
 */
export function resolveMotoPython(): string {
  const explicit = process.env.MEDIC_MOTO_PYTHON;
  if (explicit) return explicit;
  if (canImportMoto('python3')) return 'python3';
  if (existsSync(VENV_PYTHON) && canImportMoto(VENV_PYTHON)) return VENV_PYTHON;
  try {
    execFileSync('python3', ['-m', 'venv', join(PROJECT_ROOT, '.venv')], { stdio: 'inherit' });
    execFileSync(VENV_PYTHON, ['-m', 'pip', 'install', '--quiet', 'moto[server]'], { stdio: 'inherit' });
  } catch (error) {
    throw new LocalSubstrateError(
      `moto is not importable by python3 and installing moto[server] into .venv failed: ${(error as Error).message}`,
    );
  }
  return VENV_PYTHON;
}

async function controlRequest(
  endpoint: string,
  path: string,
  method = 'GET',
  body?: unknown,
): Promise<unknown> {
  const response = await fetch(`${endpoint}${path}`, {
    method,
    signal: AbortSignal.timeout(10_000),
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  if (!response.ok)
    throw new LocalSubstrateError(`moto control ${method} ${path} answered ${response.status}`);
  return response.json();
}

export async function startMoto(): Promise<LocalMoto> {
  const python = resolveMotoPython();
  const child: ChildProcess = spawn(python, [LAUNCHER, '0'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new LocalSubstrateError(`moto did not start within ${READY_TIMEOUT_MS} ms: ${stderr}`));
    }, READY_TIMEOUT_MS);
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /MOTO_READY (\d+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolvePort(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new LocalSubstrateError(`moto exited before it was ready (code ${code}): ${stderr}`));
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await controlRequest(endpoint, '/_medic/health');

  return {
    endpoint,
    port,
    async calls() {
      const body = (await controlRequest(endpoint, '/_medic/calls')) as { calls: RecordedAwsCall[] };
      return body.calls;
    },
    async clearCalls() {
      await controlRequest(endpoint, '/_medic/calls', 'DELETE');
    },
    async reset() {
      await controlRequest(endpoint, '/moto-api/reset', 'POST');
      await controlRequest(endpoint, '/_medic/calls', 'DELETE');
    },
    async addAwsError(rule) {
      await controlRequest(endpoint, '/_medic/errors', 'POST', rule);
    },
    async clearAwsErrors() {
      await controlRequest(endpoint, '/_medic/errors', 'DELETE');
    },
    async restart(downMs) {
      await controlRequest(endpoint, `/_medic/restart?downMs=${Math.round(downMs)}`, 'POST');
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      child.stdin?.end();
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((done) => setTimeout(done, 5_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
