/**
 * Records which deployed function made which AWS API call during a local run, so the IAM check
 * (`npm run iam:check`) evaluates what the handlers really called, never a hand-kept list.
 *
 * Every local invocation of a handler runs inside `asFunction(name, …)` (the engine does it for
 * each Task state; the harness does it for the functions no Task invokes). The AWS SDK v3 clients
 * all inherit `send` from one smithy `Client` class: wrapping it once sees every call, with the
 * function name taken from the AsyncLocalStorage of the invocation that made it. Calls made outside
 * any function (scenario seeding, test assertions) belong to nobody and are not recorded.
 * Test and tooling infrastructure only: no deployed code imports this module.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { sendOwners } from './sdk-clients.ts';

export interface RecordedCall {
  /** The serverless.yml function name (`reboot`, `healthSweep`, …). */
  functionName: string;
  /** The SDK's service id (`EC2`, `SSM`, `DynamoDB`, `Auto Scaling`, …). */
  service: string;
  /** The API operation (`RebootInstances`). */
  operation: string;
  region: string;
  input: Record<string, unknown>;
  /** The error name when the call failed (an AWS error or a network failure). */
  error: string | null;
}

const invocation = new AsyncLocalStorage<{ functionName: string }>();
const sessions = new Set<RecordedCall[]>();
const PATCHED = Symbol.for('medic.awsRecorder.patched');

/** Runs `fn` as one invocation of the deployed function `functionName`. */
export function asFunction<T>(functionName: string, fn: () => T): T {
  return invocation.run({ functionName }, fn);
}

type Send = (this: SdkClient, command: SdkCommand, ...rest: unknown[]) => unknown;
interface SdkClient {
  config: { serviceId?: string; region?: string | (() => Promise<string>) };
}
interface SdkCommand {
  input?: Record<string, unknown>;
  constructor: { name: string };
}

/** The input as sent (later changes by the SDK or the caller do not leak into the record). */
function copyOf(input: Record<string, unknown>): Record<string, unknown> {
  try {
    return structuredClone(input);
  } catch {
    return { ...input };
  }
}

async function regionOf(client: SdkClient): Promise<string> {
  const region = client.config.region;
  return (typeof region === 'function' ? await region() : region) ?? '';
}

function install(): void {
  for (const owner of sendOwners() as Record<string | symbol, unknown>[]) {
    if (owner[PATCHED]) continue;
    const original = owner.send as Send;
    owner.send = function recordedSend(this: SdkClient, command: SdkCommand, ...rest: unknown[]) {
      const store = invocation.getStore();
      if (!store || sessions.size === 0) return original.call(this, command, ...rest);
      // A DynamoDB document-client command (PutCommand) wraps the API operation IAM authorizes
      // (PutItem); record that one.
      const wire = (command as SdkCommand & { clientCommand?: SdkCommand }).clientCommand ?? command;
      const call: RecordedCall = {
        functionName: store.functionName,
        service: this.config.serviceId ?? 'unknown',
        operation: wire.constructor.name.replace(/Command$/, ''),
        region: '',
        input: copyOf(command.input ?? {}),
        error: null,
      };
      for (const session of sessions) session.push(call);
      const result = original.call(this, command, ...rest) as Promise<unknown> | undefined;
      // The region resolves asynchronously; the call is kept whatever its outcome.
      void regionOf(this).then(
        (region) => {
          call.region = region;
        },
        () => undefined,
      );
      if (typeof result?.then !== 'function') return result;
      return result.then(
        (output) => output,
        (error: unknown) => {
          call.error = (error as { name?: string }).name ?? 'Error';
          throw error;
        },
      );
    };
    owner[PATCHED] = true;
  }
}

/** Starts recording; `stop()` returns every call made by a function since then, oldest first. */
export function startRecording(): { calls: RecordedCall[]; stop(): RecordedCall[] } {
  install();
  const calls: RecordedCall[] = [];
  sessions.add(calls);
  return {
    calls,
    stop() {
      sessions.delete(calls);
      return calls;
    },
  };
}
