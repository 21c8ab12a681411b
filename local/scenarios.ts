/**
 * Scenarios for `medic simulate --scenario NAME`: seed moto with a small fleet, start loopback
 * stand-ins for the hosts, and produce the alarm event. The "world" reacts like real hosts do:
 * when a RebootInstances call for a host reaches moto, the host comes back after a short boot.
 */

import { createHash } from 'node:crypto';
import {
  AttachInstancesCommand,
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CodeDeployClient,
  CreateApplicationCommand,
  CreateDeploymentCommand,
  CreateDeploymentGroupCommand,
} from '@aws-sdk/client-codedeploy';
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateLaunchTemplateCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { CLIENT_ORIGIN } from '../shared/aws-clients.ts';
import type { Mode } from '../shared/domain/model.ts';
import { keepOwnCredentials } from './aws-scope.ts';
import { createMemberRole, type InstanceFaults, injectFaults, type LocalMoto } from './moto.ts';
import { type FakeHost, type HostMode, startFakeHost } from './probe-servers.ts';
import { type PrometheusHostSeries, startLocalPrometheus } from './prometheus-api.ts';

export interface ScenarioWorld {
  event: unknown;
  /** A storm scenario delivers one alarm event per instance, all at once. */
  events?: unknown[];
  instanceIds: string[];
  /** Called once the run is over: stops watchers and fake hosts. */
  teardown(): Promise<void>;
  /** Put a host back into a state (e.g. hung again for the next incident). */
  setMode?(instanceId: string, mode: HostMode): Promise<void>;
  /** Events delivered before `event`, one run each and in order (e.g. an AWS Health issue). */
  prelude?: unknown[];
  /** Called once the prelude's runs are over, before `event` is delivered (e.g. the host relapses). */
  afterPrelude?(): Promise<void>;
  /**
   * An event delivered once while the run is under way (its own execution, to its end), right
   * before the first Task for which `when` holds; `before` changes the world first.
   */
  during?: {
    when(state: string, input: unknown): boolean;
    before?(): Promise<void>;
    /** None: only the world changes (e.g. someone stops the instance). */
    event?(): unknown;
  };
  /** The organization scenario: one incident per (account, region), then a storm over accounts. */
  org?: OrgWorld;
}

/** Where one alarmed instance of the organization scenario lives, and its alarm. */
export interface OrgTarget {
  account: string;
  region: string;
  instanceId: string;
  event: unknown;
}

export interface OrgWorld {
  /** One incident each, run one after the other; each must act only in its own account and region. */
  incidents: OrgTarget[];
  /** Alarms that arrive at once, spread over accounts: the organization-wide guard must trip once. */
  storm: OrgTarget[];
}

export interface ScenarioContext {
  ec2: EC2Client;
  /** Endpoint + region for the other clients a scenario needs (ELBv2, Route 53, Auto Scaling). */
  clientConfig?: { endpoint: string; region?: string };
  /** `endpoint` is where faults are injected and metrics/logs seeded. */
  moto: Pick<LocalMoto, 'calls' | 'endpoint'>;
  now: Date;
  /** The run's central account and member settings (the organization scenario deploys member roles). */
  org?: { centralAccount: string; externalId: string; memberRoleName: string };
}

/** What the host says about itself through SSM Run Command (rendered as the real tools print it). */
export interface HostOutputSpec {
  disks?: Record<string, number>;
  memory?: { totalMb: number; availableMb: number };
  failedUnits?: string[];
  serviceState?: string;
  journal?: string[];
}

interface HostSpec {
  name: string;
  managed: boolean;
  mode: HostMode;
  /** What a reboot does to this host (default: comes back healthy). */
  afterReboot?: HostMode;
  /** The medic:service tag. */
  service?: string;
  /** The medic:load-check tag (`<requests>/<concurrency>/<p99 ms>/<max error %>`). */
  loadCheck?: string;
  /** EC2 status checks and scheduled events as AWS would report them. */
  faults?: Pick<InstanceFaults, 'systemStatus' | 'instanceStatus' | 'events'>;
  /** SSM agent PingStatus; null: not a managed node. Default: Online unless hung/down. */
  ssmAgent?: 'Online' | 'ConnectionLost' | null;
  /** On-host tool output (defaults to a healthy host). */
  host?: HostOutputSpec;
  /**
   * The last 10 minutes of metrics, oldest first or one value for all; `null` for mem or
   * disk means the CloudWatch agent does not publish it. Default: a quiet host (20/40/45 %).
   */
  metrics?: { cpu?: number | number[]; mem?: number | number[] | null; disk?: number | number[] | null };
  /**
   * The CloudWatch agent stopped publishing this many minutes before the alarm (its series exist,
   * the newest datapoints are old): what a host cut off from the network looks like. Default 0.
   */
  agentSilentMinutes?: number;
  /** Lines in the instance's CloudWatch Logs group (medic:log-group); none: no tag. */
  logs?: string[];
  // How the fake host answers the other rungs (observed in moto's call log).
  /** After StopInstances the host is down; after StartInstances it boots into this (default healthy). */
  afterStopStart?: HostMode;
  /** After an SSM SendCommand (the restart-service rung) the service answers like this. */
  afterRestart?: HostMode;
  /** The medic:statuspage-component tag: the local Statuspage component this host serves. */
  statusPageComponent?: string;
  /** This host is the alarmed host's medic:standby (never alarmed itself). */
  standby?: boolean;
  /** Launched with a public IPv4 address (a public Route 53 record points there). */
  publicIp?: boolean;
  /**
   * StartInstances is accepted but the instance falls back to stopped with this StateReason code,
   * as AWS does when EC2 cannot use the KMS key of its volumes (tag medic-sim:start-fails).
   */
  startFails?: string;
  /**
   * The host sits in its own security group allowing the probed port; shortly before the alarm a
   * person (an assumed role's session with this name) revokes that rule through the EC2 API, so
   * moto serves the call and the local CloudTrail reports it.
   */
  revokedBy?: string;
  /**
   * A CodeDeploy application and deployment group target the host by its Name tag; shortly before
   * the alarm a person (an assumed role's session with this name) creates a deployment through
   * CodeDeploy, so moto serves it, the local substrate resolves its targets and CloudTrail reports it.
   */
  deployedBy?: string;
  /**
   * Prometheus watches this host (its node exporter's series, as medic's queries compute them),
   * under this `instance` label. The scenario then runs a local Prometheus API stand-in.
   */
  prometheus?: PrometheusHostSeries & { instance: string };
}

export type FailoverKind = 'target-group' | 'route53' | 'elastic-ip' | 'auto-scaling';
export type ApprovalChoice = 'approve' | 'reject' | 'ignore';

interface ScenarioSpec {
  description: string;
  hosts: HostSpec[];
  alarm: { name: string; metric: string; reason: string; datapoints?: number[]; threshold?: number };
  /** A manual run in this mode instead of the CloudWatch alarm (dry-run, approve). */
  mode?: Mode;
  /** approve mode: what the simulated person does with the approve/reject links. */
  approval?: ApprovalChoice;
  /** The failover configuration the alarmed host carries (several: tried in medic's order). */
  failover?: FailoverKind | FailoverKind[];
  /**
   * AWS errors the scenario's account answers, as IAM would: e.g. RegisterTargets on a target group
   * that is not tagged medic:managed=true is AccessDenied under medic's role.
   */
  refuse?: { service: string; action: string; code: string; message: string }[];
  /** N instances (--instances, default 200) alarm at once; no fake hosts are started. */
  storm?: { defaultInstances: number };
  /** One alarm names every (non-standby) host: one incident with that many targets. */
  alarmsEveryHost?: boolean;
  /**
   * The alarm arrives as an Alertmanager webhook (version 4, one firing alert labelled with the
   * host's Prometheus instance and instance id) instead of a CloudWatch alarm event.
   */
  alertmanager?: { labels: Record<string, string> };
  /** An AWS Health event for the first host instead of the alarm (a planned incident). */
  healthEvent?: (instanceId: string, now: Date) => unknown;
  /** AWS Health events for the first host delivered before the scenario's event, in order. */
  prelude?: (instanceId: string, now: Date) => unknown[];
  /** Settings of the run itself, around the scenario's clock (e.g. the planned-work window). */
  env?: (now: Date) => Record<string, string>;
  /** Several accounts × regions (member roles deployed on the same moto), then a storm over some. */
  org?: { members: string[]; regions: string[]; stormAccounts: string[]; stormPerAccount: number };
  /** Earlier alarms of the first host, each delivered as its own run before the scenario's event. */
  earlierAlarms?: (instanceId: string, now: Date) => unknown[];
  /** After those earlier runs the first host falls back into this state (the fix did not hold). */
  relapse?: HostMode;
  /**
   * Once the first rung's Verify gave up, the alarm goes back to OK (an OK transition delivered
   * like any alarm event); with `hostRecovers` the host has come back by then, else it is still down
   * (the alarm went OK for another reason, e.g. its metric stopped arriving).
   */
  okDuringLadder?: { hostRecovers: boolean };
  /** While a planned incident waits for its window, someone stops the instance by hand. */
  stoppedWhileWaiting?: boolean;
}

const STATUS_REASON =
  'Threshold Crossed: 2 out of the last 2 datapoints [1.0, 1.0] were greater than or equal to the threshold (1.0).';
