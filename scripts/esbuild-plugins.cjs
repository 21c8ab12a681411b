// esbuild plugins for `osls package` (serverless.yml: custom.esbuild.plugins). Measured by `npm run bench`.
//
// aws-sdk-schema-keys: AWS SDK v3 clients describe every operation in one `schemas_0.js` whose
// entries use computed keys (`{ [_xN]: _II }`, where `const _xN = "xmlName"`). esbuild must assume
// a computed key can run code, so it keeps every schema of the service: 540 KB of the EC2 client
// in each EC2 function, for the 3-4 operations medic calls. Replacing each computed key that names
// one of the file's own string constants by that string literal changes nothing at run time and
// lets esbuild drop the unused schemas (EC2: 548 KB → 34 KB).
const { readFile } = require('node:fs/promises');

const SCHEMA_FILE = /@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;

const awsSdkSchemaKeys = {
  name: 'aws-sdk-schema-keys',
  setup(build) {
    build.onLoad({ filter: SCHEMA_FILE }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const strings = new Map();
      for (const m of source.matchAll(/^const (_\w+) = ("(?:[^"\\\n]|\\.)*");$/gm)) strings.set(m[1], m[2]);
      // Only property keys: `{ [_x]:` or `, [_x]:` (never a `cond ? [_x] : y` expression).
      const contents = source.replace(/([{,]\s*)\[(_\w+)\]:/g, (all, lead, name) =>
        strings.has(name) ? `${lead}${strings.get(name)}:` : all,
      );
      return { contents, loader: 'js' };
    });
  },
};

module.exports = [awsSdkSchemaKeys];
