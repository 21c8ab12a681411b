/**
 * AWS Health events for EC2, as EventBridge delivers them (`source: aws.health`,
 * `detail-type: AWS Health Event`; AWS Health User Guide, "Reference: AWS Health events Amazon
 * EventBridge schema"). Pure: turns one event into what medic does with it.
 *
 * - Scheduled changes to an instance (retirement, system maintenance, a scheduled stop or reboot)
 *   become a planned incident with AWS's deadline (`detail.startTime`).
 * - Issues (an open operational issue naming instances, an Availability Zone or the service) are
 *   remembered while open, so medic holds its own actions while AWS works; `statusCode: closed`
 *   forgets them.
 * - The outcome of an automatic recovery (simplified, or the CloudWatch recover action) ends the
 *   "AWS is recovering this instance" hold and is noted on the instance's open incident.
 * - Any other event type is not medic's: it ends quietly with a log line.
 *
 * EventBridge writes Health times as RFC 1123 dates ("Fri, 27 Jan 2023 06:02:51 GMT"), not ISO.
 */
import * as z from 'zod';

export const HEALTH_SOURCE = 'aws.health';
export const HEALTH_DETAIL_TYPE = 'AWS Health Event';

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

/** Scheduled changes medic answers with a planned stop/start, and the DescribeInstanceStatus code each is. */
export const PLANNED_TYPES: Record<string, string> = {
  AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED: 'instance-retirement',
  AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED: 'instance-retirement',
  AWS_EC2_SYSTEM_MAINTENANCE_EVENT: 'system-maintenance',
  AWS_EC2_INSTANCE_STOP_SCHEDULED: 'instance-stop',
  AWS_EC2_INSTANCE_REBOOT_MAINTENANCE_SCHEDULED: 'system-reboot',
  AWS_EC2_INSTANCE_REBOOT_FLEXIBLE_MAINTENANCE_SCHEDULED: 'system-reboot',
};

/** The outcome events of EC2 automatic recovery (simplified, and the CloudWatch recover action). */
export const RECOVERY_TYPES: Record<string, 'success' | 'failure'> = {
  AWS_EC2_SIMPLIFIED_AUTO_RECOVERY_SUCCESS: 'success',
  AWS_EC2_SIMPLIFIED_AUTO_RECOVERY_FAILURE: 'failure',
  AWS_EC2_INSTANCE_AUTO_RECOVERY_SUCCESS: 'success',
  AWS_EC2_INSTANCE_AUTO_RECOVERY_FAILURE: 'failure',
};

export const HealthEventSchema = z.object({
  source: z.literal(HEALTH_SOURCE),
  'detail-type': z.literal(HEALTH_DETAIL_TYPE),
  account: z.string().optional(),
  region: z.string().optional(),
  time: z.string().optional(),
  resources: z.array(z.string()).default([]),
  detail: z
    .object({
      eventArn: z.string().min(1),
      service: z.string().default('EC2'),
      eventTypeCode: z.string().min(1),
      eventTypeCategory: z.string().default('issue'),
      eventScopeCode: z.string().optional(),
      startTime: z.string().optional(),
      endTime: z.string().optional(),
      statusCode: z.string().default('open'),
      eventRegion: z.string().optional(),
      /** The Health API's field; present on AZ-scoped events. */
      availabilityZone: z.string().optional(),
      affectedAccount: z.string().optional(),
      eventDescription: z
        .array(z.object({ language: z.string().optional(), latestDescription: z.string().default('') }))
        .default([]),
      affectedEntities: z
        .array(z.object({ entityValue: z.string(), status: z.string().optional() }).passthrough())
        .default([]),
    })
    .passthrough(),
});
export type HealthEvent = z.infer<typeof HealthEventSchema>;

/** Where an open Health issue applies; the safety store keys it by this. */
export type HealthScope =
  | { kind: 'instance'; instanceId: string }
  /** A zone name is the account's own (null: not known, e.g. items written before accounts). */
  | { kind: 'az'; availabilityZone: string; account?: string | null }
  | { kind: 'service'; region: string };

/**
 * Zone names are mapped to physical zones per account (us-east-1a in one account is not
 * us-east-1a in another; only the AZ ID, use1-az1, is the same everywhere), and AWS Health names
 * the zone (`availabilityZone`), not its ID: a zone is keyed by the account and its name.
 */
export function scopeKey(s: HealthScope): string {
  if (s.kind === 'instance') return `INSTANCE#${s.instanceId}`;
  if (s.kind === 'az')
    return s.account ? `AZ#${s.account}#${s.availabilityZone}` : `AZ#${s.availabilityZone}`;
  return `SERVICE#${s.region}#EC2`;
}

/**
 * How long an open issue is remembered without news: AWS updates an open issue as it progresses,
 * and each update refreshes it; one that is never closed (a lost `closed` delivery: Health delivers
 * at least once, not exactly once, in order) stops holding after this.
 */
export const HEALTH_ISSUE_MEMORY_MS = 24 * 3_600_000;

/** An open AWS Health issue as medic remembers it (the safety store's item, read back). */
export interface HealthIssue {
  scope: string;
  eventArn: string;
  eventTypeCode: string;
  /** ISO time AWS says the issue started. */
  since: string;
  summary: string;
}

