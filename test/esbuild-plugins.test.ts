/**
 * The bundle-size plugin (scripts/esbuild-plugins.cjs) rewrites the AWS SDK's schema tables at
 * build time. It must change nothing a caller can notice: the EC2 requests medic sends and the
 * responses it reads are identical with and without it, while the bundle loses the unused schemas.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { LAMBDA_BUILD, REQUIRE_BANNER } from '../scripts/esbuild-base.ts';

const ROOT = join(import.meta.dirname, '..');
const plugins = createRequire(import.meta.url)('../scripts/esbuild-plugins.cjs') as Plugin[];
const work = mkdtempSync(join(tmpdir(), 'medic-esbuild-plugins-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Sends each command through a real EC2Client; the HTTP layer is replaced by a canned answer. */
const ENTRY = `
import { DescribeInstancesCommand, DescribeInstanceStatusCommand, EC2Client, RebootInstancesCommand } from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import * as z from 'zod';
const XML = {
  DescribeInstances: '<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><reservationSet><item><reservationId>r-1</reservationId><instancesSet><item><instanceId>i-1</instanceId><instanceType>t3.micro</instanceType><privateIpAddress>10.0.0.5</privateIpAddress><instanceState><code>16</code><name>running</name></instanceState><placement><availabilityZone>us-east-1a</availabilityZone></placement><tagSet><item><key>medic:managed</key><value>true</value></item></tagSet></item></instancesSet></item></reservationSet></DescribeInstancesResponse>',
  DescribeInstanceStatus: '<DescribeInstanceStatusResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><instanceStatusSet><item><instanceId>i-1</instanceId><systemStatus><status>impaired</status></systemStatus><instanceStatus><status>ok</status></instanceStatus><eventsSet><item><code>system-reboot</code><description>scheduled</description></item></eventsSet></item></instanceStatusSet></DescribeInstanceStatusResponse>',
  RebootInstances: '<RebootInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><return>true</return></RebootInstancesResponse>',
};
export async function exchange() {
  const client = new EC2Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const requests = [];
  client.middlewareStack.add((next, context) => async (args) => {
    requests.push(String(args.request.body));
    const body = new TextEncoder().encode(XML[context.commandName.replace(/Command$/, '')]);
    return { response: { statusCode: 200, headers: { 'content-type': 'text/xml' }, body } };
  }, { step: 'deserialize', priority: 'low' });
  const outputs = [
    await client.send(new DescribeInstancesCommand({ InstanceIds: ['i-1', 'i-2'], DryRun: false })),
    await client.send(new DescribeInstanceStatusCommand({ InstanceIds: ['i-1'], IncludeAllInstances: true })),
    await client.send(new RebootInstancesCommand({ InstanceIds: ['i-1'], DryRun: true })),
  ].map(({ $metadata, ...rest }) => rest);
  return { requests, outputs, errors: await ssmErrors(), zod: zodParse() };
}
// An SSM error medic never names: unregistered by the plugin, it must still arrive with its name.
async function ssmErrors() {
  const client = new SSMClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  client.middlewareStack.add(() => async () => {
    const body = new TextEncoder().encode(JSON.stringify({ __type: 'InvalidKeyId', message: 'the key is disabled' }));
    return { response: { statusCode: 400, headers: { 'content-type': 'application/x-amz-json-1.1' }, body } };
  }, { step: 'deserialize', priority: 'low' });
  try {
    await client.send(new GetParameterCommand({ Name: '/medic/secret', WithDecryption: true }));
    return null;
  } catch (e) {
    return { name: e.name, message: e.message, fault: e.$fault, status: e.$metadata?.httpStatusCode, isError: e instanceof Error };
  }
}
// zod's classic schemas without their JSON Schema generator: parsing and ~standard are unchanged.
function zodParse() {
  const schema = z.object({ id: z.string().regex(/^i-/), n: z.coerce.number().int().default(3) });
  const ok = schema.safeParse({ id: 'i-1' });
  const bad = schema.safeParse({ id: 'x', n: 'y' });
  const standard = schema['~standard'].validate({ id: 'i-2', n: '4' });
  let json;
  try { json = z.toJSONSchema(schema).type; } catch (e) { json = e.name; }
  return { ok: ok.data, bad: bad.error.issues.map((i) => i.path.join('.')), standard: standard.value, json };
}
`;

