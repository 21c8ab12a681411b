/**
 * The organization's IAM, evaluated offline with @cloud-copilot/iam-simulate (part of
 * `npm run iam:check`):
 * - the member role of docs/member-stack.yml allows what medic does to an opted-in instance and
 *   refuses it on one without medic:managed=true;
 * - its trust policy lets a central function role in with the external id, and not without it or
 *   from another account;
 * - the central bus policy of serverless.yml admits a principal of the organization and refuses
 *   one outside it.
 * Each expectation is one line; any surprise makes the check fail.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { parse } from 'yaml';
import { MEMBER_STACK_FILE } from '../member-stack.ts';

const root = path.join(import.meta.dirname, '..', '..');

export const ORG = {
  orgId: 'o-medic0example',
  otherOrgId: 'o-elsewhere0000',
  central: '111122223333',
  member: '444455556666',
  outsider: '777788889999',
  region: 'eu-west-1',
  externalId: 'medic-external-id-example',
  stage: 'prod',
};

type Json = Record<string, unknown>;

/** Resolves the intrinsics the member stack and the bus policy use, for one account and region. */
function resolve(node: unknown, refs: Record<string, string>): unknown {
  if (Array.isArray(node)) return node.map((n) => resolve(n, refs));
  if (!node || typeof node !== 'object') return node;
  const o = node as Json;
  if (typeof o.Ref === 'string') {
    const value = refs[o.Ref];
    if (value === undefined) throw new Error(`no value for Ref ${o.Ref}`);
    return value;
  }
  if (typeof o['Fn::Sub'] === 'string')
    return (o['Fn::Sub'] as string).replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
      const value = refs[name];
      if (value === undefined) throw new Error(`no value for \${${name}}`);
      return value;
    });
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolve(v, refs)]));
}

export interface Expectation {
  what: string;
  expect: 'Allowed' | 'Denied';
  simulation: Parameters<typeof runSimulation>[0];
}

