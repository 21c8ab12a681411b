/**
 * Ports: what the use cases need from the world. Use cases take these as arguments and never import
 * an SDK, so they are tested with in-memory fakes and run unchanged against moto or AWS.
 */
import type { TicketDocument } from './domain/document.ts';
import type { HealthIssue } from './domain/health.ts';
import type { LoadResult } from './domain/load-check.ts';
import type { Ec2Evidence, InstanceCase, TimelineEntry } from './domain/model.ts';
import type { ReviewDocument } from './domain/review.ts';
import type { ClosedIncident } from './policy/learning.ts';
import type { StatusPlan } from './policy/statuspage.ts';

export interface InstanceInfo {
  instanceId: string;
  state: string;
  tags: Record<string, string>;
  availabilityZone: string | null;
  instanceType: string | null;
  privateIp: string | null;
  /** The public IPv4 address, if the instance has one (a public DNS record must point there). */
  publicIp?: string | null;
  /** What the instance is attached to (security groups, ENIs, EBS volumes): where changes are looked up. */
  attached?: AttachedResources;
}

export interface AttachedResources {
  securityGroups: string[];
  networkInterfaces: string[];
  volumes: string[];
}

export interface Ec2Port {
  /** Throws InstanceNotFoundError naming the ids that do not exist. */
  describeInstances(instanceIds: string[]): Promise<InstanceInfo[]>;
  describeHealth(instanceId: string): Promise<Ec2Evidence>;
  /** With dryRun, proves permission through EC2's own DryRun and changes nothing. */
  reboot(instanceId: string, options: { dryRun: boolean }): Promise<void>;
}

export interface AutoScalingPort {
  inServiceInstances(groupNames: string[]): Promise<string[]>;
}

export interface Notification {
  subject: string;
  body: string;
  severity: 'info' | 'warning' | 'critical';
  attributes: Record<string, string>;
}

export interface NotifierPort {
  publish(notification: Notification): Promise<{ messageId: string }>;
}

export interface PortProbeResult {
  port: number;
  /** True when this port was probed as SSH (banner expected). */
  ssh: boolean;
  tcp: 'open' | 'refused' | 'timeout' | 'error';
  banner: string | null;
  latencyMs: number | null;
}

export interface HttpProbeResult {
  url: string;
  status: number | null;
  ok: boolean;
  latencyMs: number | null;
  error: string | null;
}

/** The network the probe functions are placed in (EC2 DescribeSubnets / DescribeVpcs). */
export interface VpcPort {
  /** The primary IPv4 CIDR of the VPC the subnet belongs to; null when EC2 does not know it. */
  vpcCidrOfSubnet(subnetId: string): Promise<string | null>;
}

export interface ProbePort {
  /** TCP connect, then read what the peer says first (an SSH server sends `SSH-2.0-…`). */
  tcp(
    address: string,
    port: number,
    options: { timeoutMs: number; readBanner: boolean },
  ): Promise<PortProbeResult>;
  http(url: string, timeoutMs: number): Promise<HttpProbeResult>;
}

/** A bounded burst of HTTP requests to one URL (the load check after Verify, the sweep's stress check). */
export interface LoadBurstPort {
  burst(
    url: string,
    limits: { requests: number; connections: number; maxSeconds: number },
  ): Promise<LoadResult>;
}

/** A service's latency baseline under the sweep's routine stress check. */
export interface LoadBaseline {
  p99Ms: number;
  samples: number;
  /** When the service was last stress-checked (the sweep checks the longest-unchecked first). */
  at: string;
}

export interface LoadBaselineStore {
  get(instanceId: string): Promise<LoadBaseline | null>;
  put(instanceId: string, baseline: LoadBaseline): Promise<void>;
}

export interface TicketRef {
  key: string;
  url: string | null;
}

/** A ticket as a search returns it: enough to decide between update, reopen and create. */
export interface TicketFound extends TicketRef {
  labels: string[];
  /** True when the status is in Jira's "done" category. */
  done: boolean;
  /** Last update (ISO-8601): for a closed ticket, close enough to when it was closed. */
  updated: string | null;
}

