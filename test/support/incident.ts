/** A realistic finished incident (hung OS, reboot fixed it) for record / report tests. */
import type { IncidentState, InstanceCase, TimelineEntry } from '../../shared/domain/model.ts';
import type { Notification, NotifierPort } from '../../shared/ports.ts';

const at = (s: number) => new Date(Date.parse('2026-03-01T03:00:00.000Z') + s * 1000).toISOString();

export function resolvedIncident(
  overrides: { incidentId?: string; alarmName?: string; instanceId?: string; reason?: string } = {},
): IncidentState {
  const instanceId = overrides.instanceId ?? 'i-0abc123def4567890';
  const incidentId = overrides.incidentId ?? 'medic-web-1-status-20260301030000000-1';
  const alarmName = overrides.alarmName ?? 'web-1 status check failed';
  const target = {
    instanceId,
    name: 'web-1',
    managed: true,
    state: 'running',
    availabilityZone: 'us-east-1a',
    instanceType: 't3.small',
    privateIp: '10.0.0.12',
    service: 'nginx',
    probe: { address: '127.0.0.1', ports: [22], sshPort: 22, healthUrl: 'http://127.0.0.1:8080/health' },
  };
  const settings = { verifyWaitSeconds: 20, verifyPolls: 6, probeTimeoutMs: 2000, executionUrl: null };
  const caseTimeline: TimelineEntry[] = [
    {
      at: at(5),
      step: 'EvidenceEc2',
      kind: 'evidence',
      instanceId,
      summary: 'instance status check: ok [pass]',
    },
    {
      at: at(5),
      step: 'EvidenceReachability',
      kind: 'evidence',
      instanceId,
      summary: 'SSH 127.0.0.1:22: connected, no SSH banner [fail]',
    },
    { at: at(6), step: 'Assess', kind: 'decision', instanceId, summary: 'classified os (medium confidence)' },
    { at: at(7), step: 'Mitigate', kind: 'action', instanceId, summary: `rebooted ${instanceId}` },
    { at: at(30), step: 'Verify', kind: 'verify', instanceId, summary: 'not yet recovered at reboot + 20 s' },
    {
      at: at(52),
      step: 'Verify',
      kind: 'verify',
      instanceId,
      summary: 'recovered at reboot + 45 s: SSH-2.0-OpenSSH_9.6',
    },
  ];
  const c: InstanceCase = {
    incidentId,
    mode: 'auto',
    settings,
    target,
    evidence: {
      ec2: {
        ok: true,
        value: { state: 'running', systemStatus: 'ok', instanceStatus: 'ok', scheduledEvents: [] },
        error: null,
        checks: [
          { name: 'system status check', status: 'pass', value: 'ok', source: 'DescribeInstanceStatus' },
          { name: 'instance status check', status: 'pass', value: 'ok', source: 'DescribeInstanceStatus' },
        ],
      },
      reachability: {
        ok: true,
        value: {
          address: '127.0.0.1',
          ports: [{ port: 22, ssh: true, tcp: 'open', banner: null, latencyMs: 3 }],
          http: {
            url: 'http://127.0.0.1:8080/health',
            status: null,
            ok: false,
            latencyMs: null,
            error: 'timeout',
          },
        },
        error: null,
        checks: [
          {
            name: 'SSH 127.0.0.1:22',
            status: 'fail',
            value: 'connected, no SSH banner',
            source: 'TCP connect',
          },
        ],
      },
    },
    assessment: {
      classification: 'os',
      confidence: 'medium',
      reasons: ['TCP connects on SSH port 22 but no SSH banner arrived'],
      plan: ['reboot', 'stop-start', 'failover', 'page'],
    },
    rung: 1,
    pollsLeft: 0,
    lastActionAt: at(7),
    next: 'done',
    actions: [
      { kind: 'reboot', instanceId, at: at(7), outcome: 'recovered', detail: 'RebootInstances accepted' },
    ],
    outcome: 'resolved',
    timeline: caseTimeline,
  };
  return {
    incidentId,
    trigger: {
      source: 'cloudwatch-alarm',
      episodeKey: incidentId,
      alarmName,
      alarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarmName}`,
      metric: { namespace: 'AWS/EC2', name: 'StatusCheckFailed' },
      reason: overrides.reason ?? 'Threshold Crossed: 2 datapoints [1.0, 1.0] >= 1.0',
      datapoints: [
        { timestamp: at(-120), value: 1 },
        { timestamp: at(-60), value: 1 },
      ],
      threshold: 1,
      enteredAlarmAt: at(0),
      region: 'us-east-1',
      instanceIds: [instanceId],
      autoScalingGroupNames: [],
      mode: 'auto',
    },
    settings,
    targets: [target],
    timeline: [
      { at: at(1), step: 'Intake', kind: 'alarm', summary: `alarm ${alarmName}` },
      { at: at(2), step: 'Acknowledge', kind: 'ack', summary: 'stakeholders notified' },
    ],
    cases: [c],
  };
}

export const fixedClock =
  (iso = '2026-03-01T03:01:00.000Z') =>
  () =>
    new Date(iso);

/** The ticket's sections, in the order a person reads them. */
export const TICKET_SECTIONS = [
  'Summary',
  'Timeline',
  'Evidence',
  'Recent changes',
  'Actions and results',
  'Method',
  'Root cause (to be completed)',
  'Prevention suggestions',
  'Links',
];

/** A notifier that keeps what it was asked to publish. */
export function inbox(): NotifierPort & { sent: Notification[] } {
  const sent: Notification[] = [];
  return {
    sent,
    async publish(n) {
      sent.push(n);
      return { messageId: `m-${sent.length}` };
    },
  };
}
