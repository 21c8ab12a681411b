/** Setting up a moto world for handlers and use cases that run in this process. */
import {
  type AutoScalingClient,
  CreateAutoScalingGroupCommand,
  type CreateAutoScalingGroupCommandInput,
  CreateLaunchConfigurationCommand,
} from '@aws-sdk/client-auto-scaling';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * The environment an in-process handler needs to take moto for AWS: its endpoint, the region, keys
 * moto accepts, and no instance-metadata lookup (there is no IMDS here to wait for).
 */
export function motoProcessEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'medic-local',
    AWS_SECRET_ACCESS_KEY: 'medic-local',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** The incidents table with the key schema serverless.yml gives it (pk + sk, on demand). */
export async function createIncidentsTable(dynamodb: DynamoDBClient, TableName: string): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
}

/** An Auto Scaling group of t3.micro instances of `imageId`, from its own launch configuration. */
export async function createGroup(
  autoScaling: AutoScalingClient,
  imageId: string | undefined,
  group: Omit<CreateAutoScalingGroupCommandInput, 'LaunchConfigurationName'>,
): Promise<void> {
  const LaunchConfigurationName = `${group.AutoScalingGroupName}-lc`;
  await autoScaling.send(
    new CreateLaunchConfigurationCommand({
      LaunchConfigurationName,
      ImageId: imageId,
      InstanceType: 't3.micro',
    }),
  );
  await autoScaling.send(new CreateAutoScalingGroupCommand({ ...group, LaunchConfigurationName }));
}