export interface TicketDraft {
  summary: string;
  labels: string[];
  priority: string;
  /** Neutral content; the adapter renders ADF (Jira Cloud, v3) or wiki markup (Data Center, v2). */
  description: TicketDocument;
}

export interface TicketPort {
  /** Which API flavour the adapter speaks; shown in the timeline. */
  readonly flavour: 'cloud' | 'data-center';
  /** medic's tickets carrying every one of these labels, newest first (bounded). */
  search(labels: string[]): Promise<TicketFound[]>;
  create(draft: TicketDraft): Promise<TicketRef>;
  /** Replace summary, priority and description (when given); add labels. */
  update(
    key: string,
    change: { summary?: string; priority?: string; description?: TicketDocument; addLabels?: string[] },
  ): Promise<void>;
  comment(key: string, body: TicketDocument): Promise<void>;
  /** Moves a done ticket back to an open status through the workflow; returns the transition's name. */
  reopen(key: string): Promise<string>;
  attach(key: string, file: { name: string; content: string; contentType: string }): Promise<void>;
  /** Links two tickets ("relates to"): a recurrence links the ticket of the fix that did not hold. */
  link?(key: string, relatedKey: string): Promise<void>;
}

/** Powertools Metrics (EMF) behind a port: the use case computes, the adapter emits once per run. */
export interface IncidentMetrics {
  classification: string;
  outcome: string;
  timeToFirstActionSeconds: number | null;
  timeToMitigateSeconds: number | null;
  actions: number;
  guardHolds: number;
  /** Where the incident was: `Incidents` is also counted by account and region. */
  account?: string;
  region?: string;
}

export interface IncidentMetricsPort {
  emit(metrics: IncidentMetrics): void;
}

// ---- entry points, operator CLI, prevention ----

export interface StartedExecution {
  executionArn: string;
  /** False when an execution with this name already existed (a duplicate delivery joined it). */
  started: boolean;
}

/** Starting and inspecting the incident state machine (Step Functions). */
export interface WorkflowPort {
  /** Starts an execution named `name`; an existing name is not an error (dedupe by episode key). */
  start(name: string, input: unknown): Promise<StartedExecution>;
}

/** A closed alert (OK / resolved / Recovered), kept in the incident store for the open episode. */
export interface EpisodeClose {
  source: string;
  identity: string;
  episodeKey: string | null;
  alarmName: string;
  instanceIds: string[];
  at: string;
  reason: string;
}

/** One incident as the operator sees it in `medic history`. */
export interface IncidentSummary {
  incidentId: string;
  instanceId: string;
  startedAt: string;
  endedAt: string | null;
  outcome: string;
  classification: string | null;
  ticketKey: string | null;
  executionArn: string | null;
  alarmName: string | null;
  /** Where the instance lives: `medic history --account/--region` filter on them. */
  account?: string | null;
  region?: string | null;
}

/**
 * The incident store (a DynamoDB table). Kept deliberately small and separate from the episode
 * and lock tables of the safety layer, so either can change without the other.
 */
export interface IncidentStorePort {
  recordClose(close: EpisodeClose): Promise<void>;
  putIncident(summary: IncidentSummary): Promise<void>;
  /** Most recent first. */
  incidentsFor(instanceId: string, limit: number): Promise<IncidentSummary[]>;
}

/** What medic keeps to learn from its fixes (shared/adapters/fix-record.ts). */
export interface FixRecordPort {
  /** Keeps a finished case; a resolved one becomes the instance's last fix for its classification. */
  put(f: ClosedIncident): Promise<void>;
  /** The fix of `f` did not hold: incident `by` showed it. */
  markRecurred(f: ClosedIncident, by: string): Promise<void>;
  /** Cases of this classification that ended at or after `since` (one bounded Query). */
  since(classification: string, since: Date, maxItems?: number): Promise<ClosedIncident[]>;
}

