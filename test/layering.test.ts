// The product (functions/, shared/) never reaches into the local substrate (local/) or the command
// line (cli/): those are for this machine and for operators, and a Lambda bundle that dragged them
// in would ship moto launchers, a fake Jira and scenario seeds to AWS. Two views of the same rule:
// a static scan of every source file's import specifiers, and the import graph esbuild actually
// follows from each handler serverless.yml deploys (its metafile).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function sourcesUnder(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|mts|cts|mjs|cjs|js)$/.test(e.name))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** Every module specifier a file names: static imports, re-exports, dynamic import(), require(). */
function specifiersOf(text: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of text.matchAll(pattern)) found.push(m[1] as string);
  return found;
}

/** The repository folder a relative specifier lands in (`local`, `cli`, `shared`, …); null for packages. */
function topFolderOf(file: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const target = relative(ROOT, resolve(ROOT, dirname(file), specifier));
  return target.split(sep)[0] ?? null;
}

const FORBIDDEN: Record<string, string[]> = {
  functions: ['local', 'cli', 'test', 'bench', 'scripts'],
  shared: ['local', 'cli', 'test', 'bench', 'scripts'],
  // The operator commands talk to AWS only: `bin/medic.mjs` loads them without the simulation.
  cli: ['local', 'test', 'bench', 'scripts'],
};

function violations(folder: string): string[] {
  const out: string[] = [];
  for (const file of sourcesUnder(folder)) {
    for (const specifier of specifiersOf(readFileSync(join(ROOT, file), 'utf8'))) {
      const top = topFolderOf(file, specifier);
      if (top && FORBIDDEN[folder]?.includes(top)) out.push(`${file} imports ${specifier}`);
    }
  }
  return out;
}

function deployedHandlers(): string[] {
  const doc = parseYaml(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as {
    functions: Record<string, { handler: string }>;
  };
  const files = Object.values(doc.functions).map(
    (f) => `${f.handler.slice(0, f.handler.lastIndexOf('.'))}.ts`,
  );
  return [...new Set(files)];
}

/** Project files esbuild pulls into the bundle of `entry` (packages are outside the question). */
async function projectInputsOf(entries: string[]): Promise<Map<string, string[]>> {
  const result = await build({
    entryPoints: entries.map((e) => join(ROOT, e)),
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    outdir: join(ROOT, '.esbuild', 'layering'),
    packages: 'external',
    logLevel: 'silent',
  });
  const byEntry = new Map<string, string[]>();
  for (const output of Object.values(result.metafile.outputs)) {
    if (output.entryPoint) byEntry.set(output.entryPoint, Object.keys(output.inputs));
  }
  return byEntry;
}

describe('layering: the product never imports the local substrate or the CLI', () => {
  it('finds the import specifiers the scan relies on (a scan that sees nothing proves nothing)', () => {
    // Prepare
    const text = `import a from '../local/x.ts';\nexport { b } from "./y.ts";\nconst c = await import('../cli/z.ts');\nimport './side.ts';`;
    // Act
    const specifiers = specifiersOf(text);
    // Assess
    expect(specifiers.sort()).toEqual(['../cli/z.ts', '../local/x.ts', './side.ts', './y.ts']);
  });

  it.each(Object.keys(FORBIDDEN))('no file under %s/ imports a forbidden folder (static scan)', (folder) => {
    // Prepare
    const files = sourcesUnder(folder);
    // Act
    const found = violations(folder);
    // Assess
    expect(files.length).toBeGreaterThan(0);
    expect(found).toEqual([]);
  });

  it('no deployed handler bundle contains local/ or cli/ (esbuild metafile of every serverless.yml handler)', async () => {
    // Prepare
    const handlers = deployedHandlers();
    // Act
    const inputs = await projectInputsOf(handlers);
    // Assess: every handler was bundled, each reached shared/ code, and none reached the substrate.
    expect([...inputs.keys()].sort()).toEqual([...handlers].sort());
    const leaked: string[] = [];
    for (const [entry, files] of inputs) {
      expect(files.some((f) => f.startsWith('shared/'))).toBe(true);
      for (const f of files) if (/^(local|cli)\//.test(f)) leaked.push(`${entry} bundles ${f}`);
    }
    expect(leaked).toEqual([]);
  });

  it('the operator commands bundle without the local simulation', async () => {
    // Prepare / Act
    const inputs = await projectInputsOf(['cli/operator.ts']);
    // Assess
    const files = inputs.get('cli/operator.ts') ?? [];
    expect(files.length).toBeGreaterThan(1);
    expect(files.filter((f) => f.startsWith('local/'))).toEqual([]);
  });

  it('no file under functions/ reads process.env: handlers read the validated config (shared/config.ts)', () => {
    // Prepare
    const files = sourcesUnder('functions');
    // Act
    const readers = files.filter((f) =>
      /\bprocess\s*\.\s*env\b|\bprocess\s*\[\s*['"]env['"]\s*\]/.test(readFileSync(join(ROOT, f), 'utf8')),
    );
    // Assess
    expect(files.length).toBeGreaterThan(10);
    expect(readers).toEqual([]);
  });
});