const statusAlarm = (host: string) => ({
  name: `${host} status check failed`,
  metric: 'StatusCheckFailed',
  reason: STATUS_REASON,
});
/** A hung host that no reboot or stop/start cures, with a healthy standby: only failover helps. */
const failoverHosts = (name: string): HostSpec[] => [
  { name, managed: true, mode: 'hung', afterReboot: 'hung', afterStopStart: 'hung' },
  { name: `${name}-standby`, managed: true, mode: 'healthy', standby: true },
];

export const SCENARIOS: Record<string, ScenarioSpec> = {
  unreachable: {
    description:
      'an opted-in web server stops answering (TCP accepted, no SSH banner, health hangs); a reboot fixes it',
    hosts: [
      {
        name: 'web-1',
        managed: true,
        mode: 'hung',
        afterReboot: 'healthy',
        statusPageComponent: 'simwebsite01',
      },
    ],
    alarm: {
      name: 'web-1 status check failed',
      metric: 'StatusCheckFailed',
      reason:
        'Threshold Crossed: 2 out of the last 2 datapoints [1.0, 1.0] were greater than or equal to the threshold (1.0).',
    },
  },
  healthy: {
    description: 'the alarm fired but every check passes now: medic closes it as self-recovered, no action',
    hosts: [{ name: 'web-2', managed: true, mode: 'healthy' }],
    alarm: {
      name: 'web-2 status check failed',
      metric: 'StatusCheckFailed',
      reason:
        'Threshold Crossed: 1 out of the last 1 datapoints [1.0] was greater than or equal to the threshold (1.0).',
    },
  },
  'not-opted-in': {
    description: 'a hung host without medic:managed=true: evidence, ticket and a page, but no action',
    hosts: [{ name: 'db-1', managed: false, mode: 'hung' }],
    alarm: {
      name: 'db-1 status check failed',
      metric: 'StatusCheckFailed',
      reason:
        'Threshold Crossed: 2 out of the last 2 datapoints [1.0, 1.0] were greater than or equal to the threshold (1.0).',
    },
  },
  'system-check-failed': {
    description:
      'AWS reports the system status check failed (the underlying host) and schedules a retirement: hardware',
    hosts: [
      {
        name: 'web-4',
        managed: true,
        mode: 'down',
        afterReboot: 'down',
        ssmAgent: 'ConnectionLost',
        faults: {
          systemStatus: 'impaired',
          instanceStatus: 'impaired',
          events: [
            {
              code: 'instance-retirement',
              description: 'The instance is running on degraded hardware',
              notBefore: '2030-01-01T00:00:00.000Z',
            },
          ],
        },
      },
    ],
    alarm: {
      name: 'web-4 system status check failed',
      metric: 'StatusCheckFailed_System',
      reason:
        'Threshold Crossed: 2 out of the last 2 datapoints [1.0, 1.0] were greater than or equal to the threshold (1.0).',
    },
  },
  'network-partition': {
    description:
      'status checks pass but no port accepts a connection (security group / route / NACL): network',
    // A host cut off from the network loses every independent signal too: the SSM agent's pings and
    // the CloudWatch agent's datapoints stop arriving. That is what tells it from probe-path-blocked.
    hosts: [
      {
        name: 'api-1',
        managed: true,
        mode: 'down',
        afterReboot: 'healthy',
        ssmAgent: 'ConnectionLost',
        agentSilentMinutes: 15,
      },
    ],
    alarm: {
      name: 'api-1 health check failing',
      metric: 'StatusCheckFailed',
      reason:
        'Threshold Crossed: 3 out of the last 3 datapoints [1.0, 1.0, 1.0] were greater than or equal to the threshold (1.0).',
    },
  },
  'probe-path-blocked': {
    description:
      "the host is healthy (status checks OK, SSM agent online, agent metrics arriving); only medic's probe path is cut: blind-observer, a page and a ticket, no action",
    hosts: [
      {
        name: 'api-2',
        managed: true,
        // Every connection medic makes fails (a security group or NACL between the probe subnets and
        // the host); nothing medic could do to the host would change that.
        mode: 'down',
        afterReboot: 'down',
        afterStopStart: 'down',
        ssmAgent: 'Online',
      },
    ],
    alarm: {
      name: 'api-2 health check failing',
      metric: 'HealthCheckFailed',
      reason:
        'Threshold Crossed: 3 out of the last 3 datapoints [1.0, 1.0, 1.0] were greater than or equal to the threshold (1.0).',
    },
  },
  'app-down': {
    description: 'SSH answers, the health URL returns 503 and the configured unit has failed: application',
    hosts: [
      {
        name: 'web-5',
        managed: true,
        mode: 'app-down',
        afterReboot: 'healthy',
        service: 'webapp.service',
        host: {
          failedUnits: ['webapp.service'],
          serviceState: 'failed',
          journal: [
            '2026-01-01T00:00:00+0000 web-5 systemd[1]: webapp.service: Main process exited, code=exited, status=1/FAILURE',
            '2026-01-01T00:00:00+0000 web-5 systemd[1]: webapp.service: Failed with result exit-code.',
          ],
        },
        logs: [
          'INFO GET /health 200',
          'ERROR database connection pool exhausted: could not acquire connection within 5000 ms',
          'FATAL unrecoverable error, shutting down',
        ],
      },
    ],
    alarm: {
      name: 'web-5 target unhealthy',
      metric: 'StatusCheckFailed',
      reason:
        'Threshold Crossed: 2 out of the last 2 datapoints [1.0, 1.0] were greater than or equal to the threshold (1.0).',
    },
  },
  'disk-full': {
    description:
      'the root filesystem is full and the app fails writing: resource:disk (evidence + page, no deletion)',
    hosts: [
      {
        name: 'db-2',
        managed: true,
        mode: 'app-down',
        service: 'postgresql.service',
        metrics: { disk: [91, 93, 95, 97, 98, 99, 99, 100, 100, 100] },
        host: {
          disks: { '/': 100, '/boot': 31 },
          journal: [
            '2026-01-01T00:00:00+0000 db-2 postgres[812]: PANIC: could not write to file "pg_wal/xlogtemp.812": No space left on device',
          ],
        },
        logs: ['ERROR could not extend file "base/16384/2619": No space left on device'],
      },
    ],
    alarm: {
      name: 'db-2 disk_used_percent high',
      metric: 'disk_used_percent',
      datapoints: [100],
      threshold: 90,
      reason:
        'Threshold Crossed: 1 out of the last 1 datapoints [100.0] was greater than or equal to the threshold (90.0).',
    },
  },
  'memory-leak': {
    description: 'memory climbs to exhaustion, the app stops answering health checks: resource:memory',
    hosts: [
      {
        name: 'worker-1',
        managed: true,
        mode: 'app-down',
        afterReboot: 'healthy',
        service: 'worker.service',
        metrics: { mem: [62, 67, 71, 76, 80, 84, 88, 92, 95, 97] },
        host: {
          memory: { totalMb: 3_884, availableMb: 96 },
          journal: [
            '2026-01-01T00:00:00+0000 worker-1 kernel: Out of memory: Killed process 2211 (worker) total-vm:3981232kB',
          ],
        },
      },
    ],
    alarm: {
      name: 'worker-1 mem_used_percent high',
      metric: 'mem_used_percent',
      datapoints: [95, 97],
      threshold: 90,
      reason:
        'Threshold Crossed: 2 out of the last 2 datapoints [95.0, 97.0] were greater than or equal to the threshold (90.0).',
    },
  },
  'agent-missing': {
    description:
      'the alarm fired, the host answers, but no CloudWatch or SSM agent reports from it: a monitoring gap',
    hosts: [
      {
        name: 'web-6',
        managed: true,
        mode: 'healthy',
        ssmAgent: null,
        metrics: { cpu: [31, 35, 52, 70, 86, 91], mem: null, disk: null },
      },
    ],
    alarm: {
      name: 'web-6 CPU high',
      metric: 'CPUUtilization',
      datapoints: [91],
      threshold: 90,
      reason:
        'Threshold Crossed: 1 out of the last 1 datapoints [91.0] was greater than or equal to the threshold (90.0).',
    },
  },
  'reboot-does-not-help': {
    description:
      'a hung host that stays hung after the reboot: medic verifies, moves down the ladder and pages',
    hosts: [{ name: 'web-3', managed: true, mode: 'hung', afterReboot: 'hung', afterStopStart: 'hung' }],
    alarm: {
      name: 'web-3 status check failed',
      metric: 'StatusCheckFailed',
      reason:
        'Threshold Crossed: 2 out of the last 2 datapoints [1.0, 1.0] were greater than or equal to the threshold (1.0).',
    },
  },
};

