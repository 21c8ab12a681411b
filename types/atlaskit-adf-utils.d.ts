/**
 * @atlaskit/adf-utils has no `exports` map, so Node's ESM loader cannot resolve its subpath
 * directories (`@atlaskit/adf-utils/builders` → ERR_UNSUPPORTED_DIR_IMPORT). medic imports the CJS
 * files by path, which works in Node 22 ESM and in the esbuild bundle; these declarations point
 * TypeScript at the package's own types for those paths.
 */
declare module '@atlaskit/adf-utils/dist/cjs/builders.js' {
  export * from '@atlaskit/adf-utils/dist/types/builders.js';
}
declare module '@atlaskit/adf-utils/dist/cjs/validator/validator.js' {
  export * from '@atlaskit/adf-utils/dist/types/validator/validator.js';
}
