/**
 * The bench's local substrate: one moto and one local Jira for the whole run, and the process
 * environment the handlers read (the same settings `medic simulate` uses). Loopback only.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type LocalJira, startJiraServer } from '../local/jira-server.ts';
import { type LocalMoto, startMoto } from '../local/moto.ts';
import { ensureTables } from '../local/tables.ts';
import { motoProcessEnv } from '../test/support/moto.ts';

export interface BenchSubstrate {
  moto: LocalMoto;
  jira: LocalJira;
  ec2: EC2Client;
  /** Env for child processes that run handlers against this substrate. */
  env: Record<string, string>;
  /** moto reset + the stakeholder topic again (its ARN does not change, so cached config stays true). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

const TOPIC = 'medic-bench-stakeholders';
const INBOX = 'medic-bench-inbox';

async function ensureTopic(endpoint: string): Promise<string> {
  const config = { endpoint, region: 'us-east-1' };
  const sns = new SNSClient(config);
  const sqs = new SQSClient(config);
  const topic = await sns.send(new CreateTopicCommand({ Name: TOPIC }));
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: INBOX }));
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  if (!topic.TopicArn || !attrs.Attributes?.QueueArn) throw new Error('moto did not create the bench topic');
  await sns.send(
    new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: 'sqs', Endpoint: attrs.Attributes.QueueArn }),
  );
  return topic.TopicArn;
}

/**
 * Starts moto + Jira and sets process.env for in-process handlers. Must run before any handler
 * module is imported: the SDK clients are built at module scope from the environment.
 */
export async function startBenchSubstrate(overrides: Record<string, string> = {}): Promise<BenchSubstrate> {
  const [moto, jira] = await Promise.all([
    startMoto(),
    startJiraServer({ email: 'medic@example.com', apiToken: 'local-token', projectKey: 'OPS' }),
  ]);
  const env: Record<string, string> = {
    ...motoProcessEnv(moto.endpoint),
    JIRA_BASE_URL: jira.baseUrl,
    JIRA_EMAIL: 'medic@example.com',
    JIRA_API_TOKEN: 'local-token',
    JIRA_PROJECT_KEY: 'OPS',
    MEDIC_PROBES_LOOPBACK_ONLY: 'true',
    MEDIC_PROBE_TIMEOUT_MS: '500',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    // The kill switch PrepareRung reads before every mutating rung (never set here: not paused).
    MEDIC_PAUSE_PARAMETER: '/medic/dev/pause',
    // moto's default account is the central one; the org-wide storm's other accounts get account keys.
    MEDIC_CENTRAL_ACCOUNT: '123456789012',
    ...overrides,
  };
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  Object.assign(process.env, env);
  env.MEDIC_STAKEHOLDER_TOPIC_ARN = await ensureTopic(moto.endpoint);
  process.env.MEDIC_STAKEHOLDER_TOPIC_ARN = env.MEDIC_STAKEHOLDER_TOPIC_ARN;
  // The safety table (dedupe, locks, budgets), as `medic simulate` creates it
  const dynamo = new DynamoDBClient({ endpoint: moto.endpoint, region: 'us-east-1' });
  env.MEDIC_SAFETY_TABLE = (await ensureTables(dynamo)).get('SafetyTable') ?? '';
  process.env.MEDIC_SAFETY_TABLE = env.MEDIC_SAFETY_TABLE;
  return {
    moto,
    jira,
    ec2: new EC2Client({ endpoint: moto.endpoint, region: 'us-east-1' }),
    env,
    async reset() {
      await moto.reset();
      await ensureTopic(moto.endpoint);
      await ensureTables(dynamo);
    },
    async stop() {
      await Promise.all([moto.stop(), jira.close()]);
    },
  };
}
