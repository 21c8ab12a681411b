/**
 * The time a function has left, as a plain value the use cases can hold without knowing about
 * Lambda. A handler derives it from `context.getRemainingTimeInMillis()` when it starts; a use case
 * keeps part of it in reserve for the work that must happen whatever else ran long (the outbox
 * write and the final SNS message after a slow Jira).
 */
export interface Deadline {
  /** Milliseconds left before the deadline (negative once it has passed). */
  leftMs(): number;
}

/** No bound: the caller has no notion of its remaining time (a script, a test without a context). */
export const NO_DEADLINE: Deadline = { leftMs: () => Number.POSITIVE_INFINITY };

export function deadlineIn(ms: number, now: () => number = Date.now): Deadline {
  const at = now() + ms;
  return { leftMs: () => at - now() };
}

/** The same deadline, `ms` earlier: what is left once `ms` are set aside for the work after it. */
export function withReserve(deadline: Deadline, ms: number): Deadline {
  return { leftMs: () => deadline.leftMs() - ms };
}