/** Fix metrics (EMF) by classification and action: attempts, verified fixes, recurrences. */
export interface FixMetricsPort {
  emitFix(f: ClosedIncident): void;
  emitRecurred(f: ClosedIncident): void;
}

/** The finished cases of an incident, whole, kept out of the workflow's state (256 KiB limit). */
export interface CaseStorePort {
  putCase(c: InstanceCase): Promise<void>;
  casesFor(incidentId: string): Promise<InstanceCase[]>;
}

/** Reads a secret (SSM SecureString); cached by the adapter, never logged. */
export type SecretSource = () => Promise<string>;

// ---- evidence beyond EC2 and reachability ----

export interface MetricSeriesId {
  namespace: string;
  metric: string;
  dimensions: Record<string, string>;
}

export interface MetricsPort {
  /**
   * The CloudWatch agent series the instance publishes (ListMetrics, namespace CWAgent, filtered on
   * InstanceId). Needed because GetMetricData matches dimension sets exactly (path, device, …).
   */
  listAgentSeries(instanceId: string): Promise<MetricSeriesId[]>;
  /** One GetMetricData call for every series; values oldest first. */
  getMetricData(
    series: (MetricSeriesId & { id: string; stat: 'Average' | 'Maximum' })[],
    window: { start: Date; end: Date; periodSeconds: number },
  ): Promise<Map<string, { timestamps: string[]; values: number[] }>>;
}

/** One series of a Prometheus range query: its labels and its points, oldest first. */
export interface PromSeries {
  labels: Record<string, string>;
  points: { at: string; value: number }[];
}

export interface PrometheusPort {
  /** GET /api/v1/query_range; throws PrometheusQueryError when Prometheus refuses or is unreachable. */
  queryRange(query: string, range: { start: Date; end: Date; stepSeconds: number }): Promise<PromSeries[]>;
}

export interface RunCommandPort {
  /** The SSM agent's PingStatus (DescribeInstanceInformation), or null when it is not a managed node. */
  agentStatus(instanceId: string): Promise<{ pingStatus: string; lastPing: string | null } | null>;
  /** AWS-RunShellScript; returns the command id. */
  send(instanceId: string, commands: string[], timeoutSeconds: number): Promise<string>;
  /** null while the invocation is not visible yet (SSM's eventual consistency). */
  invocation(
    commandId: string,
    instanceId: string,
  ): Promise<{ status: string; stdout: string; stderr: string; responseCode: number } | null>;
}

export interface LogEvent {
  at: string;
  stream: string;
  message: string;
}

/** One CloudTrail management event as LookupEvents returns it, its CloudTrailEvent JSON parsed. */
export interface TrailEvent {
  eventId: string;
  at: string;
  eventName: string;
  eventSource: string;
  username: string | null;
  resources: { type: string | null; name: string }[];
  /** The parsed CloudTrailEvent: userIdentity, requestParameters, errorCode, readOnly… */
  record: Record<string, unknown>;
}

export interface CloudTrailPort {
  /**
   * LookupEvents with one ResourceName attribute (AWS takes one attribute per call), bounded by
   * `limit` events; calls are paced to CloudTrail's rate (two per second per account and Region).
   */
  lookupByResource(
    resourceName: string,
    options: { start: Date; end: Date; limit: number },
  ): Promise<TrailEvent[]>;
}

export interface TrailEventsPort {
  /**
   * LookupEvents with the EventName attribute (e.g. CreateDeployment), bounded by `limit` events,
   * newest first; paced with the resource lookups (one CloudTrail rate per account and Region).
   */
  lookupByEventName(
    eventName: string,
    options: { start: Date; end: Date; limit: number },
  ): Promise<TrailEvent[]>;
}

/** One CodeDeploy deployment as BatchGetDeployments describes it. */
export interface DeploymentRecord {
  deploymentId: string;
  application: string;
  group: string;
  status: string;
  createdAt: string | null;
  completedAt: string | null;
  /** How it was created: user, autoscaling, codeDeployRollback, CodeDeploy, CodeDeployAutoUpdate. */
  creator: string | null;
  description: string | null;
}

