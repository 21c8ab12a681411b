/**
 * Environment, read once per process and validated. Each section is parsed on first use so a
 * function only needs (and is only broken by) the settings it actually uses.
 *
 * On Lambda the environment is `process.env`, fixed for the sandbox's life. A local runner that runs
 * several incidents in one process hands each run its own environment object (`withEnvironment`):
 * every section, and every per-sandbox cache built from one (`perEnvironment`), is then kept per
 * object, so two runs never see each other's settings and nobody rewrites `process.env`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import * as z from 'zod';
import { parseAutonomy } from './domain/autonomy.ts';
import { MODES } from './domain/model.ts';
import { ConfigError } from './errors.ts';
import { parsePlannedWindow } from './policy/bounds.ts';

const bool = () =>
  z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1');

const CoreSchema = () =>
  z.object({
    MEDIC_STAKEHOLDER_TOPIC_ARN: z.string().min(1, 'MEDIC_STAKEHOLDER_TOPIC_ARN is required'),
    MEDIC_VERIFY_WAIT_SECONDS: z.coerce.number().int().min(1).max(3_600).default(20),
    MEDIC_VERIFY_POLLS: z.coerce.number().int().min(1).max(20).default(6),
    MEDIC_PROBE_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(2_000),
    MEDIC_DEFAULT_PORTS: z
      .string()
      .default('22')
      .transform((s) => s.split(',').map((p) => Number(p.trim())))
      .pipe(z.array(z.number().int().min(1).max(65_535)).min(1)),
    /** Set by `medic simulate` and the tests: a probe that would leave loopback is refused. */
    MEDIC_PROBES_LOOPBACK_ONLY: bool(),
    MEDIC_CONSOLE_REGION: z.string().optional(),
    /** Optional user-facing status topic (no internal detail). */
    MEDIC_STATUS_TOPIC_ARN: z.string().optional(),
    /** Where EMF metrics go; unset = stdout (Lambda). Local runs point it at a file. */
    MEDIC_METRICS_FILE: z.string().optional(),
    /** The incidents table: history rows and the finished cases kept out of the workflow's state. */
    MEDIC_INCIDENTS_TABLE: z.string().optional(),
  });
export type CoreConfig = z.infer<ReturnType<typeof CoreSchema>>;

/** `cloud` (REST v3, ADF) or `data-center` (REST v2, wiki markup). */
const JiraDeployment = () =>
  z
    .enum(['cloud', 'data-center'], { message: 'JIRA_DEPLOYMENT must be cloud or data-center' })
    .default('cloud');
/** A closed ticket for the same instance + classification within this many hours is reopened. */
const ReopenWindowHours = () =>
  z.coerce
    .number()
    .min(0)
    .max(24 * 365)
    .default(72);

const JiraSchema = () =>
  z
    .object({
      // `off` (deploy with --param jira=off): no Jira at all; tickets stay in the outbox, the SNS
      // message carries the full timeline. There is no default site (fail closed).
      JIRA_BASE_URL: z.union([
        z.literal('off'),
        z.url('JIRA_BASE_URL must be a URL such as https://your-site.atlassian.net, or off'),
      ]),
      JIRA_PROJECT_KEY: z
        .string()
        .regex(/^[A-Z][A-Z0-9_]{0,19}$/, 'JIRA_PROJECT_KEY must be a project key like OPS'),
      JIRA_ISSUE_TYPE: z.string().min(1).default('Task'),
      JIRA_EMAIL: z.string().min(1, 'JIRA_EMAIL is required'),
      /** Local runs only; deployed stacks use JIRA_API_TOKEN_PARAMETER (SSM SecureString). */
      JIRA_API_TOKEN: z.string().optional(),
      JIRA_API_TOKEN_PARAMETER: z.string().optional(),
      JIRA_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(8_000),
      JIRA_DEPLOYMENT: JiraDeployment(),
      JIRA_REOPEN_WINDOW_HOURS: ReopenWindowHours(),
    })
    .refine((c) => c.JIRA_API_TOKEN || c.JIRA_API_TOKEN_PARAMETER, {
      message: 'set JIRA_API_TOKEN_PARAMETER (an SSM SecureString name) or, for local runs, JIRA_API_TOKEN',
    });
export type JiraConfig = z.infer<ReturnType<typeof JiraSchema>>;

