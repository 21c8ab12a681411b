// `npm run definition` — writes every Task's Retry into statemachines/incident.asl.json from the
// one policy below, so the retry rules are written once and no Task can drift from them.
// test/definition.test.ts fails when the committed definition is not what this writes.
//
// Why three policies: the Lambda service errors are always safe to retry (the function did not
// run, or its answer was lost before any side effect); AwsTransientError (a throttle, a 5xx, a
// lost connection, raised by the adapters after their own retries) is safe for every function,
// each of which is idempotent or claims before it acts; and a Task that timed out
// (States.Timeout, Sandbox.Timedout) is retried only where the function resumes a half-done
// action from what AWS shows (stop/start, failover) instead of repeating it, or is re-entrant for
// its own execution (Admit: this execution's episode claim and locks are taken again as its own). A task-token wait
// retries only the invocation that sends the request: its timeout is the answer "timed out".
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFINITION_FILE = path.join(ROOT, 'statemachines', 'incident.asl.json');

const LAMBDA_ERRORS = {
  ErrorEquals: [
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
    'Lambda.ClientExecutionTimeoutException',
  ],
  IntervalSeconds: 1,
  MaxAttempts: 3,
  BackoffRate: 2,
  JitterStrategy: 'FULL',
};
const TRANSIENT = {
  ErrorEquals: ['AwsTransientError'],
  IntervalSeconds: 2,
  MaxAttempts: 4,
  BackoffRate: 2,
  MaxDelaySeconds: 20,
  JitterStrategy: 'FULL',
};
const TIMED_OUT = {
  ErrorEquals: ['States.Timeout', 'Sandbox.Timedout'],
  IntervalSeconds: 2,
  MaxAttempts: 2,
  BackoffRate: 2,
  JitterStrategy: 'FULL',
};

/** The Tasks whose function resumes a half-done step instead of repeating it. */
export const RESUMES_AFTER_TIMEOUT: ReadonlySet<string> = new Set(['Admit', 'StopStart', 'Failover']);

type Json = Record<string, unknown>;

/** The Retry a Task gets, by what it is. */
export function retryFor(name: string, task: Json): Json[] {
  if (String(task.Resource ?? '').endsWith('.waitForTaskToken')) return [LAMBDA_ERRORS];
  if (RESUMES_AFTER_TIMEOUT.has(name)) return [LAMBDA_ERRORS, TRANSIENT, TIMED_OUT];
  return [LAMBDA_ERRORS, TRANSIENT];
}

/** The definition with every Task's Retry from the policy (keys kept in their place). */
export function withRetries(definition: Json): Json {
  const states = (machine: Json): Json => {
    const out: Json = {};
    for (const [name, raw] of Object.entries(machine as Record<string, Json>)) {
      let s: Json = { ...raw };
      if (Array.isArray(s.Branches))
        s.Branches = (s.Branches as Json[]).map((b) => ({ ...b, States: states(b.States as Json) }));
      if (s.ItemProcessor) {
        const p = s.ItemProcessor as Json;
        s.ItemProcessor = { ...p, States: states(p.States as Json) };
      }
      if (s.Type === 'Task') {
        // Retry sits after TimeoutSeconds (or Resource), where the definition has always kept it.
        const retry = retryFor(name, s);
        const { Retry: _old, ...rest } = s;
        const entries = Object.entries(rest);
        const at = Math.max(
          entries.findIndex(([k]) => k === 'TimeoutSeconds' || k === 'TimeoutSecondsPath'),
          0,
        );
        s = Object.fromEntries([...entries.slice(0, at + 1), ['Retry', retry], ...entries.slice(at + 1)]);
      }
      out[name] = s;
    }
    return out;
  };
  return { ...definition, States: states(definition.States as Json) };
}

if (import.meta.main) {
  const current = JSON.parse(readFileSync(DEFINITION_FILE, 'utf8')) as Json;
  writeFileSync(DEFINITION_FILE, `${JSON.stringify(withRetries(current), null, 2)}\n`);
  console.log('statemachines/incident.asl.json: Retry written from scripts/definition.ts');
}
