/**
 * Cold start: build the functions exactly as `osls package` does (serverless-esbuild: bundled,
 * minified, tree-shaken; see scripts/package.ts), then time the import of each bundle in a fresh
 * Node process against the import of the same unbundled handler.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';
import { parse as parseYaml } from 'yaml';
import { LAMBDA_BUILD, REQUIRE_BANNER } from '../scripts/esbuild-base.ts';
import { DUMMY_PROBE_PARAMS, oslsOffline, withOfflineJira } from '../scripts/package.ts';
import { median, ROOT, runChild } from './util.ts';

export interface FunctionBuild {
  name: string;
  source: string;
  bundle: string;
  bundleBytes: number;
  zipBytes: number;
  zipEntries: string[];
}

export function serverlessFunctions(): { name: string; source: string; memoryMb: number }[] {
  const doc = parseYaml(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as {
    provider?: { memorySize?: number };
    functions?: Record<string, { handler?: string; memorySize?: number }>;
  };
  return Object.entries(doc.functions ?? {}).flatMap(([name, fn]) =>
    fn.handler
      ? [
          {
            name,
            source: join(ROOT, `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.ts`),
            memoryMb: fn.memorySize ?? doc.provider?.memorySize ?? 1024,
          },
        ]
      : [],
  );
}

/** `osls package --package <dir>` offline, output captured (the bench prints one table). */
export async function packageFunctions(outDir: string): Promise<{ ms: number; builds: FunctionBuild[] }> {
  const started = performance.now();
  // No Jira site is needed to build the bundles (serverless.yml has no default one).
  const log = await oslsOffline(withOfflineJira(['package', '--package', outDir, ...DUMMY_PROBE_PARAMS]));
  if (log.code !== 0) throw new Error(`osls package failed (${log.code}): ${log.output.slice(-800)}`);
  const ms = performance.now() - started;
  const builds: FunctionBuild[] = [];
  for (const fn of serverlessFunctions()) {
    const zip = join(outDir, `${fn.name}.zip`);
    const dir = join(outDir, fn.name);
    execFileSync('python3', ['-m', 'zipfile', '-e', zip, dir]);
    const zipEntries = execFileSync('python3', ['-m', 'zipfile', '-l', zip], { encoding: 'utf8' })
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter(Boolean);
    const rel = fn.source.slice(ROOT.length + 1).replace(/\.ts$/, '.mjs');
    const bundle = join(dir, rel);
    if (!existsSync(bundle)) throw new Error(`${zip} has no ${rel}`);
    builds.push({
      name: fn.name,
      source: fn.source,
      bundle,
      bundleBytes: statSync(bundle).size,
      zipBytes: statSync(zip).size,
      zipEntries,
    });
  }
  return { ms, builds };
}

export interface ImportTimes {
  bundled: number;
  bundledSourceMaps: number;
  unbundled: number;
  errors: string[];
}

const IMPORT_ENV = {
  AWS_REGION: 'us-east-1',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  AWS_EC2_METADATA_DISABLED: 'true',
};

/** Median import time over `reps` fresh processes for each variant, interleaved against drift. */
export async function importTimes(build: FunctionBuild, reps: number): Promise<ImportTimes> {
  const bundled: number[] = [];
  const maps: number[] = [];
  const unbundled: number[] = [];
  const errors = new Set<string>();
  for (let i = 0; i < reps; i++) {
    const a = await runChild([build.bundle], IMPORT_ENV);
    // Deployed functions run with NODE_OPTIONS=--enable-source-maps (serverless.yml).
    const b = await runChild([build.bundle], IMPORT_ENV, ['--enable-source-maps']);
    const c = await runChild([build.source], IMPORT_ENV);
    for (const r of [a, b, c]) if (r.error) errors.add(r.error);
    bundled.push(a.importMs);
    maps.push(b.importMs);
    unbundled.push(c.importMs);
  }
  return {
    bundled: median(bundled),
    bundledSourceMaps: median(maps),
    unbundled: median(unbundled),
    errors: [...errors],
  };
}

export interface JiraWeight {
  /** Does the record bundle contain jira-client, or require it at run time? */
  recordBundlesJira: boolean;
  /** Is jira-client in the record zip (node_modules)? */
  zipShipsJira: boolean;
  /** jira-client and its dependencies bundled alone with the same esbuild options. */
  jiraBundleBytes: number;
  jiraBundleImportMs: number;
  /** require('jira-client') from node_modules, unbundled. */
  jiraNodeModulesImportMs: number;
  jiraPackages: number;
  /** record + jira-client in one bundle, loaded eagerly at import (what a loadable record would be). */
  eagerBytes: number;
  eagerImportMs: number;
  recordImportMs: number;
}

export async function jiraWeight(record: FunctionBuild, outDir: string, reps: number): Promise<JiraWeight> {
  const text = readFileSync(record.bundle, 'utf8');
  const recordBundlesJira = !/\("jira-client"\)/.test(text);
  const zipShipsJira = record.zipEntries.some((e) => e.includes('node_modules/jira-client/'));
  const outfile = join(outDir, 'jira-client-alone.mjs');
  const result = await build({
    ...LAMBDA_BUILD,
    stdin: { contents: "import Jira from 'jira-client'; export default Jira;", resolveDir: ROOT },
    minify: true,
    keepNames: true,
    outfile,
    metafile: true,
    banner: REQUIRE_BANNER,
  });
  const packages = new Set(
    Object.keys(result.metafile.inputs).flatMap((f) => {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f);
      return m?.[1] ? [m[1]] : [];
    }),
  );
  const eagerFile = join(outDir, 'record-eager-jira.mjs');
  const plugins = createRequire(join(ROOT, 'package.json'))('./scripts/esbuild-plugins.cjs');
  await build({
    stdin: {
      contents: `import 'jira-client'; export * from ${JSON.stringify(record.source)};`,
      resolveDir: ROOT,
      loader: 'ts',
    },
    ...LAMBDA_BUILD,
    minify: true,
    keepNames: true,
    outfile: eagerFile,
    plugins,
    alias: { '@aws-sdk/credential-provider-node': './shared/lambda-credentials.ts' },
    absWorkingDir: ROOT,
    banner: REQUIRE_BANNER,
  });
  const entry = createRequire(join(ROOT, 'package.json')).resolve('jira-client');
  const bundled: number[] = [];
  const plain: number[] = [];
  const eager: number[] = [];
  const lazy: number[] = [];
  for (let i = 0; i < reps; i++) {
    bundled.push((await runChild([outfile], IMPORT_ENV)).importMs);
    plain.push((await runChild([entry], IMPORT_ENV)).importMs);
    eager.push((await runChild([eagerFile], IMPORT_ENV)).importMs);
    lazy.push((await runChild([record.bundle], IMPORT_ENV)).importMs);
  }
  return {
    recordBundlesJira,
    zipShipsJira,
    jiraBundleBytes: statSync(outfile).size,
    jiraBundleImportMs: median(bundled),
    jiraNodeModulesImportMs: median(plain),
    jiraPackages: packages.size,
    eagerBytes: statSync(eagerFile).size,
    eagerImportMs: median(eager),
    recordImportMs: median(lazy),
  };
}
