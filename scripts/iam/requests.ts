/**
 * What IAM authorizes for each AWS call: the action, every resource ARN the service authorizes it
 * against (per the Service Authorization Reference), and the request context AWS builds (resource
 * tags, region, service keys). Plus the calls AWS makes with the function's own credentials on its
 * behalf (Lambda's VPC network interfaces and log streams, EC2's KMS grant when it starts an
 * instance with a customer-managed-key volume, SSM's decryption of a SecureString, Lambda's
 * on-failure destination).
 */
import type { RecordedCall } from '../../local/aws-recorder.ts';
import type { Deployment, FunctionIam } from './template.ts';

export interface IamRequest {
  functionName: string;
  /** `ec2:RebootInstances` */
  action: string;
  resource: string;
  /** The Service Authorization Reference's resource type (`instance`), or `*`. */
  resourceType: string;
  /** Tags of the resource (become aws:ResourceTag/… and the service's own tag keys). */
  tags: Record<string, string>;
  /** Other request-context keys AWS sets for this request (kms:ViaService, …). */
  context: Record<string, string | string[]>;
  /** Why AWS makes this call when the function did not make it itself. */
  derivedFrom: string | null;
}

export interface InstanceFacts {
  tags: Record<string, string>;
  /** The primary network interface (device index 0). */
  networkInterfaceId: string | null;
  /** KMS keys of the instance's encrypted EBS volumes. */
  volumeKeys: { keyArn: string; customerManaged: boolean }[];
}

/** What the local AWS (moto) knows about the resources the calls touched. */
export interface Facts {
  instances: Map<string, InstanceFacts>;
  /** allocation id → tags */
  addresses: Map<string, Record<string, string>>;
  /** Auto Scaling group name → ARN and tags */
  groups: Map<string, { arn: string; tags: Record<string, string> }>;
  /** target group ARN → tags */
  targetGroups: Map<string, Record<string, string>>;
  /** parameter name → the KMS key that encrypts it (SecureString only) */
  secureParameters: Map<string, string>;
  /** DynamoDB table name → its partition (HASH) key attribute, from the table definitions */
  partitionKeys: Map<string, string>;
  /** CodeDeploy deployment id → its application and deployment group */
  deployments: Map<string, { application: string; group: string }>;
}

export const emptyFacts = (): Facts => ({
  instances: new Map(),
  addresses: new Map(),
  groups: new Map(),
  targetGroups: new Map(),
  secureParameters: new Map(),
  partitionKeys: new Map(),
  deployments: new Map(),
});

/** The SDK's service id → IAM service prefix. */
const PREFIX: Record<string, string> = {
  EC2: 'ec2',
  SSM: 'ssm',
  DynamoDB: 'dynamodb',
  CloudWatch: 'cloudwatch',
  'CloudWatch Logs': 'logs',
  SNS: 'sns',
  SQS: 'sqs',
  SFN: 'states',
  'Auto Scaling': 'autoscaling',
  'Elastic Load Balancing v2': 'elasticloadbalancing',
  'Route 53': 'route53',
  KMS: 'kms',
  CloudTrail: 'cloudtrail',
  CodeDeploy: 'codedeploy',
};

type Resource = Pick<IamRequest, 'resource' | 'resourceType'> & Partial<Pick<IamRequest, 'tags' | 'context'>>;

const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)];

/**
 * The resources one call is authorized against. `wildcardOnly` says the action has no resource
 * type (Describe*, …): IAM evaluates it against "*". Returns null when medic does not know how the
 * service authorizes the call — the check then fails instead of guessing.
 */
