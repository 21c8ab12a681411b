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

// ---- Issue #4: the mitigation ladder's ports ----

/** EC2 calls the ladder makes; every mutating one takes dryRun (EC2's own DryRun proves permission). */
export interface Ec2ActionsPort {
  /** State and root device type (an instance-store root cannot be stopped). */
  instanceState(instanceId: string): Promise<{ state: string; rootDeviceType: string | null }>;
  /** Throws StopNotAllowedError when EC2 refuses to stop the instance (stop protection, unsupported). */
  stop(instanceId: string, options: { dryRun: boolean }): Promise<void>;
  start(instanceId: string, options: { dryRun: boolean }): Promise<void>;
  /** The latest console output, decoded; null when EC2 has none. */
  consoleOutput(instanceId: string): Promise<string | null>;
  /** The Elastic IP associated with the instance, if any. */
  elasticIpOf(instanceId: string): Promise<{ allocationId: string; publicIp: string } | null>;
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

export interface DnsPort {
  /** UPSERT an A record (TTL 60) to the given address. */
  upsertA(zoneId: string, recordName: string, address: string): Promise<string>;
}

export interface AutoScalingHealthPort {
  setUnhealthy(instanceId: string): Promise<void>;
  /** Other InService + Healthy instances of the group (the "never zero healthy" check). */
  healthyPeers(groupName: string, exceptInstanceId: string): Promise<string[]>;
}

/** Step Functions callbacks for task-token pauses (approve mode). */
export interface TaskCallbackPort {
  succeed(taskToken: string, output: Record<string, unknown>): Promise<void>;
  fail(taskToken: string, error: string, cause: string): Promise<void>;
}
