/**
 * Ports: what the use cases need from the world. Use cases take these as arguments and never import
 * an SDK, so they are tested with in-memory fakes and run unchanged against moto or AWS.
 */
import type { TicketDocument } from './domain/document.ts';
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
}

/** Powertools Metrics (EMF) behind a port: the use case computes, the adapter emits once per run. */
export interface IncidentMetrics {
  classification: string;
  outcome: string;
  timeToFirstActionSeconds: number | null;
  timeToMitigateSeconds: number | null;
  actions: number;
  guardHolds: number;
}

export interface IncidentMetricsPort {
  emit(metrics: IncidentMetrics): void;
}

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
