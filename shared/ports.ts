/**
 * Ports: what the use cases need from the world. Use cases take these as arguments and never import
 * an SDK, so they are tested with in-memory fakes and run unchanged against moto or AWS.
 */
import type { Ec2Evidence } from './domain/model.ts';

export interface InstanceInfo {
  instanceId: string;
  state: string;
  tags: Record<string, string>;
  availabilityZone: string | null;
  instanceType: string | null;
  privateIp: string | null;
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

export interface ProbePort {
  /** TCP connect, then read what the peer says first (an SSH server sends `SSH-2.0-…`). */
  tcp(
    address: string,
    port: number,
    options: { timeoutMs: number; readBanner: boolean },
  ): Promise<PortProbeResult>;
  http(url: string, timeoutMs: number): Promise<HttpProbeResult>;
}

export interface TicketRef {
  key: string;
  url: string | null;
}

export interface TicketDraft {
  summary: string;
  labels: string[];
  priority: string;
  /** Atlassian Document Format document. */
  description: Record<string, unknown>;
}

export interface TicketPort {
  findByLabel(label: string): Promise<TicketRef | null>;
  create(draft: TicketDraft): Promise<TicketRef>;
  comment(key: string, body: Record<string, unknown>): Promise<void>;
}

// ---- issue 7: entry points, operator CLI, prevention ----

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

/** Reads a secret (SSM SecureString); cached by the adapter, never logged. */
export type SecretSource = () => Promise<string>;

// ---- issue 3: evidence beyond EC2 and reachability ----

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

export interface LogsPort {
  /** FilterLogEvents over the window, bounded by `limit` events. */
  filter(
    logGroup: string,
    options: { start: Date; end: Date; pattern: string; limit: number },
  ): Promise<LogEvent[]>;
}
