/**
 * The incident as it travels through the state machine. Every Task receives the part of the state
 * it needs and returns the part it owns; zod validates at each handler's edge so a malformed
 * payload fails with a named error instead of a TypeError deep inside a use case.
 */
import * as z from 'zod';
import { AUTONOMY_LEVELS } from './autonomy.ts';
import { LoadCheckSchema } from './load-check.ts';

export const MODES = ['auto', 'dry-run', 'approve'] as const;
export type Mode = (typeof MODES)[number];

export const TIMELINE_KINDS = [
  'alarm',
  'ack',
  'evidence',
  'decision',
  'action',
  'verify',
  'escalation',
  'note',
  'error',
] as const;

export const TimelineEntrySchema = z.object({
  at: z.string(),
  step: z.string(),
  kind: z.enum(TIMELINE_KINDS),
  summary: z.string(),
  instanceId: z.string().optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
});
export type TimelineEntry = z.infer<typeof TimelineEntrySchema>;

/**
 * A planned incident: AWS scheduled a change to the instance and medic does the stop/start itself,
 * inside the configured planned-work window (MEDIC_MAINTENANCE_WINDOW, kept as Intake read it)
 * before AWS's deadline.
 */
export const PlannedSchema = z.object({
  eventArn: z.string(),
  eventTypeCode: z.string(),
  scheduledCode: z.string(),
  deadline: z.string().nullable(),
  description: z.string(),
  window: z.string().nullable().optional(),
});
export type Planned = z.infer<typeof PlannedSchema>;

export const TriggerSchema = z.object({
  // sns-alarm (classic alarm action), alertmanager and datadog webhooks.
  source: z.enum(['cloudwatch-alarm', 'manual', 'sns-alarm', 'alertmanager', 'datadog', 'aws-health']),
  episodeKey: z.string().min(1).max(80),
  alarmName: z.string().optional(),
  alarmArn: z.string().optional(),
  metric: z
    .object({
      namespace: z.string().optional(),
      name: z.string().optional(),
      expression: z.string().optional(),
    })
    .optional(),
  reason: z.string(),
  datapoints: z.array(z.object({ timestamp: z.string().optional(), value: z.number() })).default([]),
  threshold: z.number().optional(),
  enteredAlarmAt: z.string(),
  region: z.string().optional(),
  account: z.string().optional(),
  instanceIds: z.array(z.string()).default([]),
  autoScalingGroupNames: z.array(z.string()).default([]),
  mode: z.enum(MODES).default('auto'),
  requestedBy: z.string().optional(),
  /** Links a person follows from the ticket (generator URL, monitor link). */
  links: z.array(z.object({ title: z.string(), url: z.string() })).optional(),
  /** The original event, kept for the ticket; truncated by normalise so the state stays small. */
  raw: z.string().optional(),
  /** An Alertmanager alert's `instance` label: the host's name in Prometheus (evidence queries). */
  prometheusInstance: z.string().max(256).optional(),
  /** An AWS Health scheduled change (retirement, maintenance): a planned incident with AWS's deadline. */
  health: PlannedSchema.optional(),
});
export type IncidentTrigger = z.infer<typeof TriggerSchema>;

export const ProbeConfigSchema = z.object({
  address: z.string().nullable(),
  ports: z.array(z.number().int().min(1).max(65535)),
  /** The port whose SSH banner is read (medic:ssh-port, else 22 when probed). */
  sshPort: z.number().int().nullable(),
  healthUrl: z.string().nullable(),
});
export type ProbeConfig = z.infer<typeof ProbeConfigSchema>;