/** What one deployment did on one EC2 instance (BatchGetDeploymentTargets' instanceTarget). */
export interface DeploymentTargetRecord {
  status: string;
  lastUpdatedAt: string | null;
  /** The first lifecycle event that failed (ApplicationStop, BeforeInstall…), if one did. */
  failedEvent: string | null;
}

export interface CodeDeployPort {
  /** BatchGetDeployments (at most 25 ids a call, as AWS allows). */
  deployments(ids: readonly string[]): Promise<DeploymentRecord[]>;
  /** The deployment's target for this instance; null when the instance is not one of its targets. */
  instanceTarget(deploymentId: string, instanceId: string): Promise<DeploymentTargetRecord | null>;
}

export interface ScalingActivity {
  at: string;
  description: string;
  cause: string;
  status: string;
}

export interface ScalingActivitiesPort {
  /** DescribeScalingActivities of one group, newest first, those that started at or after `start`. */
  activities(group: string, options: { start: Date; limit: number }): Promise<ScalingActivity[]>;
}

export interface CommandRecord {
  at: string;
  commandId: string;
  documentName: string;
  status: string;
  comment: string;
}

export interface CommandHistoryPort {
  /** SSM ListCommands for one instance, those requested at or after `start`, newest first. */
  commands(instanceId: string, options: { start: Date; limit: number }): Promise<CommandRecord[]>;
}

export interface LogsPort {
  /** FilterLogEvents over the window, bounded by `limit` events. */
  filter(
    logGroup: string,
    options: { start: Date; end: Date; pattern: string; limit: number },
  ): Promise<LogEvent[]>;
}

// ---- the mitigation ladder's ports ----

export interface InstanceStopState {
  state: string;
  rootDeviceType: string | null;
  /** InstanceLifecycle: `spot`, `scheduled`, `capacity-block`; null for on-demand. */
  lifecycle?: string | null;
  spotRequestId?: string | null;
  /** The aws:autoscaling:groupName tag. */
  autoScalingGroup?: string | null;
  /** Why the instance is in its state (e.g. `Client.InternalError` after a start that fell back). */
  stateReason?: { code: string; message: string } | null;
  /** LaunchTime (ISO): EC2 sets it again on every start, so it tells a start that landed. */
  launchTime?: string | null;
}

/** EC2 calls the ladder makes; every mutating one takes dryRun (EC2's own DryRun proves permission). */
export interface Ec2ActionsPort {
  /** State and what decides whether it may be stopped (root device, Spot, Auto Scaling group). */
  instanceState(instanceId: string): Promise<InstanceStopState>;
  /** The Spot request's type (`persistent` | `one-time`); null when EC2 does not say. */
  spotRequestType(spotRequestId: string): Promise<string | null>;
  /** Throws StopNotAllowedError when EC2 refuses to stop the instance (stop protection, unsupported). */
  stop(instanceId: string, options: { dryRun: boolean }): Promise<void>;
  start(instanceId: string, options: { dryRun: boolean }): Promise<void>;
  /** The latest console output, decoded; null when EC2 has none. */
  consoleOutput(instanceId: string): Promise<string | null>;
  /** The Elastic IP associated with the instance, if any, with its tags (IAM conditions read them). */
  elasticIpOf(
    instanceId: string,
  ): Promise<{ allocationId: string; publicIp: string; tags?: Record<string, string> } | null>;
  associateElasticIp(allocationId: string, instanceId: string, options: { dryRun: boolean }): Promise<void>;
}

export type CommandStatus = 'pending' | 'success' | 'failed';

export interface ServiceRestartPort {
  /** Runs `systemctl restart <unit>` through SSM Run Command; returns the command id. */
  restartService(instanceId: string, unit: string): Promise<string>;
  commandStatus(commandId: string, instanceId: string): Promise<{ status: CommandStatus; detail: string }>;
}