/** The expectations, built from the files as they are (or as given, for a test's broken copy). */
export function orgExpectations(
  memberStackYml = readFileSync(MEMBER_STACK_FILE, 'utf8'),
  serverlessYml = readFileSync(path.join(root, 'serverless.yml'), 'utf8'),
): Expectation[] {
  const busArn = `arn:aws:events:${ORG.region}:${ORG.central}:event-bus/medic-${ORG.stage}`;
  const memberRefs = {
    'AWS::Partition': 'aws',
    'AWS::Region': ORG.region,
    'AWS::AccountId': ORG.member,
    CentralAccountId: ORG.central,
    CentralStage: ORG.stage,
    CentralEventBusArn: busArn,
    ExternalId: ORG.externalId,
    MemberRoleName: 'medic-member',
  };
  const stack = parse(memberStackYml) as { Resources: Record<string, { Properties: Json }> };
  const member = resolve(stack.Resources.MemberRole?.Properties, memberRefs) as {
    AssumeRolePolicyDocument: Json;
    Policies: { PolicyName: string; PolicyDocument: Json }[];
  };
  const forwarder = resolve(stack.Resources.ForwardToCentralRole?.Properties, memberRefs) as {
    Policies: { PolicyName: string; PolicyDocument: Json }[];
  };
  const memberPolicies = member.Policies.map((p) => ({ name: p.PolicyName, policy: p.PolicyDocument }));
  const memberPrincipal = `arn:aws:sts::${ORG.member}:assumed-role/medic-member/medic-incident`;
  const instance = `arn:aws:ec2:${ORG.region}:${ORG.member}:instance/i-0123456789abcdef0`;
  const onInstance = (action: string, managed: boolean): Expectation['simulation'] => ({
    request: {
      principal: memberPrincipal,
      action,
      resource: { resource: instance, accountId: ORG.member },
      contextVariables: managed ? { 'aws:ResourceTag/medic:managed': 'true' } : {},
    },
    identityPolicies: memberPolicies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  });

  // `medic alarms sync --account`: CloudWatch alarms of the member account, in any region.
  const onAlarm = (
    action: string,
    name: string,
    tags: Record<string, string>,
    region = ORG.region,
  ): Expectation['simulation'] => ({
    request: {
      principal: `arn:aws:sts::${ORG.member}:assumed-role/medic-member/medic-alarms-sync-ops`,
      action,
      resource: {
        resource: `arn:aws:cloudwatch:${region}:${ORG.member}:alarm:${name}`,
        accountId: ORG.member,
      },
      contextVariables: {
        ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
        ...(Object.keys(tags).length ? { 'aws:TagKeys': Object.keys(tags) } : {}),
      },
    },
    identityPolicies: memberPolicies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  });
  const standard = { 'medic:standard-alarm': 'true', 'medic:instance': 'i-0123456789abcdef0' };
  const otherRegion = 'ap-southeast-2';

  const centralFunction = (account: string) =>
    `arn:aws:sts::${account}:assumed-role/medic-${ORG.stage}-RebootRole-ABC123/medic-${ORG.stage}-reboot`;
  const assume = (account: string, externalId: string | null): Expectation['simulation'] => ({
    request: {
      principal: centralFunction(account),
      action: 'sts:AssumeRole',
      resource: { resource: `arn:aws:iam::${ORG.member}:role/medic-member`, accountId: ORG.member },
      contextVariables: {
        'aws:PrincipalArn': `arn:aws:iam::${account}:role/medic-${ORG.stage}-RebootRole-ABC123`,
        ...(externalId ? { 'sts:ExternalId': externalId } : {}),
      },
    },
    // The central functions' own policy allows sts:AssumeRole on the member role (serverless.yml).
    identityPolicies: [
      {
        name: 'medic-assume-member-role',
        policy: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::*:role/medic-member' },
          ],
        },
      },
    ],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: member.AssumeRolePolicyDocument,
  });

  const central = parse(serverlessYml, {
    logLevel: 'silent',
    customTags: ['Ref', 'GetAtt', 'Sub', 'If', 'Not', 'Equals', 'Split'].flatMap((name) =>
      (['scalar', 'seq', 'map'] as const).map((kind) => ({
        tag: `!${name}`,
        ...(kind === 'scalar' ? {} : { collection: kind }),
        resolve: () => ({ [`!${name}`]: true }),
      })),
    ) as never,
  }) as { resources: { Resources: Record<string, { Properties: { Statement: Json } }> } };
  const busStatement = JSON.parse(
    JSON.stringify(
      central.resources.Resources.CentralEventBusOrgPolicy?.Properties.Statement ?? {},
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation and serverless variables, not JS
    ).replaceAll('${self:custom.medic.orgId}', ORG.orgId),
  ) as Json;
  const busPolicy = { Version: '2012-10-17', Statement: [{ ...busStatement, Resource: busArn }] };
  const forward = (account: string, orgId: string): Expectation['simulation'] => ({
    request: {
      principal: `arn:aws:sts::${account}:assumed-role/medic-member-ForwardToCentralRole-XYZ/events`,
      action: 'events:PutEvents',
      resource: { resource: busArn, accountId: ORG.central },
      contextVariables: { 'aws:PrincipalOrgID': orgId },
    },
    identityPolicies: forwarder.Policies.map((p) => ({ name: p.PolicyName, policy: p.PolicyDocument })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: busPolicy,
  });

  return [
    {
      what: 'member role: reboot an opted-in instance',
      expect: 'Allowed',
      simulation: onInstance('ec2:RebootInstances', true),
    },
    {
      what: 'member role: reboot an instance not opted in',
      expect: 'Denied',
      simulation: onInstance('ec2:RebootInstances', false),
    },
    {
      what: 'member role: stop an opted-in instance',
      expect: 'Allowed',
      simulation: onInstance('ec2:StopInstances', true),
    },
    {
      what: 'member role: stop an instance not opted in',
      expect: 'Denied',
      simulation: onInstance('ec2:StopInstances', false),
    },
    {
      what: 'member role: reboot an opted-in instance in another region than the stack (the role is global)',
      expect: 'Allowed',
      simulation: {
        ...onInstance('ec2:RebootInstances', true),
        request: {
          ...onInstance('ec2:RebootInstances', true).request,
          resource: {
            resource: `arn:aws:ec2:${otherRegion}:${ORG.member}:instance/i-0123456789abcdef0`,
            accountId: ORG.member,
          },
        },
      },
    },
    {
      what: 'member role (alarms sync): create a medic standard alarm',
      expect: 'Allowed',
      simulation: onAlarm('cloudwatch:PutMetricAlarm', 'medic-i-0123456789abcdef0-cpu', standard),
    },
    {
      what: 'member role (alarms sync): tag the standard alarm it creates',
      expect: 'Allowed',
      simulation: onAlarm('cloudwatch:TagResource', 'medic-i-0123456789abcdef0-cpu', standard),
    },
    {
      what: 'member role (alarms sync): create a medic standard alarm in another region',
      expect: 'Allowed',
      simulation: onAlarm(
        'cloudwatch:PutMetricAlarm',
        'medic-i-0123456789abcdef0-cpu',
        standard,
        otherRegion,
      ),
    },
    {
      what: 'member role (alarms sync): list alarms',
      expect: 'Allowed',
      simulation: onAlarm('cloudwatch:DescribeAlarms', '*', {}),
    },
    {
      what: 'member role (alarms sync): overwrite an alarm not named medic-*',
      expect: 'Denied',
      simulation: onAlarm('cloudwatch:PutMetricAlarm', 'payments-latency', standard),
    },
    {
      what: 'member role (alarms sync): a medic-* alarm without the standard-alarm tag',
      expect: 'Denied',
      simulation: onAlarm('cloudwatch:PutMetricAlarm', 'medic-i-0123456789abcdef0-cpu', {}),
    },
    {
      what: 'member role (alarms sync): delete an alarm (never granted)',
      expect: 'Denied',
      simulation: onAlarm('cloudwatch:DeleteAlarms', 'medic-i-0123456789abcdef0-cpu', {}),
    },
    {
      what: 'member role: terminate (never granted)',
      expect: 'Denied',
      simulation: onInstance('ec2:TerminateInstances', true),
    },
    {
      what: 'member trust: central function with the external id',
      expect: 'Allowed',
      simulation: assume(ORG.central, ORG.externalId),
    },
    {
      what: 'member trust: central function without the external id',
      expect: 'Denied',
      simulation: assume(ORG.central, null),
    },
    {
      what: 'member trust: central function with a wrong external id',
      expect: 'Denied',
      simulation: assume(ORG.central, 'guess'),
    },
    {
      what: 'member trust: another account with the external id',
      expect: 'Denied',
      simulation: assume(ORG.outsider, ORG.externalId),
    },
    {
      what: 'central bus: a member of the organization forwards',
      expect: 'Allowed',
      simulation: forward(ORG.member, ORG.orgId),
    },
    {
      what: 'central bus: an account outside the organization',
      expect: 'Denied',
      simulation: forward(ORG.outsider, ORG.otherOrgId),
    },
  ];
}

export async function checkOrganization(
  expectations: Expectation[] = orgExpectations(),
): Promise<{ ok: boolean; lines: string[] }> {
  const lines: string[] = [];
  let ok = true;
  for (const e of expectations) {
    const result = await runSimulation(e.simulation, {});
    const got =
      result.resultType === 'error'
        ? `error ${JSON.stringify(result.errors)}`
        : result.overallResult === 'Allowed'
          ? 'Allowed'
          : 'Denied';
    const pass = got === e.expect;
    ok &&= pass;
    lines.push(`${pass ? 'ok  ' : 'FAIL'} organization  ${e.what}: ${got} (expected ${e.expect})`);
  }
  return { ok, lines };
}