export const TargetSchema = z.object({
  instanceId: z.string(),
  name: z.string().nullable(),
  managed: z.boolean(),
  state: z.string(),
  availabilityZone: z.string().nullable(),
  instanceType: z.string().nullable(),
  privateIp: z.string().nullable(),
  service: z.string().nullable(),
  /** Set when the medic:service tag is not a unit name: service is then null, and this says why. */
  serviceProblem: z.string().optional(),
  probe: ProbeConfigSchema,
  /** The instance's `medic:maintenance` tag (`true` or an ISO end time), if any. */
  maintenance: z.string().nullable().optional(),
  /** The Auto Scaling group the instance belongs to (tag aws:autoscaling:groupName). */
  group: z.string().nullable().optional(),
  /** CloudWatch Logs group of the instance (medic:log-group), searched for recent error lines. */
  logGroup: z.string().nullable().optional(),
  /** The `medic:load-check` tag, parsed and capped: a burst after Verify proves recovery under load. */
  loadCheck: LoadCheckSchema.nullable().optional(),
  /** Set when the tag is present but unusable: Verify says why no burst ran. */
  loadCheckProblem: z.string().optional(),
  /** Security groups, ENIs and EBS volumes of the instance: where recent changes are looked up. */
  attached: z
    .object({
      securityGroups: z.array(z.string()),
      networkInterfaces: z.array(z.string()),
      volumes: z.array(z.string()),
    })
    .optional(),
  /**
   * medic:statuspage-component — the Statuspage component this instance serves (opt-in: without it
   * medic never touches the status page). Only a plain id is kept: it goes into request paths.
   */
  statusPageComponent: z.string().nullable().optional(),
  /** The instance's name in Prometheus (medic:prometheus-instance), for the evidence queries. */
  prometheusInstance: z.string().nullable().optional(),
  /** Failover configuration read from the instance's tags (SPEC §7). */
  failover: z
    .object({
      /** medic:standby — the instance that takes over. */
      standby: z.string().nullable(),
      /** medic:target-group — ARN of the target group serving the instance. */
      targetGroupArn: z.string().nullable(),
      /** medic:route53 — `ZONEID/record.name` whose A record points at the instance. */
      route53: z.string().nullable(),
      /** aws:autoscaling:groupName — set by Auto Scaling on the instances it launched. */
      autoScalingGroup: z.string().nullable(),
      /** medic:route53-address — the address the record gets instead of the standby's own. */
      route53Address: z.string().nullable().optional(),
    })
    .optional(),
});
export type Target = z.infer<typeof TargetSchema>;

export const SettingsSchema = z.object({
  verifyWaitSeconds: z.number().int().min(1),
  verifyPolls: z.number().int().min(1).max(20),
  probeTimeoutMs: z.number().int().min(100).max(30_000),
  executionUrl: z.string().nullable(),
  // Mitigation ladder: pacing of in-flight actions and of the approval pause. Optional in
  // the type so older producers still parse; Intake always sets them (the ASL's Wait and
  // TimeoutSecondsPath read them), and the use cases fall back to LADDER_DEFAULTS.
  /** Wait between polls of an in-flight action (SSM command, stop/start, target health). */
  actionPollWaitSeconds: z.number().int().min(1).optional(),
  /** Polls of an in-flight action before it is given up as failed (bounded, then next rung). */
  actionPolls: z.number().int().min(1).max(120).optional(),
  /** How long approve mode waits for a person before recording "timed out" and escalating. */
  approvalTimeoutSeconds: z.number().int().min(1).optional(),
  /**
   * Per-action autonomy (MEDIC_AUTONOMY) as Intake read it: a run keeps the autonomy it started
   * with. Absent (older producers): the safe defaults of shared/domain/autonomy.ts.
   */
  autonomy: z
    .object({
      'restart-service': z.enum(AUTONOMY_LEVELS),
      reboot: z.enum(AUTONOMY_LEVELS),
      'stop-start': z.enum(AUTONOMY_LEVELS),
      failover: z.enum(AUTONOMY_LEVELS),
    })
    .optional(),
});
export type Settings = z.infer<typeof SettingsSchema>;
export const NO_FAILOVER = { standby: null, targetGroupArn: null, route53: null, autoScalingGroup: null };
export const LADDER_DEFAULTS = { actionPollWaitSeconds: 5, actionPolls: 24, approvalTimeoutSeconds: 900 };