// ---- the mitigation ladder's scenarios ----
Object.assign(SCENARIOS, {
  'reboot-fixes': {
    description: 'a hung host (no SSH banner, health hangs): the reboot brings it back',
    hosts: [{ name: 'web-10', managed: true, mode: 'hung', afterReboot: 'healthy' }],
    alarm: statusAlarm('web-10'),
  },
  'reboot-fails-stopstart-fixes': {
    description: 'a hung host that a reboot does not cure; stop/start (new hardware) does',
    hosts: [{ name: 'web-11', managed: true, mode: 'hung', afterReboot: 'hung', afterStopStart: 'healthy' }],
    alarm: statusAlarm('web-11'),
  },
  'app-restart-fixes': {
    description: 'SSH answers but the health URL returns 503; restarting medic:service via SSM fixes it',
    hosts: [
      { name: 'app-1', managed: true, mode: 'app-down', service: 'app.service', afterRestart: 'healthy' },
    ],
    alarm: { name: 'app-1 health check failing', metric: 'HealthCheckFailed', reason: STATUS_REASON },
  },
  'failover-target-group': {
    description: 'reboot and stop/start do not help; the standby replaces it in its target group',
    hosts: failoverHosts('web-20'),
    alarm: statusAlarm('web-20'),
    failover: 'target-group',
  },
  'failover-route53': {
    description: 'reboot and stop/start do not help; the DNS record is UPSERTed to the standby',
    hosts: failoverHosts('web-21'),
    alarm: statusAlarm('web-21'),
    failover: 'route53',
  },
  'failover-eip': {
    description: 'reboot and stop/start do not help; the Elastic IP moves to the standby',
    hosts: failoverHosts('web-22'),
    alarm: statusAlarm('web-22'),
    failover: 'elastic-ip',
  },
  'failover-asg': {
    description:
      'the app answers 503 and a reboot does not help; the instance is marked Unhealthy in its (opted-in) Auto Scaling group',
    // An application failure: its ladder has no stop/start, which would hand the member to its
    // group itself (see stopstart-asg-member).
    hosts: [
      { name: 'web-23', managed: true, mode: 'app-down', afterReboot: 'app-down' },
      { name: 'web-23-standby', managed: true, mode: 'healthy', standby: true },
    ],
    alarm: { name: 'web-23 health check failing', metric: 'HealthCheckFailed', reason: STATUS_REASON },
    failover: 'auto-scaling',
  },
  'failover-fallback': {
    description:
      'the target group refuses the standby (not tagged medic:managed=true: AccessDenied); Route 53 takes over with the standby public IP',
    hosts: [
      { name: 'web-24', managed: true, mode: 'hung', afterReboot: 'hung', afterStopStart: 'hung' },
      { name: 'web-24-standby', managed: true, mode: 'healthy', standby: true, publicIp: true },
    ],
    alarm: statusAlarm('web-24'),
    failover: ['target-group', 'route53'],
    refuse: [
      {
        service: 'elasticloadbalancing',
        action: 'RegisterTargets',
        code: 'AccessDenied',
        message:
          'User: arn:aws:sts::123456789012:assumed-role/medic-failover/medic is not authorized to perform: elasticloadbalancing:RegisterTargets because no identity-based policy allows it (the target group is not tagged medic:managed=true)',
      },
    ],
  },
  'stopstart-asg-member': {
    description:
      'a hung Auto Scaling group member that a reboot does not cure: never stopped, its opted-in group replaces it (SetInstanceHealth)',
    hosts: failoverHosts('web-25'),
    alarm: statusAlarm('web-25'),
    failover: 'auto-scaling',
  },
  'stopstart-left-stopped': {
    description:
      'StartInstances is accepted but the instance falls back to stopped (its KMS key grants EC2 nothing): the highest-severity page and ticket say so',
    hosts: [
      {
        name: 'web-26',
        managed: true,
        mode: 'hung',
        afterReboot: 'hung',
        afterStopStart: 'down',
        startFails: 'Client.InternalError',
      },
    ],
    alarm: statusAlarm('web-26'),
  },
  'nothing-works': {
    description: 'nothing medic may do restores service and no failover is configured: it pages',
    hosts: [{ name: 'web-30', managed: true, mode: 'hung', afterReboot: 'hung', afterStopStart: 'hung' }],
    alarm: statusAlarm('web-30'),
  },
  'dry-run': {
    description: 'a manual dry run for a hung host: "would have rebooted", nothing changes in AWS',
    hosts: [{ name: 'web-40', managed: true, mode: 'hung' }],
    alarm: statusAlarm('web-40'),
    mode: 'dry-run',
  },
  'approve-granted': {
    description: 'approve mode: a person approves the reboot through the signed link; it fixes the host',
    hosts: [{ name: 'web-41', managed: true, mode: 'hung', afterReboot: 'healthy' }],
    alarm: statusAlarm('web-41'),
    mode: 'approve',
    approval: 'approve',
  },
  'approve-rejected': {
    description: 'approve mode: a person rejects the reboot; medic does nothing more and hands over',
    hosts: [{ name: 'web-42', managed: true, mode: 'hung' }],
    alarm: statusAlarm('web-42'),
    mode: 'approve',
    approval: 'reject',
  },
  'approve-timeout': {
    description: 'approve mode: nobody answers; recorded as timed out (not rejected) and escalated',
    hosts: [{ name: 'web-43', managed: true, mode: 'hung' }],
    alarm: statusAlarm('web-43'),
    mode: 'approve',
    approval: 'ignore',
  },
} satisfies Record<string, ScenarioSpec>);

// ---- The largest incident medic accepts: the state must stay far below Step Functions' 256 KiB ----
/** Multi-byte text: UTF-8 counts 3 bytes per character, as Step Functions counts its payload. */
const wide = (n: number) => '界'.repeat(n);
const LARGEST_TARGETS = 20; // MAX_TARGETS in usecases/intake.ts
SCENARIOS['largest-incident'] = {
  description: `one alarm names ${LARGEST_TARGETS} hung hosts (the most one incident takes); nothing helps, each walks the whole ladder; host output and log lines at their caps`,
  hosts: Array.from({ length: LARGEST_TARGETS }, (_, i) => ({
    name: `big-${String(i + 1).padStart(2, '0')}-${wide(40)}`,
    managed: true,
    mode: 'hung' as const,
    afterReboot: 'hung' as const,
    afterStopStart: 'hung' as const,
    ssmAgent: 'Online' as const,
    service: `app-${wide(20)}.service`,
    host: {
      disks: Object.fromEntries(Array.from({ length: 14 }, (_, d) => [`/data/${d}/${wide(90)}`, 45])),
      failedUnits: Array.from({ length: 14 }, (_, u) => `unit-${u}-${wide(60)}.service`),
      serviceState: 'failed',
      journal: Array.from({ length: 14 }, (_, l) => `2026-01-01T00:00:0${l % 10}+0000 kernel: ${wide(300)}`),
    },
    logs: Array.from({ length: 14 }, (_, l) => `ERROR ${l} ${wide(300)}`),
  })),
  alarm: { ...statusAlarm('fleet'), name: `fleet ${wide(60)} status check failed` },
  alarmsEveryHost: true,
};

// ---- What changed: an ingress rule revoked minutes before the alarm ----
SCENARIOS['changed-security-group'] = {
  description:
    'someone revokes the security group rule for the probed port; the host is alive (SSM agent online) but unreachable: the change and who made it are the evidence, medic pages and does not reboot',
  hosts: [
    {
      name: 'web-sg',
      managed: true,
      // Inbound is cut: nothing medic probes answers, whatever medic does to the host.
      mode: 'down',
      afterReboot: 'down',
      afterStopStart: 'down',
      ssmAgent: 'Online',
      revokedBy: 'alice',
    },
  ],
  alarm: {
    name: 'web-sg health check failing',
    metric: 'HealthCheckFailed',
    reason:
      'Threshold Crossed: 3 out of the last 3 datapoints [1.0, 1.0, 1.0] were greater than or equal to the threshold (1.0).',
  },
};

/** The role people assume to change the fleet by hand (the session name is the person). */
export const OPERATOR_ROLE = 'arn:aws:iam::123456789012:role/ops-admin';

/** A security group of its own for a host, allowing the probed port from the VPC. */
async function seedSecurityGroup(ec2: EC2Client, vpcId: string, name: string, port: number): Promise<string> {
  const group = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: `${name}-sg`, Description: `${name} web`, VpcId: vpcId }),
  );
  const groupId = group.GroupId ?? '';
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [probeRule(port)] }),
  );
  return groupId;
}

const probeRule = (port: number) => ({
  IpProtocol: 'tcp',
  FromPort: port,
  ToPort: port,
  IpRanges: [{ CidrIp: '10.42.0.0/16', Description: 'probes' }],
});

/** A person revokes the rule with their own session: CloudTrail names the session, not medic. */
async function revokeAs(
  person: string,
  config: { endpoint: string; region: string },
  groupId: string,
  port: number,
): Promise<void> {
  // The operators' role exists and trusts its own account, as in a real account: the local STS
  // refuses to assume a role that does not.
  await createMemberRole(config.endpoint, {
    account: '123456789012',
    roleName: 'ops-admin',
    trustedAccount: '123456789012',
  });
  const sts = new STSClient({
    ...config,
    credentials: { accessKeyId: 'medic-local', secretAccessKey: 'medic-local' },
  });
  const session = await sts.send(new AssumeRoleCommand({ RoleArn: OPERATOR_ROLE, RoleSessionName: person }));
  const ec2 = keepOwnCredentials(
    new EC2Client({
      ...config,
      credentials: {
        accessKeyId: session.Credentials?.AccessKeyId ?? '',
        secretAccessKey: session.Credentials?.SecretAccessKey ?? '',
        sessionToken: session.Credentials?.SessionToken ?? '',
      },
    }),
  );
  await ec2.send(
    new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [probeRule(port)] }),
  );
}

