/**
 * The settings serverless.yml's custom.esbuild gives every Lambda bundle, for the builds the bench
 * and the tests make by hand: Node 22 ESM, a package's ESM entry before its CommonJS one. Each build
 * adds what it measures (minify, plugins, the banner) on top.
 */
import type { BuildOptions } from 'esbuild';

export const LAMBDA_BUILD: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  mainFields: ['module', 'main'],
  logLevel: 'silent',
};

/** serverless.yml's banner: bundled CommonJS still finds `require` in an ES module. */
export const REQUIRE_BANNER = {
  js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
};
