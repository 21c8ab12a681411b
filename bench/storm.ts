/**
 * Storm intake: 1,000 alarm events (200 instances, each alarm delivered 5 times — EventBridge is
 * at-least-once) through the real Intake handler against moto, at a bounded concurrency like a
 * burst of Lambda invocations. It calls whatever Intake does on this branch, so it measures
 * dedupe / guards too once they live in Intake.
 */

import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { createMemberRole, type LocalMoto } from '../local/moto.ts';
import { alarmEvent } from '../local/scenarios.ts';

export interface StormResult {
  events: number;
  instances: number;
  ms: number;
  eventsPerSecond: number;
  /** Deliveries Intake let through as a new incident (each is a run that goes on to act). */
  incidentsCreated: number;
  /** Distinct incident ids among them. */
  distinctIncidents: number;
  /** StartExecution calls that reached moto, if Intake starts executions itself. */
  startExecutionCalls: number;
  rejected: Record<string, number>;
  baselineMs: number;
  baselineEventsPerSecond: number;
  /** A dedupe-first floor: one conditional PutItem per event (duplicates fail the condition). */
  dedupeFloorEventsPerSecond: number;
  dedupeFloorFirstWrites: number;
  /** What the real Admit (dedupe, fleet guard, per-instance lock) made of each delivery. */
  dispositions: Record<string, number>;
  /** Instances with more than one admitted ('open') incident: must be none. */
  instancesOpenedTwice: number;
  /** Dispositions Intake settled itself (dedupe, declared storm) before any lookup. */
  decidedByIntake: Record<string, number>;
  /** CPU the handlers (and the SDK) spent per delivery in this process: the other half of the cost. */
  handlerCpuMsPerEvent: number;
  /** AWS calls that reached moto during the run, by action (what each delivery costs). */
  callsByAction: Record<string, number>;
}

type Intake = (event: unknown, context: unknown) => Promise<unknown>;

async function pool<T>(items: T[], concurrency: number, work: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i] as T, i);
      }
    }),
  );
}

export async function seedFleet(ec2: EC2Client, count: number): Promise<string[]> {
  const images = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  const imageId = images.Images?.find((i) => i.ImageId)?.ImageId;
  const ids: string[] = [];
  // Opted in and probed on loopback, like the fleet the storm scenario seeds.
  const Tags = [
    { Key: 'medic:managed', Value: 'true' },
    { Key: 'medic:probe-address', Value: '127.0.0.1' },
  ];
  const TagSpecifications = [{ ResourceType: 'instance' as const, Tags }];
  while (ids.length < count) {
    const batch = Math.min(50, count - ids.length);
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: imageId,
        InstanceType: 't3.micro',
        MinCount: batch,
        MaxCount: batch,
        TagSpecifications,
      }),
    );
    for (const i of run.Instances ?? []) if (i.InstanceId) ids.push(i.InstanceId);
  }
  return ids;
}

/**
 * The organization's fleet: instance n lives in accounts[n % accounts.length], in that account
 * (the first is the central one, moto's default; the others are reached through their member role,
 * deployed here as the member stack would, so moto binds the instances to the member account).
 */
async function seedAcrossAccounts(
  central: EC2Client,
  endpoint: string,
  accounts: string[],
  count: number,
): Promise<{
  ids: string[];
  accountOf: (id: string) => string | undefined;
  ec2Of: (id: string) => EC2Client;
}> {
  const [home = '123456789012'] = accounts;
  const externalId = process.env.MEDIC_MEMBER_EXTERNAL_ID || undefined;
  const region = (await central.config.region()) ?? 'us-east-1';
  const local = { accessKeyId: 'medic-local', secretAccessKey: 'medic-local' };
  const clients = new Map<string, EC2Client>([[home, central]]);
  for (const account of accounts.slice(1)) {
    const roleArn = await createMemberRole(endpoint, {
      account,
      trustedAccount: home,
      ...(externalId ? { externalId } : {}),
    });
    const sts = new STSClient({ endpoint, region, credentials: local });
    const k = (
      await sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: 'medic-bench-seed',
          ...(externalId ? { ExternalId: externalId } : {}),
        }),
      )
    ).Credentials;
    if (!k?.AccessKeyId || !k.SecretAccessKey) throw new Error(`no credentials for account ${account}`);
    clients.set(
      account,
      new EC2Client({
        endpoint,
        region,
        credentials: {
          accessKeyId: k.AccessKeyId,
          secretAccessKey: k.SecretAccessKey,
          ...(k.SessionToken ? { sessionToken: k.SessionToken } : {}),
        },
      }),
    );
  }
  const perAccount = await Promise.all(
    accounts.map((account, a) =>
      seedFleet(
        clients.get(account) ?? central,
        Math.floor(count / accounts.length) + (a < count % accounts.length ? 1 : 0),
      ),
    ),
  );
  const ids: string[] = [];
  const where = new Map<string, string>();
  for (let n = 0; n < count; n++) {
    const a = n % accounts.length;
    const id = perAccount[a]?.[Math.floor(n / accounts.length)];
    const account = accounts[a];
    if (!id || !account) continue;
    ids.push(id);
    where.set(id, account);
  }
  return {
    ids,
    accountOf: (id) => where.get(id),
    ec2Of: (id) => clients.get(where.get(id) ?? home) ?? central,
  };
}

