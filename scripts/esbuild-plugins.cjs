// esbuild plugins for `osls package` (serverless.yml: custom.esbuild.plugins). Measured by `npm run bench`;
// `node bench/composition.mjs functions/<name>.ts` shows what each bundle is made of.
//
// aws-sdk-schema-keys: AWS SDK v3 clients describe every operation in one `schemas_0.js` whose
// entries use computed keys (`{ [_xN]: _II }`, where `const _xN = "xmlName"`). esbuild must assume
// a computed key can run code, so it keeps every schema of the service: 540 KB of the EC2 client
// in each EC2 function, for the 3-4 operations medic calls. Replacing each computed key that names
// one of the file's own string constants by that string literal changes nothing at run time and
// lets esbuild drop the unused schemas (EC2: 548 KB → 34 KB).
//
// The same file registers a class for every error the service can return (SSM: 150 classes,
// 45 KB). An error without a registered class still arrives, as the service's base exception with
// the same `name`, message, `$fault` and `$metadata` (the SDK's own fallback for unknown errors),
// and medic tells errors apart by `name` (shared/adapters/aws-errors.ts). So only the classes the
// project names somewhere in its code (imported for `instanceof`, or compared by name) and the
// classes that carry `$retryable` stay registered; the others tree-shake away.
//
// smithy-event-streams-stub: the SDK's HTTP protocol loads its event-stream codec (14 KB) with a
// dynamic import, which esbuild inlines. No operation medic calls streams events; that import gets
// a stub that throws a named error should one ever do so.
//
// aws-sdk-package-json: each client imports its whole package.json (2-3 KB) for its version.
//
// endpoint-cache-lru: the DynamoDB client carries endpoint discovery, whose cache is mnemonist's
// LRUCache (with obliterator, 7 KB). The cache is used through constructor, get, set, has, peek and
// clear only; a Map keeps insertion order, which is all an LRU needs at the few entries it holds.
//
// zod-json-schema-stub: zod's classic schemas reach its JSON Schema generator from every schema
// (18 KB). medic's Lambdas validate input and never turn a schema into JSON Schema, so for the
// classic schemas those two modules become stubs whose functions throw a named error; the real
// generator still serves any other importer.
//
// powertools-zod-namespace: Powertools' parser schemas import zod as `import { z } from 'zod'`, a
// namespace object re-exported as a value. esbuild cannot tell which of its members are read, so it
// keeps all of zod, every locale included (~380 KB in each entry point that validates an AWS
// event). `import * as z from 'zod'` binds the same members (zod exports each of them at the top
// level too), and esbuild shakes a namespace import down to the members used.
const { readFile, readdir } = require('node:fs/promises');
const { readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

const SCHEMA_FILE = /@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;
const CLIENT_PACKAGE_JSON = /@aws-sdk[\\/]client-[^\\/]+[\\/]package\.json$/;
const ROOT = join(__dirname, '..');
const PROJECT_DIRS = ['functions', 'shared'];

/** Every capitalised word in the project's own code: the error names it may import or compare. */
async function projectWords() {
  const words = new Set();
  for (const dir of PROJECT_DIRS) {
    const entries = await readdir(join(ROOT, dir), { recursive: true, withFileTypes: true });
    for (const e of entries) {
      if (!e.isFile() || !/\.(ts|js|mjs|cjs)$/.test(e.name)) continue;
      const text = await readFile(join(e.parentPath ?? e.path, e.name), 'utf8');
      for (const m of text.matchAll(/\b[A-Z][A-Za-z0-9]+\b/g)) words.add(m[0]);
    }
  }
  return words;
}

/** Error classes whose body sets `$retryable`: the SDK's retry strategy reads it. */
function retryableErrors(schemaPath) {
  try {
    const source = readFileSync(join(dirname(schemaPath), '..', 'models', 'errors.js'), 'utf8');
    const out = new Set();
    for (const block of source.split(/^export class /m).slice(1)) {
      if (block.includes('$retryable')) out.add(block.slice(0, block.search(/\s/)));
    }
    return out;
  } catch {
    return new Set();
  }
}

const awsSdkSchemaKeys = {
  name: 'aws-sdk-schema-keys',
  setup(build) {
    let words;
    build.onLoad({ filter: SCHEMA_FILE }, async (args) => {
      words ??= await projectWords();
      const retryable = retryableErrors(args.path);
      const source = await readFile(args.path, 'utf8');
      const strings = new Map();
      for (const m of source.matchAll(/^const (_\w+) = ("(?:[^"\\\n]|\\.)*");$/gm)) strings.set(m[1], m[2]);
      // Only property keys: `{ [_x]:` or `, [_x]:` (never a `cond ? [_x] : y` expression).
      const contents = source
        .replace(/([{,]\s*)\[(_\w+)\]:/g, (all, lead, name) =>
          strings.has(name) ? `${lead}${strings.get(name)}:` : all,
        )
        // Base exceptions are registered on the `_s_registry`; service errors on `n<N>_registry`.
        .replace(/^(n\d+_registry)\.registerError\((\w+)\$, (\w+)\);$/gm, (all, _registry, schema, ctor) =>
          schema === ctor && !words.has(ctor) && !retryable.has(ctor) ? `/* ${ctor}: unregistered */` : all,
        );
      return { contents, loader: 'js' };
    });
  },
};

const smithyEventStreamsStub = {
  name: 'smithy-event-streams-stub',
  setup(build) {
    // Only the protocol's lazy import: clients with streaming operations (CloudWatch Logs'
    // StartLiveTail) import the codec statically to configure themselves, and keep it.
    build.onResolve({ filter: /^@smithy\/core\/event-streams$/ }, (args) =>
      args.kind === 'dynamic-import' ? { path: 'event-streams', namespace: 'medic-stub' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'medic-stub' }, () => ({
      contents: `
class EventStreamsNotBundledError extends Error {
  name = 'EventStreamsNotBundledError';
  constructor() { super('medic bundles no AWS SDK event-stream codec: no operation it calls streams events (scripts/esbuild-plugins.cjs)'); }
}
export class EventStreamSerde { constructor() { throw new EventStreamsNotBundledError(); } }
export function eventStreamSerdeProvider() { throw new EventStreamsNotBundledError(); }
`,
      loader: 'js',
    }));
  },
};

const awsSdkPackageJson = {
  name: 'aws-sdk-package-json',
  setup(build) {
    build.onLoad({ filter: CLIENT_PACKAGE_JSON }, async (args) => {
      const { name, version } = JSON.parse(await readFile(args.path, 'utf8'));
      return { contents: JSON.stringify({ name, version }), loader: 'json' };
    });
  },
};

const ZOD_JSON_SCHEMA = /^\.\.\/core\/(json-schema-processors|to-json-schema)\.js$/;
const ZOD_CLASSIC_SCHEMAS = /zod[\\/]v4[\\/]classic[\\/]schemas\.js$/;

const zodJsonSchemaStub = {
  name: 'zod-json-schema-stub',
  setup(build) {
    build.onResolve({ filter: ZOD_JSON_SCHEMA }, (args) =>
      ZOD_CLASSIC_SCHEMAS.test(args.importer)
        ? { path: join(dirname(args.importer), args.path), namespace: 'medic-zod-stub' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'medic-zod-stub' }, async (args) => {
      const real = await readFile(args.path.replace(/[\\/]classic[\\/]\.\.[\\/]/, '/'), 'utf8');
      const names = [...real.matchAll(/^export (?:function|const) (\w+)/gm)].map((m) => m[1]);
      // `create*` build a method when a schema's `~standard` is read: they must return one.
      const exports = names.map((n) =>
        n.startsWith('create') ? `export const ${n} = () => fail;` : `export const ${n} = fail;`,
      );
      return {
        contents: `
class JsonSchemaNotBundledError extends Error {
  name = 'JsonSchemaNotBundledError';
  constructor() { super('medic bundles no zod JSON Schema generator (scripts/esbuild-plugins.cjs)'); }
}
const fail = () => { throw new JsonSchemaNotBundledError(); };
${exports.join('\n')}
`,
        loader: 'js',
      };
    });
  },
};

const POWERTOOLS_PARSER_MODULE = /@aws-lambda-powertools[\\/]parser[\\/]lib[\\/]esm[\\/].*\.js$/;

const powertoolsZodNamespace = {
  name: 'powertools-zod-namespace',
  setup(build) {
    build.onLoad({ filter: POWERTOOLS_PARSER_MODULE }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const contents = source.replace(/^import \{ (?:(\w+), )?z \} from 'zod';$/gm, (_, other) =>
        other ? `import * as z from 'zod';\nimport { ${other} } from 'zod';` : `import * as z from 'zod';`,
      );
      return { contents, loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

const endpointCacheLru = {
  name: 'endpoint-cache-lru',
  setup(build) {
    build.onResolve({ filter: /^mnemonist\/lru-cache(\.js)?$/ }, (args) =>
      /@aws-sdk[\\/]endpoint-cache[\\/]/.test(args.importer)
        ? { path: 'lru-cache', namespace: 'medic-lru' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'medic-lru' }, () => ({
      contents: `
export default class LRUCache {
  constructor(capacity) { this.capacity = capacity; this.items = new Map(); }
  get size() { return this.items.size; }
  has(key) { return this.items.has(key); }
  peek(key) { return this.items.get(key); }
  get(key) {
    if (!this.items.has(key)) return undefined;
    const value = this.items.get(key);
    this.items.delete(key);
    this.items.set(key, value);
    return value;
  }
  set(key, value) {
    this.items.delete(key);
    this.items.set(key, value);
    if (this.items.size > this.capacity) this.items.delete(this.items.keys().next().value);
    return this;
  }
  delete(key) { return this.items.delete(key); }
  clear() { this.items.clear(); }
}
`,
      loader: 'js',
    }));
  },
};

module.exports = [
  awsSdkSchemaKeys,
  smithyEventStreamsStub,
  awsSdkPackageJson,
  zodJsonSchemaStub,
  powertoolsZodNamespace,
  endpointCacheLru,
];
