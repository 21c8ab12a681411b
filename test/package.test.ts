// Packaging test: runs `npm run package` (node scripts/package.ts → offline `osls package` + cfn-lint) once,
// then checks the generated CloudFormation template for the shape the service depends on.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AFTER_VERIFY_BUNDLE_BYTES,
  AFTER_VERIFY_FUNCTIONS,
  HOT_PATH_BUNDLE_BYTES,
  JIRA_FUNCTIONS,
  LATER_RUNG_BUNDLE_BYTES,
  LATER_RUNG_FUNCTIONS,
} from '../bench/budgets.ts';
import { serverlessFunctions } from '../bench/coldstart.ts';
import { packageTemplate } from '../scripts/iam/package-template.ts';
import { MEMBER_STACK_FILE } from '../scripts/member-stack.ts';
import {
  type CfnLintResult,
  DUMMY_PROBE_PARAMS,
  formatFinding,
  oslsOffline,
  packageService,
  repoRoot,
  runCfnLint,
  TEMPLATE_FILE,
} from '../scripts/package.ts';
import { LADDERS } from '../shared/domain/assess.ts';
import { checkTaskTimeouts } from './support/task-timeouts.ts';

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: unknown;
}
interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, unknown>;
}
interface Statement {
  Effect?: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const FUNCTION_IDS = [
  'AdmitLambdaFunction', // intake, admission and the "incident opened" notices in one cold start
  'EvidenceEc2LambdaFunction',
  'EvidenceReachabilityLambdaFunction',
  'EvidenceResourcesLambdaFunction',
  'EvidenceHostLambdaFunction',
  'EvidenceAlertsLambdaFunction',
  'DecideLambdaFunction', // assess, fold each step's result, choose the next move
  'VerifyLambdaFunction',
  'LoadCheckLambdaFunction', // the burst after Verify (medic:load-check), and the sweep's stress check
  'CloseLambdaFunction', // release the locks, then record
  'FileCaseLambdaFunction', // the finished case goes to the incident store
  // The mitigation ladder, one function per action, and approve mode.
  'RestartServiceLambdaFunction',
  'RebootLambdaFunction',
  'StopStartLambdaFunction',
  'FailoverLambdaFunction',
  'PageLambdaFunction',
  'RequestApprovalLambdaFunction',
  // Entry points and prevention
  'IntakeHttpLambdaFunction',
  'IntakeSnsLambdaFunction',
  'HealthSweepLambdaFunction',
];
/** Functions no Task invokes: the scheduled outbox drainer. */
const SCHEDULED_IDS = ['DrainOutboxLambdaFunction'];
/** Functions reached over HTTP, not by the state machine (the approve/reject links). */
const HTTP_FUNCTION_IDS = ['ApprovalLambdaFunction'];
/**
 * Actions IAM cannot scope to a resource (the service authorization reference lists no resource
 * type for them), so Resource "*" is the only form that works — besides Describe* calls.
 */
const UNSCOPABLE_ACTIONS = ['states:SendTaskSuccess', 'states:SendTaskFailure'];
/** Functions the state machine itself invokes (the others are started by HTTP, SNS or a schedule). */
const TASK_FUNCTION_IDS = FUNCTION_IDS.filter(
  (id) => !['IntakeHttpLambdaFunction', 'IntakeSnsLambdaFunction', 'HealthSweepLambdaFunction'].includes(id),
);
const STATE_MACHINE_ID = 'IncidentStateMachine';
const PACKAGE_TIMEOUT_MS = 600_000;
/** The functions that open sockets to instances: the only ones placed in the fleet's VPC. */
const PROBE_FUNCTION_IDS = [
  'EvidenceReachabilityLambdaFunction',
  'VerifyLambdaFunction',
  'LoadCheckLambdaFunction',
];
/** What Lambda needs on a VPC function's role to manage its network interfaces. */
const ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

let packaging: { code: number | null; output: string; ms: number };
let template: CfnTemplate;
let lint: CfnLintResult;

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

const resourcesOfType = (type: string): [string, CfnResource][] =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

const props = (logicalId: string): Record<string, unknown> => {
  const resource = template.Resources[logicalId];
  if (!resource) throw new Error(`resource ${logicalId} is not in the template`);
  return resource.Properties ?? {};
};

/** Every statement of every IAM role / policy / managed policy, tagged with where it came from. */
function iamStatements(): { where: string; statement: Statement }[] {
  const found: { where: string; statement: Statement }[] = [];
  const collect = (where: string, document: unknown): void => {
    const statements = (document as { Statement?: Statement | Statement[] } | undefined)?.Statement;
    for (const statement of asArray(statements)) found.push({ where, statement });
  };
  for (const [id, resource] of Object.entries(template.Resources)) {
    const p = resource.Properties ?? {};
    if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of asArray(p.Policies as { PolicyName: string; PolicyDocument: unknown }[])) {
        collect(`${id}/${policy.PolicyName}`, policy.PolicyDocument);
      }
    } else if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      collect(id, p.PolicyDocument);
    }
  }
  return found;
}

/** Allow statements of one role's inline policies. */
const roleAllows = (roleId: string): Statement[] =>
  iamStatements()
    .filter(({ where, statement }) => where.startsWith(`${roleId}/`) && statement.Effect === 'Allow')
    .map(({ statement }) => statement);

/** `{"Fn::GetAtt": [X, "Arn"]}` → X (the function's role logical id). */
const getAttTarget = (value: unknown): string | undefined => {
  const getAtt = (value as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt'];
  return Array.isArray(getAtt) && getAtt[1] === 'Arn' ? String(getAtt[0]) : undefined;
};

/**
 * What each Task state invokes, anywhere in an ASL definition (Parallel branches and Map processors too):
 * its `Resource`, and for `arn:aws:states:::lambda:invoke` tasks its `FunctionName` parameter/argument.
 */
function taskTargets(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const item of node) taskTargets(item, found);
  } else if (node && typeof node === 'object') {
    const state = node as Record<string, unknown>;
    if (state.Type === 'Task') {
      const invoke = [state.Parameters, state.Arguments].map(
        (block) => (block as { FunctionName?: unknown } | undefined)?.FunctionName,
      );
      for (const target of [state.Resource, ...invoke]) if (typeof target === 'string') found.push(target);
    }
    for (const value of Object.values(state)) taskTargets(value, found);
  }
  return found;
}