export async function stormIntake(options: {
  ec2: EC2Client;
  moto: Pick<LocalMoto, 'calls' | 'clearCalls' | 'endpoint'>;
  /** The real Admit handler: intake, dedupe, the guards and the locks in one invocation. */
  intake: Intake;
  instances: number;
  duplicates: number;
  concurrency: number;
  /**
   * An organization-wide storm: instance n alarms in accounts[n % accounts.length] (the events'
   * `account` and alarm ARN), so the bounds key, register and count them per account and across the
   * organization. Unset: every alarm in moto's default (the central) account.
   */
  accounts?: string[];
}): Promise<StormResult> {
  const accounts = options.accounts ?? [];
  const { ids, accountOf, ec2Of } = accounts.length
    ? await seedAcrossAccounts(options.ec2, options.moto.endpoint, accounts, options.instances)
    : {
        ids: await seedFleet(options.ec2, options.instances),
        accountOf: () => undefined,
        ec2Of: () => options.ec2,
      };
  const at = new Date(Date.now() - 60_000);
  const events: unknown[] = [];
  for (const [n, instanceId] of ids.entries()) {
    const event = alarmEvent({
      alarmName: `storm-${n} status check failed`,
      metric: 'StatusCheckFailed',
      reason:
        'Threshold Crossed: 2 out of the last 2 datapoints were greater than or equal to the threshold (1.0).',
      instanceId,
      at,
      ...(accountOf(instanceId) ? { account: accountOf(instanceId) } : {}),
    });
    for (let d = 0; d < options.duplicates; d++) events.push(structuredClone(event));
  }
  // Deterministic shuffle: duplicates arrive spread out and interleaved, as in a real storm.
  let seed = 42;
  for (let i = events.length - 1; i > 0; i--) {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    const j = seed % (i + 1);
    [events[i], events[j]] = [events[j], events[i]];
  }
  await options.moto.clearCalls();

  const opened = new Set<string>();
  const dispositions: Record<string, number> = {};
  const decidedByIntake: Record<string, number> = {};
  const openedPerInstance = new Map<string, number>();
  let incidentsCreated = 0;
  const rejected: Record<string, number> = {};
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  await pool(events, options.concurrency, async (event, i) => {
    const name = `storm-delivery-${i}`;
    try {
      const result = await options.intake(
        {
          event,
          execution: { id: `arn:aws:states:us-east-1:123456789012:execution:medic-bench:${name}`, name },
        },
        { functionName: 'medic-bench-admit', awsRequestId: name, getRemainingTimeInMillis: () => 30_000 },
      );
      const admitted = result as {
        admission?: { disposition?: string };
        targets?: { instanceId: string }[];
      };
      const disposition = admitted.admission?.disposition ?? 'unknown';
      dispositions[disposition] = (dispositions[disposition] ?? 0) + 1;
      // No targets: settled by the episode claim or the storm memo, before any EC2 lookup.
      if ((admitted.targets ?? []).length === 0)
        decidedByIntake[disposition] = (decidedByIntake[disposition] ?? 0) + 1;
      if (disposition !== 'open') return;
      for (const t of admitted.targets ?? [])
        openedPerInstance.set(t.instanceId, (openedPerInstance.get(t.instanceId) ?? 0) + 1);
      incidentsCreated++;
      opened.add(String((result as { incidentId?: unknown }).incidentId));
    } catch (error) {
      const key = (error as Error).name || 'Error';
      rejected[key] = (rejected[key] ?? 0) + 1;
    }
  });
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuStarted);
  const calls = await options.moto.calls();
  const startExecutionCalls = calls.filter((c) => c.action === 'StartExecution').length;
  const callsByAction: Record<string, number> = {};
  for (const c of calls) callsByAction[c.action] = (callsByAction[c.action] ?? 0) + 1;

  // Baseline: the floor for one moto round trip per event, same concurrency, no medic code.
  const baselineStarted = performance.now();
  await pool(events, options.concurrency, async (_event, i) => {
    const id = ids[i % ids.length] as string;
    await ec2Of(id).send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  });
  const baselineMs = performance.now() - baselineStarted;

  const ddb = new DynamoDBClient({ endpoint: options.moto.endpoint, region: 'us-east-1' });
  const TableName = 'medic-bench-episodes';
  await ddb.send(
    new CreateTableCommand({
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  let firstWrites = 0;
  const dedupeStarted = performance.now();
  await pool(events, options.concurrency, async (event) => {
    const key = (event as { resources: string[]; detail: { state: { timestamp: string } } }).resources[0];
    try {
      await ddb.send(
        new PutItemCommand({
          TableName,
          Item: {
            pk: {
              S: `${key}@${(event as { detail: { state: { timestamp: string } } }).detail.state.timestamp}`,
            },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      firstWrites++;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  });
  const dedupeMs = performance.now() - dedupeStarted;
  return {
    dedupeFloorEventsPerSecond: (events.length / dedupeMs) * 1000,
    dedupeFloorFirstWrites: firstWrites,
    dispositions,
    decidedByIntake,
    callsByAction,
    handlerCpuMsPerEvent: (cpu.user + cpu.system) / 1000 / events.length,
    instancesOpenedTwice: [...openedPerInstance.values()].filter((n) => n > 1).length,
    events: events.length,
    instances: ids.length,
    ms,
    eventsPerSecond: (events.length / ms) * 1000,
    incidentsCreated,
    distinctIncidents: opened.size,
    startExecutionCalls,
    rejected,
    baselineMs,
    baselineEventsPerSecond: (events.length / baselineMs) * 1000,
  };
}
