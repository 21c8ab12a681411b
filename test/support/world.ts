/**
 * The safety harness: the real ASL and handlers run in this process (as `medic simulate` runs them)
 * against the substrate's moto and local Jira, so a test can deliver many events at once, inject
 * faults between steps and read what AWS, Jira and the stakeholders' inbox actually got.
 */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { EventLog, LocalRunResult } from '../../local/engine.ts';
import { setupScenario } from '../../local/scenarios.ts';
import { configureEnvironment, ensureLocalCanary, ensureTopic } from '../../local/simulate.ts';
import { ensureTables } from '../../local/tables.ts';
import type { IncidentState } from '../../shared/domain/model.ts';
import { normalise } from '../../shared/domain/normalise.ts';
import { inboxMessages, type Substrate, startSubstrate } from './substrate.ts';

export const MUTATING = /^(RebootInstances|StopInstances|StartInstances|TerminateInstances)$/;

export interface World {
  s: Substrate;
  ec2: EC2Client;
  dynamo: DynamoDBClient;
  /** Fresh moto state: topic, inbox and tables recreated; Jira keeps its issues (use jiraSince). */
  reset(): Promise<void>;
  seed(scenario: string): Promise<{
    event: Record<string, unknown>;
    instanceId: string;
    teardown(): Promise<void>;
    setMode(mode: 'healthy' | 'hung' | 'down'): Promise<void>;
  }>;
  tag(instanceId: string, key: string, value: string): Promise<void>;
  run(
    event: unknown,
    options?: { name?: string; onEvent?: (e: EventLog) => void; retryMs?: number },
  ): Promise<LocalRunResult & { state: IncidentState | undefined }>;
  mutatingCalls(): Promise<{ action: string; params: Record<string, unknown> }[]>;
  inbox(): Promise<{ subject: string; body: string; attributes: Record<string, string> }[]>;
  safetyItems(prefix: string): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

export async function startWorld(env: Record<string, string> = {}): Promise<World> {
  const s = await startSubstrate();
  Object.assign(process.env, { AWS_REGION: 'us-east-1', MEDIC_LOG_LEVEL: 'SILENT', ...env });
  configureEnvironment(s.moto.endpoint, {
    baseUrl: s.jira.baseUrl,
    email: 'medic@example.com',
    token: 'local-token',
    project: 'OPS',
  });
  await ensureLocalCanary();
  const clientConfig = {
    endpoint: s.moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'medic-local', secretAccessKey: 'medic-local' },
  };
  const ec2 = new EC2Client(clientConfig);
  const dynamo = new DynamoDBClient(clientConfig);
  const prepare = async () => {
    process.env.MEDIC_STAKEHOLDER_TOPIC_ARN = await ensureTopic(
      new SNSClient(clientConfig),
      new SQSClient(clientConfig),
    );
    process.env.MEDIC_SAFETY_TABLE = (await ensureTables(dynamo)).get('SafetyTable') ?? '';
  };
  await prepare();
  const { loadLocalMachine } = await import('../../local/engine.ts');
  const machine = await loadLocalMachine();
  const teardowns: (() => Promise<void>)[] = [];

  return {
    s,
    ec2,
    dynamo,
    async reset() {
      for (const t of teardowns.splice(0)) await t();
      await s.moto.clearAwsErrors();
      s.jira.setFaults({});
      await s.moto.reset();
      await prepare();
    },
    async seed(scenario) {
      const world = await setupScenario(scenario, { ec2, moto: s.moto, now: new Date() });
      teardowns.push(() => world.teardown());
      return {
        event: world.event as Record<string, unknown>,
        instanceId: world.instanceIds[0] ?? '',
        teardown: () => world.teardown(),
        setMode: async (mode: 'healthy' | 'hung' | 'down') =>
          world.setMode?.(world.instanceIds[0] ?? '', mode),
      };
    },
    async tag(instanceId, key, value) {
      await ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: key, Value: value }] }));
    },
    async run(event, options = {}) {
      let name = options.name;
      if (!name) {
        try {
          name = normalise(event).episodeKey;
        } catch {
          name = `medic-test-${Date.now()}`;
        }
      }
      const result = await machine.run(event, {
        executionName: name,
        waitMs: 150,
        retryMs: options.retryMs ?? 100,
        ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      });
      const state = (
        result.status === 'SUCCEEDED' ? result.output : result.lastOutputs.get('CloseAfterFailure')
      ) as IncidentState | undefined;
      return { ...result, state };
    },
    async mutatingCalls() {
      return (await s.moto.calls()).filter((c) => MUTATING.test(c.action) && c.params.DryRun !== 'true');
    },
    inbox: () => inboxMessages(s.moto.endpoint),
    async safetyItems(prefix) {
      const out = await dynamo.send(new ScanCommand({ TableName: process.env.MEDIC_SAFETY_TABLE }));
      return (out.Items ?? [])
        .filter((i) => i.pk?.S?.startsWith(prefix))
        .map((i) => Object.fromEntries(Object.entries(i).map(([k, v]) => [k, v.S ?? v.N ?? v.L ?? v])));
    },
    async stop() {
      for (const t of teardowns.splice(0)) await t().catch(() => undefined);
      await s.stop();
    },
  };
}

/** An OK transition for the same alarm (what CloudWatch sends when it recovers). */
export function okEventFor(alarm: Record<string, unknown>, at: Date): Record<string, unknown> {
  const detail = alarm.detail as Record<string, unknown>;
  return {
    ...alarm,
    id: `ok-${at.getTime()}`,
    detail: {
      ...detail,
      state: { value: 'OK', reason: 'Threshold Crossed: recovered', timestamp: at.toISOString() },
      previousState: { value: 'ALARM' },
    },
  };
}