/** The application and deployment group a `deployedBy` host belongs to. */
export const DEPLOY_APPLICATION = 'shop';
export const deployGroupOf = (hostName: string) => `${hostName}-group`;

/** A person releases through CodeDeploy with their own session: CloudTrail names the session. */
async function deployAs(
  person: string,
  config: { endpoint: string; region: string },
  hostName: string,
): Promise<void> {
  await createMemberRole(config.endpoint, {
    account: '123456789012',
    roleName: 'ops-admin',
    trustedAccount: '123456789012',
  });
  const sts = new STSClient({
    ...config,
    credentials: { accessKeyId: 'medic-local', secretAccessKey: 'medic-local' },
  });
  const session = await sts.send(new AssumeRoleCommand({ RoleArn: OPERATOR_ROLE, RoleSessionName: person }));
  const codedeploy = keepOwnCredentials(
    new CodeDeployClient({
      ...config,
      credentials: {
        accessKeyId: session.Credentials?.AccessKeyId ?? '',
        secretAccessKey: session.Credentials?.SecretAccessKey ?? '',
        sessionToken: session.Credentials?.SessionToken ?? '',
      },
    }),
  );
  await codedeploy.send(
    new CreateApplicationCommand({ applicationName: DEPLOY_APPLICATION, computePlatform: 'Server' }),
  );
  await codedeploy.send(
    new CreateDeploymentGroupCommand({
      applicationName: DEPLOY_APPLICATION,
      deploymentGroupName: deployGroupOf(hostName),
      serviceRoleArn: 'arn:aws:iam::123456789012:role/codedeploy-service',
      ec2TagFilters: [{ Key: 'Name', Value: hostName, Type: 'KEY_AND_VALUE' }],
    }),
  );
  await codedeploy.send(
    new CreateDeploymentCommand({
      applicationName: DEPLOY_APPLICATION,
      deploymentGroupName: deployGroupOf(hostName),
      description: 'release 2026.11.29-1',
      revision: {
        revisionType: 'S3',
        s3Location: { bucket: 'shop-releases', key: 'web/2026.11.29-1.zip', bundleType: 'zip' },
      },
    }),
  );
}

// ---- Prometheus: a host watched by Prometheus only ----
SCENARIOS['prometheus-disk-full'] = {
  description:
    'Alertmanager pages for a host without the CloudWatch agent whose Prometheus filesystem series is exhausted: resource:disk from Prometheus evidence',
  hosts: [
    {
      name: 'etl-1',
      managed: true,
      mode: 'app-down',
      ssmAgent: null,
      metrics: { cpu: [18, 22, 25, 21], mem: null, disk: null },
      prometheus: {
        instance: 'etl-1:9100',
        filesystemAvailable: { '/': [0.09, 0.06, 0.04, 0.02, 0.008, 0.002], '/boot': [0.71] },
        memoryAvailable: 0.58,
        loadPerCpu: 0.35,
      },
    },
  ],
  alarm: {
    name: 'NodeFilesystemAlmostOutOfSpace',
    metric: 'node_filesystem_avail_bytes',
    reason: 'Filesystem has less than 5% space left.',
  },
  alertmanager: {
    labels: { job: 'node', severity: 'critical', mountpoint: '/', device: '/dev/nvme0n1p1', fstype: 'ext4' },
  },
};

// ---- alarm storm ----
SCENARIOS.storm = {
  description:
    'an alarm storm: N opted-in instances (--instances, default 200) alarm within seconds; the fleet guard must trip',
  hosts: [],
  alarm: {
    name: 'storm status check failed',
    metric: 'StatusCheckFailed',
    reason:
      'Threshold Crossed: 2 out of the last 2 datapoints [1.0, 1.0] were greater than or equal to the threshold (1.0).',
  },
  storm: { defaultInstances: 200 },
};

// ---- recovery under load (medic:load-check) ----
Object.assign(SCENARIOS, {
  'degraded-under-load': {
    description:
      'after the reboot the host answers one probe but fails a burst of load (503s when busy): the rung is not recovered, stop/start runs and passes',
    hosts: [
      {
        name: 'web-50',
        managed: true,
        mode: 'hung',
        afterReboot: 'fragile',
        afterStopStart: 'healthy',
        loadCheck: '200/20/1000/1',
      },
    ],
    alarm: statusAlarm('web-50'),
  },
  'load-check-passes': {
    description:
      'a reboot brings the host back and a burst of load confirms it: the figures go on the timeline and ticket',
    hosts: [
      { name: 'web-51', managed: true, mode: 'hung', afterReboot: 'healthy', loadCheck: '200/10/1000/1' },
    ],
    alarm: statusAlarm('web-51'),
  },
} satisfies Record<string, ScenarioSpec>);

// ---- AWS Health: planned work before AWS's deadline, and holding while AWS recovers ----
const DAY_MS = 86_400_000;
/** AWS's retirement notice comes about two weeks ahead; the deadline is its startTime. */
const retirementDeadline = (now: Date) => new Date(now.getTime() + 14 * DAY_MS);

SCENARIOS['retirement-scheduled'] = {
  description:
    'AWS schedules the retirement of an opted-in instance (AWS Health); medic stop/starts it inside the planned-work window, before the deadline, and the ticket names the deadline',
  hosts: [
    {
      name: 'web-50',
      managed: true,
      mode: 'healthy',
      afterStopStart: 'healthy',
      // What DescribeInstanceStatus shows for the same retirement.
      faults: {
        events: [
          {
            code: 'instance-retirement',
            description: 'The instance is running on degraded hardware',
            notBefore: '2030-01-01T00:00:00.000Z',
          },
        ],
      },
    },
  ],
  alarm: statusAlarm('web-50'),
  healthEvent: (instanceId, now) =>
    healthEvent({
      code: 'AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED',
      category: 'scheduledChange',
      status: 'upcoming',
      instanceId,
      start: retirementDeadline(now),
      sent: now,
      description: `EC2 has detected degradation of the underlying hardware hosting your Amazon EC2 instance. We will stop your instance after ${retirementDeadline(now).toISOString()}.`,
    }),
  // The window is open now (an interval around the scenario's clock), well before the deadline.
  env: (now) => ({
    MEDIC_MAINTENANCE_WINDOW: `${new Date(now.getTime() - 10 * 60_000).toISOString()}/${new Date(now.getTime() + 2 * 3_600_000).toISOString()}`,
  }),
};

SCENARIOS['auto-recovery-in-progress'] = {
  description:
    'AWS is recovering an instance (an open AWS Health issue names it) when its system status check alarms: medic takes no action, held because AWS is recovering',
  hosts: [
    {
      name: 'web-51',
      managed: true,
      mode: 'down',
      afterReboot: 'down',
      afterStopStart: 'healthy',
      ssmAgent: 'ConnectionLost',
      faults: { systemStatus: 'impaired', instanceStatus: 'impaired' },
    },
  ],
  alarm: {
    ...statusAlarm('web-51'),
    name: 'web-51 system status check failed',
    metric: 'StatusCheckFailed_System',
  },
  prelude: (instanceId, now) => [
    healthEvent({
      code: 'AWS_EC2_OPERATIONAL_ISSUE',
      category: 'issue',
      status: 'open',
      instanceId,
      start: new Date(now.getTime() - 5 * 60_000),
      sent: new Date(now.getTime() - 60_000),
      description:
        'The underlying host of the instance below is impaired; EC2 is recovering the instance onto a new host.',
    }),
  ],
};

/** An AWS Health event for one instance, shaped as EventBridge delivers it (test/fixtures/aws-health.md). */
export function healthEvent(o: {
  code: string;
  category: 'issue' | 'scheduledChange' | 'accountNotification';
  status: 'open' | 'upcoming' | 'closed';
  instanceId: string;
  start: Date;
  sent: Date;
  description: string;
  region?: string;
  account?: string;
}): Record<string, unknown> {
  const region = o.region ?? 'us-east-1';
  const account = o.account ?? '123456789012';
  const rfc1123 = (d: Date) => d.toUTCString();
  return {
    version: '0',
    id: `medic-sim-health-${o.sent.getTime()}`,
    'detail-type': 'AWS Health Event',
    source: 'aws.health',
    account,
    time: o.sent.toISOString().replace(/\.\d+Z$/, 'Z'),
    region,
    resources: [o.instanceId],
    detail: {
      eventArn: `arn:aws:health:${region}::event/EC2/${o.code}/${o.code}_${o.instanceId}_${o.start.getTime()}`,
      service: 'EC2',
      eventTypeCode: o.code,
      eventTypeCategory: o.category,
      eventScopeCode: 'ACCOUNT_SPECIFIC',
      communicationId: `medic-sim-${o.start.getTime()}-1`,
      startTime: rfc1123(o.start),
      lastUpdatedTime: rfc1123(o.sent),
      statusCode: o.status,
      eventRegion: region,
      eventDescription: [{ language: 'en_US', latestDescription: o.description }],
      affectedEntities: [{ entityValue: o.instanceId, lastUpdatedTime: rfc1123(o.sent), status: 'IMPAIRED' }],
      affectedAccount: account,
      page: '1',
      totalPages: '1',
    },
  };
}

/** A TCP port on 127.0.0.1 that nothing listens on: storm hosts refuse connections at once. */
const CLOSED_PORT = 9;

