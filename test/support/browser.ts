/**
 * The headless browser the report test drives. It comes from the project's own install: the
 * Chromium inside `@sparticuz/chromium` (a brotli-compressed headless shell), unpacked into the temp
 * dir on first use, with the NSS/NSPR libraries the package ships beside it (it unpacks them itself
 * only on Amazon Linux), so a machine with nothing but glibc runs it. A system Chromium is only the fallback for a
 * machine where that binary cannot run (e.g. an architecture the package does not ship); when
 * neither runs, the error says what was tried and what is needed, instead of skipping.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync } from 'node:zlib';
import sparticuz from '@sparticuz/chromium';

export interface Browser {
  executablePath: string;
  /** Where it came from, for the test's messages. */
  source: 'npm:@sparticuz/chromium' | 'system';
  version: string;
  args: string[];
  env: Record<string, string>;
}

const SYSTEM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

// Flags that keep a test browser from calling home; the headless shell needs no sandbox setup.
const QUIET = [
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The package's own copy of the libraries Chromium loads besides glibc (libnss3, libnspr4, …). */
const BUNDLED_LIBS = fileURLToPath(
  new URL('../../node_modules/@sparticuz/chromium/bin/al2023.tar.br', import.meta.url),
);

/** Unpacks the bundled libraries once into the temp dir; returns the directory holding them. */
function bundledLibraries(): string {
  const root = join(tmpdir(), 'medic-chromium-libs');
  const lib = join(root, 'lib');
  if (!existsSync(join(lib, 'libnss3.so'))) {
    mkdirSync(root, { recursive: true });
    execFileSync('tar', ['-x', '-C', root], {
      input: brotliDecompressSync(readFileSync(BUNDLED_LIBS)),
      stdio: ['pipe', 'ignore', 'pipe'],
    });
  }
  return lib;
}

function versionOf(executable: string, env: Record<string, string>): string {
  return execFileSync(executable, ['--version'], {
    env: { ...process.env, ...env },
    timeout: 20_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
    .toString()
    .trim();
}

export async function findBrowser(): Promise<Browser> {
  const failures: string[] = [];
  try {
    // No WebGL in a report: the args then carry --disable-webgl instead of the SwiftShader GL flags.
    sparticuz.setGraphicsMode = false;
    const executablePath = await sparticuz.executablePath();
    // The package sets these only on Amazon Linux; its fonts are needed wherever the system has none.
    // Only the browser's own process gets the bundled libraries (not moto or anything else here).
    const env = {
      FONTCONFIG_PATH: join(tmpdir(), 'fonts'),
      HOME: process.env.HOME ?? tmpdir(),
      LD_LIBRARY_PATH: [bundledLibraries(), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
    };
    const version = versionOf(executablePath, env);
    return {
      executablePath,
      source: 'npm:@sparticuz/chromium',
      version,
      // The package's own flags (`--headless='shell'`, `--single-process`, `--no-sandbox`) fit its build.
      args: [...sparticuz.args, ...QUIET],
      env,
    };
  } catch (error) {
    failures.push(`@sparticuz/chromium (${process.arch}): ${(error as Error).message.split('\n')[0]}`);
  }
  for (const candidate of SYSTEM_CANDIDATES) {
    if (!existsSync(candidate)) continue;
    try {
      return {
        executablePath: candidate,
        source: 'system',
        version: versionOf(candidate, {}),
        args: ['--headless', '--no-sandbox', '--disable-gpu', ...QUIET],
        env: {},
      };
    } catch (error) {
      failures.push(`${candidate}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  failures.push(`no system Chromium at ${SYSTEM_CANDIDATES.join(', ')}`);
  throw new Error(
    `the report test needs a headless Chromium: the one in node_modules/@sparticuz/chromium (x64/arm64 Linux, unpacked to ${tmpdir()}) or a system chromium. Tried: ${failures.join('; ')}`,
  );
}
