/**
 * The AWS SDK clients medic's handlers build, and the class that owns `send` for each (one smithy
 * class, found, not assumed): the local recorder and the per-run endpoint scope both wrap it.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';

const MEDIC_CLIENTS: readonly { prototype: object }[] = [
  AutoScalingClient,
  CloudTrailClient,
  CloudWatchClient,
  CloudWatchLogsClient,
  CodeDeployClient,
  DynamoDBClient,
  EC2Client,
  ElasticLoadBalancingV2Client,
  Route53Client,
  SFNClient,
  SNSClient,
  SQSClient,
  SSMClient,
  STSClient,
];

/** The prototypes that own `send` for medic's clients and for any `extra` client classes. */
export function sendOwners(extra: readonly { prototype: object }[] = []): object[] {
  const owners = new Set<object>();
  for (const Client of [...MEDIC_CLIENTS, ...extra]) {
    let proto: object | null = Client.prototype;
    while (proto && !Object.hasOwn(proto, 'send')) proto = Object.getPrototypeOf(proto);
    if (proto) owners.add(proto);
  }
  return [...owners];
}