async function setupStorm(spec: ScenarioSpec, ctx: ScenarioContext, count: number): Promise<ScenarioWorld> {
  const { subnetId, imageId } = await seedNetwork(ctx.ec2);
  const run = await ctx.ec2.send(
    new RunInstancesCommand({
      ImageId: imageId,
      InstanceType: 't3.micro',
      MinCount: count,
      MaxCount: count,
      SubnetId: subnetId,
      TagSpecifications: [
        {
          ResourceType: 'instance',
          Tags: [
            { Key: 'Name', Value: 'storm-host' },
            { Key: 'medic:managed', Value: 'true' },
            { Key: 'medic:probe-address', Value: '127.0.0.1' },
            { Key: 'medic:ports', Value: String(CLOSED_PORT) },
          ],
        },
      ],
    }),
  );
  const ids = (run.Instances ?? []).flatMap((i) => (i.InstanceId ? [i.InstanceId] : []));
  const events = ids.map((instanceId, i) =>
    alarmEvent({
      alarmName: `storm-${String(i + 1).padStart(3, '0')} ${spec.alarm.name}`,
      metric: spec.alarm.metric,
      reason: spec.alarm.reason,
      instanceId,
      at: new Date(ctx.now.getTime() + i),
    }),
  );
  return { event: events[0], events, instanceIds: ids, teardown: async () => undefined };
}

export function alarmEvent(options: {
  alarmName: string;
  metric: string;
  reason: string;
  instanceId: string;
  at: Date;
  datapoints?: number[];
  threshold?: number;
  region?: string;
  account?: string;
  /** A metric-math alarm over these instances (one metric each) instead of one instance. */
  instanceIds?: string[];
}): Record<string, unknown> {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '123456789012';
  const at = options.at.toISOString();
  const datapoints = options.datapoints ?? [1.0, 1.0];
  const threshold = options.threshold ?? 1.0;
  return {
    version: '0',
    id: `medic-sim-${options.at.getTime()}`,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account,
    time: at.replace(/\.\d+Z$/, 'Z'),
    region,
    resources: [`arn:aws:cloudwatch:${region}:${account}:alarm:${options.alarmName}`],
    detail: {
      alarmName: options.alarmName,
      state: {
        value: 'ALARM',
        reason: options.reason,
        reasonData: JSON.stringify({
          version: '1.0',
          queryDate: at,
          statistic: 'Maximum',
          period: 60,
          recentDatapoints: datapoints,
          threshold,
          evaluatedDatapoints: datapoints.map((value, i) => ({
            timestamp: new Date(options.at.getTime() - (datapoints.length - i) * 60_000).toISOString(),
            sampleCount: 1.0,
            value,
          })),
        }),
        timestamp: at,
      },
      previousState: {
        value: 'OK',
        reason: 'Threshold Crossed',
        timestamp: new Date(options.at.getTime() - 3_600_000).toISOString(),
      },
      configuration: {
        description: `medic scenario alarm for ${options.instanceId}`,
        metrics: (options.instanceIds ?? [options.instanceId]).map((instanceId, i) => ({
          id: `m${i + 1}`,
          metricStat: {
            metric: {
              namespace: 'AWS/EC2',
              name: options.metric,
              dimensions: { InstanceId: instanceId },
            },
            period: 60,
            stat: 'Maximum',
          },
          returnData: true,
        })),
      },
    },
  };
}

async function seedNetwork(ec2: EC2Client): Promise<{ subnetId: string; imageId: string; vpcId: string }> {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.42.0.0/16' }));
  const subnet = await ec2.send(
    new CreateSubnetCommand({
      VpcId: vpc.Vpc?.VpcId,
      CidrBlock: '10.42.1.0/24',
      AvailabilityZone: 'us-east-1a',
    }),
  );
  const images = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  const imageId = images.Images?.find((i) => i.ImageId)?.ImageId;
  if (!subnet.Subnet?.SubnetId || !imageId)
    throw new Error('moto did not return a subnet or an image to launch');
  return { subnetId: subnet.Subnet.SubnetId, imageId, vpcId: vpc.Vpc?.VpcId ?? '' };
}

/** The calls a fake host reacts to, as they reach moto (DryRun calls change nothing). */
type HostEvent = 'reboot' | 'stop' | 'start' | 'command';
const EVENTS: Record<string, HostEvent> = {
  RebootInstances: 'reboot',
  StopInstances: 'stop',
  StartInstances: 'start',
  SendCommand: 'command',
};

function instanceIdsOf(params: Record<string, unknown>): string[] {
  if (Array.isArray(params.InstanceIds)) return params.InstanceIds.map(String);
  return Object.entries(params)
    .filter(([k]) => k.startsWith('InstanceId'))
    .map(([, v]) => String(v));
}

/** Polls moto's call record (bounded: every 100 ms, until stopped or 10 minutes) for host events. */
function watchHostEvents(
  moto: Pick<LocalMoto, 'calls'>,
  onEvent: (event: HostEvent, instanceId: string) => Promise<void>,
) {
  let stopped = false;
  const seen = new Set<number>();
  const deadline = Date.now() + 600_000;
  const loop = (async () => {
    while (!stopped && Date.now() < deadline) {
      for (const call of await moto.calls().catch(() => [])) {
        const event = EVENTS[call.action];
        if (seen.has(call.seq) || !event || call.params.DryRun === 'true') continue;
        // Evidence runs SSM commands too (df, free, …): only the restart rung's command counts.
        if (
          event === 'command' &&
          !JSON.stringify(call.params.Parameters ?? {}).includes('systemctl restart')
        )
          continue;
        seen.add(call.seq);
        for (const id of instanceIdsOf(call.params)) await onEvent(event, id);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

/** Creates the failover resource the scenario names, pointing at the alarmed host; returns its tags. */
async function seedFailover(
  kind: FailoverKind,
  ctx: ScenarioContext,
  network: { vpcId: string; imageId: string },
  sick: { id: string; privateIp: string },
  standbyId: string,
  options: { publicZone: boolean; targetGroupManaged: boolean },
): Promise<{ Key: string; Value: string }[]> {
  const config = { region: 'us-east-1', endpoint: ctx.moto.endpoint, ...ctx.clientConfig };
  if (kind === 'target-group') {
    const elb = new ElasticLoadBalancingV2Client(config);
    const tg = await elb.send(
      new CreateTargetGroupCommand({
        Name: `medic-sim-${Date.now() % 100_000}`,
        Protocol: 'HTTP',
        Port: 80,
        VpcId: network.vpcId,
        TargetType: 'instance',
        // medic's role may register targets only in opted-in target groups (IAM condition).
        ...(options.targetGroupManaged ? { Tags: [{ Key: 'medic:managed', Value: 'true' }] } : {}),
      }),
    );
    const arn = tg.TargetGroups?.[0]?.TargetGroupArn ?? '';
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: sick.id }] }));
    return [{ Key: 'medic:target-group', Value: arn }];
  }
  if (kind === 'route53') {
    const r53 = new Route53Client(config);
    // Private (associated with the scenario's VPC) unless the standby has a public address: the
    // record must point where its audience can reach.
    const zone = await r53.send(
      new CreateHostedZoneCommand({
        Name: 'medic-sim.example.',
        CallerReference: `medic-sim-${Date.now()}`,
        ...(options.publicZone
          ? {}
          : {
              VPC: { VPCRegion: 'us-east-1', VPCId: network.vpcId },
              HostedZoneConfig: { PrivateZone: true },
            }),
      }),
    );
    const zoneId = (zone.HostedZone?.Id ?? '').replace('/hostedzone/', '');
    const name = 'app.medic-sim.example.';
    await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: {
                Name: name,
                Type: 'A',
                TTL: 60,
                ResourceRecords: [{ Value: sick.privateIp }],
              },
            },
          ],
        },
      }),
    );
    return [{ Key: 'medic:route53', Value: `${zoneId}/${name}` }];
  }
  if (kind === 'elastic-ip') {
    // The IAM condition on AssociateAddress reads the address's tag too.
    const address = await ctx.ec2.send(
      new AllocateAddressCommand({
        Domain: 'vpc',
        TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: [{ Key: 'medic:managed', Value: 'true' }] }],
      }),
    );
    await ctx.ec2.send(
      new AssociateAddressCommand({ AllocationId: address.AllocationId, InstanceId: sick.id }),
    );
    return [];
  }
  const asg = new AutoScalingClient(config);
  const name = `medic-sim-asg-${Date.now() % 100_000}`;
  await ctx.ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: name,
      LaunchTemplateData: { ImageId: network.imageId, InstanceType: 't3.micro' },
    }),
  );
  await asg.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      LaunchTemplate: { LaunchTemplateName: name },
      MinSize: 0,
      MaxSize: 4,
      DesiredCapacity: 0,
      AvailabilityZones: ['us-east-1a'],
      // Opted in: medic's role may SetInstanceHealth only in groups tagged medic:managed=true.
      Tags: [
        {
          Key: 'medic:managed',
          Value: 'true',
          PropagateAtLaunch: false,
          ResourceId: name,
          ResourceType: 'auto-scaling-group',
        },
      ],
    }),
  );
  // Attaching tags both instances with aws:autoscaling:groupName, as AWS does.
  await asg.send(
    new AttachInstancesCommand({ AutoScalingGroupName: name, InstanceIds: [sick.id, standbyId] }),
  );
  return [];
}

