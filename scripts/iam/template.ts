/**
 * The deployed IAM picture, read from the CloudFormation template `osls package` produces: for each
 * function its role's policies, its VPC configuration and its asynchronous-invocation destinations,
 * with every Ref / Fn::GetAtt / Fn::Sub / Fn::Join resolved to the concrete ARN CloudFormation
 * would produce for a fixed account, region and stage.
 */

export interface Deployment {
  account: string;
  region: string;
  partition: string;
  stage: string;
  service: string;
}

/** The account and region moto answers for, and the stage every local resource name uses. */
export const LOCAL_DEPLOYMENT: Deployment = {
  account: '123456789012',
  region: 'us-east-1',
  partition: 'aws',
  stage: 'local',
  service: 'medic',
};

export interface PolicyDocument {
  Version?: string;
  Statement: Statement | Statement[];
}

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export interface FunctionIam {
  /** The serverless.yml function name (`reboot`). */
  functionName: string;
  /** The deployed Lambda name (`medic-local-reboot`). */
  lambdaName: string;
  roleLogicalId: string;
  roleArn: string;
  policies: { name: string; document: PolicyDocument }[];
  /** Managed policies the check does not know the content of (they make the check fail). */
  unknownManagedPolicies: string[];
  vpc: { subnetIds: string[]; securityGroupIds: string[] } | null;
  /** Where Lambda sends failed asynchronous invocations, with this role's credentials. */
  onFailureDestinations: string[];
  logGroupArn: string;
}

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
}

/** AWS managed policies Lambda stacks commonly attach, with their published statements. */
const KNOWN_MANAGED_POLICIES: Record<string, PolicyDocument> = {
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: '*',
      },
    ],
  },
  'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        Resource: '*',
      },
    ],
  },
};

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Resolves CloudFormation intrinsics the way CloudFormation would for `deployment`. */
export function resolver(template: CfnTemplate, deployment: Deployment) {
  const { account, region, partition } = deployment;
  const pseudo: Record<string, string> = {
    'AWS::AccountId': account,
    'AWS::Region': region,
    'AWS::Partition': partition,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': `${deployment.service}-${deployment.stage}`,
    'AWS::StackId': `arn:${partition}:cloudformation:${region}:${account}:stack/${deployment.service}-${deployment.stage}/00000000-0000-0000-0000-000000000000`,
    'AWS::NoValue': '',
  };
  const props = (id: string) => template.Resources[id]?.Properties ?? {};
  const nameOf = (id: string, key: string) => str(resolve(props(id)[key])) || id;

  function ref(id: string): string {
    if (id in pseudo) return pseudo[id] ?? '';
    const resource = template.Resources[id];
    switch (resource?.Type) {
      case 'AWS::SNS::Topic':
        return `arn:${partition}:sns:${region}:${account}:${nameOf(id, 'TopicName')}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:${partition}:states:${region}:${account}:stateMachine:${nameOf(id, 'StateMachineName')}`;
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${account}/${nameOf(id, 'QueueName')}`;
      case 'AWS::DynamoDB::Table':
        return nameOf(id, 'TableName');
      case 'AWS::Lambda::Function':
        return nameOf(id, 'FunctionName');
      case 'AWS::Logs::LogGroup':
        return nameOf(id, 'LogGroupName');
      case 'AWS::IAM::Role':
        return nameOf(id, 'RoleName');
      default:
        return id;
    }
  }

  function getAtt(id: string, attribute: string): string {
    const resource = template.Resources[id];
    const arn = (service: string, rest: string) => `arn:${partition}:${service}:${region}:${account}:${rest}`;
    switch (`${resource?.Type}.${attribute}`) {
      case 'AWS::DynamoDB::Table.Arn':
        return arn('dynamodb', `table/${nameOf(id, 'TableName')}`);
      case 'AWS::Logs::LogGroup.Arn':
        // CloudFormation's Arn of a log group ends with ":*" (it covers the group's streams).
        return arn('logs', `log-group:${nameOf(id, 'LogGroupName')}:*`);
      case 'AWS::SQS::Queue.Arn':
        return arn('sqs', nameOf(id, 'QueueName'));
      case 'AWS::SQS::Queue.QueueName':
        return nameOf(id, 'QueueName');
      case 'AWS::Lambda::Function.Arn':
        return arn('lambda', `function:${nameOf(id, 'FunctionName')}`);
      case 'AWS::IAM::Role.Arn':
        return `arn:${partition}:iam::${account}:role/${nameOf(id, 'RoleName')}`;
      case 'AWS::SNS::Topic.TopicArn':
        return ref(id);
      case 'AWS::StepFunctions::StateMachine.Arn':
        return ref(id);
      case 'AWS::Lambda::Url.FunctionUrl':
        return `https://${id.toLowerCase()}.lambda-url.${region}.on.aws/`;
      default:
        return `${id}.${attribute}`;
    }
  }

  function sub(text: string, vars: Record<string, unknown> = {}): string {
    return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
      if (name in vars) return str(resolve(vars[name]));
      if (name in pseudo) return pseudo[name] ?? '';
      const dot = name.indexOf('.');
      return dot > 0 ? getAtt(name.slice(0, dot), name.slice(dot + 1)) : ref(name);
    });
  }

  function resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(resolve);
    if (!value || typeof value !== 'object') return value;
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const arg = o[key];
      if (key === 'Ref') return ref(str(arg));
      if (key === 'Fn::GetAtt') {
        const [id, attribute] = Array.isArray(arg) ? arg.map(str) : str(arg).split('.');
        return getAtt(id ?? '', attribute ?? '');
      }
      if (key === 'Fn::Sub') {
        if (typeof arg === 'string') return sub(arg);
        const [text, vars] = arg as [string, Record<string, unknown>];
        return sub(text, vars);
      }
      if (key === 'Fn::Join') {
        const [delimiter, parts] = arg as [string, unknown[]];
        return (resolve(parts) as unknown[]).map(str).join(delimiter);
      }
      if (key === 'Fn::Split') {
        const [delimiter, text] = arg as [string, unknown];
        return str(resolve(text)).split(delimiter);
      }
      if (key === 'Fn::Select') {
        const [index, list] = arg as [unknown, unknown];
        return (resolve(list) as unknown[])[Number(resolve(index))];
      }
    }
    return Object.fromEntries(keys.map((k) => [k, resolve(o[k])]));
  }

  return { resolve, ref, getAtt };
}

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * Every function's IAM picture. `functionNames` maps Lambda logical ids to serverless.yml names
 * (`RebootLambdaFunction` → `reboot`).
 */
