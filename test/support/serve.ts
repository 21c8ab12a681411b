/** `medic serve` as a person starts it (a subprocess on the project's Node), and the tools the e2e tests drive. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'medic.mjs');

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  port: number;
  lines: string[];
  /** Resolves with the first stdout line matching `pattern`, within `timeoutMs`. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Sends the signal; resolves with the exit code (bounded: SIGKILL after `timeoutMs`). */
  stop(signal: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

export async function startServe(env: Record<string, string>, timeoutMs = 90_000): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
    env: { ...process.env, ...env, AWS_REGION: 'us-east-1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (l: string) => void }[] = [];
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-4_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitForLine = (pattern: RegExp, ms: number) => {
    const seen = lines.find((l) => pattern.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `no line matching ${pattern} within ${ms} ms; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`,
          ),
        );
      }, ms);
      waiters.push({
        pattern,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
      void exited.then(() =>
        reject(new Error(`medic serve exited; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`)),
      );
    });
  };
  const stop = async (signal: NodeJS.Signals, ms = 60_000) => {
    if (child.exitCode !== null) return child.exitCode;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  try {
    const listening = await waitForLine(/^medic serve: listening on /, timeoutMs);
    const url = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(listening);
    if (!url?.[1]) throw new Error(`unexpected first line: ${listening}`);
    return { child, url: url[1], port: Number(url[2]), lines, waitForLine, stop };
  } catch (error) {
    await stop('SIGKILL');
    throw error;
  }
}

/** A port free on 127.0.0.1 right now (for a program that takes its address as a flag). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((r) => server.close(r));
  return port;
}

/** Whether something accepts TCP on 127.0.0.1:port (bounded by a short timeout). */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1');
  });
}

/** Polls `check` every 250 ms until it returns a value, or fails after `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== null) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `${what}: not within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`,
  );
}

/** The Debian binaries the real-client tests run; where one is missing the test says which package brings it. */
export const DEBIAN_TOOLS = {
  prometheus: { bin: '/usr/bin/prometheus', pkg: 'prometheus' },
  alertmanager: { bin: '/usr/bin/prometheus-alertmanager', pkg: 'prometheus-alertmanager' },
  nodeExporter: { bin: '/usr/bin/prometheus-node-exporter', pkg: 'prometheus-node-exporter' },
} as const;

export function missingTool(tool: keyof typeof DEBIAN_TOOLS): string | null {
  const t = DEBIAN_TOOLS[tool];
  return existsSync(t.bin)
    ? null
    : `${t.bin} is missing: install the Debian package ${t.pkg} (apt-get install ${t.pkg}; .ci/run does this)`;
}