function runPackageScript(
  args: readonly string[] = DUMMY_PROBE_PARAMS,
): Promise<{ code: number | null; output: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let output = '';
    const child = spawn(process.execPath, [path.join(repoRoot, 'scripts', 'package.ts'), ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: PACKAGE_TIMEOUT_MS - 10_000,
      killSignal: 'SIGKILL',
    });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output, ms: performance.now() - started }));
  });
}

describe('npm run package (osls package offline + cfn-lint)', () => {
  beforeAll(async () => {
    // Act: package once for the whole file, then lint the template the same way the script does.
    packaging = await runPackageScript();
    console.log(`npm run package: exit ${packaging.code} in ${(packaging.ms / 1000).toFixed(1)} s`);
    if (packaging.code !== 0) console.error(packaging.output);
    const templatePath = path.join(repoRoot, '.serverless', TEMPLATE_FILE);
    template = JSON.parse(readFileSync(templatePath, 'utf8')) as CfnTemplate;
    lint = await runCfnLint(templatePath);
  }, PACKAGE_TIMEOUT_MS);

  it('packages and lints successfully (exit 0)', () => {
    // Prepare / Act: done in beforeAll.
    // Assess
    expect(packaging.code, packaging.output).toBe(0);
    expect(packaging.output).toContain('cfn-lint: 0 error(s)');
  });

  it('has exactly the medic functions, on nodejs22.x or newer, arm64', () => {
    // Prepare
    const functions = resourcesOfType('AWS::Lambda::Function');
    // Act
    const runtimes = functions.map(([id, f]) => [id, f.Properties?.Runtime] as const);
    // Assess
    expect(functions.map(([id]) => id).sort()).toEqual(
      [...FUNCTION_IDS, ...HTTP_FUNCTION_IDS, ...SCHEDULED_IDS].sort(),
    );
    for (const [id, runtime] of runtimes) {
      const major = /^nodejs(\d+)\.x$/.exec(String(runtime))?.[1];
      expect(Number(major), `${id} runtime ${String(runtime)}`).toBeGreaterThanOrEqual(22);
    }
    for (const [id, f] of functions) expect(f.Properties?.Architectures, id).toEqual(['arm64']);
  });

  it('defines a Standard state machine whose definition invokes every function by Fn::GetAtt ARN', () => {
    // Prepare
    const machines = resourcesOfType('AWS::StepFunctions::StateMachine');
    const machine = props(STATE_MACHINE_ID);
    // Act
    const sub = (machine.DefinitionString as { 'Fn::Sub'?: unknown })['Fn::Sub'];
    const [body, variables] = Array.isArray(sub)
      ? (sub as [string, Record<string, unknown>])
      : [String(sub), {}];
    const invoked = taskTargets(JSON.parse(body)).map((target) => {
      const variable = /^\$\{(.+)\}$/.exec(target)?.[1];
      return variable === undefined ? target : getAttTarget(variables[variable]);
    });
    // Assess
    expect(machines.map(([id]) => id)).toEqual([STATE_MACHINE_ID]);
    expect(machine.StateMachineType).toBe('STANDARD');
    expect(machine.StateMachineName).toBe('medic-dev-incident');
    for (const id of TASK_FUNCTION_IDS) expect(invoked, `no Task invokes ${id} via Fn::GetAtt`).toContain(id);
    expect(template.Outputs).toHaveProperty('IncidentStateMachineArn');
  });

  it('gives every Task a timeout above its function timeout, and every task-token wait a bounded one', () => {
    // Prepare: the packaged definition (Fn::Sub body + variables) and each function's Timeout
    const sub = (props(STATE_MACHINE_ID).DefinitionString as { 'Fn::Sub'?: unknown })['Fn::Sub'];
    const [body, variables] = Array.isArray(sub)
      ? (sub as [string, Record<string, unknown>])
      : [String(sub), {}];
    const timeouts = new Map(
      resourcesOfType('AWS::Lambda::Function').map(([id, f]) => [id, Number(f.Properties?.Timeout)]),
    );
    const resolve = (target: unknown) => {
      const variable = typeof target === 'string' ? /^\$\{(.+)\}$/.exec(target)?.[1] : undefined;
      return (variable === undefined ? getAttTarget(target) : getAttTarget(variables[variable])) ?? null;
    };
    // Act: approvalTimeoutSeconds comes from MEDIC_APPROVAL_TIMEOUT_SECONDS, at most 86,400 (config)
    const report = checkTaskTimeouts(JSON.parse(body), timeouts, resolve, {
      '$.settings.approvalTimeoutSeconds': 86_400,
    });
    // Assess
    expect(report.violations).toEqual([]);
    const names = report.tasks.map((t) => t.state);
    for (const name of ['Admit', 'EvidenceHost', 'Close', 'CloseAfterFailure', 'Failover', 'AwaitApproval'])
      expect(names).toContain(name);
    expect(report.tasks.find((t) => t.state === 'Close')?.functionTimeout).toBeGreaterThanOrEqual(30);
  });

  it('lets the state machine role invoke every function (and nothing broader)', () => {
    // Prepare
    const roleArn = props(STATE_MACHINE_ID).RoleArn;
    const roleId = getAttTarget(roleArn) ?? '';
    // Act
    const allows = roleAllows(roleId);
    const invokable = allows
      .filter((s) => asArray(s.Action).includes('lambda:InvokeFunction'))
      .flatMap((s) => asArray(s.Resource as unknown[]).map(getAttTarget));
    // Assess
    expect(template.Resources[roleId]?.Type).toBe('AWS::IAM::Role');
    for (const id of TASK_FUNCTION_IDS) expect(invokable, `state machine cannot invoke ${id}`).toContain(id);
    expect(allows.flatMap((s) => asArray(s.Action))).toEqual(['lambda:InvokeFunction']);
  });

  it('starts the state machine from an EventBridge rule on CloudWatch alarms entering ALARM (and OK, noted on the open incident)', () => {
    // Prepare
    const rules = resourcesOfType('AWS::Events::Rule');
    // Act
    const alarmRules = rules.filter(([, rule]) => isAlarmPattern(rule.Properties?.EventPattern));
    const targets = alarmRules.flatMap(([, rule]) => asArray(rule.Properties?.Targets as unknown[]));
    // Assess: one on the default bus (this account), one on the central bus (the organization)
    expect(alarmRules).toHaveLength(2);
    for (const [, rule] of alarmRules) expect(rule.Properties?.State ?? 'ENABLED').toBe('ENABLED');
    expect(targets).toHaveLength(2);
    expect(targets).toContainEqual(
      expect.objectContaining({ Arn: { Ref: STATE_MACHINE_ID }, RoleArn: expect.anything() }),
    );
  });

  it('creates the stakeholders SNS topic and the incidents table, wired into every function', () => {
    // Prepare
    const topic = template.Resources.StakeholdersTopic;
    const table = template.Resources.IncidentsTable;
    // Act
    const environments = FUNCTION_IDS.map(
      (id) => (props(id).Environment as { Variables: Record<string, unknown> }).Variables,
    );
    // Assess
    expect(topic?.Type).toBe('AWS::SNS::Topic');
    expect(topic?.Properties?.TopicName).toBe('medic-dev-stakeholders');
    expect(table?.Type).toBe('AWS::DynamoDB::Table');
    expect(table?.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    for (const env of environments) {
      expect(env).toMatchObject({
        MEDIC_STAKEHOLDER_TOPIC_ARN: { Ref: 'StakeholdersTopic' },
        MEDIC_INCIDENTS_TABLE: { Ref: 'IncidentsTable' },
        MEDIC_STAGE: 'dev',
        MEDIC_MODE: 'auto',
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'medic',
        JIRA_API_TOKEN_PARAMETER: '/medic/dev/jira-api-token',
      });
      expect(env).not.toHaveProperty('JIRA_API_TOKEN');
    }
  });

  it('gives every function its own IAM role (no shared execution role)', () => {
    // Prepare
    const roleIds = [...FUNCTION_IDS, ...HTTP_FUNCTION_IDS].map((id) => getAttTarget(props(id).Role));
    // Act
    const roles = roleIds.map((roleId) => template.Resources[roleId ?? '']);
    // Assess
    expect(roleIds.every((roleId) => roleId !== undefined)).toBe(true);
    expect(new Set(roleIds).size).toBe(FUNCTION_IDS.length + HTTP_FUNCTION_IDS.length);
    for (const role of roles) {
      expect(role?.Type).toBe('AWS::IAM::Role');
      expect(JSON.stringify(role?.Properties?.AssumeRolePolicyDocument)).toContain('lambda.amazonaws.com');
    }
    expect(template.Resources).not.toHaveProperty('IamRoleLambdaExecution');
  });

  it('never grants "*" or "service:*" actions, and Resource "*" only for read-only calls', () => {
    // Prepare
    const statements = iamStatements();
    // Act
    const wildcardActions = statements.filter(({ statement }) =>
      asArray(statement.Action).some((action) => action === '*' || /^[^:]+:\*$/.test(action)),
    );
    const notActions = statements.filter(({ statement }) => statement.NotAction !== undefined);
    const starResourceActions = statements
      .filter(({ statement }) => statement.Effect === 'Allow' && asArray(statement.Resource).includes('*'))
      .flatMap(({ where, statement }) => asArray(statement.Action).map((action) => `${where}: ${action}`));
    // Assess
    expect(statements.length).toBeGreaterThan(0);
    expect(wildcardActions).toEqual([]);
    expect(notActions).toEqual([]);
    // Read-only calls AWS offers no resource-level permission for (the evidence step's) are named one by one.
    const readOnlyWithoutResources = new Set([
      'cloudwatch:GetMetricData',
      'cloudwatch:ListMetrics',
      'ssm:GetCommandInvocation',
      // What changed before the alarm: neither has a resource type in the service authorization reference.
      'cloudtrail:LookupEvents',
      'ssm:ListCommands',
      // A deployment's targets: no resource type either (BatchGetDeployments is scoped to deployment groups).
      'codedeploy:BatchGetDeploymentTargets',
    ]);
    for (const entry of starResourceActions) {
      if (readOnlyWithoutResources.has(entry.split(': ')[1] ?? '')) continue;
      if (UNSCOPABLE_ACTIONS.some((action) => entry.endsWith(`: ${action}`))) continue;
      expect(entry).toMatch(/: [a-z0-9-]+:Describe[A-Za-z]+$/);
    }
  });

  it('only lets the reboot and stop/start functions reboot/stop/start instances tagged medic:managed=true', () => {
    // Prepare
    const roleIds = ['RebootLambdaFunction', 'StopStartLambdaFunction'].map(
      (id) => getAttTarget(props(id).Role) ?? '',
    );
    // Act
    const mutating = roleIds.flatMap((roleId) =>
      roleAllows(roleId).filter((s) =>
        asArray(s.Action).some((action) => /^ec2:(Reboot|Stop|Start)Instances$/.test(action)),
      ),
    );
    const allMutatingActions = iamStatements()
      .filter(({ statement }) => statement.Effect === 'Allow')
      .filter(({ statement }) => asArray(statement.Action).some((a) => /^ec2:(Reboot|Stop|Start)/.test(a)))
      .map(({ where }) => where.split('/')[0]);
    // Assess
    expect(mutating.length).toBe(2);
    expect(new Set(allMutatingActions)).toEqual(new Set(roleIds));
    for (const statement of mutating) {
      expect(statement.Condition?.StringEquals?.['aws:ResourceTag/medic:managed']).toBe('true');
      expect(JSON.stringify(statement.Resource)).toContain(':instance/*');
    }
  });

  it('stop/start may have EC2 create KMS grants (encrypted volumes) and hand group members to opted-in groups only', () => {
    // Prepare
    const roleId = getAttTarget(props('StopStartLambdaFunction').Role) ?? '';
    // Act
    const statements = roleAllows(roleId);
    const grant = statements.filter((s) => asArray(s.Action).includes('kms:CreateGrant'));
    const health = statements.filter((s) => asArray(s.Action).includes('autoscaling:SetInstanceHealth'));
    // Assess: without the grant StartInstances is accepted and the instance falls back to stopped
    expect(grant).toHaveLength(1);
    expect(grant[0]?.Condition?.Bool?.['kms:GrantIsForAWSResource']).toBe('true');
    expect(JSON.stringify(grant[0]?.Condition?.StringEquals?.['kms:ViaService'])).toMatch(
      /"ec2\.\$\{AWS::Region\}\.amazonaws\.com"/,
    );
    expect(JSON.stringify(grant[0]?.Resource)).toContain(':key/*');
    expect(health).toHaveLength(1);
    expect(health[0]?.Condition?.StringEquals?.['autoscaling:ResourceTag/medic:managed']).toBe('true');
    expect(statements.some((s) => asArray(s.Action).includes('ec2:DescribeSpotInstanceRequests'))).toBe(true);
  });

  it('failover changes only tagged target groups, and Route 53 only in the zones of failoverHostedZoneIds', async () => {
    // Prepare
    const roleId = getAttTarget(props('FailoverLambdaFunction').Role) ?? '';
    const policy = template.Resources.FailoverRoute53Policy as CfnResource & { Condition?: string };
    const zoneArns = createRequire(import.meta.url)('../scripts/hosted-zone-arns.cjs') as (o: {
      resolveVariable: (v: string) => Promise<string>;
    }) => Promise<unknown[]>;
    // Act
    const targets = roleAllows(roleId).filter((s) =>
      asArray(s.Action).includes('elasticloadbalancing:RegisterTargets'),
    );
    const inlineRoute53 = iamStatements().filter(
      ({ where, statement }) =>
        where.startsWith(`${roleId}/`) && asArray(statement.Action).some((a) => a.startsWith('route53:')),
    );
    const change = iamStatements().find(
      ({ where, statement }) =>
        where === 'FailoverRoute53Policy' &&
        asArray(statement.Action).includes('route53:ChangeResourceRecordSets'),
    )?.statement;
    const configured = await zoneArns({ resolveVariable: async () => ' Z1ABC, /hostedzone/Z2DEF ' });
    // Assess
    expect(targets).toHaveLength(1);
    expect(targets[0]?.Condition?.StringEquals?.['aws:ResourceTag/medic:managed']).toBe('true');
    expect(inlineRoute53).toEqual([]);
    expect(policy?.Condition).toBe('HasFailoverHostedZones');
    expect(JSON.stringify(policy?.Properties?.Roles)).toContain(roleId);
    expect(JSON.stringify(change?.Resource)).not.toContain('hostedzone/*');
    expect(change?.Condition?.['ForAllValues:StringEquals']).toEqual({
      'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
      'route53:ChangeResourceRecordSetsRecordTypes': ['A'],
    });
    expect(configured).toEqual([
      { 'Fn::Sub': `arn:$${'{'}AWS::Partition}:route53:::hostedzone/Z1ABC` },
      { 'Fn::Sub': `arn:$${'{'}AWS::Partition}:route53:::hostedzone/Z2DEF` },
    ]);
    await expect(zoneArns({ resolveVariable: async () => 'Z1,*' })).rejects.toThrow(/not a hosted zone id/);
  });

  it('only lets restart-service run commands on instances tagged medic:managed=true', () => {
    // Prepare
    const roleId = getAttTarget(props('RestartServiceLambdaFunction').Role) ?? '';
    // Act
    const onInstances = roleAllows(roleId).filter(
      (s) =>
        asArray(s.Action).includes('ssm:SendCommand') && JSON.stringify(s.Resource).includes(':instance/*'),
    );
    const senders = iamStatements()
      .filter(({ statement }) => asArray(statement.Action).includes('ssm:SendCommand'))
      .map(({ where }) => where.split('/')[0]);
    // Assess
    expect(onInstances).toHaveLength(1);
    expect(onInstances[0]?.Condition?.StringEquals?.['ssm:resourceTag/medic:managed']).toBe('true');
    // Only restart-service and the evidence step's read-only on-host view send commands.
    const evidenceHost = getAttTarget(props('EvidenceHostLambdaFunction').Role) ?? '';
    expect(new Set(senders)).toEqual(new Set([roleId, evidenceHost]));
  });

  // ---- least privilege, generic over every role and function in the template ----

  it('least privilege: no wildcard in any action, anywhere', () => {
    // Prepare
    const statements = iamStatements();
    // Act
    const wild = statements.flatMap(({ where, statement }) =>
      asArray(statement.Action)
        .filter((action) => action.includes('*'))
        .map((action) => `${where}: ${action}`),
    );
    // Assess
    expect(statements.length).toBeGreaterThan(FUNCTION_IDS.length);
    expect(wild).toEqual([]);
  });

  it('least privilege: every mutating EC2 / Auto Scaling action, and SSM commands on instances, require medic:managed=true', () => {
    // Prepare
    const READ_ONLY = /^[a-z0-9-]+:(Describe|Get|List|Search)/;
    const probeRoles = new Set(PROBE_FUNCTION_IDS.map((id) => getAttTarget(props(id).Role) ?? ''));
    const tagged = (statement: Statement): boolean =>
      Object.values(statement.Condition ?? {}).some((block) =>
        Object.entries(block).some(
          ([key, value]) =>
            /^(aws|ec2|autoscaling|ssm):ResourceTag\/medic:managed$/i.test(key) && value === 'true',
        ),
      );
    // Act
    const unconditioned = iamStatements()
      .filter(({ statement }) => statement.Effect === 'Allow')
      .flatMap(({ where, statement }) =>
        asArray(statement.Action)
          .filter((action) => {
            if (READ_ONLY.test(action)) return false;
            // The Elastic IP lands on the standby's network interface, which IAM authorizes too;
            // network interfaces carry no instance tags, the address and instance statements do.
            if (
              action === 'ec2:AssociateAddress' &&
              asArray(statement.Resource as unknown).every((r) =>
                JSON.stringify(r).includes(':network-interface/'),
              )
            )
              return false;
            // Lambda's own network interfaces for the VPC probe functions (tested on their own below).
            if (ENI_ACTIONS.includes(action) && probeRoles.has(where.split('/')[0] ?? '')) return false;
            if (/^(ec2|autoscaling):/.test(action)) return true;
            return action === 'ssm:SendCommand' && JSON.stringify(statement.Resource).includes(':instance/');
          })
          .filter(() => !tagged(statement))
          .map((action) => `${where}: ${action}`),
      );
    // Assess
    expect(unconditioned).toEqual([]);
  });

  it('least privilege: mutating ELB / Route 53 / SSM actions are scoped to resources, never "*"', () => {
    // Prepare
    const MUTATING = /^(elasticloadbalancing|route53|ssm):(?!Describe|Get|List)/;
    // Act
    const broad = iamStatements()
      .filter(({ statement }) => statement.Effect === 'Allow' && asArray(statement.Resource).includes('*'))
      .flatMap(({ where, statement }) =>
        asArray(statement.Action)
          .filter((action) => MUTATING.test(action))
          .map((action) => `${where}: ${action}`),
      );
    // Assess
    expect(broad).toEqual([]);
  });

  it('every function in the template has a role of its own', () => {
    // Prepare
    const functions = resourcesOfType('AWS::Lambda::Function');
    // Act
    const roles = functions.map(([, f]) => getAttTarget(f.Properties?.Role));
    // Assess
    expect(roles.every((r) => r !== undefined && template.Resources[r]?.Type === 'AWS::IAM::Role')).toBe(
      true,
    );
    expect(new Set(roles).size).toBe(functions.length);
  });

  it('secrets never sit in a function environment: only parameter names do', () => {
    // Prepare
    const functions = resourcesOfType('AWS::Lambda::Function');
    // Act
    const leaks = functions.flatMap(([id, f]) =>
      Object.entries(
        (f.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {},
      )
        .filter(
          ([name, value]) =>
            (/(TOKEN|SECRET|PASSWORD|API_KEY|CREDENTIALS?)$/i.test(name) && !/_PARAMETER$/.test(name)) ||
            (typeof value === 'string' && /^(ATATT|ghp_|xox[bp]-|AKIA)/.test(value)),
        )
        .map(([name]) => `${id}: ${name}`),
    );
    const secretParameters = functions.flatMap(([, f]) =>
      Object.entries(
        (f.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {},
      ).filter(([name]) => /(TOKEN|SECRET)_PARAMETER$/.test(name)),
    );
    // Assess
    expect(leaks).toEqual([]);
    for (const [name, value] of secretParameters) expect(String(value), name).toMatch(/^\/medic\//);
  });

  it('the HTTP intake has a function URL and may only start this state machine', () => {
    // Prepare
    const urls = resourcesOfType('AWS::Lambda::Url');
    const roleId = getAttTarget(props('IntakeHttpLambdaFunction').Role) ?? '';
    // Act
    const starts = roleAllows(roleId).filter((s) => asArray(s.Action).includes('states:StartExecution'));
    // Assess
    expect(urls.map(([, u]) => getAttTarget(u.Properties?.TargetFunctionArn))).toContain(
      'IntakeHttpLambdaFunction',
    );
    expect(starts.map((s) => s.Resource)).toEqual([{ Ref: STATE_MACHINE_ID }]);
    const env = (props('IntakeHttpLambdaFunction').Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(env.MEDIC_WEBHOOK_SECRET_PARAMETER).toBe('/medic/dev/webhook-secret');
  });

  it('the health sweep runs on an EventBridge schedule', () => {
    // Prepare
    const rules = resourcesOfType('AWS::Events::Rule');
    // Act
    const scheduled = rules.filter(([, r]) =>
      asArray(r.Properties?.Targets as { Arn?: unknown }[]).some(
        (t) => getAttTarget(t.Arn) === 'HealthSweepLambdaFunction',
      ),
    );
    // Assess
    expect(scheduled).toHaveLength(1);
    expect(String(scheduled[0]?.[1].Properties?.ScheduleExpression)).toMatch(/^(cron|rate)\(/);
  });

  it('the SNS intake loses nothing: failed async invocations go to an SQS queue that pages when not empty', () => {
    // Prepare
    const [, config] = resourcesOfType('AWS::Lambda::EventInvokeConfig').find(
      ([, r]) =>
        JSON.stringify(r.Properties?.FunctionName) === JSON.stringify({ Ref: 'IntakeSnsLambdaFunction' }),
    ) ?? [undefined, undefined];
    const destination = (config?.Properties?.DestinationConfig as { OnFailure?: { Destination?: unknown } })
      ?.OnFailure?.Destination;
    const queueId = getAttTarget(destination);
    // Act
    const sends = roleAllows('IntakeSnsRole').filter((st) => asArray(st.Action).includes('sqs:SendMessage'));
    const alarms = resourcesOfType('AWS::CloudWatch::Alarm').filter(([, r]) =>
      JSON.stringify(r.Properties?.Dimensions).includes(queueId ?? '-'),
    );
    // Assess
    expect(queueId && template.Resources[queueId]?.Type).toBe('AWS::SQS::Queue');
    expect(sends.map((st) => JSON.stringify(st.Resource))).toEqual([
      JSON.stringify({ 'Fn::GetAtt': [queueId, 'Arn'] }),
    ]);
    expect(alarms).toHaveLength(1);
    expect(JSON.stringify(alarms[0]?.[1].Properties?.AlarmActions)).toContain('StakeholdersTopic');
  });

  it('every bundle on the way to the first action is at most 432 KB (rungs that never come first: 448 KB; the load check: 640 KB); only the Jira functions carry jira-client', () => {
    // Prepare: the .mjs inside each zip osls built (sizes are deterministic for a lockfile)
    const sizes = serverlessFunctions().map((fn) => {
      const zip = path.join(repoRoot, '.serverless', `${fn.name}.zip`);
      const listing = JSON.parse(
        execFileSync(
          'python3',
          [
            '-c',
            'import json,sys,zipfile; print(json.dumps({i.filename: i.file_size for i in zipfile.ZipFile(sys.argv[1]).infolist()}))',
            zip,
          ],
          { encoding: 'utf8' },
        ),
      ) as Record<string, number>;
      const rel = path.relative(repoRoot, fn.source).replace(/\.ts$/, '.mjs');
      return { name: fn.name, bytes: listing[rel] ?? Number.NaN };
    });
    // Act
    const hot = sizes.filter(
      (s) =>
        !JIRA_FUNCTIONS.has(s.name) &&
        !LATER_RUNG_FUNCTIONS.has(s.name) &&
        !AFTER_VERIFY_FUNCTIONS.has(s.name),
    );
    const later = sizes.filter((s) => LATER_RUNG_FUNCTIONS.has(s.name));
    const afterVerify = sizes.filter((s) => AFTER_VERIFY_FUNCTIONS.has(s.name));
    const over = [
      ...hot.filter((s) => !(s.bytes <= HOT_PATH_BUNDLE_BYTES)),
      ...later.filter((s) => !(s.bytes <= LATER_RUNG_BUNDLE_BYTES)),
      ...afterVerify.filter((s) => !(s.bytes <= AFTER_VERIFY_BUNDLE_BYTES)),
    ];
    const firstRungs = new Set(Object.values(LADDERS).map((plan) => plan[0]));
    // Assess
    expect(hot.length).toBeGreaterThan(15);
    expect(later.length).toBe(LATER_RUNG_FUNCTIONS.size);
    expect(afterVerify.length).toBe(AFTER_VERIFY_FUNCTIONS.size);
    // The later-rung budget rests on this: no ladder starts with one of those actions.
    expect([...LATER_RUNG_FUNCTIONS.values()].filter((action) => firstRungs.has(action as never))).toEqual(
      [],
    );
    expect(over.map((s) => `${s.name} ${Math.round(s.bytes / 1024)} KB`)).toEqual([]);
    console.log(sizes.map((s) => `${s.name} ${Math.round(s.bytes / 1024)} KB`).join(', '));
  });

  it('has no default Jira site: packaging without jiraBaseUrl fails with one line naming it', async () => {
    // Act: osls itself, without the package script's offline default (stops at variable resolution)
    const bare = await oslsOffline(['print', '--path', 'custom.medic.jiraBaseUrl']);
    const site = await oslsOffline([
      'print',
      '--path',
      'custom.medic.jiraBaseUrl',
      '--param',
      'jiraBaseUrl=https://acme.atlassian.net',
    ]);
    // Assess
    expect(bare.code).not.toBe(0);
    const lines = bare.output.split('\n').filter((l) => l.includes('medic: '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /medic: no Jira site: pass --param jiraBaseUrl=https:\/\/<your-site>\.atlassian\.net, or --param jira=off/,
    );
    expect(bare.output).not.toContain('example.atlassian.net');
    expect(site.code, site.output).toBe(0);
    expect(site.output).toContain('https://acme.atlassian.net');
  }, 60_000);

  it('packages with jira=off: every function that reads Jira is told it is off', () => {
    // Prepare: the package script added --param jira=off (no site was given)
    const functions = resourcesOfType('AWS::Lambda::Function');
    // Act
    const sites = functions.map(
      ([id, f]) =>
        [
          id,
          (f.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables?.JIRA_BASE_URL,
        ] as const,
    );
    // Assess
    expect(packaging.output).toContain('packaging with --param jira=off');
    for (const [id, site] of sites) expect(site, id).toBe('off');
    expect(JSON.stringify(template)).not.toContain('atlassian.net');
  });

  it('both public function URLs have reserved concurrency', () => {
    // Prepare
    const urlFunctions = resourcesOfType('AWS::Lambda::Url').map(([, u]) =>
      getAttTarget(u.Properties?.TargetFunctionArn),
    );
    // Act
    const reserved = urlFunctions.map((id) => [id, props(id ?? '').ReservedConcurrentExecutions] as const);
    // Assess
    expect(urlFunctions.sort()).toEqual(['ApprovalLambdaFunction', 'IntakeHttpLambdaFunction']);
    for (const [id, n] of reserved) {
      expect(Number.isInteger(n), `${id} ReservedConcurrentExecutions ${String(n)}`).toBe(true);
      expect(n as number, String(id)).toBeGreaterThan(0);
      expect(n as number, String(id)).toBeLessThanOrEqual(10);
    }
  });

  it('the incident rule filters content: only alarms that can name a target, never medic-ops- alarms', () => {
    // Prepare
    const rules = resourcesOfType('AWS::Events::Rule').filter(([, r]) =>
      isAlarmPattern(r.Properties?.EventPattern),
    );
    // Act
    const pattern = JSON.stringify(rules[0]?.[1].Properties?.EventPattern);
    const alarmNames = resourcesOfType('AWS::CloudWatch::Alarm').map(([, a]) =>
      String(a.Properties?.AlarmName),
    );
    // Assess: the default bus's rule and the central bus's rule filter alike
    expect(rules).toHaveLength(2);
    expect(JSON.stringify(rules[1]?.[1].Properties?.EventPattern)).toBe(pattern);
    expect(pattern).toContain('"dimensions":{"InstanceId":[{"exists":true}]}');
    expect(pattern).toContain('"dimensions":{"AutoScalingGroupName":[{"exists":true}]}');
    expect(pattern).toContain('"alarmName":[{"anything-but":{"prefix":"TargetTracking-"}}]');
    expect(pattern).toContain('"resources":[{"anything-but":{"wildcard":"*:alarm:medic-ops-*"}}]');
    // every alarm medic's own stack creates carries the prefix the rule and the SNS intake exclude
    expect(alarmNames.length).toBeGreaterThan(0);
    for (const name of alarmNames) expect(name).toMatch(/^medic-ops-/);
  });

  it('the IAM check packages the same template without building code (only code locations differ)', async () => {
    // Prepare: what iam:check evaluates, for the stage packaged above.
    const withoutCode = (t: CfnTemplate) =>
      Object.fromEntries(
        Object.entries(t.Resources)
          // Version logical ids and CodeSha256 hash the code; Code is where the zip lies.
          .filter(([, r]) => r.Type !== 'AWS::Lambda::Version')
          .map(([id, r]) => {
            const { Code: _code, ...rest } = r.Properties ?? {};
            return [id, r.Type === 'AWS::Lambda::Function' ? { ...r, Properties: rest } : r];
          }),
      );
    // Act
    const templateOnly = (await packageTemplate('dev')) as CfnTemplate;
    // Assess
    expect(withoutCode(templateOnly)).toEqual(withoutCode(template));
  }, 240_000);

  it('places only the probe functions in the fleet VPC, with the given subnets and security groups', () => {
    // Prepare
    const functions = resourcesOfType('AWS::Lambda::Function');
    // Act
    const inVpc = functions.filter(([, f]) => f.Properties?.VpcConfig !== undefined);
    // Assess
    expect(inVpc.map(([id]) => id).sort()).toEqual([...PROBE_FUNCTION_IDS].sort());
    for (const [id, f] of inVpc) {
      const vpc = f.Properties?.VpcConfig as Record<string, unknown>;
      expect(vpc.SubnetIds, id).toEqual({
        'Fn::Split': [',', 'subnet-00000000000000a01,subnet-00000000000000b02'],
      });
      expect(vpc.SecurityGroupIds, id).toEqual({ 'Fn::Split': [',', 'sg-00000000000000c03'] });
      const env = (f.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables;
      expect(env?.MEDIC_PROBES, id).toBe('on');
      expect(env?.MEDIC_PROBE_SECURITY_GROUP_IDS, id).toBe('sg-00000000000000c03');
    }
  });

  it("grants the network-interface permissions Lambda needs to exactly the probe functions' roles", () => {
    // Prepare
    const probeRoles = PROBE_FUNCTION_IDS.map((id) => getAttTarget(props(id).Role) ?? '');
    // Act
    const holders = (action: string) =>
      new Set(
        iamStatements()
          .filter(
            ({ statement }) => statement.Effect === 'Allow' && asArray(statement.Action).includes(action),
          )
          .map(({ where }) => where.split('/')[0]),
      );
    // Assess
    for (const action of ENI_ACTIONS) expect(holders(action), action).toEqual(new Set(probeRoles));
    for (const roleId of probeRoles) {
      const describe = roleAllows(roleId).find((st) =>
        asArray(st.Action).includes('ec2:DescribeNetworkInterfaces'),
      );
      // DescribeNetworkInterfaces works only on "*"; the others stay inside this account and region.
      expect(describe?.Resource).toBe('*');
      const manage = roleAllows(roleId).find((st) =>
        asArray(st.Action).includes('ec2:CreateNetworkInterface'),
      );
      for (const type of ['network-interface', 'subnet', 'security-group'])
        expect(JSON.stringify(manage?.Resource)).toContain(
          `:ec2:\${AWS::Region}:\${AWS::AccountId}:${type}/*`,
        );
    }
  });

  it('only Close and the outbox drainer get the Confluence settings and may read its token parameter', () => {
    // Prepare
    const writers = ['CloseLambdaFunction', 'DrainOutboxLambdaFunction'];
    const functions = resourcesOfType('AWS::Lambda::Function');
    // Act
    const told = functions
      .filter(([, f]) =>
        Object.keys(
          (f.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables ?? {},
        ).some((name) => name.startsWith('MEDIC_CONFLUENCE_')),
      )
      .map(([id]) => id);
    const readers = functions
      .filter(([, f]) =>
        roleAllows(getAttTarget(f.Properties?.Role) ?? '').some((st) =>
          JSON.stringify(st.Resource).includes('confluence-api-token'),
        ),
      )
      .map(([id]) => id);
    // Assess
    expect(told.sort()).toEqual(writers);
    expect(readers.sort()).toEqual(writers);
    for (const id of writers)
      expect((props(id).Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        MEDIC_CONFLUENCE_URL: 'none',
        MEDIC_CONFLUENCE_FLAVOUR: 'cloud',
        MEDIC_CONFLUENCE_TOKEN_PARAMETER: '/medic/dev/confluence-api-token',
        // Still the provider-wide settings: a function's own environment is merged, not replacing.
        MEDIC_STAKEHOLDER_TOPIC_ARN: { Ref: 'StakeholdersTopic' },
      });
  });

  it('passes cfn-lint with no errors (warnings are printed)', () => {
    // Prepare / Act: cfn-lint ran in beforeAll.
    for (const warning of lint.warnings) console.warn(`cfn-lint: ${formatFinding(warning)}`);
    // Assess
    expect(lint.fatal).toBeUndefined();
    expect(lint.errors.map(formatFinding)).toEqual([]);
  });

  it('one medic for the organization: the alarm rule on the central bus, a bus policy for the organization only', () => {
    // Prepare
    const buses = resourcesOfType('AWS::Events::EventBus');
    const policies = resourcesOfType('AWS::Events::EventBusPolicy');
    const alarmRules = resourcesOfType('AWS::Events::Rule').filter(([, r]) =>
      isAlarmPattern(r.Properties?.EventPattern),
    );
    const assume = props('MemberAssumeRolePolicy') as {
      Roles: unknown[];
      PolicyDocument: { Statement: { Action: unknown; Resource: unknown; Condition: unknown }[] };
    };
    // Assess: the bus, and the same alarm rule on the default bus and on the central one
    expect(buses.map(([id]) => id)).toEqual(['CentralEventBus']);
    expect(alarmRules.map(([, r]) => r.Properties?.EventBusName ?? 'default')).toEqual(
      expect.arrayContaining(['default', { Ref: 'CentralEventBus' }]),
    );
    // Assess: PutEvents for principals of the organization only, and only when orgId is given
    expect(policies).toHaveLength(1);
    const [, policy] = policies[0] as [string, CfnResource & { Condition?: string }];
    expect(policy.Condition).toBe('HasOrgId');
    expect(
      JSON.stringify((template as { Conditions?: Record<string, unknown> }).Conditions?.HasOrgId),
    ).toContain('none');
    expect(policy.Properties?.Statement).toMatchObject({
      Effect: 'Allow',
      Principal: '*',
      Action: 'events:PutEvents',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': expect.any(String) } },
    });
    // Assess: the acting functions may assume the member role by name, nothing else
    expect(assume.Roles.length).toBeGreaterThanOrEqual(10);
    expect(assume.PolicyDocument.Statement).toHaveLength(1);
    expect(assume.PolicyDocument.Statement[0]?.Action).toBe('sts:AssumeRole');
    expect(JSON.stringify(assume.PolicyDocument.Statement[0]?.Resource)).toContain(
      ':iam::*:role/medic-member',
    );
    expect(JSON.stringify(assume.PolicyDocument.Statement[0]?.Condition)).toContain('aws:ResourceOrgID');
  });

  it('the member stack (docs/member-stack.yml) passes cfn-lint too', async () => {
    // Act
    const member = await runCfnLint(MEMBER_STACK_FILE);
    // Assess
    expect(member.fatal).toBeUndefined();
    expect(member.errors.map(formatFinding)).toEqual([]);
  }, 120_000);
});

function isAlarmPattern(pattern: unknown): boolean {
  const p = pattern as {
    source?: unknown;
    'detail-type'?: unknown;
    detail?: { state?: { value?: unknown } };
  };
  return (
    JSON.stringify(p?.source) === JSON.stringify(['aws.cloudwatch']) &&
    JSON.stringify(p?.['detail-type']) === JSON.stringify(['CloudWatch Alarm State Change']) &&
    JSON.stringify(p?.detail?.state?.value) === JSON.stringify(['ALARM', 'OK'])
  );
}

describe('network placement: packaging never builds blind probes', () => {
  let missing: { code: number | null; output: string };
  let off: { code: number | null; output: string };
  let offTemplate: CfnTemplate;
  const offDir = mkdtempSync(path.join(tmpdir(), 'medic-probes-off-'));

  beforeAll(async () => {
    // Act: without the placement parameters (fails before building), then with probes=off.
    missing = await runPackageScript([]);
    // osls alone (no cfn-lint: the main packaging above lints the same resources).
    off = await packageService(['--param', 'probes=off', '--param', 'jira=off', '--package', offDir]).then(
      () => ({ code: 0, output: '' }),
      (error: Error) => ({ code: 1, output: error.message }),
    );
    offTemplate = JSON.parse(readFileSync(path.join(offDir, TEMPLATE_FILE), 'utf8')) as CfnTemplate;
    rmSync(offDir, { recursive: true, force: true });
  }, 2 * PACKAGE_TIMEOUT_MS);

  it('without probeSubnetIds/probeSecurityGroupIds: one clear line naming them and probes=off', () => {
    // Prepare
    const lines = missing.output.split('\n');
    // Act
    const clear = lines.filter(
      (l) => l.includes('probeSubnetIds') && l.includes('probeSecurityGroupIds') && l.includes('probes=off'),
    );
    // Assess
    expect(missing.code).not.toBe(0);
    expect(clear).toHaveLength(1);
  });

  it('probes=off packages with no VpcConfig, no network-interface permissions, and tells the probe functions', () => {
    // Prepare
    const resources = Object.entries(offTemplate.Resources);
    // Act
    const inVpc = resources.filter(
      ([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties?.VpcConfig !== undefined,
    );
    const eni = JSON.stringify(resources.filter(([, r]) => r.Type === 'AWS::IAM::Role'));
    // Assess
    expect(off.code, off.output).toBe(0);
    expect(inVpc.map(([id]) => id)).toEqual([]);
    for (const action of ENI_ACTIONS) expect(eni).not.toContain(action);
    for (const id of PROBE_FUNCTION_IDS) {
      const env = (
        offTemplate.Resources[id]?.Properties?.Environment as
          | { Variables?: Record<string, unknown> }
          | undefined
      )?.Variables;
      expect(env?.MEDIC_PROBES, id).toBe('off');
    }
  });
});
