/**
 * Every error medic throws is a class with a literal `name`. Lambda reports a thrown error's
 * `name` as its errorType, and Step Functions matches Retry/Catch `ErrorEquals` against that
 * string exactly (no inheritance), so the names are the contract with the definition
 * (statemachines/incident.asl.json) and with the CLI's exit messages: renaming one is a breaking
 * change. The literal (rather than `this.constructor.name`) survives a minifying bundler.
 *
 * The classes are grouped by what happens to them. A class whose doc (or whose group's doc) says
 * the workflow retries or catches it *by name* must be named in some `ErrorEquals`, and every
 * medic name in an `ErrorEquals` must be a class here: test/error-contract.test.ts holds both.
 * Everything else reaches the definition only through its `States.ALL` catchers.
 */

/** The root of medic's errors: `instanceof MedicError` tells medic's own failures from a bug's. */
export abstract class MedicError extends Error {
  abstract override readonly name: string;
}

// ---- transient: the workflow retries these by name ----

/**
 * A failure that may pass on its own. The definition retries each of these by name, with backoff,
 * before its catch-all sees them.
 */
export abstract class TransientError extends MedicError {}

/** An AWS call failed in a way worth retrying (throttling, 5xx, network). */
export class AwsTransientError extends TransientError {
  override readonly name = 'AwsTransientError' as const;
}

// ---- bad input: never retried, the same input fails the same way ----

/**
 * Input that can never become a run: retrying it cannot help. At the entry points it becomes an
 * HTTP 4xx or a failed SNS delivery (kept in the failure queue); inside a run the catch-all
 * (`States.ALL`) ends it on the failure path.
 */
export abstract class BadInputError extends MedicError {}

/** Input that can never become an incident (malformed JSON, wrong shape). */
export class InvalidTriggerError extends BadInputError {
  override readonly name = 'InvalidTriggerError' as const;
}

/**
 * An event whose envelope is not the shape AWS documents for its source (SNS delivery, function
 * URL request, scheduled event): a wiring mistake, not an alarm. Nothing is started from it, and
 * an SNS delivery that fails this way is kept by the function's failure destination.
 */
export class MalformedEventError extends BadInputError {
  override readonly name = 'MalformedEventError' as const;
}

/** A well-formed event of a kind medic does not handle (e.g. an EC2 state-change event). */
export class UnsupportedEventError extends BadInputError {
  override readonly name = 'UnsupportedEventError' as const;
}

/** A valid alarm that names no instance medic can resolve (no InstanceId / ASG dimension). */
export class NoTargetError extends BadInputError {
  override readonly name = 'NoTargetError' as const;
}

/**
 * A well-formed alarm that is not medic's to answer (medic's own operational alarm, a
 * target-tracking scaling alarm): the run ends quietly at NotForMedic, like a NoTargetError.
 */
export class NotForMedicError extends BadInputError {
  override readonly name = 'NotForMedicError' as const;
  /** What made it so (a metric dimension): 'ops-alarm', 'target-tracking', … */
  readonly kind: string;
  constructor(message: string, kind: string) {
    super(message);
    this.kind = kind;
  }
}

/** A CloudWatch transition that is not into ALARM: nothing to start. */
export class NotAnAlarmTransitionError extends BadInputError {
  override readonly name = 'NotAnAlarmTransitionError' as const;
}

/** The instance named by the trigger does not exist in this account/region. */
export class InstanceNotFoundError extends BadInputError {
  override readonly name = 'InstanceNotFoundError' as const;
}

/** An intake event larger than medic accepts (the state machine payload limit is 256 KB). */
export class EventTooLargeError extends BadInputError {
  override readonly name = 'EventTooLargeError' as const;
}

/** A webhook request without valid credentials (shared secret or HMAC signature). HTTP 401. */
export class UnauthorizedError extends BadInputError {
  override readonly name = 'UnauthorizedError' as const;
}

/** A webhook body above the configured limit. HTTP 413; nothing is parsed or started. */
export class PayloadTooLargeError extends BadInputError {
  override readonly name = 'PayloadTooLargeError' as const;
}

/** An approve/reject link whose signature is wrong, or that has expired: nothing is decided. */
export class InvalidApprovalLinkError extends BadInputError {
  override readonly name = 'InvalidApprovalLinkError' as const;
}

// ---- refused: a bound, AWS or a person said no; the run records it and goes on ----

/**
 * Something refused the act itself. An action Task's catch-all records it against the rung and
 * the case moves on (the next rung, or a page); it is never retried.
 */
export abstract class RefusedError extends MedicError {}

/** A stress burst medic will not send: the deployment does not probe, or the URL leaves loopback in a local run. */
export class RefusedBurstError extends RefusedError {
  override readonly name = 'RefusedBurstError' as const;
}

/** EC2 refuses to stop the instance (stop protection, instance-store root, unsupported type). */
export class StopNotAllowedError extends RefusedError {
  override readonly name = 'StopNotAllowedError' as const;
}

/** A probe was about to leave loopback while loopback-only probing is enforced (simulate, tests). */
export class UnsafeProbeTargetError extends RefusedError {
  override readonly name = 'UnsafeProbeTargetError' as const;
}

/** `simulate` was pointed at a non-loopback AWS or Jira endpoint: it must never act on a real account. */
export class UnsafeEndpointError extends RefusedError {
  override readonly name = 'UnsafeEndpointError' as const;
}

/** The error name a person's "reject" sends through SendTaskFailure. */
export const APPROVAL_REJECTED = 'ApprovalRejected' as const;

/**
 * A person rejected the rung. Never thrown inside medic's process: the approval function and the
 * CLI pass this name to SendTaskFailure, and the approval wait's catch-all hands it to the ladder,
 * which reads the name to tell a rejection from a timeout.
 */
