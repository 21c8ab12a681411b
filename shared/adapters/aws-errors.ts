/** Maps SDK failures onto medic's named errors so the ASL can retry the transient ones. */
import { AwsTransientError } from '../errors.ts';

const TRANSIENT = new Set([
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'ServiceUnavailable',
  'InternalError',
  'InternalFailure',
  'RequestTimeout',
  'TimeoutError',
]);

export function isTransient(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number }; code?: string };
  const status = e.$metadata?.httpStatusCode ?? 0;
  return (
    TRANSIENT.has(e.name ?? '') || status >= 500 || ['ECONNREFUSED', 'ECONNRESET'].includes(e.code ?? '')
  );
}

export async function callAws<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isTransient(error))
      throw new AwsTransientError(`${what}: ${(error as Error).message}`, { cause: error });
    throw error;
  }
}

/** Throttling answers mean AWS did not run the request at all, so the claim is safe to give back. */
export function wasThrottled(error: unknown): boolean {
  const e = error as { name?: string; cause?: { name?: string } };
  const name = e.name === 'AwsTransientError' ? e.cause?.name : e.name;
  return ['ThrottlingException', 'Throttling', 'RequestLimitExceeded', 'TooManyRequestsException'].includes(
    name ?? '',
  );
}
