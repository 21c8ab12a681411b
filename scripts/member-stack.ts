// `npm run member-stack` — writes docs/member-stack.yml, the CloudFormation stack each member
// account of the organization deploys (directly, or through a StackSet):
//
//   - the execution role (`medic-member` by default) the central functions assume with an external
//     id, carrying exactly the instance-facing statements of the central functions' own roles in
//     serverless.yml (the same actions, the same medic:managed=true tag conditions), so the two
//     cannot drift: test/member-stack.test.ts fails when the file is not what this script writes;
//   - an EventBridge rule on the default bus forwarding the alarm state changes medic answers (the
//     central rule's own pattern) and AWS Health EC2 events to the central bus, with the role
//     EventBridge needs to put events on a bus in another account.
//
//   node scripts/member-stack.ts [--check]   (--check: exit 1 when the file is out of date)
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify, type Tags } from 'yaml';

const root = path.join(import.meta.dirname, '..');
export const MEMBER_STACK_FILE = path.join(root, 'docs', 'member-stack.yml');

/** The central roles whose instance-facing statements the member role carries (serverless.yml). */
export const ACTING_ROLES = [
  'AdmitRole',
  'DecideRole',
  'EvidenceEc2Role',
  'EvidenceHostRole',
  'EvidenceResourcesRole',
  'EvidenceAlertsRole',
  'RestartServiceRole',
  'RebootRole',
  'StopStartRole',
  'FailoverRole',
  'VerifyRole',
] as const;

/** Services that look at or act on an instance, its metrics, logs, group and load balancer. */
const INSTANCE_SERVICES = new Set([
  'ec2',
  'ssm',
  'cloudwatch',
  'logs',
  'autoscaling',
  'elasticloadbalancing',
  'kms',
  // What changed before the alarm: the member account's own event history.
  'cloudtrail',
  // …and its CodeDeploy deployments to the instance.
  'codedeploy',
]);
/**
 * Not the instance's: the functions' own log streams, the kill switch and pause alarm (central),
 * and the network interfaces of the probe functions in the central VPC.
 */
const CENTRAL_ONLY = new Set([
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'ssm:GetParameter',
  // Secrets (the Prometheus token) live in the central account; nothing is decrypted in members.
  'kms:Decrypt',
  'cloudwatch:DescribeAlarms',
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DescribeVpcs',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
]);

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** CloudFormation's short-form intrinsics, read as their long forms. */
const CFN_TAGS: Tags = [
  'Ref',
  'Sub',
  'GetAtt',
  'If',
  'Not',
  'Equals',
  'Split',
  'Join',
  'Select',
  'And',
  'Or',
].flatMap(
  (name) =>
    (['scalar', 'seq', 'map'] as const).map((nodeClass) => ({
      tag: `!${name}`,
      collection: nodeClass === 'scalar' ? undefined : nodeClass,
      resolve: (value: unknown) => {
        const v =
          value && typeof value === 'object' && 'toJSON' in value
            ? (value as { toJSON: () => unknown }).toJSON()
            : value;
        if (name === 'Ref') return { Ref: v };
        if (name === 'GetAtt' && typeof v === 'string') return { 'Fn::GetAtt': v.split('.') };
        return { [`Fn::${name}`]: v };
      },
    })) as never,
);

const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** A resource medic can name in a member account: "*" or a Sub over pseudo parameters only. */
function memberResource(resource: unknown): boolean {
  if (resource === '*') return true;
  const sub = (resource as { 'Fn::Sub'?: unknown })?.['Fn::Sub'];
  if (typeof sub !== 'string') return false;
  const variables = [...sub.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1] ?? '');
  return variables.every((v) => v.startsWith('AWS::'));
}

/** A member resource in every region: `${AWS::Region}` becomes `*` (the member role is global). */
function everyRegion(resource: unknown): unknown {
  const sub = (resource as { 'Fn::Sub'?: unknown })?.['Fn::Sub'];
  if (typeof sub !== 'string' || !sub.includes('${AWS::Region}')) return resource;
  return { 'Fn::Sub': sub.replaceAll('${AWS::Region}', '*') };
}

/**
 * What `medic alarms sync --account` needs in a member account (cli/alarms-sync.ts): find the
 * opted-in instances (ec2:DescribeInstances, already granted for the incidents), list medic's
 * alarms (CloudWatch authorizes a prefix listing against every alarm: alarm:*), and create or update
 * only alarms named medic-* that carry the medic:standard-alarm=true tag. PutMetricAlarm with Tags
 * also needs cloudwatch:TagResource. Sync never deletes an alarm: no DeleteAlarms.
 */
