/**
 * The CloudFormation template `osls package` produces for serverless.yml, without building code.
 *
 * Bundling 25 functions is most of `npm run package`'s minute and changes nothing IAM sees (roles,
 * VPC configuration, destinations, names). So the same serverless.yml is packaged in a scratch
 * directory with the esbuild plugin left out and every function pointing at an empty prebuilt
 * artifact; everything else (the step-functions plugin, variables, resources) is osls's own work.
 * test/package.test.ts checks that this template equals the fully packaged one apart from code.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import {
  DUMMY_PROBE_PARAMS,
  offlineEnv,
  repoRoot,
  runProcess,
  TEMPLATE_FILE,
  withOfflineJira,
} from '../package.ts';
import type { CfnTemplate } from './template.ts';

const OSLS_BIN = path.join(repoRoot, 'node_modules', 'osls', 'bin', 'serverless.js');
const TIMEOUT_MS = 180_000;
/** Never linked into the scratch directory: osls's output and the service file it rewrites. */
const SKIP = new Set(['serverless.yml', '.serverless', '.esbuild', '.git', 'reports']);
/** An empty zip archive (just the end-of-central-directory record). */
const EMPTY_ZIP = Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)]);

/** serverless.yml with code building replaced by a prebuilt artifact per function. */
export function templateOnlyConfig(serverlessYml: string): string {
  const doc = parseDocument(serverlessYml);
  const plugins = (doc.toJS().plugins as string[] | undefined) ?? [];
  doc.set('plugins', doc.createNode(plugins.filter((p) => p !== 'serverless-esbuild')));
  doc.deleteIn(['custom', 'esbuild']);
  for (const name of Object.keys((doc.toJS().functions as Record<string, unknown>) ?? {})) {
    doc.setIn(['functions', name, 'package'], doc.createNode({ artifact: 'iam-check-empty.zip' }));
  }
  return doc.toString();
}

/**
 * The args with the packaging test's dummy probe placement added when they name none: IAM is
 * checked as deployed, with the probe functions in a VPC (their network-interface calls included).
 */
function withProbePlacement(args: readonly string[]): string[] {
  const named = args.some((a) => /^(probes|probeSubnetIds|probeSecurityGroupIds)=/.test(a));
  return named ? [...args] : [...args, ...DUMMY_PROBE_PARAMS];
}

/** Packages serverless.yml (template only) for `stage`; resolves with the parsed template. */
export async function packageTemplate(stage: string, args: readonly string[] = []): Promise<CfnTemplate> {
  const dir = mkdtempSync(path.join(tmpdir(), 'medic-iam-'));
  try {
    for (const entry of readdirSync(repoRoot)) {
      if (!SKIP.has(entry)) symlinkSync(path.join(repoRoot, entry), path.join(dir, entry));
    }
    writeFileSync(
      path.join(dir, 'serverless.yml'),
      templateOnlyConfig(readFileSync(path.join(repoRoot, 'serverless.yml'), 'utf8')),
    );
    writeFileSync(path.join(dir, 'iam-check-empty.zip'), EMPTY_ZIP);
    const out = path.join(dir, '.serverless');
    const packageArgs = [
      'package',
      '--stage',
      stage,
      '--package',
      out,
      ...withOfflineJira(withProbePlacement(args)),
    ];
    const result = await runProcess(process.execPath, [OSLS_BIN, ...packageArgs], {
      cwd: dir,
      env: offlineEnv(),
      timeoutMs: TIMEOUT_MS,
      capture: true,
    });
    if (result.spawnError) throw result.spawnError;
    const output = `${result.stdout}${result.stderr}`;
    if (result.code !== 0) throw new Error(`osls package exited with ${result.code}:\n${output}`);
    return JSON.parse(readFileSync(path.join(out, TEMPLATE_FILE), 'utf8')) as CfnTemplate;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
