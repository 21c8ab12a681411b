/**
 * Every error medic throws is a class with a literal `name`. The names are the contract with the
 * state machine's Retry/Catch (statemachines/incident.asl.json) and with the CLI's exit messages,
 * so renaming one is a breaking change.
 */

/** Input that can never become an incident (malformed JSON, wrong shape). Not retried. */
export class InvalidTriggerError extends Error {
  override readonly name = 'InvalidTriggerError' as const;
}

/** A well-formed event of a kind medic does not handle (e.g. an EC2 state-change event). */
export class UnsupportedEventError extends Error {
  override readonly name = 'UnsupportedEventError' as const;
}

/** A valid alarm that names no instance medic can resolve (no InstanceId / ASG dimension). */
export class NoTargetError extends Error {
  override readonly name = 'NoTargetError' as const;
}

/**
 * A well-formed alarm that is not medic's to answer (medic's own operational alarm, a
 * target-tracking scaling alarm): the run ends quietly at NotForMedic, like a NoTargetError.
 */
export class NotForMedicError extends Error {
  override readonly name = 'NotForMedicError' as const;
  /** What made it so (a metric dimension): 'ops-alarm', 'target-tracking', … */
  readonly kind: string;
  constructor(message: string, kind: string) {
    super(message);
    this.kind = kind;
  }
}

/** A CloudWatch transition that is not into ALARM: nothing to start. */
export class NotAnAlarmTransitionError extends Error {
  override readonly name = 'NotAnAlarmTransitionError' as const;
}

/** The instance named by the trigger does not exist in this account/region. */
export class InstanceNotFoundError extends Error {
  override readonly name = 'InstanceNotFoundError' as const;
}

/** A probe was about to leave loopback while loopback-only probing is enforced (simulate, tests). */
export class UnsafeProbeTargetError extends Error {
  override readonly name = 'UnsafeProbeTargetError' as const;
}

/** `simulate` was pointed at a non-loopback AWS or Jira endpoint: it must never act on a real account. */
export class UnsafeEndpointError extends Error {
  override readonly name = 'UnsafeEndpointError' as const;
}

/** Configuration missing or invalid (env, parameters). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError' as const;
}

/** An AWS call failed in a way worth retrying (throttling, 5xx, network). ASL retries it with backoff. */
export class AwsTransientError extends Error {
  override readonly name = 'AwsTransientError' as const;
}

/** Jira answered 5xx/429, timed out or was unreachable. ASL retries it with backoff and jitter. */
export class JiraUnavailableError extends Error {
  override readonly name = 'JiraUnavailableError' as const;
}

/** Jira is switched off for this deployment (`--param jira=off`): tickets stay in the outbox. */
export class JiraDisabledError extends Error {
  override readonly name = 'JiraDisabledError' as const;
}

/** The function's remaining time ran out before this call: it was not started (or was cut off). */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError' as const;
}

/** Jira rejected the request (4xx other than 429): retrying will not help. */
export class JiraRequestError extends Error {
  override readonly name = 'JiraRequestError' as const;
}

/** The local substrate (moto, local Jira, probe servers) could not be started. */
export class LocalSubstrateError extends Error {
  override readonly name = 'LocalSubstrateError' as const;
}

/** An evidence check did not finish within its time box (issue 3): recorded as "could not check". */
export class EvidenceTimeoutError extends Error {
  override readonly name = 'EvidenceTimeoutError' as const;
}

// ---- Issue #4: the mitigation ladder ----

/** EC2 refuses to stop the instance (stop protection, instance-store root, unsupported type). */
export class StopNotAllowedError extends Error {
  override readonly name = 'StopNotAllowedError' as const;
}

/** An approve/reject link whose signature is wrong, or that has expired: nothing is decided. */
export class InvalidApprovalLinkError extends Error {
  override readonly name = 'InvalidApprovalLinkError' as const;
}

/**
 * The error a person's "reject" sends through SendTaskFailure. Never thrown inside medic's own
 * process: the approval function passes the name to Step Functions and the ASL Catch records it.
 */
export const APPROVAL_REJECTED = 'ApprovalRejected' as const;

/** Names a person can act on, for the CLI: these are printed as one line without a stack trace. */
export const USER_FACING_ERRORS = new Set<string>([
  'InvalidTriggerError',
  'UnsupportedEventError',
  'NoTargetError',
  'NotForMedicError',
  'NotAnAlarmTransitionError',
  'InstanceNotFoundError',
  'UnsafeProbeTargetError',
  'UnsafeEndpointError',
  'ConfigError',
  'LocalSubstrateError',
]);

// ---- issue #5 ----
/** The safety store (DynamoDB) refused a write in a way that is not a retryable throttle. */
export class SafetyStoreError extends Error {
  override readonly name = 'SafetyStoreError' as const;
}

/** An intake event larger than medic accepts (the state machine payload limit is 256 KB). */
export class EventTooLargeError extends Error {
  override readonly name = 'EventTooLargeError' as const;
}
USER_FACING_ERRORS.add('EventTooLargeError');
// ---- issue 7: entry points and operator tools ----

/** A webhook request without valid credentials (shared secret or HMAC signature). HTTP 401. */
export class UnauthorizedError extends Error {
  override readonly name = 'UnauthorizedError' as const;
}

/** A webhook body above the configured limit. HTTP 413; nothing is parsed or started. */
export class PayloadTooLargeError extends Error {
  override readonly name = 'PayloadTooLargeError' as const;
}

/** The operator CLI was given something it cannot act on (bad instance id, unknown execution). */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError' as const;
}

/** An execution, incident or task token the operator named does not exist. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError' as const;
}

USER_FACING_ERRORS.add('CliUsageError');
USER_FACING_ERRORS.add('NotFoundError');