/** The settings a handler sees: names as deployed (serverless.yml `environment:`), values as text. */
export type Environment = Readonly<Record<string, string | undefined>>;

const scoped = new AsyncLocalStorage<Environment>();

/** Runs `fn` (and everything it starts, across awaits) with `environment` as its configuration. */
export function withEnvironment<T>(environment: Environment, fn: () => T): T {
  return scoped.run(environment, fn);
}

/** The environment of the current run: the one a local runner gave, else the process's own. */
export function currentEnvironment(): Environment {
  return scoped.getStore() ?? process.env;
}

function parse<T>(schema: z.ZodType<T>, section: string, environment: Environment): T {
  const parsed = schema.safeParse(environment);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || section}: ${i.message}`)
      .join('; ');
    throw new ConfigError(`invalid ${section} configuration: ${problems}`);
  }
  return parsed.data;
}

/**
 * Built on first call in each environment (once per sandbox on Lambda): a config section, or a
 * client, store or secret reader made from one. A failed build is not kept: the next call retries.
 */
export function perEnvironment<T>(load: (environment: Environment) => T): () => T {
  const built = new WeakMap<Environment, T>();
  return () => {
    const environment = currentEnvironment();
    if (built.has(environment)) return built.get(environment) as T;
    const value = load(environment);
    built.set(environment, value);
    return value;
  };
}

/** Parsed on first call; `@__PURE__` at each use lets a bundle drop the sections it never reads. */
function once<T>(schema: () => z.ZodType<T>, section: string): () => T {
  return perEnvironment((environment) => parse(schema(), section, environment));
}

/** Evidence time boxes: each branch's own, inside its Task's TimeoutSeconds backstop. */
const EvidenceConfigSchema = () =>
  z.object({
    MEDIC_EVIDENCE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(8_000),
    /** SSM Run Command needs longer: delivery + execution + GetCommandInvocation polls. */
    MEDIC_SSM_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(15_000),
    MEDIC_SSM_POLL_MS: z.coerce.number().int().min(10).max(5_000).default(1_000),
    /** How far before the alarm the metrics and logs window starts. */
    MEDIC_EVIDENCE_WINDOW_MINUTES: z.coerce.number().int().min(1).max(1_440).default(30),
    /** How far before the alarm recent changes (CloudTrail, Auto Scaling, SSM) are looked up. */
    MEDIC_CHANGES_LOOKBACK_MINUTES: z.coerce.number().int().min(5).max(1_440).default(60),
  });
export type EvidenceConfig = z.infer<ReturnType<typeof EvidenceConfigSchema>>;

export const evidenceConfig = /* @__PURE__ */ once(EvidenceConfigSchema, 'evidence');

/**
 * Prometheus as a second evidence source (deploy `--param prometheusUrl=…`): range queries over the
 * alarm window from the resources branch. Unset (or `none`): the branch asks CloudWatch only.
 */
const PrometheusSchema = () =>
  z.object({
    MEDIC_PROMETHEUS_URL: z.preprocess(
      (v) => (v === '' || v === 'none' ? undefined : v),
      z
        .url('MEDIC_PROMETHEUS_URL must be the Prometheus base URL, e.g. http://prometheus.internal:9090')
        .optional(),
    ),
    /** Optional SSM SecureString with a bearer token for Prometheus (an authenticating proxy). */
    MEDIC_PROMETHEUS_TOKEN_PARAMETER: z.preprocess(
      (v) => (v === '' || v === 'none' ? undefined : v),
      z.string().startsWith('/', 'MEDIC_PROMETHEUS_TOKEN_PARAMETER must be an SSM parameter name').optional(),
    ),
    /** Local runs only: the bearer token itself. */
    MEDIC_PROMETHEUS_TOKEN: z.string().optional(),
    /** Service-health PromQL (1 healthy, 0 failing); `$instance` is replaced by the quoted label. */
    MEDIC_PROMETHEUS_SERVICE_QUERY: z.preprocess(
      (v) => (v === '' || v === 'none' ? undefined : v),
      z.string().max(1_000).optional(),
    ),
    /** Each query's own limit, inside the branch's MEDIC_EVIDENCE_TIMEOUT_MS. */
    MEDIC_PROMETHEUS_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(4_000),
    MEDIC_PROBES_LOOPBACK_ONLY: bool(),
    MEDIC_SECRET_MAX_AGE_SECONDS: z.coerce.number().int().min(0).max(3_600).default(300),
  });
export type PrometheusConfig = z.infer<ReturnType<typeof PrometheusSchema>>;
export const prometheusConfig = /* @__PURE__ */ once(PrometheusSchema, 'Prometheus');

export const coreConfig = /* @__PURE__ */ once(CoreSchema, 'core');
export const jiraConfig = /* @__PURE__ */ once(JiraSchema, 'Jira');
/**
 * How Record shapes a ticket, read without the rest of the Jira settings: Record runs with Jira off
 * or misconfigured too (the ticket then waits in the outbox), so a bad value falls back to its
 * default instead of stopping the notification.
 */
const TicketShapeSchema = () =>
  z.object({
    JIRA_DEPLOYMENT: JiraDeployment().catch('cloud'),
    JIRA_REOPEN_WINDOW_HOURS: ReopenWindowHours().catch(72),
  });
export const ticketShapeConfig = /* @__PURE__ */ once(TicketShapeSchema, 'ticket shape');
/** Jira switched off for this deployment (`--param jira=off`); read without validating the rest. */
export const jiraOff = (): boolean => currentEnvironment().JIRA_BASE_URL === 'off';

// ---- the mitigation ladder (action pacing, approve mode) ----
const LadderSchema = () =>
  z.object({
    MEDIC_ACTION_POLL_WAIT_SECONDS: z.coerce.number().int().min(1).max(600).default(5),
    MEDIC_ACTION_POLLS: z.coerce.number().int().min(1).max(120).default(24),
    MEDIC_APPROVAL_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  });
export const ladderConfig = /* @__PURE__ */ once(LadderSchema, 'ladder');

const ApprovalSchema = () =>
  z
    .object({
      /** Base URL of the approval function (its Lambda function URL), put into approve/reject links. */
      MEDIC_APPROVAL_URL: z.url('MEDIC_APPROVAL_URL must be the approval function URL'),
      /** Local runs only; deployed stacks read the signing secret from SSM (SecureString). */
      MEDIC_APPROVAL_SECRET: z.string().min(16).optional(),
      MEDIC_APPROVAL_SECRET_PARAMETER: z.string().optional(),
    })
    .refine((c) => c.MEDIC_APPROVAL_SECRET || c.MEDIC_APPROVAL_SECRET_PARAMETER, {
      message:
        'set MEDIC_APPROVAL_SECRET_PARAMETER (an SSM SecureString name) or, locally, MEDIC_APPROVAL_SECRET',
    });
export const approvalConfig = /* @__PURE__ */ once(ApprovalSchema, 'approval');
// ---- safety bounds (do no harm). Every bound has a default and one variable. ----
const SafetySchema = () =>
  z.object({
    /** DynamoDB table holding episodes, locks, budgets, fleet registry and the Jira outbox. */
    MEDIC_SAFETY_TABLE: z.string().min(1, 'MEDIC_SAFETY_TABLE is required'),
    MEDIC_BUDGET_ACTIONS: z.coerce.number().int().min(0).max(100).default(3),
    MEDIC_BUDGET_WINDOW_HOURS: z.coerce
      .number()
      .min(1)
      .max(24 * 30)
      .default(24),
    MEDIC_COOLDOWN_MINUTES: z.coerce
      .number()
      .min(0)
      .max(24 * 60)
      .default(30),
    MEDIC_FLAP_EPISODES: z.coerce.number().int().min(2).max(1_000).default(3),
    MEDIC_FLAP_WINDOW_MINUTES: z.coerce
      .number()
      .min(1)
      .max(24 * 60)
      .default(60),
    MEDIC_FLEET_MAX_INSTANCES: z.coerce.number().int().min(1).max(100_000).default(5),
    MEDIC_FLEET_WINDOW_MINUTES: z.coerce
      .number()
      .min(1)
      .max(24 * 60)
      .default(10),
    /** More than this share of one Auto Scaling group in incidents (at least 2 instances) trips the guard. */
    MEDIC_FLEET_MAX_GROUP_PERCENT: z.coerce.number().min(1).max(100).default(50),
    MEDIC_LOCK_LEASE_MINUTES: z.coerce
      .number()
      .min(1)
      .max(24 * 60)
      .default(120),
    /** `true` holds every mutating action (change freeze). */
    MEDIC_CHANGE_FREEZE: bool(),
    /** Weekly windows, e.g. `sun 02:00-04:00,wed 22:30-23:30` (UTC), or ISO intervals `start/end`. */
    MEDIC_MAINTENANCE_WINDOWS: z.string().default(''),
    /**
     * More than this many instances in incidents across the whole organization trips the fleet guard
     * (MEDIC_FLEET_MAX_INSTANCES counts inside one account).
     */
    MEDIC_FLEET_MAX_ORG_INSTANCES: z.preprocess(
      unset,
      z.coerce.number().int().min(1).max(1_000_000).optional(),
    ),
    /**
     * More than this many in one account's AZ trips it. Unset: the account's own limit, so raising
     * MEDIC_FLEET_MAX_INSTANCES never leaves a lower AZ limit behind (and the organization's: twice it).
     */
    MEDIC_FLEET_MAX_AZ_INSTANCES: z.preprocess(unset, z.coerce.number().int().min(1).max(100_000).optional()),
    /**
     * When medic may do planned work: the stop/start ahead of an AWS retirement or maintenance
     * (e.g. `sun 03:00-05:00 UTC`; same forms as MEDIC_MAINTENANCE_WINDOWS). Unlike those windows,
     * which hold medic back, this one is when it acts. `none` or empty: planned incidents are paged.
     */
    MEDIC_MAINTENANCE_WINDOW: z
      .string()
      .default('')
      .transform((v) => (v.trim().toLowerCase() === 'none' ? '' : v.trim()))
      .superRefine((v, ctx) => {
        try {
          parsePlannedWindow(v);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
        }
      }),
  });
export type SafetyConfig = z.infer<ReturnType<typeof SafetySchema>>;
export const safetyConfig = /* @__PURE__ */ once(SafetySchema, 'safety');
// ---- intake functions (HTTP, SNS), health sweep ----
const IntakeSchema = () =>
  z.object({
    MEDIC_STATE_MACHINE_ARN: z.string().startsWith('arn:', 'MEDIC_STATE_MACHINE_ARN must be an ARN'),
    MEDIC_INCIDENTS_TABLE: z.string().min(1, 'MEDIC_INCIDENTS_TABLE is required'),
    /** Name of the SSM SecureString with the webhook secret(s); the secret itself never is in env. */
    MEDIC_WEBHOOK_SECRET_PARAMETER: z.string().startsWith('/').optional(),
    MEDIC_WEBHOOK_MAX_BYTES: z.coerce.number().int().min(1_024).max(1_048_576).default(262_144),
    MEDIC_SECRET_MAX_AGE_SECONDS: z.coerce.number().int().min(0).max(3_600).default(300),
  });
export type IntakeConfig = z.infer<ReturnType<typeof IntakeSchema>>;
export const intakeConfig = /* @__PURE__ */ once(IntakeSchema, 'intake');
/** serverless.yml writes `none` for a deploy parameter that was not given (empty is not allowed). */
const unset = (v: unknown) => (v === '' || v === 'none' ? undefined : v);

// ---- the health sweep's routine stress check (services tagged medic:load-check) ----
const StressSchema = () =>
  z.object({
    /** The LoadCheck function the sweep invokes for each burst (it sits in the probe subnets). */
    MEDIC_LOAD_CHECK_FUNCTION: z.preprocess(unset, z.string().min(1).optional()),
    /** At most this many services stress-checked per sweep; 0 turns the routine check off. */
    MEDIC_SWEEP_STRESS_MAX: z.coerce.number().int().min(0).max(5).default(4),
  });
export const stressConfig = /* @__PURE__ */ once(StressSchema, 'stress');

// ---- Where the probes run from (the functions that open sockets to instances) ----
const ProbeSchema = () =>
  z.object({
    /**
     * `off` (deploy `--param probes=off`): this deployment cannot reach its instances, so reachability
     * is "not checked" everywhere and Verify judges by the independent signals only.
     */
    MEDIC_PROBES: z.enum(['on', 'off'], { message: 'MEDIC_PROBES must be on or off' }).default('on'),
    /**
     * The control probe (host:port) that proves the vantage point. Unset: the VPC's Amazon-provided
     * DNS resolver (primary CIDR base + 2, TCP 53), looked up from MEDIC_PROBE_SUBNET_IDS.
     */
    MEDIC_PROBE_CANARY: z.preprocess(
      unset,
      z
        .string()
        .regex(
          /^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/,
          'MEDIC_PROBE_CANARY must be host:port, e.g. 10.0.0.2:53',
        )
        .optional(),
    ),
    /** The probe functions' subnets and security groups, comma-separated, as deployed (for the page). */
    MEDIC_PROBE_SUBNET_IDS: z.preprocess((v) => unset(v) ?? '', z.string()),
    MEDIC_PROBE_SECURITY_GROUP_IDS: z.preprocess((v) => unset(v) ?? '', z.string()),
  });
export type ProbeSettings = z.infer<ReturnType<typeof ProbeSchema>>;
export const probeConfig = /* @__PURE__ */ once(ProbeSchema, 'probe');

// ---- autonomy: the deploy-wide mode, per-action autonomy, the kill switch ----
const AutonomySchema = () =>
  z.object({
    /** Mode of alarm-started runs; a manual run may only ask for a stricter one. */
    MEDIC_MODE: z.enum(MODES, { message: `must be one of ${MODES.join(', ')}` }).default('auto'),
    /** `action=level,…` (restart-service, reboot, stop-start, failover; auto|approve|dry-run|off). */
    MEDIC_AUTONOMY: z
      .string()
      .default('')
      .transform((text, ctx) => {
        try {
          return parseAutonomy(text);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
          return z.NEVER;
        }
      }),
  });
export type AutonomyConfig = z.infer<ReturnType<typeof AutonomySchema>>;
export const autonomyConfig = /* @__PURE__ */ once(AutonomySchema, 'autonomy');

const KillSwitchSchema = () =>
  z.object({
    /** The stage's pause parameter (`/medic/<stage>/pause`), written by `medic pause`. */
    MEDIC_PAUSE_PARAMETER: z
      .string({ message: 'MEDIC_PAUSE_PARAMETER is required (e.g. /medic/prod/pause)' })
      .startsWith('/', 'MEDIC_PAUSE_PARAMETER must be an SSM parameter name starting with /'),
    /**
     * How long one sandbox trusts its last read. Shorter than the Wait between two rungs
     * (MEDIC_VERIFY_WAIT_SECONDS), so a pause always reaches the next rung.
     */
    MEDIC_PAUSE_CACHE_SECONDS: z.coerce.number().min(0).max(10).default(5),
    /** Optional: a CloudWatch alarm whose ALARM state pauses medic too. */
    MEDIC_PAUSE_ALARM: z.string().optional(),
  });
export type KillSwitchConfig = z.infer<ReturnType<typeof KillSwitchSchema>>;
export const killSwitchConfig = /* @__PURE__ */ once(KillSwitchSchema, 'kill switch');

// ---- the status page users read (Atlassian Statuspage; opt-in per instance by tag) ----
const StatusPageSchema = () =>
  z
    .object({
      /** The page medic publishes on; unset (`none`): medic never touches a status page. */
      MEDIC_STATUSPAGE_PAGE_ID: z.preprocess(
        unset,
        z
          .string()
          .regex(/^[A-Za-z0-9]{1,64}$/, 'MEDIC_STATUSPAGE_PAGE_ID must be a Statuspage page id')
          .optional(),
      ),
      /** Name of the SSM SecureString with the API key; the key itself is never in the environment. */
      MEDIC_STATUSPAGE_KEY_PARAMETER: z.preprocess(
        unset,
        z.string().startsWith('/', 'MEDIC_STATUSPAGE_KEY_PARAMETER must start with /').optional(),
      ),
      /** Local runs only (the local Statuspage's key); deployed stacks use the parameter. */
      MEDIC_STATUSPAGE_KEY: z.string().optional(),
      /** The API's base URL; tests point it at a local Statuspage on loopback. */
      MEDIC_STATUSPAGE_URL: z.preprocess(
        unset,
        z.url('MEDIC_STATUSPAGE_URL must be a URL').default('https://api.statuspage.io/v1'),
      ),
      MEDIC_STATUSPAGE_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(5_000),
    })
    .refine(
      (c) => !c.MEDIC_STATUSPAGE_PAGE_ID || c.MEDIC_STATUSPAGE_KEY || c.MEDIC_STATUSPAGE_KEY_PARAMETER,
      {
        message:
          'set MEDIC_STATUSPAGE_KEY_PARAMETER (an SSM SecureString name) or, for local runs, MEDIC_STATUSPAGE_KEY',
      },
    );
export type StatusPageConfig = z.infer<ReturnType<typeof StatusPageSchema>>;
export const statusPageConfig = /* @__PURE__ */ once(StatusPageSchema, 'Statuspage');
// ---- one medic for the organization: who is "home", and the names people know accounts by ----
const OrgSchema = () =>
  z.object({
    /** The execution role every member account deploys (the member stack), by name. */
    MEDIC_MEMBER_ROLE_NAME: z
      .string()
      .regex(/^[\w+=,.@-]{1,64}$/, 'MEDIC_MEMBER_ROLE_NAME must be an IAM role name')
      .default('medic-member'),
    /** The sts:ExternalId the member role's trust policy requires (deploy parameter memberExternalId). */
    MEDIC_MEMBER_EXTERNAL_ID: z.preprocess(
      unset,
      z
        .string()
        .regex(
          /^[\w+=,.@:/-]{2,1224}$/,
          'MEDIC_MEMBER_EXTERNAL_ID must be 2-1224 characters of [\\w+=,.@:/-]',
        )
        .optional(),
    ),
    /** Optional allow-list (comma-separated account ids): any other member account is not served. */
    MEDIC_MEMBER_ACCOUNTS: z.preprocess(
      unset,
      z
        .string()
        .transform((s) =>
          s
            .split(',')
            .map((a) => a.trim())
            .filter(Boolean),
        )
        .pipe(z.array(z.string().regex(/^\d{12}$/, 'MEDIC_MEMBER_ACCOUNTS must list 12-digit account ids')))
        .optional(),
    ),
    /**
     * The central deployment's own account (serverless.yml sets it). Unset: a single-account
     * deployment, and every per-instance bound is keyed by the bare instance id.
     */
    MEDIC_CENTRAL_ACCOUNT: z.preprocess(
      unset,
      z
        .string()
        .regex(/^\d{12}$/, 'MEDIC_CENTRAL_ACCOUNT must be a 12-digit account id')
        .optional(),
    ),
    /** Lambda sets it: the central deployment's region (where an alarm without a region is from). */
    AWS_REGION: z.string().default('us-east-1'),
    /**
     * The regions the organization's fleet runs in (comma-separated; deploy parameter regions): the
     * health sweep reads every configured account in each. Unset: the central region only.
     */
    MEDIC_REGIONS: z.preprocess(
      unset,
      z
        .string()
        .transform((s) =>
          s
            .split(',')
            .map((r) => r.trim())
            .filter(Boolean),
        )
        .pipe(
          z.array(
            z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'MEDIC_REGIONS must list AWS region names'),
          ),
        )
        .optional(),
    ),
    /** `{"111111111111": "payments-prod", …}`: shown next to the id. medic never asks Organizations. */
    MEDIC_ACCOUNT_NAMES: z.preprocess(
      unset,
      z
        .string()
        .default('{}')
        .transform((text, ctx) => {
          try {
            const value = JSON.parse(text) as unknown;
            if (value && typeof value === 'object' && !Array.isArray(value)) {
              const entries = Object.entries(value as Record<string, unknown>);
              if (entries.every(([k, v]) => /^\d{12}$/.test(k) && typeof v === 'string'))
                return Object.fromEntries(entries) as Record<string, string>;
            }
          } catch {
            // reported below
          }
          ctx.addIssue({
            code: 'custom',
            message: 'MEDIC_ACCOUNT_NAMES must be a JSON object of 12-digit account id to name',
          });
          return z.NEVER;
        }),
    ),
  });
export type OrgConfig = z.infer<ReturnType<typeof OrgSchema>>;
export const orgConfig = /* @__PURE__ */ once(OrgSchema, 'organization');
// ---- learning from the record: recurrence and effectiveness ----
const LearningSchema = () =>
  z.object({
    /** An alarm for the same instance and classification this soon after a "resolved" means the fix did not hold. */
    MEDIC_RECURRENCE_HOURS: z.coerce
      .number()
      .min(1)
      .max(24 * 30)
      .default(24),
    /** How far back the ticket's track record of each rung looks (one Query per classification). */
    MEDIC_EFFECTIVENESS_DAYS: z.coerce.number().int().min(1).max(90).default(30),
  });
export type LearningConfig = z.infer<ReturnType<typeof LearningSchema>>;
export const learningConfig = /* @__PURE__ */ once(LearningSchema, 'learning');
// ---- the post-incident review (Confluence); optional: unset URL means no review page ----
const ConfluenceSchema = () =>
  z
    .object({
      /** The site: https://acme.atlassian.net (Cloud) or https://confluence.acme.com (Data Center). */
      MEDIC_CONFLUENCE_URL: z.preprocess(
        unset,
        z.url('MEDIC_CONFLUENCE_URL must be a URL such as https://your-site.atlassian.net').optional(),
      ),
      /** `cloud` (REST v2) or `data-center` (REST /rest/api/content), as JIRA_DEPLOYMENT spells them. */
      MEDIC_CONFLUENCE_FLAVOUR: z.preprocess(
        (v) => (v === 'datacenter' ? 'data-center' : unset(v)),
        z
          .enum(['cloud', 'data-center'], {
            message: 'MEDIC_CONFLUENCE_FLAVOUR must be cloud or data-center',
          })
          .default('cloud'),
      ),
      /** The space: its numeric id (Cloud) or its key (either flavour). */
      MEDIC_CONFLUENCE_SPACE: z.preprocess(
        unset,
        z
          .string()
          .regex(/^[A-Za-z0-9~_]{1,255}$/)
          .optional(),
      ),
      /** The page the reviews are created under; unset: the space's home page. */
      MEDIC_CONFLUENCE_PARENT_ID: z.preprocess(
        unset,
        z
          .string()
          .regex(/^\d{1,20}$/)
          .optional(),
      ),
      /** Cloud basic auth is email + API token; Data Center without an email uses the token as a bearer PAT. */
      MEDIC_CONFLUENCE_EMAIL: z.preprocess(unset, z.string().min(3).optional()),
      /** Local runs only; deployed stacks read the token from MEDIC_CONFLUENCE_TOKEN_PARAMETER. */
      MEDIC_CONFLUENCE_TOKEN: z.preprocess(unset, z.string().min(1).optional()),
      MEDIC_CONFLUENCE_TOKEN_PARAMETER: z.preprocess(unset, z.string().startsWith('/').optional()),
      MEDIC_CONFLUENCE_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(8_000),
    })
    .superRefine((c, ctx) => {
      if (!c.MEDIC_CONFLUENCE_URL) return;
      if (!c.MEDIC_CONFLUENCE_SPACE)
        ctx.addIssue({ code: 'custom', message: 'MEDIC_CONFLUENCE_SPACE (a space key or id) is required' });
      if (!c.MEDIC_CONFLUENCE_TOKEN && !c.MEDIC_CONFLUENCE_TOKEN_PARAMETER)
        ctx.addIssue({
          code: 'custom',
          message:
            'set MEDIC_CONFLUENCE_TOKEN_PARAMETER (an SSM SecureString name) or, for local runs, MEDIC_CONFLUENCE_TOKEN',
        });
      if (c.MEDIC_CONFLUENCE_FLAVOUR === 'cloud' && !c.MEDIC_CONFLUENCE_EMAIL)
        ctx.addIssue({ code: 'custom', message: 'MEDIC_CONFLUENCE_EMAIL is required for Confluence Cloud' });
      if (c.MEDIC_CONFLUENCE_FLAVOUR === 'data-center' && /^\d+$/.test(c.MEDIC_CONFLUENCE_SPACE ?? ''))
        ctx.addIssue({ code: 'custom', message: 'Confluence Data Center needs the space key, not its id' });
    });
export type ConfluenceConfig = z.infer<ReturnType<typeof ConfluenceSchema>>;
export const confluenceConfig = /* @__PURE__ */ once(ConfluenceSchema, 'Confluence');
/** No review page for this deployment (no Confluence site given); read without validating the rest. */
export const confluenceOff = (): boolean => unset(currentEnvironment().MEDIC_CONFLUENCE_URL) === undefined;
