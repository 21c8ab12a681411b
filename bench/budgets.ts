/**
 * The size and cost budgets, shared by `npm run bench` (which reports them) and the tests that assert the
 * deterministic ones (bundle sizes in test/package.test.ts, transitions in test/transition-budget).
 */

/**
 * Functions an incident waits on (alarm → first action → verify): each cold-starts in a storm.
 * 432 KB since Admit learned the organization (per-account clients, a signed AssumeRole), AWS Health
 * events and the recurrence lookup (423 KB, from 398 KB); the next trim is a Health intake of its
 * own, so Admit stops carrying the Health parser.
 */
export const HOT_PATH_BUNDLE_BYTES = 432 * 1024;

/**
 * Functions whose job is to talk to Jira: they carry jira-client (~860 KB bundled, its request
 * stack) and are reported, not budgeted. None of them is on the way to the first action: the
 * Record Task runs last, the outbox drainer and the health sweep run on schedules.
 */
/**
 * Rungs that are never the first action of any ladder (the LADDERS table in
 * shared/domain/assess.ts; test/package.test.ts checks it): an action and its verification always
 * come before them, and by default a person approves them, so their cold start is never on the way
 * to the first action. They get a budget of their own, so they cannot grow unseen either.
 */
export const LATER_RUNG_FUNCTIONS: ReadonlyMap<string, string> = new Map([['failover', 'failover']]);
export const LATER_RUNG_BUNDLE_BYTES = 448 * 1024;

export const JIRA_FUNCTIONS: ReadonlySet<string> = new Set(['close', 'drainOutbox', 'healthSweep']);

/**
 * Functions that run only after Verify has seen the service back, and only for instances tagged
 * `medic:load-check`: their cold start is never on the way to the first action or to Verify.
 * autocannon with its latency histogram (hdr-histogram-js, pako) and form-data's mime-db is most of
 * the load check's bundle.
 */
export const AFTER_VERIFY_FUNCTIONS: ReadonlySet<string> = new Set(['loadCheck']);
export const AFTER_VERIFY_BUNDLE_BYTES = 640 * 1024;