export const SYNC_STATEMENTS: Statement[] = [
  {
    Effect: 'Allow',
    Action: 'cloudwatch:DescribeAlarms',
    Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:cloudwatch:*:${AWS::AccountId}:alarm:*' },
  },
  {
    Effect: 'Allow',
    Action: ['cloudwatch:PutMetricAlarm', 'cloudwatch:TagResource'],
    Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:cloudwatch:*:${AWS::AccountId}:alarm:medic-*' },
    Condition: { StringEquals: { 'aws:RequestTag/medic:standard-alarm': 'true' } },
  },
];

/** The instance-facing statements of the acting roles, deduplicated, in serverless.yml's order. */
export function memberStatements(serverlessYml: string): Statement[] {
  const doc = parse(serverlessYml, { customTags: CFN_TAGS, logLevel: 'silent' }) as {
    resources: {
      Resources: Record<
        string,
        { Properties?: { Policies?: { PolicyDocument: { Statement: Statement[] } }[] } }
      >;
    };
  };
  const seen = new Set<string>();
  const out: Statement[] = [];
  for (const roleId of ACTING_ROLES) {
    const role = doc.resources.Resources[roleId];
    if (!role) throw new Error(`serverless.yml has no ${roleId}`);
    for (const policy of role.Properties?.Policies ?? []) {
      for (const st of policy.PolicyDocument.Statement) {
        if (st.Effect !== 'Allow') continue;
        const actions = asArray(st.Action).filter(
          (a) => INSTANCE_SERVICES.has(a.split(':')[0] ?? '') && !CENTRAL_ONLY.has(a),
        );
        const resources = asArray(st.Resource);
        if (actions.length === 0 || !resources.every(memberResource)) continue;
        // IAM roles are global: the member role is created in one region of the account
        // (CreateRole) and assumed for every region medic acts in, so a resource scoped to the
        // region it was created in (${AWS::Region}) would refuse every other region.
        const anyRegion = resources.map(everyRegion);
        const statement: Statement = {
          Effect: 'Allow',
          Action: actions.length === 1 ? (actions[0] as string) : actions,
          Resource: anyRegion.length === 1 ? anyRegion[0] : anyRegion,
          ...(st.Condition ? { Condition: st.Condition } : {}),
        };
        const key = JSON.stringify(statement);
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(statement);
      }
    }
  }
  return out;
}

/** The central rule's alarm pattern, as serverless.yml declares it for the state machine. */
export function alarmPattern(serverlessYml: string): unknown {
  const doc = parse(serverlessYml, { customTags: CFN_TAGS, logLevel: 'silent' }) as {
    stepFunctions: { stateMachines: { incident: { events: { eventBridge?: { event: unknown } }[] } } };
  };
  const event = doc.stepFunctions.stateMachines.incident.events.find((e) => e.eventBridge)?.eventBridge
    ?.event;
  if (!event) throw new Error('serverless.yml declares no eventBridge alarm rule');
  return event;
}

