/**
 * The assessment: a pure function from evidence to a classification, the reasons for it, and the
 * ladder of actions to try (SPEC §3.4–3.5). Missing evidence never becomes an aggressive action:
 * when medic cannot tell, it pages.
 */
import type { ActionKind, Assessment, Classification, Evidence } from './model.ts';

export const LADDERS: Record<Classification, ActionKind[]> = {
  application: ['restart-service', 'reboot', 'failover', 'page'],
  os: ['reboot', 'stop-start', 'failover', 'page'],
  network: ['reboot', 'stop-start', 'failover', 'page'],
  hardware: ['stop-start', 'failover', 'page'],
  'resource:disk': ['page'],
  'resource:memory': ['restart-service', 'reboot', 'page'],
  'resource:cpu': ['restart-service', 'reboot', 'page'],
  transient: [],
  unknown: ['page'],
};

function result(
  classification: Classification,
  confidence: Assessment['confidence'],
  reasons: string[],
  hasService: boolean,
): Assessment {
  // Restarting "the service" needs a configured unit; without one that rung cannot be tried.
  const plan = LADDERS[classification].filter((a) => a !== 'restart-service' || hasService);
  return { classification, confidence, reasons, plan };
}

export function assess(evidence: Evidence, options: { hasService: boolean }): Assessment {
  const ec2 = evidence.ec2.value;
  const reach = evidence.reachability.value;
  const { hasService } = options;

  if (!ec2) {
    return result(
      'unknown',
      'low',
      [`EC2 state could not be checked: ${evidence.ec2.error ?? 'no data'}`],
      false,
    );
  }
  if (ec2.state !== 'running') {
    return result(
      'unknown',
      'medium',
      [`instance is ${ec2.state}, not running: a person should decide`],
      false,
    );
  }
  const retirement = ec2.scheduledEvents.find((e) =>
    /retirement|system-maintenance|system-reboot/.test(e.code),
  );
  if (ec2.systemStatus === 'impaired' || retirement) {
    const reasons = [];
    if (ec2.systemStatus === 'impaired') reasons.push('system status check failed (AWS hardware or host)');
    if (retirement) reasons.push(`AWS scheduled event ${retirement.code}: ${retirement.description}`);
    return result('hardware', 'high', reasons, hasService);
  }
  if (ec2.instanceStatus === 'impaired') {
    return result(
      'os',
      'high',
      ['instance status check failed (the guest OS is not responding)'],
      hasService,
    );
  }
  if (!reach) {
    return result(
      'unknown',
      'low',
      [`reachability could not be checked: ${evidence.reachability.error ?? 'no data'}`],
      false,
    );
  }
  const open = reach.ports.filter((p) => p.tcp === 'open');
  const sshSilent = reach.ports.filter((p) => p.ssh && p.tcp === 'open' && p.banner === null);
  const http = reach.http;
  if (reach.ports.length > 0 && open.length === 0) {
    return result(
      'network',
      'medium',
      [
        `status checks pass but no probed port accepts a TCP connection (${reach.ports.map((p) => `${p.port}: ${p.tcp}`).join(', ')})`,
      ],
      hasService,
    );
  }
  if (sshSilent.length > 0) {
    return result(
      'os',
      'medium',
      [
        `TCP connects on SSH port ${sshSilent.map((p) => p.port).join(', ')} but no SSH banner arrived: the kernel answers, userland does not`,
      ],
      hasService,
    );
  }
  if (http && !http.ok) {
    return result(
      'application',
      'medium',
      [
        `host reachable (SSH banner read) but the health URL failed: ${http.status ?? http.error ?? 'no answer'}`,
      ],
      hasService,
    );
  }
  return result('transient', 'medium', ['every check passes now: the host looks self-recovered'], hasService);
}
