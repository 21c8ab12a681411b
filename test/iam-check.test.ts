/**
 * `npm run iam:check`: every AWS call a function makes (recorded from real runs) and every call AWS
 * makes on its behalf, evaluated offline against that function's own role in the packaged
 * template. First the evaluator on small fixture roles (each a mistake AWS would punish), then the
 * real template against recorded end-to-end runs of every function.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { RecordedCall } from '../local/aws-recorder.ts';
import { type CheckReport, check } from '../scripts/iam/evaluate.ts';
import { packageTemplate } from '../scripts/iam/package-template.ts';
import { deploymentArgs, emptyFacts, type Facts } from '../scripts/iam/requests.ts';
import { type RecordedRuns, recordRuns } from '../scripts/iam/runs.ts';
import {
  type CfnTemplate,
  type FunctionIam,
  functionsIam,
  LOCAL_DEPLOYMENT,
  type Statement,
} from '../scripts/iam/template.ts';
import { functionNames } from '../scripts/iam-check.ts';

const D = LOCAL_DEPLOYMENT;
const INSTANCE = 'i-0123456789abcdef0';

function role(functionName: string, statements: Statement[], extra: Partial<FunctionIam> = {}): FunctionIam {
  return {
    functionName,
    lambdaName: `medic-local-${functionName}`,
    roleLogicalId: `${functionName}Role`,
    roleArn: `arn:aws:iam::${D.account}:role/${functionName}Role`,
    policies: [{ name: 'fixture', document: { Version: '2012-10-17', Statement: statements } }],
    unknownManagedPolicies: [],
    vpc: null,
    onFailureDestinations: [],
    logGroupArn: `arn:aws:logs:${D.region}:${D.account}:log-group:/aws/lambda/medic-local-${functionName}`,
    ...extra,
  };
}

const call = (
  functionName: string,
  service: string,
  operation: string,
  input: Record<string, unknown>,
): RecordedCall => ({ functionName, service, operation, region: D.region, input, error: null });

const LOGS: Statement = {
  Effect: 'Allow',
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  Resource: '*',
};
const instanceArn = `arn:aws:ec2:${D.region}:${D.account}:instance/*`;
const managed = { StringEquals: { 'aws:ResourceTag/medic:managed': 'true' } };

function facts(edit: (f: Facts) => void): Facts {
  const f = emptyFacts();
  edit(f);
  return f;
}

const decisionOf = (report: Awaited<ReturnType<typeof check>>, action: string, type: string) =>
  report.evaluated.filter((e) => e.request.action === action && e.request.resourceType === type);

describe('the evaluator on fixture roles', () => {
  it('DescribeAlarms with AlarmNamePrefix is denied by a role scoped to alarm:medic-* (it is authorized on alarm:*)', async () => {
    // Prepare
    const scoped = role('healthSweep', [
      LOGS,
      {
        Effect: 'Allow',
        Action: 'cloudwatch:DescribeAlarms',
        Resource: `arn:aws:cloudwatch:${D.region}:${D.account}:alarm:medic-*`,
      },
    ]);
    const calls = [
      call('healthSweep', 'CloudWatch', 'DescribeAlarms', {
        AlarmNamePrefix: 'medic-',
        AlarmTypes: ['MetricAlarm'],
      }),
    ];
    // Act
    const report = await check(calls, [scoped], D, emptyFacts());
    const widened = await check(
      calls,
      [
        role('healthSweep', [
          LOGS,
          {
            Effect: 'Allow',
            Action: 'cloudwatch:DescribeAlarms',
            Resource: `arn:aws:cloudwatch:${D.region}:${D.account}:alarm:*`,
          },
        ]),
      ],
      D,
      emptyFacts(),
    );
    // Assess
    expect(decisionOf(report, 'cloudwatch:DescribeAlarms', 'alarm').map((e) => e.decision)).toEqual([
      'implicit deny',
    ]);
    expect(report.ok).toBe(false);
    expect(report.lines).toContainEqual(
      expect.stringMatching(/^implicit deny\s+healthSweep cloudwatch:DescribeAlarms alarm — \S+:alarm:\*/),
    );
    expect(widened.ok, widened.lines.join('\n')).toBe(true);
  });

  it('a function with VpcConfig needs the ENI permissions Lambda uses with its role', async () => {
    // Prepare
    const vpc = { subnetIds: ['subnet-0aaa'], securityGroupIds: ['sg-0bbb'] };
    const without = role('evidenceReachability', [LOGS], { vpc });
    const withEni = role(
      'evidenceReachability',
      [
        LOGS,
        {
          Effect: 'Allow',
          Action: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          Resource: '*',
        },
      ],
      { vpc },
    );
    // Act
    const denied = await check([], [without], D, emptyFacts());
    const allowed = await check([], [withEni], D, emptyFacts());
    // Assess
    const deniedActions = new Set(
      denied.evaluated.filter((e) => e.decision === 'implicit deny').map((e) => e.request.action),
    );
    expect([...deniedActions].sort()).toEqual([
      'ec2:AssignPrivateIpAddresses',
      'ec2:CreateNetworkInterface',
      'ec2:DeleteNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:UnassignPrivateIpAddresses',
    ]);
    expect(denied.ok).toBe(false);
    expect(allowed.ok, allowed.lines.join('\n')).toBe(true);
    expect(allowed.evaluated.some((e) => e.request.resourceType === 'subnet')).toBe(true);
  });

  it('StartInstances on a customer-managed-KMS volume needs kms:CreateGrant (for an AWS resource, via EC2)', async () => {
    // Prepare
    const keyArn = `arn:aws:kms:${D.region}:${D.account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const world = facts((f) => {
      f.instances.set(INSTANCE, {
        tags: { 'medic:managed': 'true' },
        networkInterfaceId: 'eni-0123',
        volumeKeys: [{ keyArn, customerManaged: true }],
      });
    });
    const start: Statement = {
      Effect: 'Allow',
      Action: ['ec2:StopInstances', 'ec2:StartInstances'],
      Resource: instanceArn,
      Condition: managed,
    };
    const grant: Statement = {
      Effect: 'Allow',
      Action: 'kms:CreateGrant',
      Resource: `arn:aws:kms:${D.region}:${D.account}:key/*`,
      Condition: {
        Bool: { 'kms:GrantIsForAWSResource': 'true' },
        StringEquals: { 'kms:ViaService': `ec2.${D.region}.amazonaws.com` },
      },
    };
    const calls = [call('stopStart', 'EC2', 'StartInstances', { InstanceIds: [INSTANCE], DryRun: false })];
    // Act
    const denied = await check(calls, [role('stopStart', [LOGS, start])], D, world);
    const allowed = await check(calls, [role('stopStart', [LOGS, start, grant])], D, world);
    const dryRun = await check(
      [call('stopStart', 'EC2', 'StartInstances', { InstanceIds: [INSTANCE], DryRun: true })],
      [role('stopStart', [LOGS, start])],
      D,
      world,
    );
    // Assess
    expect(decisionOf(denied, 'kms:CreateGrant', 'key').map((e) => e.decision)).toEqual(['implicit deny']);
    expect(decisionOf(denied, 'ec2:StartInstances', 'instance').map((e) => e.decision)).toEqual(['allowed']);
    expect(allowed.ok, allowed.lines.join('\n')).toBe(true);
    expect(dryRun.ok, dryRun.lines.join('\n')).toBe(true);
  });

  it('AssociateAddress on an untagged Elastic IP is denied by the tag-scoped statement', async () => {
    // Prepare
    const statements: Statement[] = [
      LOGS,
      {
        Effect: 'Allow',
        Action: 'ec2:AssociateAddress',
        Resource: [`arn:aws:ec2:${D.region}:${D.account}:elastic-ip/*`, instanceArn],
        Condition: managed,
      },
      {
        Effect: 'Allow',
        Action: 'ec2:AssociateAddress',
        Resource: `arn:aws:ec2:${D.region}:${D.account}:network-interface/*`,
      },
    ];
    const world = (eipTags: Record<string, string>) =>
      facts((f) => {
        f.instances.set(INSTANCE, {
          tags: { 'medic:managed': 'true' },
          networkInterfaceId: 'eni-0123',
          volumeKeys: [],
        });
        f.addresses.set('eipalloc-0abc', eipTags);
      });
    const calls = [
      call('failover', 'EC2', 'AssociateAddress', {
        AllocationId: 'eipalloc-0abc',
        InstanceId: INSTANCE,
        AllowReassociation: true,
      }),
    ];
    // Act
    const untagged = await check(calls, [role('failover', statements)], D, world({}));
    const tagged = await check(calls, [role('failover', statements)], D, world({ 'medic:managed': 'true' }));
    // Assess
    expect(decisionOf(untagged, 'ec2:AssociateAddress', 'elastic-ip').map((e) => e.decision)).toEqual([
      'implicit deny',
    ]);
    expect(tagged.ok, tagged.lines.join('\n')).toBe(true);
    expect(
      decisionOf(tagged, 'ec2:AssociateAddress', 'network-interface').map((e) => e.request.resource),
    ).toEqual([`arn:aws:ec2:${D.region}:${D.account}:network-interface/eni-0123`]);
  });

  it('flags a condition key the action does not support, even where the call is allowed', async () => {
    // Prepare: DescribeAlarms has no aws:ResourceTag in its request context.
    const fn = role('healthSweep', [
      LOGS,
      {
        Effect: 'Allow',
        Action: 'cloudwatch:DescribeAlarms',
        Resource: '*',
        Condition: { StringEqualsIfExists: { 'aws:ResourceTag/medic:managed': 'true' } },
      },
    ]);
    // Act
    const report = await check(
      [call('healthSweep', 'CloudWatch', 'DescribeAlarms', { AlarmNamePrefix: 'medic-' })],
      [fn],
      D,
      emptyFacts(),
    );
    // Assess
    expect(report.findings).toEqual([
      'healthSweepRole: cloudwatch:DescribeAlarms does not support condition key aws:ResourceTag/medic:managed',
    ]);
    expect(decisionOf(report, 'cloudwatch:DescribeAlarms', 'alarm').map((e) => e.decision)).toEqual([
      'unsupported condition key',
    ]);
    expect(report.ok).toBe(false);
  });

  it('a call medic cannot map to IAM resources fails the check instead of passing unseen', async () => {
    // Prepare
    const fn = role('reboot', [LOGS]);
    // Act
    const report = await check(
      [call('reboot', 'EC2', 'CreateSnapshot', { VolumeId: 'vol-1' })],
      [fn],
      D,
      emptyFacts(),
    );
    // Assess
    expect(report.ok).toBe(false);
    expect(report.lines.join('\n')).toMatch(/not mapped\s+reboot ec2:CreateSnapshot/);
  });
});

describe('CodeDeploy deployments on fixture roles', () => {
  const groupArn = (app: string, group: string) =>
    `arn:aws:codedeploy:${D.region}:${D.account}:deploymentgroup:${app}/${group}`;
  const known = facts((f) => f.deployments.set('d-1', { application: 'shop', group: 'web' }));
  const calls = [
    call('evidenceAlerts', 'CodeDeploy', 'BatchGetDeployments', { deploymentIds: ['d-1'] }),
    call('evidenceAlerts', 'CodeDeploy', 'BatchGetDeploymentTargets', {
      deploymentId: 'd-1',
      targetIds: [INSTANCE],
    }),
  ];

  it("BatchGetDeployments is authorized against the deployment's group; BatchGetDeploymentTargets against *", async () => {
    // Prepare
    const fn = role('evidenceAlerts', [
      LOGS,
      { Effect: 'Allow', Action: 'codedeploy:BatchGetDeployments', Resource: groupArn('shop', '*') },
      { Effect: 'Allow', Action: 'codedeploy:BatchGetDeploymentTargets', Resource: '*' },
    ]);
    // Act
    const report = await check(calls, [fn], D, known);
    // Assess
    expect(report.ok).toBe(true);
    expect(decisionOf(report, 'codedeploy:BatchGetDeployments', 'deploymentgroup')[0]?.request.resource).toBe(
      groupArn('shop', 'web'),
    );
  });

  it("a role scoped to another application's groups is denied, and an unplaced deployment is not guessed", async () => {
    // Prepare
    const fn = role('evidenceAlerts', [
      LOGS,
      { Effect: 'Allow', Action: 'codedeploy:BatchGetDeployments', Resource: groupArn('billing', '*') },
      { Effect: 'Allow', Action: 'codedeploy:BatchGetDeploymentTargets', Resource: '*' },
    ]);
    // Act
    const denied = await check(calls, [fn], D, known);
    const unplaced = await check(calls, [fn], D, emptyFacts());
    // Assess
    expect(denied.ok).toBe(false);
    expect(denied.lines.join('\n')).toMatch(/implicit deny\s+evidenceAlerts codedeploy:BatchGetDeployments/);
    expect(unplaced.lines.join('\n')).toMatch(/not mapped\s+evidenceAlerts codedeploy:BatchGetDeployments/);
  });
});

describe('the real template against recorded runs of every function', () => {
  /** Functions whose handlers make no AWS call of their own (their role only writes logs). */
  const NO_SDK_CALLS = ['evidenceReachability', 'verify', 'loadCheck'];
  let runs: RecordedRuns;
  let template: CfnTemplate;
  let functions: FunctionIam[];
  let report: CheckReport;

  beforeAll(async () => {
    // Prepare: the runs, then the template of a deployment that names the zones failover changes.
    runs = await recordRuns();
    template = await packageTemplate(LOCAL_DEPLOYMENT.stage, deploymentArgs(runs.calls));
    functions = functionsIam(template, D, functionNames());
    // Act
    report = await check(runs.calls, functions, D, runs.facts);
  }, 600_000);

  it('every function is exercised: the scenarios, the intakes, the sweep, the outbox drain, approval', () => {
    // Assess
    const called = new Set(runs.calls.map((c) => c.functionName));
    const expected = functions.map((f) => f.functionName).filter((f) => !NO_SDK_CALLS.includes(f));
    expect(expected.length).toBeGreaterThan(15);
    expect(expected.filter((f) => !called.has(f))).toEqual([]);
    for (const [name, outcome] of Object.entries(runs.outcomes)) expect(outcome, name).not.toMatch(/FAILED/);
    // Each failover mechanism reached AWS.
    const actions = new Set(runs.calls.map((c) => `${c.functionName} ${c.operation}`));
    for (const a of [
      'failover RegisterTargets',
      'failover ChangeResourceRecordSets',
      'failover AssociateAddress',
      'failover SetInstanceHealth',
      'stopStart StartInstances',
      'restartService SendCommand',
      'approval SendTaskSuccess',
      'healthSweep DescribeAlarms',
      'drainOutbox Query',
      // The page follows the run: Decide takes the episode's lease (and gives it back).
      'decide PutItem',
      'decide DeleteItem',
      // What changed: a CodeDeploy deployment to the instance (scenario changed-deployment).
      'evidenceAlerts BatchGetDeployments',
      'evidenceAlerts BatchGetDeploymentTargets',
    ])
      expect(actions, a).toContain(a);
    // The Statuspage key is read from SSM. In one process the first reader's copy serves the
    // others (one sandbox per function on Lambda), so at least one read is checked, not each.
    const keyReads = runs.calls.filter(
      (c) => c.operation === 'GetParameter' && String(c.input.Name).endsWith('/statuspage-api-key'),
    );
    expect(keyReads.length).toBeGreaterThan(0);
  });

  it('zero denies: every recorded call and every call AWS makes on a function’s behalf is allowed by its role', () => {
    // Assess
    const notAllowed = report.lines.filter((l) => !l.startsWith('allowed'));
    expect(notAllowed).toEqual([]);
    expect(report.denied).toBe(0);
    expect(report.ok).toBe(true);
    // The derived calls are part of it (the stop/start instance carries a customer-managed-key volume).
    expect(report.evaluated.some((e) => e.request.action === 'kms:CreateGrant')).toBe(true);
    expect(
      report.evaluated.some((e) => e.request.action === 'sqs:SendMessage' && e.request.derivedFrom),
    ).toBe(true);
  });

  it('the same runs against the template with DecideRole’s LOCK#* narrowed to INSTANCE#*: denied, naming the key', async () => {
    // Prepare: the OK-notes read of the lock item, under a LeadingKeys pattern that misses it.
    const broken = structuredClone(template);
    const role = broken.Resources.DecideRole?.Properties as {
      Policies: { PolicyDocument: { Statement: Statement[] } }[];
    };
    let changed = 0;
    for (const policy of role.Policies)
      for (const statement of policy.PolicyDocument.Statement) {
        const like = statement.Condition?.['ForAllValues:StringLike'] as Record<string, string[]> | undefined;
        if (!like?.['dynamodb:LeadingKeys']?.includes('LOCK#*')) continue;
        like['dynamodb:LeadingKeys'] = like['dynamodb:LeadingKeys'].map((p) =>
          p === 'LOCK#*' ? 'INSTANCE#*' : p,
        );
        changed += 1;
      }
    // Act
    const result = await check(runs.calls, functionsIam(broken, D, functionNames()), D, runs.facts);
    // Assess
    expect(changed).toBe(1);
    expect(result.ok).toBe(false);
    expect(result.lines).toContainEqual(
      expect.stringMatching(/^implicit deny\s+decide dynamodb:GetItem table — .*dynamodb:LeadingKeys: LOCK#/),
    );
  });

  it('every recorded DynamoDB item call carried its partition keys (none evaluated keyless)', () => {
    // Assess
    const item = report.evaluated.filter(
      (e) =>
        e.request.action.startsWith('dynamodb:') && !/Scan|DescribeTable|CreateTable/.test(e.request.action),
    );
    expect(item.length).toBeGreaterThan(10);
    expect(item.filter((e) => !Array.isArray(e.request.context['dynamodb:LeadingKeys']))).toEqual([]);
  });

  it('the same runs against the template without RebootRole’s ec2:RebootInstances: denied', async () => {
    // Prepare
    const broken = structuredClone(template);
    const role = broken.Resources.RebootRole?.Properties as {
      Policies: { PolicyDocument: { Statement: { Action: string | string[] }[] } }[];
    };
    for (const policy of role.Policies)
      for (const statement of policy.PolicyDocument.Statement) {
        const actions = [statement.Action].flat().filter((a) => a !== 'ec2:RebootInstances');
        statement.Action = actions.length > 0 ? actions : ['ec2:DescribeInstances'];
      }
    // Act
    const result = await check(runs.calls, functionsIam(broken, D, functionNames()), D, runs.facts);
    // Assess
    expect(result.ok).toBe(false);
    expect(result.lines).toContainEqual(
      expect.stringMatching(/^implicit deny\s+reboot ec2:RebootInstances instance/),
    );
  });
});