export interface PlannedHealth {
  eventArn: string;
  eventTypeCode: string;
  /** The DescribeInstanceStatus code this is (instance-retirement, system-maintenance …). */
  scheduledCode: string;
  /** AWS's deadline: when the change happens (ISO), if AWS gave one. */
  deadline: string | null;
  description: string;
}

export type HealthSignal =
  | {
      kind: 'planned';
      health: PlannedHealth;
      instanceIds: string[];
      account?: string | undefined;
      region?: string | undefined;
      at: string;
    }
  | {
      kind: 'issue';
      open: boolean;
      issue: Omit<HealthIssue, 'scope'>;
      scopes: HealthScope[];
      endTime: string | null;
    }
  | {
      kind: 'recovered';
      outcome: 'success' | 'failure';
      eventTypeCode: string;
      instanceIds: string[];
      at: string;
      summary: string;
    }
  | { kind: 'ignore'; eventTypeCode: string; reason: string };

export function isHealthEvent(event: unknown): boolean {
  const r = event as Record<string, unknown> | null;
  return typeof r === 'object' && r !== null && r.source === HEALTH_SOURCE;
}

/** RFC 1123 (EventBridge) or ISO → ISO; null when absent or unreadable. */
export function healthTime(text: string | undefined): string | null {
  if (!text) return null;
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

function instancesOf(e: HealthEvent): string[] {
  const fromEntities = e.detail.affectedEntities.map((a) => a.entityValue);
  // `resources` may hold ids or ARNs (…:instance/i-…).
  const fromResources = e.resources.map((r) => r.split('/').at(-1) ?? r);
  return [...new Set([...fromEntities, ...fromResources])].filter((id) => INSTANCE_ID.test(id)).sort();
}

function descriptionOf(e: HealthEvent): string {
  const en = e.detail.eventDescription.find((d) => !d.language || d.language.startsWith('en'));
  return (en ?? e.detail.eventDescription[0])?.latestDescription.slice(0, 1_000) ?? '';
}

/**
 * What one AWS Health event means to medic. Throws zod's error for a malformed event (the caller
 * names it); an event type medic has no use for is `ignore`, not an error.
 */
export function healthSignal(event: unknown, now: Date): HealthSignal {
  const e = HealthEventSchema.parse(event);
  const d = e.detail;
  const code = d.eventTypeCode;
  const instanceIds = instancesOf(e);
  const at = healthTime(e.time) ?? healthTime(d.startTime) ?? now.toISOString();
  const account = d.affectedAccount ?? e.account;
  const region = d.eventRegion ?? e.region;
  if (d.service.toUpperCase() !== 'EC2') {
    return { kind: 'ignore', eventTypeCode: code, reason: `AWS Health event for ${d.service}, not EC2` };
  }
  const recovery = RECOVERY_TYPES[code];
  if (recovery) {
    return {
      kind: 'recovered',
      outcome: recovery,
      eventTypeCode: code,
      instanceIds,
      at,
      summary: descriptionOf(e) || code,
    };
  }
  const planned = PLANNED_TYPES[code];
  if (planned && d.eventTypeCategory === 'scheduledChange') {
    if (d.statusCode === 'closed' || instanceIds.length === 0) {
      return {
        kind: 'ignore',
        eventTypeCode: code,
        reason:
          d.statusCode === 'closed'
            ? `scheduled ${code} is closed: nothing left to plan`
            : `scheduled ${code} names no instance`,
      };
    }
    return {
      kind: 'planned',
      health: {
        eventArn: d.eventArn,
        eventTypeCode: code,
        scheduledCode: planned,
        deadline: healthTime(d.startTime),
        description: descriptionOf(e),
      },
      instanceIds,
      account,
      region,
      at,
    };
  }
  if (d.eventTypeCategory === 'issue') {
    const scopes: HealthScope[] = instanceIds.length
      ? instanceIds.map((instanceId) => ({ kind: 'instance', instanceId }))
      : d.availabilityZone
        ? [{ kind: 'az', availabilityZone: d.availabilityZone, account }]
        : region
          ? [{ kind: 'service', region }]
          : [];
    if (scopes.length === 0) {
      return {
        kind: 'ignore',
        eventTypeCode: code,
        reason: `issue ${code} names no instance, zone or account`,
      };
    }
    return {
      kind: 'issue',
      open: d.statusCode !== 'closed',
      issue: {
        eventArn: d.eventArn,
        eventTypeCode: code,
        since: healthTime(d.startTime) ?? at,
        summary: (descriptionOf(e) || code).slice(0, 300),
      },
      scopes,
      endTime: healthTime(d.endTime),
    };
  }
  return {
    kind: 'ignore',
    eventTypeCode: code,
    reason: `AWS Health ${d.eventTypeCategory} ${code} is not one medic acts on`,
  };
}

/**
 * The scopes an instance's actions are held by: itself, its zone (in its own account), and EC2 in
 * its region.
 */
export function scopesOfInstance(
  t: { instanceId: string; availabilityZone: string | null },
  account: string | null = null,
): string[] {
  const keys = [scopeKey({ kind: 'instance', instanceId: t.instanceId })];
  const az = t.availabilityZone;
  if (az) {
    keys.push(scopeKey({ kind: 'az', availabilityZone: az, account }));
    // A zone name is its region and a letter (us-east-1a): the region's service issue holds too.
    keys.push(scopeKey({ kind: 'service', region: az.replace(/[a-z]$/, '') }));
  }
  return keys;
}