export class ApprovalRejected extends RefusedError {
  override readonly name = 'ApprovalRejected' as const satisfies typeof APPROVAL_REJECTED;
}

// ---- degraded: a dependency stayed down after medic's own retries; the caller degrades ----

/**
 * A dependency medic can work without. The caller handles these in process (the ticket waits in
 * the outbox, the evidence reads "could not check"), so they rarely reach the definition at all.
 */
export abstract class DegradedError extends MedicError {}

/**
 * Jira answered 5xx/429, timed out or was unreachable after the adapter's own retries (backoff and
 * jitter, inside the deadline): the ticket stays in the outbox for the scheduled drain.
 */
export class JiraUnavailableError extends DegradedError {
  override readonly name = 'JiraUnavailableError' as const;
}

/** Jira rejected the request (4xx other than 429): retrying will not help. */
export class JiraRequestError extends DegradedError {
  override readonly name = 'JiraRequestError' as const;
}

/** Jira is switched off for this deployment (`--param jira=off`): tickets stay in the outbox. */
export class JiraDisabledError extends DegradedError {
  override readonly name = 'JiraDisabledError' as const;
}

/**
 * Statuspage answered 5xx, kept answering 420/429 (its per-token rate limit) or could not be
 * reached, after the adapter's bounded retries: the status page plan waits in the outbox.
 */
export class StatusPageUnavailableError extends DegradedError {
  override readonly name = 'StatusPageUnavailableError' as const;
}

/** Statuspage rejected the request (4xx other than 420/429): retrying the same request will not help. */
export class StatusPageRequestError extends DegradedError {
  override readonly name = 'StatusPageRequestError' as const;
}

/**
 * Confluence answered 5xx/429, timed out or was unreachable after the adapter's retries: the review
 * page waits in the review outbox for the scheduled drain.
 */
export class ConfluenceUnavailableError extends DegradedError {
  override readonly name = 'ConfluenceUnavailableError' as const;
}

/** Confluence rejected the request (4xx other than 409 and 429): retrying the same will not help. */
export class ConfluenceRequestError extends DegradedError {
  override readonly name = 'ConfluenceRequestError' as const;
}

/** Confluence refused an update because the page's version moved on (HTTP 409): read it again. */
export class ConfluenceConflictError extends DegradedError {
  override readonly name = 'ConfluenceConflictError' as const;
}

/** Every title the review could take belongs to another page: a person must tidy the space. */
export class ReviewTitleTakenError extends DegradedError {
  override readonly name = 'ReviewTitleTakenError' as const;
}

/** The review waits for its ticket: Jira has not filed it yet, so there is nothing to link to. */
export class TicketNotFiledYetError extends DegradedError {
  override readonly name = 'TicketNotFiledYetError' as const;
}

/** The function's remaining time ran out before this call: it was not started (or was cut off). */
export class DeadlineExceededError extends DegradedError {
  override readonly name = 'DeadlineExceededError' as const;
}

/** An evidence check did not finish within its time box: recorded as "could not check". */
export class EvidenceTimeoutError extends DegradedError {
  override readonly name = 'EvidenceTimeoutError' as const;
}

/** The sweep's stress check could not get a burst out of the LoadCheck function: listed, not fatal. */
export class LoadCheckFailedError extends DegradedError {
  override readonly name = 'LoadCheckFailedError' as const;
}

/** Prometheus refused a query, answered outside its API's shape, or could not be reached in time. */
export class PrometheusQueryError extends DegradedError {
  override readonly name = 'PrometheusQueryError' as const;
}

/** The safety store (DynamoDB) refused a write in a way that is not a retryable throttle. */
export class SafetyStoreError extends DegradedError {
  override readonly name = 'SafetyStoreError' as const;
}

// ---- setup and operator: the deployment or the command line is wrong ----

/** Fixed by a person changing configuration or a command, never by a retry or by the workflow. */
export abstract class SetupError extends MedicError {}

/** Configuration missing or invalid (env, parameters). */
export class ConfigError extends SetupError {
  override readonly name = 'ConfigError' as const;
}

/** The local substrate (moto, local Jira, probe servers) could not be started. */
export class LocalSubstrateError extends SetupError {
  override readonly name = 'LocalSubstrateError' as const;
}

/** The operator CLI was given something it cannot act on (bad instance id, unknown execution). */
export class CliUsageError extends SetupError {
  override readonly name = 'CliUsageError' as const;
}

/** An execution, incident or task token the operator named does not exist. */
export class NotFoundError extends SetupError {
  override readonly name = 'NotFoundError' as const;
}

/** `medic serve` was asked to listen on an address other than this machine's loopback. */
export class UnsafeListenAddressError extends RefusedError {
  override readonly name = 'UnsafeListenAddressError' as const;
}

/**
 * The alarm's account cannot be reached: it is not one this deployment serves, or its member role
 * cannot be assumed (missing, wrong trust policy or external id). Nothing is read or done there —
 * and never in the central account instead. Intake turns it into an observed-only case that pages;
 * anywhere later it reaches the definition through the Task's `States.ALL` catcher.
 */
export class MemberAccountError extends SetupError {
  override readonly name = 'MemberAccountError' as const;
  readonly account: string;
  readonly region: string;
  constructor(message: string, account: string, region: string) {
    super(message);
    this.account = account;
    this.region = region;
  }
}

/** Names a person can act on, for the CLI: these are printed as one line without a stack trace. */
export const USER_FACING_ERRORS: ReadonlySet<string> = new Set<string>([
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
  'EventTooLargeError',
  'CliUsageError',
  'MemberAccountError',
  'NotFoundError',
  'UnsafeListenAddressError',
]);