export interface TargetGroupPort {
  /** Target id → health state (healthy, unhealthy, initial, draining, unused …). */
  health(targetGroupArn: string): Promise<Record<string, string>>;
  register(targetGroupArn: string, instanceId: string): Promise<void>;
  deregister(targetGroupArn: string, instanceId: string): Promise<void>;
}

/** One record set as Route 53 holds it; `routing` carries the routing-policy fields untouched. */
export interface DnsRecord {
  name: string;
  type: string;
  ttl: number | null;
  values: string[];
  /** Weighted, failover, latency, geolocation … records: the record is identified by this too. */
  setIdentifier: string | null;
  /** Weight, Failover, Region, GeoLocation, HealthCheckId, MultiValueAnswer …, as read. */
  routing: Record<string, unknown>;
  /** An alias record points at an AWS resource, not at an address. */
  alias: boolean;
}

export interface DnsPort {
  /** GetHostedZone: a private zone answers inside its VPCs only. */
  zone(zoneId: string): Promise<{ privateZone: boolean }>;
  /** ListResourceRecordSets: the record sets with exactly this name and type. */
  records(zoneId: string, recordName: string, type: string): Promise<DnsRecord[]>;
  /** UPSERT one record set as given (SetIdentifier and routing fields included); returns the change id. */
  upsert(zoneId: string, record: DnsRecord): Promise<string>;
}

export interface AutoScalingHealthPort {
  setUnhealthy(instanceId: string): Promise<void>;
  /**
   * The group's opt-in tag (medic:managed=true, which the IAM condition on SetInstanceHealth reads)
   * and its other InService + Healthy instances (the "never zero healthy" check); null if no group.
   */
  group(
    groupName: string,
    exceptInstanceId: string,
  ): Promise<{ managed: boolean; healthyPeers: string[] } | null>;
}

/** Step Functions callbacks for task-token pauses (approve mode). */
export interface TaskCallbackPort {
  succeed(taskToken: string, output: Record<string, unknown>): Promise<void>;
  fail(taskToken: string, error: string, cause: string): Promise<void>;
}

/**
 * The final notification of an episode goes out once, although Record runs at least once (a lost
 * answer sends the run down the catch-all path, which records again). At-least-once stays: a
 * claim whose publish never completed does not hold back the next attempt.
 */
export interface FinalNoticeLedgerPort {
  /** False when an earlier attempt already published this episode's final notification. */
  claim(episodeKey: string, at: Date): Promise<boolean>;
  markSent(episodeKey: string, outcome: string, at: Date): Promise<void>;
}

// ---- the safety store (episodes, locks, budgets, fleet registry, outbox) ----
export interface LockOwner {
  episodeKey: string;
  executionId: string;
}

export type LockResult =
  | { acquired: true; tookOverFrom: string | null }
  | { acquired: false; holder: string };

export interface OutboxItem {
  episodeKey: string;
  draft: TicketDraft;
  /** Comment body used when a ticket with the episode label already exists. */
  attempts: number;
  nextAttemptAt: string;
  lastError: string;
}

// The safety store keeps seven kinds of record. Each kind has its own port, and where a use case
// only reads a kind (the bounds) or only writes it (Admit, Release), reads and writes are separate
// ports, so a dependency type says what the caller may do to which record.

/** Episode dedupe: one execution per episode key. */
export interface EpisodeLedger {
  /** Conditional put of the episode: 'new' the first time, 'retry' for the same execution, else 'duplicate'. */
  claimEpisode(key: string, executionId: string, at: Date): Promise<'new' | 'retry' | 'duplicate'>;
}

/** The per-instance lock: one open incident per instance; later alarms join it. */
export interface LockStore {
  /** Per-instance lock with a lease: taken when free, expired (holder died) or already ours. */
  acquireLock(instanceId: string, owner: LockOwner, now: Date, leaseMs: number): Promise<LockResult>;
  /** Appends an entry to the open incident's lock item (its holder merges it on release). */
  joinLock(instanceId: string, entry: TimelineEntry): Promise<string | null>;
  /** Conditional delete by owner; returns the entries others joined, or null if not ours. */
  releaseLock(instanceId: string, episodeKey: string): Promise<TimelineEntry[] | null>;
}

