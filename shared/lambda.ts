/**
 * The one wrapper every handler uses: middy with the Powertools logger (context, cold start) and
 * every line of an invocation keyed by the incident and instance it works on, so a person can
 * search CloudWatch Logs for one incident across all of medic's functions. Handlers stay thin:
 * parse input, call a use case, return its result.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { type Deadline, deadlineIn, NO_DEADLINE } from './domain/deadline.ts';
import { InvalidTriggerError, MalformedEventError } from './errors.ts';

export const logger = new Logger({ serviceName: 'medic' });

/** What every log line of an invocation is keyed by. */
export interface LogKeys {
  incident?: string;
  /** One instance id, or several joined by commas (an incident over many targets). */
  instance?: string;
}

/** Long enough for any id medic makes; a hostile payload cannot bloat every line of the invocation. */
const MAX_KEY_CHARS = 200;
const MAX_INSTANCES = 20;

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
const shortString = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value.slice(0, MAX_KEY_CHARS) : undefined;

/**
 * The incident and instance a payload is about. State-machine payloads carry them on a case
 * (`incidentId`, `target.instanceId`) or on the incident state (`incidentId`, `targets[]`), either
 * at the top or one level down when a Task wraps them (`{ state }`, `{ case, taskToken }`). Raw
 * webhook and SNS entries carry neither until they are normalised, and get no keys.
 */
export function logKeysOf(payload: unknown): LogKeys {
  const top = asRecord(payload);
  if (!top) return {};
  const candidates: Record<string, unknown>[] = [
    top,
    ...Object.values(top).flatMap((v) => {
      const child = asRecord(v);
      return child ? [child] : [];
    }),
  ];
  const incident = candidates.map((c) => shortString(c.incidentId)).find((id) => id !== undefined);
  const instances = candidates
    .map((c) => {
      const one = shortString(asRecord(c.target)?.instanceId);
      if (one) return [one];
      const many = Array.isArray(c.targets) ? c.targets : [];
      return many.flatMap((t: unknown) => shortString(asRecord(t)?.instanceId) ?? []);
    })
    .find((ids) => ids.length > 0);
  const keys: LogKeys = {};
  if (incident) keys.incident = incident;
  if (instances) keys.instance = [...new Set(instances)].slice(0, MAX_INSTANCES).join(',');
  return keys;
}

/**
 * The fields of a handler's result worth a line: where the run goes next and what happened, never
 * the evidence, timelines or bodies (they can be large, and a webhook body is the caller's).
 * Lists are logged as their length.
 */
const OUTCOME_FIELDS = new Set([
  'statusCode',
  'outcome',
  'next',
  'action',
  'rung',
  'kind',
  'why',
  'disposition',
  'settledBy',
  'phase',
  'Error',
  'move',
  'admission',
  'result',
  'pending',
  'error',
  'started',
  'joined',
  'closed',
  'ignored',
  'checked',
  'drift',
  'filed',
  'retryLater',
  'skipped',
  'cases',
  'actions',
]);

export function outcomeOf(result: unknown, depth = 0): Record<string, unknown> {
  const record = asRecord(result);
  if (!record) return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (!OUTCOME_FIELDS.has(key)) continue;
    if (typeof value === 'string') out[key] = value.slice(0, MAX_KEY_CHARS);
    else if (typeof value === 'number' || typeof value === 'boolean' || value === null) out[key] = value;
    else if (Array.isArray(value)) out[key] = value.length;
    else if (depth === 0) {
      const nested = outcomeOf(value, depth + 1);
      if (Object.keys(nested).length > 0) out[key] = nested;
    }
  }
  return out;
}

export interface LambdaOptions<TOut> {
  /** What the closing line says about the result (default: {@link outcomeOf}). */
  outcome?: (result: TOut) => Record<string, unknown>;
}

/**
 * Keys every line of the invocation by incident and instance, ends it with one line (`info` with
 * the outcome, or `error` with the error's name), and resets the keys: a warm container's next
 * invocation must not inherit the last incident's keys, or a search by incident would find lines
 * that are not about it.
 */
export function incidentLogging<TOut>(
  log: Logger,
  outcome: (result: TOut) => Record<string, unknown> = outcomeOf,
): MiddlewareObj<unknown, TOut> {
  return {
    before: (request) => {
      log.appendKeys({ ...logKeysOf(request.event) });
    },
    after: (request) => {
      // An invocation that opens the incident only learns its id from its own result.
      const fromEvent = logKeysOf(request.event);
      const fromResult = logKeysOf(request.response);
      log.appendKeys({ ...fromResult, ...fromEvent });
      log.info('invocation done', { outcome: outcome(request.response as TOut) });
      log.resetKeys();
    },
    onError: (request) => {
      const error = request.error ?? new Error('unknown error');
      log.error('invocation failed', { errorName: error.name, error });
      log.resetKeys();
    },
  };
}

export function lambda<TOut>(
  fn: (event: unknown, context: Context) => Promise<TOut>,
  options: LambdaOptions<TOut> = {},
) {
  return middy(fn).use(injectLambdaContext(logger)).use(incidentLogging<TOut>(logger, options.outcome));
}

/**
 * A parse failure of Powertools' parser middleware, renamed to medic's MalformedEventError. It sets
 * the error rather than throwing it: a throwing onError would skip the logging middleware's own.
 */
function namedParseErrors(): MiddlewareObj {
  return {
    onError: (request) => {
      const error = request.error;
      if (error?.name !== 'ParseError') return;
      // The schema's issues name the fields (never their values): enough to find the wiring mistake.
      const issues = Array.isArray(error.cause)
        ? (error.cause as { path?: unknown[]; message?: string }[])
        : [];
      const problems = issues
        .slice(0, 5)
        .map((i) => `${i.path?.join('.') || '(root)'}: ${i.message ?? 'invalid'}`)
        .join('; ');
      request.error = new MalformedEventError(`not the event AWS sends here: ${problems || error.message}`, {
        cause: error,
      });
    },
  };
}

/**
 * For handlers whose event AWS shapes (an SNS delivery, a function URL request, a scheduled event):
 * Powertools' parser validates it against its built-in schema of that event before the handler
 * runs, and a mismatch fails the invocation as MalformedEventError with nothing started.
 */
export function awsLambda<S extends z.ZodType, TOut>(
  schema: S,
  fn: (event: z.output<S>, context: Context) => Promise<TOut>,
  options: LambdaOptions<TOut> = {},
) {
  return middy(fn as (event: unknown, context: Context) => Promise<TOut>)
    .use(injectLambdaContext(logger))
    .use(incidentLogging<TOut>(logger, options.outcome))
    .use(namedParseErrors())
    .use(parser({ schema }));
}

/** Validates a state-machine payload; a mismatch is a bug in the ASL wiring, named as such. */
export function parseWith<T extends z.ZodTypeAny>(schema: T, event: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(event);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new InvalidTriggerError(`invalid ${what} payload: ${problems}`);
  }
  return parsed.data;
}

/**
 * The invocation's deadline: Lambda ends the function, mid-call, when its timeout passes, so the
 * work is bounded by the time left rather than by the sum of its own timeouts and retries.
 */
export function deadlineOf(context: unknown): Deadline {
  const remaining = (context as Partial<Context> | undefined)?.getRemainingTimeInMillis;
  return typeof remaining === 'function' ? deadlineIn(remaining.call(context)) : NO_DEADLINE;
}