/** The next matching call answers this AWS error, as medic's IAM role would make AWS answer it. */
async function refuse(endpoint: string, rule: NonNullable<ScenarioSpec['refuse']>[number]): Promise<void> {
  const response = await fetch(`${endpoint}/_medic/errors`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...rule, status: 403, count: 1 }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`moto error rule answered ${response.status}`);
}

const series = (v: number | number[] | undefined, fallback: number): number[] =>
  Array.isArray(v) ? v : Array(10).fill(v ?? fallback);

/** What df -P / free -m / systemctl / journalctl print, in the sections medic's script marks. */
export function renderHostOutput(spec: HostOutputSpec, service: string | null): string {
  const disks = spec.disks ?? { '/': 45 };
  const mem = spec.memory ?? { totalMb: 3_884, availableMb: 2_310 };
  const lines = ['@@medic:df', 'Filesystem     1024-blocks    Used Available Capacity Mounted on'];
  for (const [mount, pct] of Object.entries(disks)) {
    const size = 20_961_260;
    const used = Math.round((size * pct) / 100);
    lines.push(`/dev/nvme0n1p1 ${size} ${used} ${size - used} ${pct}% ${mount}`);
  }
  const used = mem.totalMb - mem.availableMb;
  lines.push(
    '@@medic:mem',
    '               total        used        free      shared  buff/cache   available',
    `Mem:        ${mem.totalMb}        ${used}         ${Math.max(mem.availableMb - 100, 0)}          1         100        ${mem.availableMb}`,
    'Swap:              0           0           0',
    '@@medic:failed',
    ...(spec.failedUnits ?? []).map((u) => `${u} loaded failed failed ${u} unit`),
  );
  if (service) lines.push('@@medic:service', spec.serviceState ?? 'active');
  lines.push('@@medic:log', ...(spec.journal ?? []));
  return `${lines.join('\n')}\n`;
}

/** Seeds the last 10 minutes of metrics the way AWS/EC2 and the CloudWatch agent publish them. */
async function seedMetrics(cw: CloudWatchClient, instanceId: string, spec: HostSpec, now: Date) {
  const m = spec.metrics ?? {};
  const silent = (spec.agentSilentMinutes ?? 0) * 60_000;
  const at = (i: number, n: number, agent = true) =>
    new Date(now.getTime() - (n - i) * 60_000 - (agent ? silent : 0));
  const put = async (namespace: string, name: string, dims: Record<string, string>, values: number[]) => {
    await cw.send(
      new PutMetricDataCommand({
        Namespace: namespace,
        MetricData: values.map((value, i) => ({
          MetricName: name,
          Unit: 'Percent',
          Value: value,
          Timestamp: at(i, values.length, namespace === 'CWAgent'),
          Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })),
        })),
      }),
    );
  };
  await put('AWS/EC2', 'CPUUtilization', { InstanceId: instanceId }, series(m.cpu, 20));
  if (m.mem !== null) await put('CWAgent', 'mem_used_percent', { InstanceId: instanceId }, series(m.mem, 40));
  if (m.disk !== null) {
    const dims = { InstanceId: instanceId, path: '/', device: 'nvme0n1p1', fstype: 'xfs' };
    await put('CWAgent', 'disk_used_percent', dims, series(m.disk, 45));
  }
}

async function seedLogs(logs: CloudWatchLogsClient, group: string, lines: string[], now: Date) {
  await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 'app' }));
  await logs.send(
    new PutLogEventsCommand({
      logGroupName: group,
      logStreamName: 'app',
      logEvents: lines.map((message, i) => ({
        timestamp: now.getTime() - (lines.length - i) * 20_000,
        message,
      })),
    }),
  );
}

export async function setupScenario(
  name: string,
  ctx: ScenarioContext,
  options: { instances?: number } = {},
): Promise<ScenarioWorld> {
  const spec = SCENARIOS[name];
  if (!spec) throw new Error(`unknown scenario "${name}"`);
  if (spec.storm) return setupStorm(spec, ctx, options.instances ?? spec.storm.defaultInstances);
  if (spec.org) return setupOrg(spec, spec.org, ctx);
  const network = await seedNetwork(ctx.ec2);
  const { subnetId, imageId } = network;
  const awsConfig = { endpoint: ctx.moto.endpoint, region: (await ctx.ec2.config.region()) ?? 'us-east-1' };
  const cw = new CloudWatchClient(awsConfig);
  const logs = new CloudWatchLogsClient(awsConfig);
  const hosts = new Map<string, { host: FakeHost; spec: HostSpec }>();
  const timers = new Set<NodeJS.Timeout>();
  const privateIps = new Map<string, string>();
  const revocations: { person: string; groupId: string; port: number }[] = [];
  for (const hostSpec of spec.hosts) {
    const host = await startFakeHost(hostSpec.mode);
    const ownGroup = hostSpec.revokedBy
      ? await seedSecurityGroup(ctx.ec2, network.vpcId, hostSpec.name, host.sshPort)
      : null;
    if (ownGroup && hostSpec.revokedBy)
      revocations.push({ person: hostSpec.revokedBy, groupId: ownGroup, port: host.sshPort });
    const tags = [
      { Key: 'Name', Value: hostSpec.name },
      { Key: 'medic:probe-address', Value: '127.0.0.1' },
      { Key: 'medic:ports', Value: String(host.sshPort) },
      { Key: 'medic:ssh-port', Value: String(host.sshPort) },
      { Key: 'medic:health-url', Value: host.healthUrl },
      ...(hostSpec.managed ? [{ Key: 'medic:managed', Value: 'true' }] : []),
      ...(hostSpec.service ? [{ Key: 'medic:service', Value: hostSpec.service }] : []),
      ...(hostSpec.loadCheck ? [{ Key: 'medic:load-check', Value: hostSpec.loadCheck }] : []),
      ...(hostSpec.logs ? [{ Key: 'medic:log-group', Value: `/medic/sim/${hostSpec.name}` }] : []),
      ...(hostSpec.startFails ? [{ Key: 'medic-sim:start-fails', Value: hostSpec.startFails }] : []),
      ...(hostSpec.statusPageComponent
        ? [{ Key: 'medic:statuspage-component', Value: hostSpec.statusPageComponent }]
        : []),
    ];
    const run = await ctx.ec2.send(
      new RunInstancesCommand({
        ImageId: imageId,
        InstanceType: 't3.micro',
        MinCount: 1,
        MaxCount: 1,
        ...(hostSpec.publicIp
          ? { NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: subnetId, AssociatePublicIpAddress: true }] }
          : { SubnetId: subnetId, ...(ownGroup ? { SecurityGroupIds: [ownGroup] } : {}) }),
        TagSpecifications: [{ ResourceType: 'instance', Tags: tags }],
      }),
    );
    const id = run.Instances?.[0]?.InstanceId;
    if (!id) throw new Error('moto did not launch the scenario instance');
    hosts.set(id, { host, spec: hostSpec });
    privateIps.set(id, run.Instances?.[0]?.PrivateIpAddress ?? '');
    // What AWS, the agents and the logs say about this host.
    const silent = hostSpec.mode === 'hung' || hostSpec.mode === 'down';
    const agent =
      hostSpec.ssmAgent === undefined ? (silent ? 'ConnectionLost' : 'Online') : hostSpec.ssmAgent;
    await injectFaults(ctx.moto.endpoint, {
      instanceId: id,
      ...hostSpec.faults,
      ssmAgent: agent,
      ssmOutput: { stdout: renderHostOutput(hostSpec.host ?? {}, hostSpec.service ?? null) },
    });
    await seedMetrics(cw, id, hostSpec, ctx.now);
    if (hostSpec.logs) await seedLogs(logs, `/medic/sim/${hostSpec.name}`, hostSpec.logs, ctx.now);
  }
  const [firstId = 'i-00000000'] = hosts.keys();
  const standbyId = [...hosts].find(([, h]) => h.spec.standby)?.[0];
  if (standbyId) {
    const kinds = spec.failover ? [spec.failover].flat() : [];
    const options = {
      publicZone: [...hosts.values()].some((h) => h.spec.standby && h.spec.publicIp),
      targetGroupManaged: !spec.refuse?.some((r) => r.action === 'RegisterTargets'),
    };
    const failoverTags: { Key: string; Value: string }[] = [];
    for (const kind of kinds) {
      failoverTags.push(
        ...(await seedFailover(
          kind,
          ctx,
          network,
          { id: firstId, privateIp: privateIps.get(firstId) ?? '' },
          standbyId,
          options,
        )),
      );
    }
    for (const rule of spec.refuse ?? []) await refuse(ctx.moto.endpoint, rule);
    await ctx.ec2.send(
      new CreateTagsCommand({
        Resources: [firstId],
        Tags: [{ Key: 'medic:standby', Value: standbyId }, ...failoverTags],
      }),
    );
  }
  for (const r of revocations) await revokeAs(r.person, awsConfig, r.groupId, r.port);
  const deployments = spec.hosts.filter((h) => h.deployedBy);
  for (const h of deployments) await deployAs(h.deployedBy ?? '', awsConfig, h.name);
  // The alarm follows the change (its datapoints breach after the rule is gone or the release is out).
  const alarmAt = revocations.length > 0 || deployments.length > 0 ? new Date() : ctx.now;
  const later = (ms: number, fn: () => Promise<void>) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      void fn();
    }, ms);
    timers.add(timer);
  };
  const stopWatching = watchHostEvents(ctx.moto, async (event, instanceId) => {
    const entry = hosts.get(instanceId);
    if (!entry) return;
    const { host, spec: h } = entry;
    // A reboot takes the host down, then it boots into whatever state the scenario says; a stop
    // takes it down until the start; a service restart changes only how the service answers.
    if (event === 'reboot') {
      await host.setMode('down');
      later(300, () => host.setMode(h.afterReboot ?? 'healthy'));
    } else if (event === 'stop') {
      await host.setMode('down');
    } else if (event === 'start') {
      later(300, () => host.setMode(h.afterStopStart ?? 'healthy'));
    } else if (event === 'command' && h.afterRestart) {
      const next = h.afterRestart;
      later(100, () => host.setMode(next));
    }
  });
  const first = hosts.get(firstId)?.spec;
  const relapse = spec.relapse;
  return {
    ...(spec.prelude ? { prelude: spec.prelude(firstId, ctx.now) } : {}),
    ...(spec.earlierAlarms ? { prelude: spec.earlierAlarms(firstId, ctx.now) } : {}),
    ...(spec.okDuringLadder ? { during: okDuring(spec, firstId, spec.okDuringLadder, hosts) } : {}),
    ...(spec.stoppedWhileWaiting
      ? {
          during: {
            // Decide after the WaitForWindow: the case's move is still the wait.
            when: (state: string, input: unknown) =>
              state === 'Decide' && (input as { move?: { kind?: string } }).move?.kind === 'wait',
            async before() {
              await ctx.ec2.send(new StopInstancesCommand({ InstanceIds: [firstId] }));
            },
          },
        }
      : {}),
    ...(relapse
      ? {
          async afterPrelude() {
            await hosts.get(firstId)?.host.setMode(relapse);
          },
        }
      : {}),
    event: spec.healthEvent
      ? spec.healthEvent(firstId, ctx.now)
      : spec.mode
        ? { instanceId: firstId, reason: spec.description, requestedBy: 'medic simulate', mode: spec.mode }
        : alarmEvent({
            alarmName: spec.alarm.name,
            metric: spec.alarm.metric,
            reason: spec.alarm.reason,
            ...(spec.alarm.datapoints ? { datapoints: spec.alarm.datapoints } : {}),
            ...(spec.alarm.threshold !== undefined ? { threshold: spec.alarm.threshold } : {}),
            instanceId: firstId,
            ...(spec.alarmsEveryHost
              ? { instanceIds: [...hosts].filter(([, h]) => !h.spec.standby).map(([id]) => id) }
              : {}),
            at: alarmAt,
          }),
    // An Alertmanager scenario is paged by a webhook, not by a CloudWatch alarm.
    ...(spec.alertmanager
      ? { event: alertmanagerEvent(spec, firstId, first?.prometheus?.instance ?? firstId, ctx.now) }
      : {}),
    instanceIds: [...hosts.keys()],
    async setMode(instanceId, mode) {
      await hosts.get(instanceId)?.host.setMode(mode);
    },
    async teardown() {
      await stopWatching();
      for (const t of timers) clearTimeout(t);
      for (const { host } of hosts.values()) await host.close();
    },
  };
}