export function memberTemplate(serverlessYml: string): Record<string, unknown> {
  const target = (id: string) => ({
    Arn: { Ref: 'CentralEventBusArn' },
    Id: id,
    RoleArn: { 'Fn::GetAtt': ['ForwardToCentralRole', 'Arn'] },
  });
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description:
      'medic member account: forwards EC2 alarm and AWS Health events to the central medic bus and lets the central medic functions act here through an execution role (external id, medic:managed=true only).',
    Parameters: {
      CentralAccountId: {
        Type: 'String',
        AllowedPattern: '^\\d{12}$',
        Description: 'The account of the central medic deployment.',
      },
      CentralStage: {
        Type: 'String',
        Default: 'prod',
        AllowedPattern: '^[a-zA-Z0-9-]+$',
        Description:
          'The central deployment stage: only its function roles (medic-<stage>-*) may assume the role.',
      },
      CentralEventBusArn: {
        Type: 'String',
        AllowedPattern: '^arn:aws[a-z-]*:events:[a-z0-9-]+:\\d{12}:event-bus/.+$',
        Description: 'The central bus (medic-<stage>), from the central stack.',
      },
      ExternalId: {
        Type: 'String',
        NoEcho: true,
        MinLength: 2,
        MaxLength: 1224,
        AllowedPattern: '^[\\w+=,.@:/-]+$',
        Description: 'The external id of the central deployment (its memberExternalId parameter).',
      },
      MemberRoleName: {
        Type: 'String',
        Default: 'medic-member',
        AllowedPattern: '^[\\w+=,.@-]{1,64}$',
        Description: 'The execution role name (the central memberRoleName parameter).',
      },
      CreateRole: {
        Type: 'String',
        Default: 'true',
        AllowedValues: ['true', 'false'],
        Description:
          'IAM roles are global: true in one region of the account, false in every further region (forwarding rules only).',
      },
    },
    Conditions: {
      WithRole: { 'Fn::Equals': [{ Ref: 'CreateRole' }, 'true'] },
    },
    Resources: {
      MemberRole: {
        Type: 'AWS::IAM::Role',
        Condition: 'WithRole',
        Properties: {
          RoleName: { Ref: 'MemberRoleName' },
          Description: 'Assumed by the central medic functions to look at and act on this account instances.',
          // Role chaining (a Lambda role assuming this one) is capped at one hour by AWS anyway.
          MaxSessionDuration: 3600,
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation and serverless variables, not JS
                Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${CentralAccountId}:root' } },
                Action: 'sts:AssumeRole',
                Condition: {
                  StringEquals: { 'sts:ExternalId': { Ref: 'ExternalId' } },
                  ArnLike: {
                    'aws:PrincipalArn': {
                      'Fn::Sub':
                        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation and serverless variables, not JS
                        'arn:${AWS::Partition}:iam::${CentralAccountId}:role/medic-${CentralStage}-*',
                    },
                  },
                },
              },
            ],
          },
          Policies: [
            {
              PolicyName: 'medic-member',
              PolicyDocument: { Version: '2012-10-17', Statement: memberStatements(serverlessYml) },
            },
            {
              PolicyName: 'medic-member-alarms-sync',
              PolicyDocument: { Version: '2012-10-17', Statement: SYNC_STATEMENTS },
            },
          ],
        },
      },
      ForwardToCentralRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          Description: 'Lets EventBridge put this account alarm and Health events on the central medic bus.',
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'events.amazonaws.com' },
                Action: 'sts:AssumeRole',
                Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
              },
            ],
          },
          Policies: [
            {
              PolicyName: 'medic-forward-to-central',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [
                  { Effect: 'Allow', Action: 'events:PutEvents', Resource: { Ref: 'CentralEventBusArn' } },
                ],
              },
            },
          ],
        },
      },
      ForwardAlarmsRule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          Description:
            'EC2 alarm state changes medic answers (the central rule pattern), to the central bus.',
          EventPattern: alarmPattern(serverlessYml),
          State: 'ENABLED',
          Targets: [target('medic-central-bus')],
        },
      },
      ForwardHealthRule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          Description: 'AWS Health events about EC2 (retirements, maintenance), to the central bus.',
          EventPattern: {
            source: ['aws.health'],
            'detail-type': ['AWS Health Event'],
            detail: { service: ['EC2'] },
          },
          State: 'ENABLED',
          Targets: [target('medic-central-bus')],
        },
      },
    },
    Outputs: {
      MemberRoleArn: { Condition: 'WithRole', Value: { 'Fn::GetAtt': ['MemberRole', 'Arn'] } },
    },
  };
}

export function renderMemberStack(serverlessYml: string): string {
  const header = [
    '# medic member stack — generated by `npm run member-stack` from serverless.yml; do not edit.',
    '# Deploy once per member account (or as a StackSet over the organization): README',
    '# "Deploy for an organization".',
    '',
  ].join('\n');
  return `${header}${stringify(memberTemplate(serverlessYml), { lineWidth: 0 })}`;
}

if (import.meta.main) {
  const expected = renderMemberStack(readFileSync(path.join(root, 'serverless.yml'), 'utf8'));
  if (process.argv.includes('--check')) {
    const current = readFileSync(MEMBER_STACK_FILE, 'utf8');
    if (current !== expected) {
      console.error('docs/member-stack.yml is out of date: run npm run member-stack');
      process.exitCode = 1;
    }
  } else {
    writeFileSync(MEMBER_STACK_FILE, expected);
    console.log(`wrote ${path.relative(root, MEMBER_STACK_FILE)}`);
  }
}
