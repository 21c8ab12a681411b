/** Test substrate: one moto and one local Jira per test file, and the medic CLI as a subprocess. */
import { join } from 'node:path';
import { GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { LocalJira } from '../../local/jira-server.ts';
import { type LocalMoto, startMoto } from '../../local/moto.ts';
import { LOCAL_INBOX } from '../../local/simulate.ts';
import { runProcess } from '../../scripts/package.ts';
import { startLocalJira } from './jira.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'medic.mjs');

export interface Substrate {
  moto: LocalMoto;
  jira: LocalJira;
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startSubstrate(): Promise<Substrate> {
  const [moto, jira] = await Promise.all([startMoto(), startLocalJira()]);
  return {
    moto,
    jira,
    env: {
      AWS_ENDPOINT_URL: moto.endpoint,
      JIRA_BASE_URL: jira.baseUrl,
      JIRA_EMAIL: 'medic@example.com',
      JIRA_API_TOKEN: 'local-token',
      JIRA_PROJECT_KEY: 'OPS',
      MEDIC_SIM_WAIT_MS: '200',
    },
    async stop() {
      await Promise.all([moto.stop(), jira.close()]);
    },
  };
}

/**
 * One substrate for the calling test file: started before its tests, stopped after them, and (with
 * `resetEachTest`) moto emptied before each test so no run sees another's instances. The object is
 * filled in by the start; `started` runs right after it (the environment a file's runs share).
 */
export function useSubstrate(
  opts: { resetEachTest?: boolean; started?: (s: Substrate) => void } = {},
): Substrate {
  const s = {} as Substrate;
  beforeAll(async () => {
    Object.assign(s, await startSubstrate());
    opts.started?.(s);
  });
  afterAll(async () => {
    await s.stop?.();
  });
  if (opts.resetEachTest) {
    beforeEach(async () => {
      await s.moto.reset();
    });
  }
  return s;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `medic …` on the project's Node (the one running the tests), bounded in time. */
export async function runMedic(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 90_000,
): Promise<CliRun> {
  const { code, stdout, stderr } = await runProcess(process.execPath, [BIN, ...args], {
    cwd: process.cwd(),
    env: { ...process.env, ...env, AWS_REGION: 'us-east-1' },
    timeoutMs,
    capture: true,
  });
  return { code, stdout, stderr };
}

/** Reads every message the stakeholder topic delivered to the local inbox queue (bounded). */
export async function inboxMessages(
  endpoint: string,
): Promise<{ subject: string; body: string; attributes: Record<string, string> }[]> {
  const sqs = new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 't', secretAccessKey: 't' },
  });
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: LOCAL_INBOX }));
  const out: { subject: string; body: string; attributes: Record<string, string> }[] = [];
  for (let i = 0; i < 20; i++) {
    const batch = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (!batch.Messages?.length) break;
    for (const m of batch.Messages) {
      const envelope = JSON.parse(m.Body ?? '{}') as {
        Subject?: string;
        Message?: string;
        MessageAttributes?: Record<string, { Value: string }>;
      };
      out.push({
        subject: envelope.Subject ?? '',
        body: envelope.Message ?? '',
        attributes: Object.fromEntries(
          Object.entries(envelope.MessageAttributes ?? {}).map(([k, v]) => [k, v.Value]),
        ),
      });
    }
  }
  return out;
}