/**
 * Services a scenario's world needs besides moto, the local Jira and the fake hosts, started
 * before the run's settings are fixed (their addresses are settings): a local Prometheus API for
 * the hosts Prometheus watches. Null: the scenario needs none.
 */
export async function scenarioServices(
  name: string,
): Promise<{ env: Record<string, string>; close(): Promise<void> } | null> {
  const watched = (SCENARIOS[name]?.hosts ?? []).flatMap((h) => (h.prometheus ? [h.prometheus] : []));
  if (watched.length === 0) return null;
  const prometheus = await startLocalPrometheus(Object.fromEntries(watched.map((p) => [p.instance, p])));
  return { env: { MEDIC_PROMETHEUS_URL: prometheus.url }, close: () => prometheus.close() };
}

/** The webhook Alertmanager sends for one firing alert about the host (payload version 4). */
export function alertmanagerEvent(
  spec: Pick<ScenarioSpec, 'alarm' | 'alertmanager'>,
  instanceId: string,
  prometheusInstance: string,
  at: Date,
): Record<string, unknown> {
  const labels = {
    alertname: spec.alarm.name,
    instance: prometheusInstance,
    instance_id: instanceId,
    ...spec.alertmanager?.labels,
  };
  return {
    receiver: 'medic',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels,
        annotations: { summary: spec.alarm.reason },
        startsAt: at.toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: `http://prometheus.local/graph?g0.expr=${encodeURIComponent(spec.alarm.metric)}`,
        fingerprint: createHash('sha256').update(JSON.stringify(labels)).digest('hex').slice(0, 16),
      },
    ],
    groupLabels: { alertname: spec.alarm.name },
    commonLabels: labels,
    commonAnnotations: { summary: spec.alarm.reason },
    externalURL: 'http://alertmanager.local',
    version: '4',
    groupKey: `{}:{alertname="${spec.alarm.name}"}`,
    truncatedAlerts: 0,
  };
}

// ---- one medic for the whole organization ----
SCENARIOS.org = {
  description:
    'one medic for an AWS Organization: a hung host in each of 3 accounts × 2 regions (one incident each, acted on only in its own account and region through the member role), then alarms from 2 accounts at once trip the organization-wide guard once',
  hosts: [],
  alarm: statusAlarm('org'),
  org: {
    members: ['222222222222', '333333333333'],
    regions: ['us-east-1', 'eu-west-1'],
    stormAccounts: ['222222222222', '333333333333'],
    stormPerAccount: 3,
  },
  // Reboot acts at once; no account reaches its own limit (5) but the organization passes 6: the
  // storm is only visible across accounts.
  env: () => ({
    MEDIC_AUTONOMY: 'restart-service=off,reboot=auto,stop-start=auto,failover=off',
    MEDIC_VERIFY_POLLS: '3',
    MEDIC_FLEET_MAX_ORG_INSTANCES: '6',
    MEDIC_MEMBER_ACCOUNTS: '222222222222,333333333333',
  }),
};

type Keys = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

/**
 * An EC2 client of one account and region that keeps both inside a run (the run only decides the
 * endpoint): a member account's instances are created with that account's own credentials.
 */
function ec2Of(endpoint: string, region: string, credentials: Keys): EC2Client {
  const client = keepOwnCredentials(new EC2Client({ endpoint, region, credentials }));
  (client as unknown as Record<symbol, unknown>)[CLIENT_ORIGIN] = { region, credentials };
  return client;
}

