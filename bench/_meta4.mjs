import { build } from 'esbuild';
import plugins from '../scripts/esbuild-plugins.cjs';

const r = await build({
  entryPoints: [process.argv[2]],
  bundle: true,
  minify: true,
  keepNames: true,
  target: 'node22',
  platform: 'node',
  format: 'esm',
  mainFields: ['module', 'main'],
  write: false,
  metafile: true,
  outdir: '/tmp/i8/out4',
  logLevel: 'silent',
  plugins,
  alias: process.argv[3] ? { '@aws-sdk/credential-provider-node': './bench/_cred.mjs' } : {},
});
const out = Object.values(r.metafile.outputs)[0];
const byPkg = {};
for (const [f, v] of Object.entries(out.inputs)) {
  const m = f.match(/node_modules\/((@[^/]+\/)?[^/]+)/);
  const k = m ? m[1] : 'project';
  byPkg[k] = (byPkg[k] || 0) + v.bytesInOutput;
}
console.log(
  process.argv[2],
  out.bytes,
  Object.entries(byPkg)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([k, v]) => `${k}:${(v / 1024).toFixed(0)}K`)
    .join(' '),
);