async function bundle(name: string, withPlugins: boolean) {
  const outfile = join(work, `${name}.mjs`);
  await build({
    ...LAMBDA_BUILD,
    stdin: { contents: ENTRY, resolveDir: ROOT, loader: 'js' },
    // Not minified: cheaper to build next to the packaging test; the schema table is just as large.
    outfile,
    plugins: withPlugins ? plugins : [],
    banner: REQUIRE_BANNER,
  });
  const mod = (await import(pathToFileURL(outfile).href)) as {
    exchange(): Promise<{
      requests: string[];
      outputs: unknown[];
      errors: Record<string, unknown> | null;
      zod: Record<string, unknown>;
    }>;
  };
  return { bytes: statSync(outfile).size, text: readFileSync(outfile, 'utf8'), ...(await mod.exchange()) };
}

describe('esbuild plugins (scripts/esbuild-plugins.cjs)', () => {
  it('send and read EC2 and SSM, and parse with zod, exactly as the unmodified packages do, in a much smaller bundle', async () => {
    // Prepare + Act
    const plain = await bundle('plain', false);
    const shaken = await bundle('shaken', true);

    // Assess: identical wire requests and parsed outputs
    expect(shaken.requests).toEqual(plain.requests);
    expect(shaken.requests[0]).toContain('InstanceId.2=i-2');
    expect(shaken.outputs).toEqual(plain.outputs);
    expect(shaken.outputs[0]).toMatchObject({
      Reservations: [{ Instances: [{ InstanceId: 'i-1', Tags: [{ Key: 'medic:managed', Value: 'true' }] }] }],
    });
    expect(shaken.outputs[1]).toMatchObject({
      InstanceStatuses: [{ SystemStatus: { Status: 'impaired' }, Events: [{ Code: 'system-reboot' }] }],
    });
    // Assess: an error medic never names arrives as before, by name (its class was not bundled)
    expect(shaken.errors).toEqual(plain.errors);
    expect(shaken.errors).toEqual({
      name: 'InvalidKeyId',
      message: 'the key is disabled',
      fault: 'client',
      status: 400,
      isError: true,
    });
    // Assess: zod parses as before; only JSON Schema generation is gone, with a named error
    expect({ ...shaken.zod, json: undefined }).toEqual({ ...plain.zod, json: undefined });
    expect(shaken.zod).toMatchObject({
      ok: { id: 'i-1', n: 3 },
      bad: ['id', 'n'],
      standard: { id: 'i-2', n: 4 },
    });
    expect(plain.zod.json).toBe('object');
    expect(shaken.zod.json).toBe('JsonSchemaNotBundledError');
    // Assess: the unused EC2 schemas are gone (the SDK's table is ~540 KB even minified)
    expect(plain.bytes - shaken.bytes).toBeGreaterThan(400 * 1024);
    expect(plain.text).toContain('"com.amazonaws.ssm#InvalidKeyId"');
    expect(shaken.text).not.toContain('"com.amazonaws.ssm#InvalidKeyId"');
  }, 180_000);
});

