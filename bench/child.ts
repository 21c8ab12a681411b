/**
 * A fresh Node process, like a Lambda sandbox: import one module (a bundle or an unbundled
 * handler), optionally invoke its `handler` export once with a JSON input, and print one JSON line
 * with the import time, invoke time and the process's peak RSS.
 *
 *   node bench/child.ts <module path | -> [input.json] [output.json] [export]
 *
 * ("-" imports nothing: the bare baseline.) With output.json the handler's whole result, or its
 * error's name and message, is written there, so a state machine can continue from it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [target, inputFile, outputFile, exportName = 'handler'] = process.argv.slice(2);
const out: {
  importMs: number;
  invokeMs: number | null;
  maxRssKb: number;
  error: string | null;
  result?: string;
} = {
  importMs: 0,
  invokeMs: null,
  maxRssKb: 0,
  error: null,
};
try {
  let mod: Record<string, unknown> = {};
  const started = performance.now();
  if (target && target !== '-') mod = (await import(pathToFileURL(target).href)) as Record<string, unknown>;
  out.importMs = performance.now() - started;
  if (inputFile) {
    const handler = mod[exportName] as (event: unknown, context: unknown) => Promise<unknown>;
    const input = JSON.parse(readFileSync(inputFile, 'utf8')) as unknown;
    const invoked = performance.now();
    const result = await handler(input, {
      functionName: 'medic-bench',
      awsRequestId: 'bench',
      getRemainingTimeInMillis: () => 30_000,
    });
    out.invokeMs = performance.now() - invoked;
    if (outputFile) writeFileSync(outputFile, JSON.stringify({ result: result ?? null }));
    // What a caller would notice (e.g. the ticket Record filed, or not), without the whole state.
    const r = (result ?? {}) as { ticket?: unknown; outcome?: unknown; error?: unknown };
    out.result = JSON.stringify({ ticket: r.ticket ?? null, outcome: r.outcome ?? null }).slice(0, 200);
  }
} catch (error) {
  out.error = `${(error as Error).name}: ${(error as Error).message}`.slice(0, 200);
  if (outputFile)
    writeFileSync(
      outputFile,
      JSON.stringify({ error: { name: (error as Error).name, message: (error as Error).message } }),
    );
}
out.maxRssKb = process.resourceUsage().maxRSS;
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
