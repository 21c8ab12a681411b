/**
 * The one wrapper every handler uses: middy with the Powertools logger (context, cold start).
 * Handlers stay thin: parse input, call a use case, return its result.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { type Deadline, deadlineIn, NO_DEADLINE } from './domain/deadline.ts';
import { InvalidTriggerError } from './errors.ts';

export const logger = new Logger({ serviceName: 'medic' });

export function lambda<TOut>(fn: (event: unknown, context: Context) => Promise<TOut>) {
  return middy(fn).use(injectLambdaContext(logger));
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