describe('endpoint-cache-lru (scripts/esbuild-plugins.cjs)', () => {
  /** The SDK's EndpointCache, bundled with or without the plugin, driven the way the client drives it. */
  async function cacheBundle(name: string, withPlugins: boolean) {
    const outfile = join(work, `${name}.mjs`);
    const result = await build({
      stdin: {
        contents: `
import { EndpointCache } from '@aws-sdk/endpoint-cache';
export function exercise() {
  const cache = new EndpointCache(2);
  cache.set('a', [{ Address: 'a.example', CachePeriodInMinutes: 1 }]);
  cache.set('b', [{ Address: 'b.example', CachePeriodInMinutes: 1 }]);
  const first = cache.getEndpoint('a');
  cache.set('c', [{ Address: 'c.example', CachePeriodInMinutes: 1 }]);
  const afterEviction = ['a', 'b', 'c'].map((k) => cache.has(k));
  cache.delete('c');
  const deleted = cache.has('c');
  cache.clear();
  return { first, afterEviction, deleted, cleared: cache.has('a') };
}`,
        resolveDir: ROOT,
        loader: 'js',
      },
      ...LAMBDA_BUILD,
      outfile,
      metafile: true,
      plugins: withPlugins ? plugins : [],
    });
    const mod = (await import(pathToFileURL(outfile).href)) as { exercise(): Record<string, unknown> };
    return { inputs: Object.keys(result.metafile.inputs), result: mod.exercise() };
  }

  it('replaces mnemonist in the endpoint cache with a Map-based LRU that behaves the same', async () => {
    // Act
    const plain = await cacheBundle('endpoint-cache-plain', false);
    const small = await cacheBundle('endpoint-cache-small', true);
    // Assess: the least recently used entry is evicted in both (b: "a" was read after it)
    expect(plain.result).toEqual({
      first: 'a.example',
      afterEviction: [true, false, true],
      deleted: false,
      cleared: false,
    });
    expect(small.result).toEqual(plain.result);
    expect(plain.inputs.some((f) => f.includes('mnemonist'))).toBe(true);
    expect(small.inputs.some((f) => f.includes('mnemonist') || f.includes('obliterator'))).toBe(false);
  }, 60_000);
});

describe('powertools-zod-namespace (scripts/esbuild-plugins.cjs)', () => {
  /** Parses AWS events with Powertools' built-in schemas, as the entry points do. */
  const PARSER_ENTRY = `
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { LambdaFunctionUrlSchema } from '@aws-lambda-powertools/parser/schemas/lambda';
import { SnsSchema } from '@aws-lambda-powertools/parser/schemas/sns';
import { parser } from '@aws-lambda-powertools/parser/middleware';
export function parseAll(sns) {
  const issues = (r) => r.success ? r.data : r.error.issues.map((i) => [i.path.join('.'), i.code]);
  const request = { event: { version: '0' } };
  let middleware;
  try { parser({ schema: EventBridgeSchema }).before(request); } catch (e) { middleware = e.name; }
  return {
    sns: issues(SnsSchema.safeParse(sns)),
    badSns: issues(SnsSchema.safeParse({ Records: [{ EventSource: 'aws:sqs' }] })),
    url: issues(LambdaFunctionUrlSchema.safeParse({ version: '2.0', requestContext: { http: { method: 'BREW' } } })),
    middleware,
  };
}
`;
  async function parserBundle(name: string, withPlugins: boolean) {
    const outfile = join(work, `${name}.mjs`);
    await build({
      ...LAMBDA_BUILD,
      stdin: { contents: PARSER_ENTRY, resolveDir: ROOT, loader: 'js' },
      minify: true,
      outfile,
      plugins: withPlugins ? plugins : [],
    });
    const mod = (await import(pathToFileURL(outfile).href)) as { parseAll(sns: unknown): unknown };
    const sns = JSON.parse(
      readFileSync(join(ROOT, 'test', 'fixtures', 'sns-lambda-metric-math.json'), 'utf8'),
    );
    return { bytes: statSync(outfile).size, parsed: mod.parseAll(sns) };
  }

  it('parses AWS events exactly as before without bundling all of zod and its locales', async () => {
    // Prepare + Act
    const plain = await parserBundle('parser-plain', false);
    const shaken = await parserBundle('parser-shaken', true);
    // Assess
    expect(shaken.parsed).toEqual(plain.parsed);
    expect(shaken.parsed).toMatchObject({
      sns: { Records: [{ EventSource: 'aws:sns', Sns: { Type: 'Notification' } }] },
      middleware: 'ParseError',
    });
    expect(plain.bytes - shaken.bytes).toBeGreaterThan(200 * 1024);
  }, 180_000);
});

describe('the builds made by hand', () => {
  it('start from the settings serverless.yml deploys with', () => {
    // Prepare
    const yml = parseYaml(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'error' });
    const deployed = yml.custom.esbuild;
    // Act
    const { bundle, platform, target, format, mainFields } = LAMBDA_BUILD;
    // Assess
    expect({ bundle, platform, target, format, mainFields }).toEqual({
      bundle: deployed.bundle,
      platform: deployed.platform,
      target: deployed.target,
      format: deployed.format,
      mainFields: deployed.mainFields,
    });
    expect(REQUIRE_BANNER).toEqual(deployed.banner);
  });
});
