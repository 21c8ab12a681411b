/**
 * What is inside a function's bundle, by package: `node bench/composition.mjs functions/admit.ts`.
 * Builds with the same esbuild settings as serverless.yml (plugins, credential alias) in memory,
 * so a bundle that misses its budget in `npm run bench` can be explained before it is cut.
 * `PACKAGE=@smithy/core node bench/composition.mjs functions/reboot.ts` lists that package's files.
 */
import { build } from 'esbuild';
import plugins from '../scripts/esbuild-plugins.cjs';

const top = Number(process.env.TOP ?? 12);
for (const entry of process.argv.slice(2)) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    keepNames: process.env.KEEP_NAMES === '1',
    target: 'node22',
    platform: 'node',
    format: 'esm',
    mainFields: ['module', 'main'],
    write: false,
    metafile: true,
    outdir: 'composition-out',
    logLevel: 'silent',
    plugins,
    alias: { '@aws-sdk/credential-provider-node': './shared/lambda-credentials.ts' },
  });
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint);
  const byPackage = {};
  for (const [file, input] of Object.entries(output.inputs)) {
    const m = file.match(/node_modules\/((@[^/]+\/)?[^/]+)/);
    const key = m ? m[1] : 'project';
    byPackage[key] = (byPackage[key] ?? 0) + input.bytesInOutput;
  }
  const parts = Object.entries(byPackage)
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, v]) => `${k} ${(v / 1024).toFixed(0)}K`);
  if (process.env.PACKAGE) {
    for (const [file, input] of Object.entries(output.inputs)
      .filter(([f]) =>
        process.env.PACKAGE === 'project'
          ? !f.includes('node_modules/')
          : f.includes(`node_modules/${process.env.PACKAGE}/`),
      )
      .sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)
      .slice(0, top))
      console.log(`${(input.bytesInOutput / 1024).toFixed(1)}K ${file.replace(/.*node_modules\//, '')}`);
  }
  console.log(`${entry} ${(output.bytes / 1024).toFixed(0)} KB: ${parts.join(', ')}`);
}