/** Instance history as the bounds read it: episodes (flap detection) and the last close (cooldown). */
export interface InstanceHistory {
  episodesSince(instanceId: string, since: Date): Promise<number>;
  lastClosed(instanceId: string): Promise<Date | null>;
}

/** Instance history as Admit and Release write it. */
export interface InstanceHistoryRecorder {
  recordEpisode(instanceId: string, episodeKey: string, at: Date): Promise<void>;
  markClosed(instanceId: string, at: Date): Promise<void>;
}

/** Fleet registry, written: which instances entered an incident (one entry per instance and bucket). */
export interface FleetRegistry {
  /** `instanceId` is the bounds key (account + region + instance, shared/policy/org.ts). */
  registerFleet(
    instanceId: string,
    episodeKey: string,
    at: Date,
    group?: string | null,
    where?: FleetWhere,
  ): Promise<void>;
}

/** Where a registered instance lives: the fleet guard counts per account, per AZ and in total. */
export interface FleetWhere {
  account?: string | null;
  region?: string | null;
  availabilityZone?: string | null;
}

/** Fleet registry and storms, read: what the fleet guard and the storm check look at. */
export interface FleetView {
  /** Entries with `at` in [since, until]: a bounded number of reads however large the storm. */
  fleetSince(
    since: Date,
    until: Date,
  ): Promise<({ instanceId: string; episodeKey: string; at: string; group?: string | null } & FleetWhere)[]>;
  /** When each of these storms was claimed (absent keys: no such storm), in one read. */
  stormsAt(stormKeys: string[]): Promise<Map<string, Date>>;
}

/** Storm leadership: one leader per storm window. */
export interface StormClaims {
  /** One storm per window: true for the single caller that becomes its leader. */
  claimStorm(stormKey: string, leader: string, at: Date): Promise<boolean>;
}

/** The action ledger: the at-most-once claim of each mutating action, written next to the act. */
export interface ActionLedger {
  /** At-most-once claim of one mutating action; false if it was already claimed. */
  claimAction(instanceId: string, actionKey: string, at: Date): Promise<boolean>;
  /** Gives a claim back when AWS provably did not run the action (throttled before it started). */
  unclaimAction(instanceId: string, actionKey: string): Promise<void>;
}

/** The action ledger read as a budget: how many actions an instance had in the rolling window. */
export interface ActionBudget {
  /**
   * Claims since `since`, leaving out `exceptKey`: a re-delivery of a step whose claim is already
   * counted is not a new action, so its own claim must not spend the budget it is checked against.
   */
  actionsSince(instanceId: string, since: Date, exceptKey?: string): Promise<number>;
}

/** The durable Jira outbox, filled: one item per episode (a newer draft replaces an older one). */
export interface Outbox {
  enqueueOutbox(item: OutboxItem): Promise<void>;
}

/** The durable Jira outbox, drained (one drainer per item at a time, through the lease). */
export interface OutboxDrain {
  dueOutbox(now: Date, limit: number): Promise<OutboxItem[]>;
  /** Claims an item for one drainer (conditional on nextAttemptAt), pushing it to `until`. */
  leaseOutbox(episodeKey: string, expectedNext: string, until: Date): Promise<boolean>;
  rescheduleOutbox(episodeKey: string, attempts: number, next: Date, lastError: string): Promise<void>;
  deleteOutbox(episodeKey: string): Promise<void>;
}

/** Open AWS Health issues, read: while AWS works on an instance, its zone or EC2 in its region, medic holds. */
export interface HealthIssues {
  /** Issues still open at `now` under any of these scope keys (shared/domain/health.ts scopeKey). */
  openHealthIssues(scopes: string[], now: Date): Promise<HealthIssue[]>;
}