export function functionsIam(
  template: CfnTemplate,
  deployment: Deployment,
  functionNames: Map<string, string>,
): FunctionIam[] {
  const { resolve } = resolver(template, deployment);
  const roleIdOf = (value: unknown): string | undefined => {
    const getAtt = (value as { 'Fn::GetAtt'?: unknown })?.['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return str(getAtt[0]);
    return undefined;
  };
  // Standalone policies attached to roles (AWS::IAM::Policy / ManagedPolicy with Roles: [Ref]).
  const attached = new Map<string, { name: string; document: PolicyDocument }[]>();
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::IAM::Policy' && r.Type !== 'AWS::IAM::ManagedPolicy') continue;
    for (const role of asArray(r.Properties?.Roles as unknown[])) {
      const roleId = str((role as { Ref?: unknown })?.Ref);
      if (!roleId) continue;
      const list = attached.get(roleId) ?? [];
      list.push({ name: id, document: resolve(r.Properties?.PolicyDocument) as PolicyDocument });
      attached.set(roleId, list);
    }
  }
  const destinations = new Map<string, string[]>();
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== 'AWS::Lambda::EventInvokeConfig') continue;
    const fn = str(resolve(r.Properties?.FunctionName));
    const onFailure = (r.Properties?.DestinationConfig as { OnFailure?: { Destination?: unknown } })
      ?.OnFailure?.Destination;
    if (fn && onFailure) destinations.set(fn, [...(destinations.get(fn) ?? []), str(resolve(onFailure))]);
  }

  const out: FunctionIam[] = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const p = r.Properties ?? {};
    const lambdaName = str(resolve(p.FunctionName)) || id;
    const roleLogicalId = roleIdOf(p.Role) ?? '';
    const role = template.Resources[roleLogicalId]?.Properties ?? {};
    const policies = [
      ...asArray(role.Policies as { PolicyName: unknown; PolicyDocument: unknown }[]).map((policy) => ({
        name: str(resolve(policy.PolicyName)),
        document: resolve(policy.PolicyDocument) as PolicyDocument,
      })),
      ...(attached.get(roleLogicalId) ?? []),
    ];
    const unknownManagedPolicies: string[] = [];
    for (const arn of asArray(resolve(role.ManagedPolicyArns) as string[])) {
      const known = KNOWN_MANAGED_POLICIES[arn];
      if (known) policies.push({ name: arn, document: known });
      else unknownManagedPolicies.push(arn);
    }
    const vpc = resolve(p.VpcConfig) as { SubnetIds?: string[]; SecurityGroupIds?: string[] } | undefined;
    out.push({
      functionName: functionNames.get(id) ?? lambdaName,
      lambdaName,
      roleLogicalId,
      roleArn: roleLogicalId ? str(resolve({ 'Fn::GetAtt': [roleLogicalId, 'Arn'] })) : '',
      policies,
      unknownManagedPolicies,
      vpc:
        vpc && (vpc.SubnetIds?.length ?? 0) > 0
          ? { subnetIds: vpc.SubnetIds ?? [], securityGroupIds: vpc.SecurityGroupIds ?? [] }
          : null,
      onFailureDestinations: destinations.get(lambdaName) ?? [],
      logGroupArn: `arn:${deployment.partition}:logs:${deployment.region}:${deployment.account}:log-group:/aws/lambda/${lambdaName}`,
    });
  }
  return out;
}