export function resourcesOf(
  call: RecordedCall,
  deployment: Deployment,
  facts: Facts,
  wildcardOnly: boolean,
): Resource[] | null {
  if (wildcardOnly) return [{ resource: '*', resourceType: '*' }];
  const region = call.region || deployment.region;
  const { account, partition } = deployment;
  const input = call.input;
  const arn = (service: string, rest: string, acct = account, reg = region) =>
    `arn:${partition}:${service}:${reg}:${acct}:${rest}`;
  const instance = (id: string): Resource => ({
    resource: arn('ec2', `instance/${id}`),
    resourceType: 'instance',
    tags: facts.instances.get(id)?.tags ?? {},
  });
  const table = (name: string): Resource => ({
    resource: name.startsWith('arn:') ? name : arn('dynamodb', `table/${name}`),
    resourceType: 'table',
  });
  // Item-level calls carry the partition key values they touch (dynamodb:LeadingKeys); a call
  // whose keys cannot be worked out is not mapped rather than evaluated without them.
  const keyed = (name: string): Resource | null => {
    const keys = leadingKeysOf(call, facts.partitionKeys).get(name);
    return keys ? { ...table(name), context: { 'dynamodb:LeadingKeys': keys } } : null;
  };
  const allKeyed = (names: string[]): Resource[] | null => {
    const out = names.map(keyed);
    return out.every((r): r is Resource => r !== null) ? out : null;
  };
  switch (`${PREFIX[call.service] ?? call.service}:${call.operation}`) {
    case 'ec2:RebootInstances':
    case 'ec2:StopInstances':
    case 'ec2:StartInstances':
      return list(input.InstanceIds).map(instance);
    case 'ec2:GetConsoleOutput':
      return [instance(String(input.InstanceId))];
    case 'ec2:AssociateAddress': {
      // The address, the instance and the network interface the address lands on are each
      // authorized (AssociateAddress's resource types: elastic-ip, instance, network-interface).
      const out: Resource[] = [];
      const allocation = input.AllocationId ? String(input.AllocationId) : null;
      if (allocation)
        out.push({
          resource: arn('ec2', `elastic-ip/${allocation}`),
          resourceType: 'elastic-ip',
          tags: facts.addresses.get(allocation) ?? {},
        });
      const instanceId = input.InstanceId ? String(input.InstanceId) : null;
      if (instanceId) out.push(instance(instanceId));
      const eni = input.NetworkInterfaceId
        ? String(input.NetworkInterfaceId)
        : instanceId
          ? facts.instances.get(instanceId)?.networkInterfaceId
          : null;
      if (eni)
        out.push({ resource: arn('ec2', `network-interface/${eni}`), resourceType: 'network-interface' });
      return out;
    }
    case 'ssm:SendCommand': {
      const document = String(input.DocumentName ?? '');
      // AWS-owned documents have no account in their ARN.
      const owner = document.startsWith('AWS-') || document.startsWith('Amazon') ? '' : account;
      return [
        { resource: arn('ssm', `document/${document}`, owner), resourceType: 'document' },
        ...list(input.InstanceIds).map(instance),
      ];
    }
    case 'ssm:GetParameter':
    case 'ssm:GetParameters':
      return list(input.Name ?? input.Names).map((name) => ({
        resource: arn('ssm', `parameter/${name.replace(/^\//, '')}`),
        resourceType: 'parameter',
      }));
    case 'dynamodb:GetItem':
    case 'dynamodb:PutItem':
    case 'dynamodb:UpdateItem':
    case 'dynamodb:DeleteItem':
      return allKeyed([String(input.TableName)]);
    case 'dynamodb:Scan':
    case 'dynamodb:DescribeTable':
    case 'dynamodb:CreateTable':
      // No item keys in the request: dynamodb:LeadingKeys is absent (and a ForAllValues
      // condition on it is then true — which is why no Scan belongs under such a statement).
      return [table(String(input.TableName))];
    case 'dynamodb:Query':
      // An index's partition key is not the table's: medic's tables have no index, so a Query
      // on one is not mapped rather than given the wrong keys.
      return input.IndexName ? null : allKeyed([String(input.TableName)]);
    case 'dynamodb:BatchGetItem':
    case 'dynamodb:BatchWriteItem':
      return allKeyed(Object.keys((input.RequestItems as Record<string, unknown>) ?? {}));
    case 'dynamodb:TransactWriteItems':
      return (input.TransactItems as Record<string, { TableName?: string }>[]).flatMap((item) =>
        Object.values(item).map((op) => table(String(op.TableName))),
      );
    case 'cloudwatch:DescribeAlarms': {
      // Named alarms are authorized one by one; a prefix (or no filter) lists alarms, which
      // CloudWatch authorizes against every alarm: "alarm:*".
      const names = list(input.AlarmNames);
      if (names.length > 0)
        return names.map((n) => ({ resource: arn('cloudwatch', `alarm:${n}`), resourceType: 'alarm' }));
      return [{ resource: arn('cloudwatch', 'alarm:*'), resourceType: 'alarm' }];
    }
    case 'cloudwatch:PutMetricAlarm':
      return [{ resource: arn('cloudwatch', `alarm:${String(input.AlarmName)}`), resourceType: 'alarm' }];
    case 'cloudwatch:GetMetricData':
    case 'cloudwatch:ListMetrics':
      // The optional "dataset" resource applies to shared-data access grants only.
      return [{ resource: '*', resourceType: '*' }];
    case 'logs:FilterLogEvents':
    case 'logs:GetLogEvents': {
      const group = String(input.logGroupIdentifier ?? input.logGroupName ?? '');
      return [
        {
          resource: group.startsWith('arn:') ? group : arn('logs', `log-group:${group}`),
          resourceType: 'log-group',
        },
      ];
    }
    case 'sns:Publish':
      return [{ resource: String(input.TopicArn ?? input.TargetArn), resourceType: 'topic' }];
    case 'sqs:SendMessage':
    case 'sqs:ReceiveMessage': {
      const name = String(input.QueueUrl ?? '')
        .split('/')
        .pop();
      return [{ resource: arn('sqs', String(name)), resourceType: 'queue' }];
    }
    case 'states:StartExecution':
      return [{ resource: String(input.stateMachineArn), resourceType: 'statemachine' }];
    case 'states:DescribeExecution':
    case 'states:GetExecutionHistory':
      return [{ resource: String(input.executionArn), resourceType: 'execution' }];
    case 'autoscaling:SetInstanceHealth': {
      const instanceId = String(input.InstanceId);
      const groupName = facts.instances.get(instanceId)?.tags['aws:autoscaling:groupName'];
      const group = groupName ? facts.groups.get(groupName) : undefined;
      if (!group) return null;
      return [{ resource: group.arn, resourceType: 'autoScalingGroup', tags: group.tags }];
    }
    case 'elasticloadbalancing:RegisterTargets':
    case 'elasticloadbalancing:DeregisterTargets': {
      const tg = String(input.TargetGroupArn);
      return [{ resource: tg, resourceType: 'targetgroup', tags: facts.targetGroups.get(tg) ?? {} }];
    }
    case 'route53:GetHostedZone':
    case 'route53:ListResourceRecordSets': {
      const zone = String(input.Id ?? input.HostedZoneId).replace(/^\/?hostedzone\//, '');
      return [{ resource: `arn:${partition}:route53:::hostedzone/${zone}`, resourceType: 'hostedzone' }];
    }
    case 'route53:ChangeResourceRecordSets': {
      const zone = String(input.HostedZoneId).replace(/^\/?hostedzone\//, '');
      const changes = ((input.ChangeBatch as { Changes?: unknown[] })?.Changes ?? []) as {
        Action?: string;
        ResourceRecordSet?: { Name?: string; Type?: string };
      }[];
      return [
        {
          resource: `arn:${partition}:route53:::hostedzone/${zone}`,
          resourceType: 'hostedzone',
          context: {
            'route53:ChangeResourceRecordSetsActions': changes.map((c) => c.Action ?? ''),
            'route53:ChangeResourceRecordSetsRecordTypes': changes.map(
              (c) => c.ResourceRecordSet?.Type ?? '',
            ),
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': changes.map((c) =>
              (c.ResourceRecordSet?.Name ?? '').toLowerCase().replace(/\.$/, ''),
            ),
          },
        },
      ];
    }
    case 'codedeploy:BatchGetDeployments': {
      // Authorized against each deployment's group; a deployment medic cannot place is not guessed.
      const groups = list(input.deploymentIds).map((id) => facts.deployments.get(id));
      if (groups.some((g) => !g)) return null;
      return (groups as { application: string; group: string }[]).map((g) => ({
        resource: arn('codedeploy', `deploymentgroup:${g.application}/${g.group}`),
        resourceType: 'deploymentgroup',
      }));
    }
    default:
      return null;
  }
}

/** A key attribute as the document client (`'LOCK#i-1'`) or the low-level client (`{ S: 'LOCK#i-1' }`) sends it. */
function keyValue(v: unknown): string | null {
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  if (v && typeof v === 'object') {
    const attr = v as { S?: unknown; N?: unknown; B?: unknown };
    const inner = attr.S ?? attr.N ?? attr.B;
    if (typeof inner === 'string' || typeof inner === 'number') return String(inner);
  }
  return null;
}

/**
 * The partition key value a Query's key condition fixes: the `pk = :v` clause (the attribute
 * possibly behind an `#name`), or the legacy `KeyConditions` EQ.
 */
function queriedPartition(input: Record<string, unknown>, pk: string): string | null {
  const expression = input.KeyConditionExpression;
  if (typeof expression === 'string') {
    const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
    const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
    for (const clause of expression.split(/\s+AND\s+/i)) {
      const m = /^\(*\s*(#?[\w.-]+)\s*=\s*(:[\w-]+)\s*\)*$/.exec(clause.trim());
      if (!m) continue;
      const [, left = '', right = ''] = m;
      const name = left.startsWith('#') ? names[left] : left;
      if (name === pk) return keyValue(values[right]);
    }
    return null;
  }
  const legacy = (
    input.KeyConditions as Record<string, { ComparisonOperator?: string; AttributeValueList?: unknown[] }>
  )?.[pk];
  return legacy?.ComparisonOperator === 'EQ' ? keyValue(legacy.AttributeValueList?.[0]) : null;
}

/**
 * `dynamodb:LeadingKeys` of a DynamoDB call, per table: the partition key values of every item the
 * request touches (GetItem/PutItem/UpdateItem/DeleteItem: the one item; BatchGetItem and
 * BatchWriteItem: each item of each table; Query: the key condition's partition value). AWS puts
 * them in the request context as one multi-valued key, which is what ForAllValues conditions test.
 * A table missing from the map, or a key that cannot be read from the input, leaves that table out.
 */
export function leadingKeysOf(
  call: Pick<RecordedCall, 'operation' | 'input'>,
  partitionKeys: ReadonlyMap<string, string>,
): Map<string, string[]> {
  const input = call.input;
  const out = new Map<string, string[]>();
  const pkOf = (name: string) => partitionKeys.get(name.replace(/^arn:.*:table\/([^/]+).*$/, '$1'));
  const add = (name: string, items: (Record<string, unknown> | undefined)[]) => {
    const pk = pkOf(name);
    if (!pk) return;
    const values = items.map((item) => keyValue(item?.[pk]));
    if (values.some((v) => v === null)) return;
    out.set(name, [...new Set(values as string[])]);
  };
  const name = String(input.TableName ?? '');
  switch (call.operation) {
    case 'GetItem':
    case 'UpdateItem':
    case 'DeleteItem':
      add(name, [input.Key as Record<string, unknown>]);
      break;
    case 'PutItem':
      add(name, [input.Item as Record<string, unknown>]);
      break;
    case 'Query': {
      const pk = pkOf(name);
      const value = pk ? queriedPartition(input, pk) : null;
      if (value !== null) out.set(name, [value]);
      break;
    }
    case 'BatchGetItem':
      for (const [t, request] of Object.entries(
        (input.RequestItems ?? {}) as Record<string, { Keys?: Record<string, unknown>[] }>,
      ))
        add(t, request.Keys ?? []);
      break;
    case 'BatchWriteItem':
      for (const [t, writes] of Object.entries(
        (input.RequestItems ?? {}) as Record<
          string,
          {
            PutRequest?: { Item?: Record<string, unknown> };
            DeleteRequest?: { Key?: Record<string, unknown> };
          }[]
        >,
      ))
        add(
          t,
          writes.map((w) => w.PutRequest?.Item ?? w.DeleteRequest?.Key),
        );
      break;
  }
  return out;
}

/** The hosted zones the recorded calls touched: a deployment names them in `failoverHostedZoneIds`. */
export function hostedZonesOf(calls: readonly RecordedCall[]): string[] {
  const zones = calls
    .filter((c) => c.service === 'Route 53')
    .map((c) => String(c.input.Id ?? c.input.HostedZoneId ?? '').replace(/^\/?hostedzone\//, ''))
    .filter((z) => z !== '');
  return [...new Set(zones)].sort();
}

/** The package args a deployment of these runs would pass: the failover zones it uses. */
export function deploymentArgs(calls: readonly RecordedCall[]): string[] {
  const zones = hostedZonesOf(calls);
  return zones.length > 0 ? ['--param', `failoverHostedZoneIds=${zones.join(',')}`] : [];
}

export function actionOf(call: RecordedCall): string {
  return `${PREFIX[call.service] ?? call.service.toLowerCase()}:${call.operation}`;
}

const ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

/** Calls AWS makes with the function's role whatever the handler does (from the template). */
export function deployedCalls(fn: FunctionIam, deployment: Deployment): IamRequest[] {
  const { account, region, partition } = deployment;
  const arn = (service: string, rest: string) => `arn:${partition}:${service}:${region}:${account}:${rest}`;
  const base = { functionName: fn.functionName, tags: {}, context: {} };
  const out: IamRequest[] = [];
  // The Lambda runtime writes the function's logs with the execution role.
  const stream = `${fn.logGroupArn}:log-stream:2026/01/01/[$LATEST]00000000000000000000000000000000`;
  for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
    out.push({
      ...base,
      action,
      resource: stream,
      resourceType: 'log-stream',
      derivedFrom: 'Lambda logging',
    });
  }
  if (fn.vpc) {
    // Lambda creates and manages the function's network interfaces with the execution role (and
    // refuses to create or update the function when the role cannot).
    const eni = arn('ec2', 'network-interface/eni-0lambda000000000');
    const derivedFrom = 'Lambda VPC networking (VpcConfig)';
    for (const action of ENI_ACTIONS) {
      if (action === 'ec2:DescribeNetworkInterfaces') {
        out.push({ ...base, action, resource: '*', resourceType: '*', derivedFrom });
        continue;
      }
      out.push({ ...base, action, resource: eni, resourceType: 'network-interface', derivedFrom });
      if (action === 'ec2:CreateNetworkInterface') {
        for (const subnet of fn.vpc.subnetIds)
          out.push({
            ...base,
            action,
            resource: arn('ec2', `subnet/${subnet}`),
            resourceType: 'subnet',
            derivedFrom,
          });
        for (const sg of fn.vpc.securityGroupIds)
          out.push({
            ...base,
            action,
            resource: arn('ec2', `security-group/${sg}`),
            resourceType: 'security-group',
            derivedFrom,
          });
      }
    }
  }
  for (const destination of fn.onFailureDestinations) {
    const service = destination.split(':')[2];
    const action =
      service === 'sqs'
        ? 'sqs:SendMessage'
        : service === 'sns'
          ? 'sns:Publish'
          : service === 'lambda'
            ? 'lambda:InvokeFunction'
            : 'events:PutEvents';
    const resourceType =
      service === 'sqs'
        ? 'queue'
        : service === 'sns'
          ? 'topic'
          : service === 'lambda'
            ? 'function'
            : 'event-bus';
    out.push({
      ...base,
      action,
      resource: destination,
      resourceType,
      derivedFrom: 'Lambda on-failure destination',
    });
  }
  return out;
}

/** Calls AWS makes with the caller's credentials because of this call. */
export function derivedFromCall(call: RecordedCall, deployment: Deployment, facts: Facts): IamRequest[] {
  const region = call.region || deployment.region;
  const { account, partition } = deployment;
  const base = { functionName: call.functionName, tags: {} };
  const action = actionOf(call);
  if (action === 'ec2:StartInstances' && call.input.DryRun !== true) {
    // Starting an instance whose EBS volume is encrypted with a customer managed key: EC2 creates
    // a grant on the key for the instance, with the caller's credentials.
    return list(call.input.InstanceIds).flatMap((id) =>
      (facts.instances.get(id)?.volumeKeys ?? [])
        .filter((k) => k.customerManaged)
        .map((k) => ({
          ...base,
          action: 'kms:CreateGrant',
          resource: k.keyArn,
          resourceType: 'key',
          context: {
            'kms:GrantIsForAWSResource': 'true',
            'kms:ViaService': `ec2.${region}.amazonaws.com`,
            'kms:CallerAccount': account,
            'aws:ViaAWSService': 'true',
            'aws:CalledVia': ['ec2.amazonaws.com'],
          },
          derivedFrom: `ec2:StartInstances ${id} (customer managed key on an EBS volume)`,
        })),
    );
  }
  if (action === 'ssm:GetParameter' && call.input.WithDecryption === true) {
    const name = String(call.input.Name);
    const key = facts.secureParameters.get(name);
    if (!key) return [];
    const parameterArn = `arn:${partition}:ssm:${region}:${account}:parameter/${name.replace(/^\//, '')}`;
    return [
      {
        ...base,
        action: 'kms:Decrypt',
        // An alias (SSM's default aws/ssm) is resolved by KMS to its key; authorization is on the key.
        resource: key.startsWith('arn:')
          ? key
          : `arn:${partition}:kms:${region}:${account}:key/${key.startsWith('alias/') ? `key-of-${key.slice(6).replaceAll('/', '-')}` : key}`,
        resourceType: 'key',
        context: {
          'kms:ViaService': `ssm.${region}.amazonaws.com`,
          'kms:CallerAccount': account,
          'kms:EncryptionContext:PARAMETER_ARN': parameterArn,
          'aws:ViaAWSService': 'true',
          'aws:CalledVia': ['ssm.amazonaws.com'],
        },
        derivedFrom: `ssm:GetParameter ${name} (SecureString decryption)`,
      },
    ];
  }
  return [];
}