/** Open AWS Health issues, written by Admit from the Health events themselves. */
export interface HealthIssueRecorder {
  /** Remembers (or refreshes) an open issue under one scope until `until` (a later event refreshes it). */
  rememberHealthIssue(scope: string, issue: Omit<HealthIssue, 'scope'>, until: Date): Promise<void>;
  /** Forgets one issue (its eventArn) or, with null, every issue of the scope. */
  forgetHealthIssues(scope: string, eventArn: string | null): Promise<number>;
}

/** The part of the safety store the bounds need at action time (shared/usecases/guard.ts). */
export type GuardStorePort = InstanceHistory &
  FleetView &
  StormClaims &
  ActionLedger &
  ActionBudget &
  Outbox &
  HealthIssues;

/** What a storm needs: the registry view, the one-leader claim, and the outbox for its ticket. */
export type StormStorePort = FleetView & StormClaims & Outbox;

/** What admission writes and reads: episodes, locks, the instance's episodes, the fleet and storms. */
export type AdmissionStorePort = EpisodeLedger &
  LockStore &
  InstanceHistoryRecorder &
  FleetRegistry &
  StormStorePort &
  HealthIssues &
  HealthIssueRecorder;

/**
 * The composite the DynamoDB adapter implements (shared/adapters/dynamo-safety.ts: one table, one
 * client). Use cases should name the ports above they really use rather than this.
 */
export type SafetyStorePort = EpisodeLedger &
  LockStore &
  InstanceHistory &
  InstanceHistoryRecorder &
  FleetRegistry &
  FleetView &
  StormClaims &
  ActionLedger &
  ActionBudget &
  Outbox &
  OutboxDrain &
  HealthIssues &
  HealthIssueRecorder;

// ---- the kill switch (`medic pause` / `medic resume`) ----
/** Who paused medic, why and when: what the timeline and the page say. */
export interface PauseRecord {
  reason: string;
  by: string;
  at: string;
  /** Where the pause came from: the stage's parameter, or the pause alarm. */
  source: string;
}

/**
 * Reads the stage's kill switch. Resolves null when medic is not paused; throws when it cannot
 * tell (access denied, throttled, unreadable value) — the caller then fails closed.
 */
export interface PauseSwitchPort {
  /**
   * `where`: the account and region the action would touch; a pause of that account or that region
   * holds it as well as a pause of everything. Without it only the pause of everything is read.
   */
  read(where?: PauseScope): Promise<PauseRecord | null>;
}

/** The scope the kill switch is read for. */
export interface PauseScope {
  account?: string | null;
  region?: string | null;
}

// ---- the status page users read (Atlassian Statuspage) ----

/** medic's incident on the status page for one episode, as the API returns it. */
export interface StatusPageIncident {
  id: string;
  status: string;
  /** The episode it was opened for (from its metadata), null when it is not medic's. */
  episodeKey: string | null;
  /** The plan's update keys already posted on it (from its metadata). */
  posted: string[];
}

/** What one post changes: the incident's status, its new update and the components' statuses. */
export interface StatusPageChange {
  status: string;
  body: string;
  components: Record<string, string>;
  episodeKey: string;
  posted: string[];
  /** False: recorded on the page without notifying subscribers (updates caught up in one go). */
  notify: boolean;
}

export interface StatusPagePort {
  /** medic's incident for the episode, open or resolved; null when there is none. */
  findIncident(episodeKey: string): Promise<StatusPageIncident | null>;
  createIncident(
    change: StatusPageChange & { name: string; impact: string; componentIds: string[] },
  ): Promise<StatusPageIncident>;
  updateIncident(id: string, change: StatusPageChange): Promise<void>;
}

export interface StatusOutboxItem {
  episodeKey: string;
  plan: StatusPlan;
  attempts: number;
  nextAttemptAt: string;
  lastError: string;
}

