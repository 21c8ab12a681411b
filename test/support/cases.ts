/**
 * One complete InstanceCase for the unit tests, as Intake builds it for a managed instance that is
 * being walked down the ladder: every field set, so a test names only what its behaviour turns on.
 * Target and settings are merged field by field; every other override replaces the default. The
 * schema fills in the rest and checks the result, so a fixture can never drift from the shape.
 */
import {
  type ActionKind,
  type Assessment,
  type InstanceCase,
  InstanceCaseSchema,
  NO_FAILOVER,
} from '../../shared/domain/model.ts';
import type { InstanceInfo } from '../../shared/ports.ts';

export type CaseOverrides = Partial<Omit<InstanceCase, 'target' | 'settings'>> & {
  target?: Partial<InstanceCase['target']>;
  settings?: Partial<InstanceCase['settings']>;
};

/** The instance the default case is about. */
export const CASE_INSTANCE = 'i-0123456789abcdef0';

/** The probe settings of an instance probed at its private address: for fake probe ports only. */
export const PRIVATE_PROBE = { address: '10.0.0.5', ports: [22], sshPort: 22, healthUrl: null };

export function instanceCase(over: CaseOverrides = {}): InstanceCase {
  const { target, settings, ...rest } = over;
  return InstanceCaseSchema.parse({
    incidentId: 'medic-test-1',
    mode: 'auto',
    settings: {
      verifyWaitSeconds: 1,
      verifyPolls: 3,
      probeTimeoutMs: 200,
      executionUrl: null,
      actionPollWaitSeconds: 1,
      actionPolls: 2,
      approvalTimeoutSeconds: 60,
      ...settings,
    },
    target: {
      instanceId: CASE_INSTANCE,
      name: 'web-1',
      managed: true,
      state: 'running',
      availabilityZone: 'us-east-1a',
      instanceType: 't3.micro',
      privateIp: '10.0.0.5',
      service: null,
      probe: { address: '127.0.0.1', ports: [22], sshPort: 22, healthUrl: null },
      failover: { ...NO_FAILOVER },
      ...target,
    },
    assessment: osAssessment(['reboot', 'stop-start', 'failover', 'page']),
    // The ladder's fields have no schema default (older producers leave them out); Intake sets them.
    action: null,
    pending: null,
    approval: null,
    verifyProbe: null,
    verifySeen: {},
    ...rest,
  });
}

/** A hung OS judged with high confidence, walking the given plan. */
export function osAssessment(plan: ActionKind[], reasons = ['hung']): Assessment {
  return { classification: 'os', confidence: 'high', reasons, plan };
}

/** An instance as DescribeInstances reports it, its probes pointed at loopback. */
export function instanceInfo(instanceId: string, over: Partial<InstanceInfo> = {}): InstanceInfo {
  return {
    instanceId,
    state: 'running',
    tags: { 'medic:probe-address': '127.0.0.1' },
    availabilityZone: 'us-east-1a',
    instanceType: 't3.micro',
    privateIp: '10.0.0.9',
    ...over,
  };
}
