/**
 * A token bucket, pure: the caller keeps the bucket and passes the time in. Statuspage allows each
 * API token 1 request per second over a rolling 60 s window and answers 420 or 429 beyond that;
 * spacing requests by the refill interval keeps one sandbox inside that limit (several sandboxes
 * sharing a token can still exceed it, which is what the adapter's bounded retries are for).
 */
export interface TokenBucket {
  /** Tokens available now (fractional while refilling). */
  tokens: number;
  /** When `tokens` was last brought up to date (ms since the epoch). */
  at: number;
}

export interface BucketShape {
  /** Most tokens the bucket holds: the burst allowed after a quiet spell. */
  capacity: number;
  /** Tokens added per second. */
  perSecond: number;
}

export function fullBucket(shape: BucketShape, nowMs: number): TokenBucket {
  return { tokens: shape.capacity, at: nowMs };
}

/**
 * Takes one token: `waitMs` is how long the caller must wait before sending (0 when a token was
 * there), and `bucket` is the state after the take (the token is spent even while waited for).
 */
export function takeToken(
  shape: BucketShape,
  bucket: TokenBucket,
  nowMs: number,
): { bucket: TokenBucket; waitMs: number } {
  const elapsedS = Math.max(0, nowMs - bucket.at) / 1_000;
  const tokens = Math.min(shape.capacity, bucket.tokens + elapsedS * shape.perSecond);
  if (tokens >= 1) return { bucket: { tokens: tokens - 1, at: nowMs }, waitMs: 0 };
  const waitMs = Math.ceil(((1 - tokens) / shape.perSecond) * 1_000);
  return { bucket: { tokens: tokens - 1, at: nowMs }, waitMs };
}

/**
 * How long to wait after a 420/429: the server's Retry-After (seconds, or an HTTP date) when it
 * gives one, else exponential backoff; never more than `capMs`. Null when the answer said nothing
 * usable and the attempts are spent.
 */
export function rateLimitPause(
  retryAfter: string | null,
  attempt: number,
  nowMs: number,
  options: { baseMs: number; capMs: number },
): number {
  let ms: number | null = null;
  if (retryAfter !== null && retryAfter.trim() !== '') {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) ms = seconds * 1_000;
    else {
      const at = Date.parse(retryAfter);
      if (Number.isFinite(at)) ms = at - nowMs;
    }
  }
  if (ms === null) ms = options.baseMs * 2 ** Math.max(0, attempt - 1);
  return Math.max(0, Math.min(Math.round(ms), options.capMs));
}