/** The status page outbox, filled: one plan per episode (plans are cumulative: a newer one replaces). */
export interface StatusOutbox {
  enqueueStatus(item: StatusOutboxItem): Promise<void>;
}

/** The status page outbox, drained by the scheduled drainer (one drainer per item, through the lease). */
export interface StatusOutboxDrain {
  dueStatus(now: Date, limit: number): Promise<StatusOutboxItem[]>;
  leaseStatus(episodeKey: string, expectedNext: string, until: Date): Promise<boolean>;
  rescheduleStatus(episodeKey: string, attempts: number, next: Date, lastError: string): Promise<void>;
  /** Deletes the item only while it still holds a plan of `updates` updates (not one enqueued since). */
  deleteStatus(episodeKey: string, updates: number): Promise<void>;
}

/**
 * Who may publish an episode on the status page right now. The cases of one episode run side by
 * side (the Map) and every Task can be delivered twice: without one publisher at a time, two of
 * them find no incident and both create one, or overwrite each other's list of updates posted.
 * The lease expires on its own when its holder dies.
 */
export interface StatusPublishLease {
  /** True when `holder` now holds the episode's lease until `until` (free, or expired at `now`). */
  claimStatusLease(episodeKey: string, holder: string, now: Date, until: Date): Promise<boolean>;
  /** Gives it back, only while `holder` still holds it. */
  releaseStatusLease(episodeKey: string, holder: string): Promise<void>;
}

// ---- the post-incident review (a Confluence page, linked both ways with the ticket) ----

/** A Jira remote issue link: Jira updates the link with the same globalId instead of adding one. */
export interface RemoteLink {
  globalId: string;
  url: string;
  title: string;
  summary?: string;
}

/** The ticket's side of the review: a remote link from the ticket to the page. */
export interface RemoteLinkPort {
  remoteLink(key: string, link: RemoteLink): Promise<void>;
}

export interface ReviewPage {
  id: string;
  url: string;
  /** The page's version after the call (Confluence counts from 1). */
  version: number;
}

/** Confluence pages in the configured space (Cloud REST v2 or Data Center REST). */
export interface ReviewPort {
  readonly flavour: 'cloud' | 'data-center';
  /**
   * The current page with exactly this title in the space, or null; with the episode it was written
   * for (null when the page does not say: written by hand, or not by medic).
   */
  findByTitle(title: string): Promise<(ReviewPage & { episodeKey: string | null }) | null>;
  create(title: string, document: ReviewDocument): Promise<ReviewPage>;
  /** `version` is the new version number: the current one plus one (Confluence answers 409 otherwise). */
  update(id: string, title: string, document: ReviewDocument, version: number): Promise<ReviewPage>;
}

/** What the review needs to be written later, as the outbox keeps it. */
export interface ReviewDraft {
  episodeKey: string;
  title: string;
  document: ReviewDocument;
  /** Null when Jira had not filed the ticket yet: the drainer looks it up by the episode label. */
  ticket: TicketRef | null;
}

export interface ReviewOutboxItem {
  episodeKey: string;
  review: ReviewDraft;
  attempts: number;
  nextAttemptAt: string;
  lastError: string;
}

/** The review outbox, filled: one item per episode (a newer draft replaces an older one). */
export interface ReviewOutbox {
  enqueueReview(item: ReviewOutboxItem): Promise<void>;
}

/** The review outbox, drained: the same lease discipline as the ticket outbox. */
export interface ReviewOutboxDrain {
  dueReviews(now: Date, limit: number): Promise<ReviewOutboxItem[]>;
  leaseReview(episodeKey: string, expectedNext: string, until: Date): Promise<boolean>;
  rescheduleReview(episodeKey: string, attempts: number, next: Date, lastError: string): Promise<void>;
  deleteReview(episodeKey: string): Promise<void>;
}

/** The OK transitions noted on an open incident (its lock item): Decide reads them before a rung. */
export interface OkNotesPort {
  /** The newest OK transition joined to the lock of this bounds key; null: none. */
  newestOk(lockKey: string): Promise<string | null>;
}
