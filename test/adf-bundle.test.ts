/**
 * @atlaskit/adf-utils under the deployment's conditions: bundled by esbuild with serverless.yml's
 * settings (ESM, `module` before `main`, Node 22) and run by Node from a folder with no
 * node_modules, as Lambda runs it. Guards the by-path import in shared/domain/adf.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { adfProblems } from './support/adf.ts';

const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'medic-adf-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ADF builders in the Lambda bundle', () => {
  it('bundle with the serverless esbuild settings and render a valid ticket without node_modules', async () => {
    // Prepare: the entry renders a small ticket document
    const esb = parse(readFileSync(join(root, 'serverless.yml'), 'utf8'), { logLevel: 'error' }).custom
      .esbuild;
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      `import { toAdf } from ${JSON.stringify(join(root, 'shared/domain/adf.ts'))};
console.log(JSON.stringify(toAdf({ sections: [{ title: 'Summary', blocks: [
  { type: 'paragraph', content: [{ text: 'Outcome: ', bold: true }, { text: 'resolved' }] },
  { type: 'table', header: ['Time (UTC)', 'What'], rows: [['2026-01-01T00:00:00.000Z', '']] },
] }] })));`,
    );

    // Act
    await build({
      entryPoints: [entry],
      outfile: join(dir, 'out', 'index.mjs'),
      bundle: true,
      platform: esb.platform,
      format: esb.format,
      target: esb.target,
      mainFields: esb.mainFields,
      banner: esb.banner,
      logLevel: 'silent',
    });
    const out = execFileSync(process.execPath, [join(dir, 'out', 'index.mjs')], {
      cwd: dir,
      encoding: 'utf8',
    });

    // Assess
    const adf = JSON.parse(out);
    expect(adf.content[0]).toEqual({
      type: 'heading',
      attrs: { level: 2 },
      content: [{ type: 'text', text: 'Summary' }],
    });
    expect(adfProblems(adf)).toEqual([]);
  });
});