async function setupOrg(
  spec: ScenarioSpec,
  org: NonNullable<ScenarioSpec['org']>,
  ctx: ScenarioContext,
): Promise<ScenarioWorld> {
  const settings = ctx.org ?? {
    centralAccount: '123456789012',
    externalId: 'medic-local-external-id',
    memberRoleName: 'medic-member',
  };
  const endpoint = ctx.moto.endpoint;
  const local: Keys = { accessKeyId: 'medic-local', secretAccessKey: 'medic-local' };
  const keys = new Map<string, Keys>([[settings.centralAccount, local]]);
  for (const account of org.members) {
    // What `aws cloudformation deploy` of docs/member-stack.yml does in the member account.
    const roleArn = await createMemberRole(endpoint, {
      account,
      trustedAccount: settings.centralAccount,
      roleName: settings.memberRoleName,
      externalId: settings.externalId,
    });
    const sts = keepOwnCredentials(new STSClient({ endpoint, region: 'us-east-1', credentials: local }));
    const answer = await sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: 'medic-scenario-setup',
        ExternalId: settings.externalId,
      }),
    );
    const k = answer.Credentials;
    if (!k?.AccessKeyId || !k.SecretAccessKey) throw new Error(`no credentials for account ${account}`);
    keys.set(account, {
      accessKeyId: k.AccessKeyId,
      secretAccessKey: k.SecretAccessKey,
      ...(k.SessionToken ? { sessionToken: k.SessionToken } : {}),
    });
  }
  const hosts = new Map<string, FakeHost>();
  const timers = new Set<NodeJS.Timeout>();
  const launch = async (
    account: string,
    region: string,
    name: string,
    port: number,
    count = 1,
  ): Promise<string[]> => {
    const ec2 = ec2Of(endpoint, region, keys.get(account) ?? local);
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-12345678',
        InstanceType: 't3.micro',
        MinCount: count,
        MaxCount: count,
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: 'Name', Value: name },
              { Key: 'medic:managed', Value: 'true' },
              { Key: 'medic:probe-address', Value: '127.0.0.1' },
              { Key: 'medic:ports', Value: String(port) },
              { Key: 'medic:ssh-port', Value: String(port) },
            ],
          },
        ],
      }),
    );
    const ids = (run.Instances ?? []).flatMap((i) => (i.InstanceId ? [i.InstanceId] : []));
    if (ids.length !== count) throw new Error(`moto launched ${ids.length} of ${count} in ${account}`);
    return ids;
  };
  const accounts = [settings.centralAccount, ...org.members];
  const incidents: OrgTarget[] = [];
  for (const account of accounts) {
    for (const region of org.regions) {
      const host = await startFakeHost('hung');
      const name = `web-${account.slice(0, 4)}-${region}`;
      const [instanceId = ''] = await launch(account, region, name, host.sshPort);
      hosts.set(instanceId, host);
      // The independent signals agree the host is down (no SSM agent), so medic may act.
      await injectFaults(endpoint, { instanceId, ssmAgent: 'ConnectionLost' });
      incidents.push({
        account,
        region,
        instanceId,
        event: alarmEvent({
          alarmName: `${name} ${spec.alarm.name}`,
          metric: spec.alarm.metric,
          reason: spec.alarm.reason,
          instanceId,
          // Distinct times: the event id is made of it.
          at: new Date(ctx.now.getTime() - 100 + incidents.length),
          account,
          region,
        }),
      });
    }
  }
  const storm: OrgTarget[] = [];
  for (const account of org.stormAccounts) {
    const region = org.regions[0] ?? 'us-east-1';
    const ids = await launch(account, region, 'storm-host', CLOSED_PORT, org.stormPerAccount);
    for (const instanceId of ids)
      storm.push({
        account,
        region,
        instanceId,
        event: alarmEvent({
          alarmName: `storm-${account}-${instanceId} ${spec.alarm.name}`,
          metric: spec.alarm.metric,
          reason: spec.alarm.reason,
          instanceId,
          at: new Date(ctx.now.getTime() + storm.length),
          account,
          region,
        }),
      });
  }
  // A reboot takes a host down; it comes back healthy after a short boot.
  const stopWatching = watchHostEvents(ctx.moto, async (event, instanceId) => {
    const host = hosts.get(instanceId);
    if (!host) return;
    if (event === 'reboot' || event === 'stop') await host.setMode('down');
    if (event === 'reboot' || event === 'start') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        void host.setMode('healthy');
      }, 300);
      timers.add(timer);
    }
  });
  return {
    event: incidents[0]?.event,
    instanceIds: [...incidents, ...storm].map((t) => t.instanceId),
    org: { incidents, storm },
    async teardown() {
      await stopWatching();
      for (const t of timers) clearTimeout(t);
      for (const host of hosts.values()) await host.close();
    },
  };
}
// ---- learning: a fix that did not hold ----
SCENARIOS['fix-did-not-hold'] = {
  description:
    'a reboot resolves a hung host; 20 minutes later the same alarm fires for it again (same classification, within MEDIC_RECURRENCE_HOURS): the first fix is marked failed, the two tickets are linked and the second incident starts one rung higher (stop/start)',
  hosts: [{ name: 'web-60', managed: true, mode: 'hung', afterReboot: 'healthy', afterStopStart: 'healthy' }],
  alarm: statusAlarm('web-60'),
  // The first incident: the same alarm, an earlier ALARM transition (its own episode).
  earlierAlarms: (instanceId, now) => [
    alarmEvent({
      alarmName: statusAlarm('web-60').name,
      metric: 'StatusCheckFailed',
      reason: STATUS_REASON,
      instanceId,
      at: new Date(now.getTime() - 20 * 60_000),
    }),
  ],
  relapse: 'hung',
  // The recurrence must reach the ladder: the cooldown after a close (30 min by default) would
  // otherwise page the second alarm before any rung is judged.
  env: () => ({ MEDIC_COOLDOWN_MINUTES: '0' }),
};

// ---- an alarm back to OK while its incident is still on the ladder ----
/** The scenario's alarm going back to OK now, as EventBridge delivers the transition. */
export function okAlarmEvent(
  alarm: ScenarioSpec['alarm'],
  instanceId: string,
  at: Date,
): Record<string, unknown> {
  const event = alarmEvent({
    alarmName: alarm.name,
    metric: alarm.metric,
    reason: alarm.reason,
    instanceId,
    at,
  });
  const detail = event.detail as { state: Record<string, unknown>; previousState: Record<string, unknown> };
  detail.state = {
    ...detail.state,
    value: 'OK',
    reason:
      'Threshold Crossed: 1 out of the last 1 datapoints [0.0] was not greater than or equal to the threshold (1.0).',
  };
  detail.previousState = {
    ...detail.previousState,
    value: 'ALARM',
    timestamp: new Date(at.getTime() - 60_000).toISOString(),
  };
  return { ...event, id: `medic-sim-ok-${at.getTime()}` };
}

function okDuring(
  spec: ScenarioSpec,
  instanceId: string,
  o: { hostRecovers: boolean },
  hosts: Map<string, { host: FakeHost; spec: HostSpec }>,
): NonNullable<ScenarioWorld['during']> {
  return {
    // Decide folding a Verify that gave up on the first rung: the next rung is about to be judged.
    when: (state, input) =>
      state === 'Decide' && (input as { result?: { status?: string } }).result?.status === 'not-recovered',
    async before() {
      if (o.hostRecovers) await hosts.get(instanceId)?.host.setMode('healthy');
    },
    event: () => okAlarmEvent(spec.alarm, instanceId, new Date()),
  };
}

SCENARIOS['alarm-ok-confirmed'] = {
  description:
    'a hung host that the reboot does not bring back; it recovers by itself and its alarm goes back to OK before the next rung: Verify agrees, the remaining rungs are not run',
  hosts: [{ name: 'web-61', managed: true, mode: 'hung', afterReboot: 'hung', afterStopStart: 'healthy' }],
  alarm: statusAlarm('web-61'),
  okDuringLadder: { hostRecovers: true },
};

SCENARIOS['alarm-ok-not-confirmed'] = {
  description:
    'a hung host that the reboot does not bring back; its alarm goes back to OK (the metric stopped arriving) but the host is still hung: Verify disagrees and the ladder goes on to stop/start',
  hosts: [{ name: 'web-62', managed: true, mode: 'hung', afterReboot: 'hung', afterStopStart: 'healthy' }],
  alarm: statusAlarm('web-62'),
  okDuringLadder: { hostRecovers: false },
};

// ---- a planned incident that arrives before the planned-work window ----
const retirementHost = (name: string): HostSpec => ({
  name,
  managed: true,
  mode: 'healthy',
  afterStopStart: 'healthy',
  faults: {
    events: [
      {
        code: 'instance-retirement',
        description: 'The instance is running on degraded hardware',
        notBefore: '2030-01-01T00:00:00.000Z',
      },
    ],
  },
});
const retirementNotice = (instanceId: string, now: Date) =>
  healthEvent({
    code: 'AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED',
    category: 'scheduledChange',
    status: 'upcoming',
    instanceId,
    start: retirementDeadline(now),
    sent: now,
    description: `EC2 has detected degradation of the underlying hardware hosting your Amazon EC2 instance. We will stop your instance after ${retirementDeadline(now).toISOString()}.`,
  });
/** The window opens seconds after the notice (a deployed one: days later), well before the deadline. */
const windowAhead = (now: Date) => ({
  MEDIC_MAINTENANCE_WINDOW: `${new Date(now.getTime() + 15_000).toISOString()}/${new Date(now.getTime() + 2 * 3_600_000).toISOString()}`,
});

SCENARIOS['retirement-window-ahead'] = {
  description:
    'AWS schedules the retirement of an opted-in instance before the next planned-work window: medic waits for the window (a Step Functions Wait until it opens), looks at the instance again and stop/starts it inside the window, before the deadline',
  hosts: [retirementHost('web-70')],
  alarm: statusAlarm('web-70'),
  healthEvent: retirementNotice,
  env: windowAhead,
};

SCENARIOS['retirement-stopped-while-waiting'] = {
  description:
    'a planned retirement waits for its window; meanwhile someone stops the instance by hand: after the wait medic sees it stopped and leaves it alone',
  hosts: [retirementHost('web-71')],
  alarm: statusAlarm('web-71'),
  healthEvent: retirementNotice,
  env: windowAhead,
  stoppedWhileWaiting: true,
};

SCENARIOS['changed-deployment'] = {
  description:
    'a person releases through CodeDeploy to the web host minutes before the alarm; the web service then fails: the deployment, its application/group and who created it are the likely cause, medic pages and does not reboot',
  hosts: [
    {
      name: 'web-cd',
      managed: true,
      mode: 'app-down',
      // The release is what broke it: a reboot or a stop/start brings the same release back up.
      afterReboot: 'app-down',
      afterStopStart: 'app-down',
      service: 'webapp.service',
      host: {
        failedUnits: ['webapp.service'],
        serviceState: 'failed',
        journal: [
          '2026-01-01T00:00:00+0000 web-cd systemd[1]: webapp.service: Main process exited, code=exited, status=1/FAILURE',
        ],
      },
      deployedBy: 'carol',
    },
  ],
  alarm: {
    name: 'web-cd health check failing',
    metric: 'HealthCheckFailed',
    reason:
      'Threshold Crossed: 3 out of the last 3 datapoints [1.0, 1.0, 1.0] were greater than or equal to the threshold (1.0).',
  },
};

SCENARIOS['retirement-window-approve'] = {
  description:
    'a planned retirement with stop-start at approve: the person is asked when the incident opens (not in the window, often at night), approves, medic waits for the window and stop/starts it there without asking again',
  hosts: [retirementHost('web-72')],
  alarm: statusAlarm('web-72'),
  healthEvent: retirementNotice,
  env: (now: Date) => ({
    ...windowAhead(now),
    MEDIC_AUTONOMY: 'restart-service=off,reboot=auto,stop-start=approve,failover=off',
  }),
  approval: 'approve',
};