export const ACTION_KINDS = ['restart-service', 'reboot', 'stop-start', 'failover', 'page'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

export const CLASSIFICATIONS = [
  'hardware',
  'network',
  'os',
  'application',
  'resource:disk',
  'resource:memory',
  'resource:cpu',
  'transient',
  'unknown',
  /** medic's own vantage point is blind or contradicts the independent signals: page, never act. */
  'blind-observer',
  /** A change made shortly before the alarm explains the symptom: page with who changed what, never act. */
  'recent-change',
] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

export const CheckSchema = z.object({
  name: z.string(),
  status: z.enum(['pass', 'fail', 'unknown']),
  value: z.string(),
  source: z.string(),
});
export type Check = z.infer<typeof CheckSchema>;

export const Ec2EvidenceSchema = z.object({
  state: z.string(),
  systemStatus: z.string(),
  instanceStatus: z.string(),
  scheduledEvents: z.array(
    z.object({ code: z.string(), description: z.string(), notBefore: z.string().nullable() }),
  ),
  /** For the ticket's prevention section: a single instance, one AZ, no ASG → redundancy. */
  instanceType: z.string().nullable().optional(),
  availabilityZone: z.string().nullable().optional(),
  autoScalingGroup: z.string().nullable().optional(),
});
export type Ec2Evidence = z.infer<typeof Ec2EvidenceSchema>;

export const PortProbeSchema = z.object({
  port: z.number(),
  ssh: z.boolean(),
  tcp: z.enum(['open', 'refused', 'timeout', 'error']),
  banner: z.string().nullable(),
  latencyMs: z.number().nullable(),
});
/**
 * Where the probes ran from, and whether that place can see anything at all: a control probe to a
 * target that always answers inside the VPC (the Amazon-provided DNS resolver, TCP 53) run from the
 * same function, so "the instance is unreachable" is never said by an observer that is itself blind.
 */
export const VantageSchema = z.object({
  /**
   * reached: the control probe answered; blind: it did not (nothing medic probed from here means
   * anything); unproven: no control target is known; off: this deployment does not probe at all
   * (`--param probes=off`): reachability is "not checked", never "failed".
   */
  status: z.enum(['reached', 'blind', 'unproven', 'off']),
  /** host:port of the control probe, when one is known. */
  canary: z.string().nullable(),
  /** The probe function's network placement (subnets, security groups) as deployed, when known. */
  from: z.string().nullable(),
  detail: z.string(),
});
export type Vantage = z.infer<typeof VantageSchema>;

export const ReachabilitySchema = z.object({
  address: z.string(),
  ports: z.array(PortProbeSchema),
  // Optional so evidence gathered before the vantage proof existed still parses.
  vantage: VantageSchema.optional(),
  http: z
    .object({
      url: z.string(),
      status: z.number().nullable(),
      ok: z.boolean(),
      latencyMs: z.number().nullable(),
      error: z.string().nullable(),
    })
    .nullable(),
});
export type Reachability = z.infer<typeof ReachabilitySchema>;

/** One branch's result: the value, or why it could not be checked (a failed branch is evidence). */
export const BranchSchema = <T extends z.ZodTypeAny>(value: T) =>
  z.object({
    ok: z.boolean(),
    value: value.nullable(),
    error: z.string().nullable(),
    checks: z.array(CheckSchema),
  });

/** One metric series summarised over the window around the alarm. */
export const MetricSummarySchema = z.object({
  metric: z.string(),
  /** The series' other dimensions, e.g. `path=/`, so two disks are told apart. */
  dimensions: z.string(),
  latest: z.number().nullable(),
  max: z.number().nullable(),
  samples: z.number().int(),
  /** Timestamp of the newest datapoint: an agent still publishing is a sign the host is alive. */
  lastAt: z.string().nullable().optional(),
});
export type MetricSummary = z.infer<typeof MetricSummarySchema>;

/**
 * What Prometheus says about the instance over the same window (query_range): readings turned into
 * the units the assessment reads (percent used; load per CPU as a percent), each query's failure
 * named. Absent: no Prometheus configured, or no instance label known.
 */
export const PrometheusEvidenceSchema = z.object({
  instance: z.string(),
  stepSeconds: z.number().int(),
  /** `up`: 1 while Prometheus scrapes the host's exporter. */
  up: MetricSummarySchema.nullable(),
  loadPerCpu: MetricSummarySchema.nullable(),
  filesystems: z.array(MetricSummarySchema),
  memory: MetricSummarySchema.nullable(),
  /** The configured service-health query (1 healthy, 0 failing). */
  service: MetricSummarySchema.nullable(),
  errors: z.array(z.string()),
});
export type PrometheusEvidence = z.infer<typeof PrometheusEvidenceSchema>;

export const MetricsEvidenceSchema = z.object({
  window: z.object({ start: z.string(), end: z.string() }),
  cpu: MetricSummarySchema.nullable(),
  /** null: the CloudWatch agent publishes no mem_used_percent: a monitoring gap, not "healthy". */
  memory: MetricSummarySchema.nullable(),
  disks: z.array(MetricSummarySchema),
  gaps: z.array(z.string()),
  prometheus: PrometheusEvidenceSchema.nullable().optional(),
});
export type MetricsEvidence = z.infer<typeof MetricsEvidenceSchema>;

/** What the host says about itself through SSM Run Command (parsed, bounded). */
export const HostEvidenceSchema = z.object({
  agent: z.enum(['online', 'offline', 'not-registered', 'not-opted-in']),
  agentDetail: z.string(),
  commandStatus: z.string().nullable(),
  disks: z.array(z.object({ mount: z.string(), usedPercent: z.number() })),
  memory: z.object({ totalMb: z.number(), availableMb: z.number(), usedPercent: z.number() }).nullable(),
  failedUnits: z.array(z.string()),
  service: z.object({ name: z.string(), state: z.string() }).nullable(),
  logTail: z.array(z.string()),
  truncated: z.boolean(),
});
export type HostEvidence = z.infer<typeof HostEvidenceSchema>;

/**
 * One change made to the instance or what it depends on, summarised from CloudTrail (security
 * groups, ENIs, volumes, the instance), Auto Scaling activities and SSM commands: never the raw
 * record, so twenty cases of them still fit in the state.
 */
export const ChangeSchema = z.object({
  at: z.string(),
  source: z.enum(['cloudtrail', 'autoscaling', 'ssm', 'codedeploy']),
  eventName: z.string(),
  /** Who made it: userIdentity.arn (or the user name) for CloudTrail, the group, the command's requester. */
  actor: z.string(),
  resource: z.string(),
  /** One line: the rule revoked, the attribute changed, the document run. */
  detail: z.string(),
  /** For security-group rule changes: the port ranges the rule covered (protocol "-1" is every port). */
  ports: z.array(z.object({ protocol: z.string(), from: z.number(), to: z.number() })).optional(),
  /**
   * For CodeDeploy deployments: the deployment, and what it did on this instance (the target's
   * status: Succeeded, InProgress, Failed… — null when the instance was not one of its targets).
   */
  deployment: z
    .object({
      id: z.string(),
      application: z.string(),
      group: z.string(),
      status: z.string(),
      instanceStatus: z.string().nullable(),
    })
    .optional(),
});
export type Change = z.infer<typeof ChangeSchema>;

export const ChangesEvidenceSchema = z.object({
  window: z.object({ start: z.string(), end: z.string() }),
  /** What the changes are judged against: the alarm's transition, or the run's start without one. */
  anchor: z.string(),
  rows: z.array(ChangeSchema),
  /** Sources that could not be read (each one line): unchecked is not "nothing changed". */
  unchecked: z.array(z.string()),
  /** More changes were found than the state keeps. */
  truncated: z.boolean(),
  /** CodeDeploy, one line: how many deployments reached the instance, "none", or "not checked: …". */
  deployments: z.string().optional(),
});
export type ChangesEvidence = z.infer<typeof ChangesEvidenceSchema>;

/** The alarm's own account of what happened, and what the instance logged meanwhile. */
export const AlertsEvidenceSchema = z.object({
  alarm: z
    .object({
      name: z.string(),
      reason: z.string(),
      datapoints: z.array(z.object({ timestamp: z.string().optional(), value: z.number() })),
      threshold: z.number().nullable(),
    })
    .nullable(),
  logGroup: z.string().nullable(),
  window: z.object({ start: z.string(), end: z.string() }),
  errorLines: z.array(z.object({ at: z.string(), stream: z.string(), message: z.string() })),
  scanned: z.number().int(),
  /** What changed in the hour before the alarm; absent when the lookup was not made. */
  changes: ChangesEvidenceSchema.optional(),
});
export type AlertsEvidence = z.infer<typeof AlertsEvidenceSchema>;

export const EvidenceSchema = z.object({
  ec2: BranchSchema(Ec2EvidenceSchema),
  reachability: BranchSchema(ReachabilitySchema),
  // Optional so a case assessed from the first two branches alone still parses;
  // an absent branch is treated exactly like one that could not be checked.
  metrics: BranchSchema(MetricsEvidenceSchema).optional(),
  host: BranchSchema(HostEvidenceSchema).optional(),
  alerts: BranchSchema(AlertsEvidenceSchema).optional(),
});
export type Evidence = z.infer<typeof EvidenceSchema>;

export const AssessmentSchema = z.object({
  classification: z.enum(CLASSIFICATIONS),
  confidence: z.enum(['high', 'medium', 'low']),
  reasons: z.array(z.string()),
  plan: z.array(z.enum(ACTION_KINDS)),
  /** recent-change: the change named as the likely cause, one line with who made it (the page's Why). */
  cause: z.string().optional(),
});
export type Assessment = z.infer<typeof AssessmentSchema>;

export const ACTION_OUTCOMES = [
  'succeeded',
  'failed',
  'would-have',
  'held',
  'not-implemented',
  'paged',
  'recovered',
  'not-recovered',
  'rejected',
  'timed-out',
] as const;
export const ActionRecordSchema = z.object({
  kind: z.enum(ACTION_KINDS),
  instanceId: z.string(),
  at: z.string(),
  outcome: z.enum(ACTION_OUTCOMES),
  detail: z.string(),
});
export type ActionRecord = z.infer<typeof ActionRecordSchema>;

export const INSTANCE_OUTCOMES = [
  'resolved',
  'self-recovered',
  'dry-run',
  'escalated',
  'held',
  'failed',
] as const;
export type InstanceOutcome = (typeof INSTANCE_OUTCOMES)[number];

/** What the per-instance loop does next: drives the ASL Choice states. */
export const NEXT_STEPS = ['act', 'approve', 'run', 'poll', 'verify', 'done'] as const;

/** An action in flight across poll iterations (SSM command, stop/start, target health). */
export const PendingActionSchema = z.object({
  kind: z.enum(ACTION_KINDS),
  phase: z.string(),
  startedAt: z.string(),
  pollsLeft: z.number().int().min(0),
  commandId: z.string().optional(),
  mechanism: z.string().optional(),
});
export type PendingAction = z.infer<typeof PendingActionSchema>;

/** A finished incident of one instance as the fix record keeps it (policy/learning.ts ClosedIncident). */
export const ClosedIncidentSchema = z.object({
  incidentId: z.string(),
  instanceId: z.string(),
  classification: z.string().nullable(),
  outcome: z.string(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  ticketKey: z.string().nullable(),
  actions: z.array(z.enum(ACTION_KINDS)).optional(),
  fixedBy: z.enum(ACTION_KINDS).nullable().optional(),
  fixedRung: z.number().int().nullable().optional(),
  timeToMitigateSeconds: z.number().nullable().optional(),
  recurredBy: z.string().nullable().optional(),
});

export const InstanceCaseSchema = z.object({
  incidentId: z.string(),
  mode: z.enum(MODES),
  settings: SettingsSchema,
  target: TargetSchema,
  evidence: EvidenceSchema.nullable().default(null),
  assessment: AssessmentSchema.nullable().default(null),
  rung: z.number().int().min(0).default(0),
  pollsLeft: z.number().int().min(0).default(0),
  lastActionAt: z.string().nullable().default(null),
  next: z.enum(NEXT_STEPS).default('act'),
  // Optional so cases built before the ladder (or by other code) still parse.
  /** The rung being walked (plan[rung]); drives the ASL's RunAction Choice. */
  action: z.enum(ACTION_KINDS).nullable().optional(),
  pending: PendingActionSchema.nullable().optional(),
  /** Set by AwaitApproval: the decision (SendTaskSuccess output) or its error (reject, timeout). */
  approval: z.record(z.string(), z.unknown()).nullable().optional(),
  /** After a failover, Verify probes the standby that now serves. */
  verifyProbe: ProbeConfigSchema.nullable().optional(),
  /** When each verification check first passed after the last action (timeline timings). */
  verifySeen: z.record(z.string(), z.string()).optional(),
  actions: z.array(ActionRecordSchema).default([]),
  outcome: z.enum(INSTANCE_OUTCOMES).nullable().default(null),
  timeline: z.array(TimelineEntrySchema).default([]),
  /** The alarm as Intake saw it, for the alerts & logs evidence (absent for manual runs). */
  alarm: z
    .object({
      name: z.string().nullable(),
      reason: z.string(),
      datapoints: z.array(z.object({ timestamp: z.string().optional(), value: z.number() })),
      threshold: z.number().nullable(),
      enteredAlarmAt: z.string(),
      /** The alert's Prometheus `instance` label (Alertmanager triggers). */
      prometheusInstance: z.string().optional(),
    })
    .optional(),
  /** An AWS Health scheduled change: the deadline and the planned-work window (see PlannedSchema). */
  planned: PlannedSchema.optional(),
  /** Set by the ASL Catch inside the per-instance loop: the case stopped on an unexpected error. */
  caseError: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
  /**
   * Set when stop/start ended with the instance not running (the start fell back to stopped, or
   * never finished): the page and the ticket lead with it, at the highest severity.
   */
  leftStopped: z
    .object({ state: z.string(), code: z.string(), message: z.string(), at: z.string() })
    .optional(),
  /** Set by the ASL Catch of an action Task: recorded against the rung, then the case pages. */
  actionError: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
  /**
   * Set by FileCase: the whole case (evidence, timeline) is in the incident store under this key
   * and the state carries the compact form (domain/case-size.ts); Record reads it back.
   */
  storedAs: z.string().optional(),
  /** Set by FileCase's Catch: the case was not stored and travels whole; the timeline says so. */
  fileError: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
  /**
   * The account and region the instance lives in (the alarm's own, else the central deployment's):
   * every AWS call about the case goes there (shared/aws-clients.ts), its bounds are keyed by them,
   * and every notice, label and metric names them.
   */
  account: z.string().optional(),
  region: z.string().optional(),
  /**
   * Set by Admit: the instance's last resolved incident per classification, if it ended within the
   * recurrence window (at most one per classification). Decide reads it once the case is classified.
   */
  priorFixes: z.array(ClosedIncidentSchema).max(12).optional(),
  /** Set by Decide: this incident shows that fix did not hold (the ladder starts above it). */
  recurrenceOf: ClosedIncidentSchema.optional(),
  /**
   * Set by Decide when the alarm went back to OK after the incident opened (shared/policy/ok.ts):
   * Verify checks that OK once (`pending`), and Decide keeps what it found.
   */
  okCheck: z
    .object({ okAt: z.string(), state: z.enum(['pending', 'confirmed', 'not-confirmed']) })
    .optional(),
  /**
   * Set by Decide when a planned incident waits for its planned-work window (shared/policy/
   * planned.ts): until when, and whether the instance was looked at again after the wait.
   */
  plannedWait: z.object({ until: z.string(), state: z.enum(['waiting', 'looked']) }).optional(),
});
export type InstanceCase = z.infer<typeof InstanceCaseSchema>;

export const IncidentStateSchema = z.object({
  incidentId: z.string(),
  trigger: TriggerSchema,
  settings: SettingsSchema,
  targets: z.array(TargetSchema),
  timeline: z.array(TimelineEntrySchema),
  cases: z.array(InstanceCaseSchema).optional(),
  ticket: z
    .object({ key: z.string(), url: z.string().nullable(), created: z.boolean() })
    .nullable()
    .optional(),
  /** The post-incident review page, when the deployment writes one (null: it waits in the outbox). */
  review: z.object({ id: z.string(), url: z.string() }).nullable().optional(),
  outcome: z.string().optional(),
  /** Set by Close when the run was published on the status page (or queued for it). */
  statusPage: z.object({ incidentId: z.string().nullable(), status: z.string() }).nullable().optional(),
  error: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
  /** Set by the ASL Catch of Acknowledge: the run goes on, and the record says nobody was told it opened. */
  ackError: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
  /**
   * No longer set: Admit claims the episode and answers in one invocation, so the catch-all path
   * never holds an admission half made. Kept only while the release on that path still reads it.
   */
  episodeClaimedBy: z.string().optional(),
  /** What Admit decided (dedupe, lock, fleet guard); Intake decides duplicates and storms. */
  admission: z
    .object({
      disposition: z.enum(['open', 'duplicate', 'joined', 'closed', 'storm']),
      detail: z.string(),
      /** Instances whose per-instance lock this execution holds (released on every exit path). */
      locks: z.array(z.string()).default([]),
      executionId: z.string(),
    })
    .optional(),
});
export type IncidentState = z.infer<typeof IncidentStateSchema>;
