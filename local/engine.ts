/**
 * Runs the real state machine definition (statemachines/incident.asl.json) with
 * aws-local-stepfunctions, invoking the real handlers in-process. The Task → handler mapping is
 * derived, never hand-kept: each Task's Resource names a CloudFormation logical id
 * (`Fn::GetAtt: [IntakeLambdaFunction, Arn]`), serverless.yml maps function names to handler files,
 * and the Serverless Framework's naming rule links the two.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { StateMachine } from 'aws-local-stepfunctions';

/** The slice of aws-local-stepfunctions' execution event log medic reads (the type is not exported). */
export interface EventLog {
  type: string;
  state?: { name: string; type: string; input: unknown; output?: unknown };
}

import { parse as parseYaml } from 'yaml';
import { LocalSubstrateError } from '../shared/errors.ts';
import { asFunction } from './aws-recorder.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFINITION_PATH = join(ROOT, 'statemachines', 'incident.asl.json');
export const SERVERLESS_PATH = join(ROOT, 'serverless.yml');

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Handler = (event: unknown, context: unknown) => Promise<unknown>;

/** Serverless Framework v3 logical id of a function: `record` → `RecordLambdaFunction`. */
export function logicalIdOf(functionName: string): string {
  const normalized = functionName.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return `${normalized.charAt(0).toUpperCase()}${normalized.slice(1)}LambdaFunction`;
}

/** logical id → function name, handler module path + export, from serverless.yml. */
export function handlersFromServerless(
  path = SERVERLESS_PATH,
): Map<string, { functionName: string; file: string; exportName: string }> {
  const doc = parseYaml(readFileSync(path, 'utf8'), { logLevel: 'silent' }) as {
    functions?: Record<string, { handler?: string }>;
  };
  const out = new Map<string, { functionName: string; file: string; exportName: string }>();
  for (const [name, fn] of Object.entries(doc.functions ?? {})) {
    if (!fn.handler) continue;
    const dot = fn.handler.lastIndexOf('.');
    out.set(logicalIdOf(name), {
      functionName: name,
      file: join(ROOT, `${fn.handler.slice(0, dot)}.ts`),
      exportName: fn.handler.slice(dot + 1),
    });
  }
  return out;
}

export interface TaskBinding {
  stateName: string;
  logicalId: string;
  /** `arn:aws:states:::lambda:invoke.waitForTaskToken`: paused until a callback. */
  callback?: boolean;
}

const INVOKE_WAIT = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/**
 * Walks the definition (into Parallel branches and Map processors), lists Task and Wait states,
 * and rewrites each `Fn::GetAtt` Resource into a placeholder ARN the local engine accepts.
 */
export function prepareDefinition(definition: Json): {
  definition: Json;
  tasks: TaskBinding[];
  waits: string[];
} {
  const tasks: TaskBinding[] = [];
  const waits: string[] = [];
  const copy = structuredClone(definition) as { States?: Record<string, Record<string, Json>> };
  const walk = (machine: { States?: Record<string, Record<string, Json>> }) => {
    for (const [name, state] of Object.entries(machine.States ?? {})) {
      // A Wait until a timestamp (a planned incident's window) lasts until then, as in AWS; a Task
      // that asks for one further ahead than a local run may wait has it cut short (localWaitUntil).
      if (state.Type === 'Wait' && state.TimestampPath === undefined) waits.push(name);
      if (state.Type === 'Task' && state.Resource === INVOKE_WAIT) {
        // The Lambda receives only the Payload; the engine then pauses for SendTaskSuccess/Failure.
        const params = state.Parameters as {
          FunctionName?: { 'Fn::GetAtt'?: [string, string] };
          Payload?: Json;
        };
        const logicalId = params?.FunctionName?.['Fn::GetAtt']?.[0];
        if (!logicalId) throw new LocalSubstrateError(`Task ${name} has no Fn::GetAtt FunctionName`);
        tasks.push({ stateName: name, logicalId, callback: true });
        state.Resource = `arn:aws:lambda:us-east-1:123456789012:function:medic-local-${logicalId}`;
        state.Parameters = params.Payload ?? {};
        continue;
      }
      if (state.Type === 'Task') {
        const resource = state.Resource as { 'Fn::GetAtt'?: [string, string] } | string;
        const logicalId = typeof resource === 'object' ? resource['Fn::GetAtt']?.[0] : undefined;
        if (!logicalId) throw new LocalSubstrateError(`Task ${name} has no Fn::GetAtt Lambda resource`);
        tasks.push({ stateName: name, logicalId });
        state.Resource = `arn:aws:lambda:us-east-1:123456789012:function:medic-local-${logicalId}`;
      }
      for (const branch of (state.Branches as Json[] | undefined) ?? []) walk(branch as never);
      const processor = (state.ItemProcessor ?? state.Iterator) as Json | undefined;
      if (processor) walk(processor as never);
    }
  };
  walk(copy);
  return { definition: copy as Json, tasks, waits };
}

/** The longest a local run waits for a timestamp (a planned-work window): seconds, not days. */
export const LOCAL_MAX_TIMESTAMP_WAIT_MS = 20_000;

/**
 * A move that waits until a timestamp (Decide's `wait`) further ahead than a local run may wait is
 * cut to that bound: the run goes on as a deployed one would after the window opened too early, and
 * Decide, seeing the window still closed, pages with it instead of acting outside it.
 */
export function localWaitUntil<T>(output: T, now = Date.now()): T {
  const move = (output as { move?: { kind?: string; until?: string } } | null)?.move;
  if (move?.kind !== 'wait' || typeof move.until !== 'string') return output;
  const until = Date.parse(move.until);
  if (Number.isNaN(until) || until - now <= LOCAL_MAX_TIMESTAMP_WAIT_MS) return output;
  const cut = `${new Date(now + LOCAL_MAX_TIMESTAMP_WAIT_MS).toISOString().slice(0, 19)}Z`;
  return { ...(output as object), move: { ...move, until: cut } } as T;
}

export interface LocalRunOptions {
  executionName: string;
  /** Every Wait state lasts this long locally (configuration, not an edit of the definition). */
  waitMs: number;
  /** Every Retry pause lasts this long locally. */
  retryMs: number;
  onEvent?: (event: EventLog) => void;
  /** Sees the size of every state input and output (the engine itself enforces no payload limit). */
  onState?: (sample: StateSize) => void;
  /**
   * Task-token pauses: the engine has no callback mechanism, so a local one stands in.
   * The paused task resolves only when SendTaskSuccess/SendTaskFailure reaches `callbacks`
   * (through the real SDK); `approver` plays the person who received the request.
   */
  callbacks?: CallbackServer;
  approver?: (request: { stateName: string; taskToken: string; result: unknown }) => Promise<void>;
  /**
   * Stands between the engine and every Task's handler (chaos runs): it may fail before calling
   * `invoke`, call it and then fail as a lost answer would, or call it twice as an at-least-once
   * redelivery would. A thrown error's `name` is what the definition's Retry/Catch match.
   */
  interceptTask?: (call: TaskCall) => Promise<unknown>;
  /** Awaited before each Task's handler: lets a test change the world at an exact point of the run. */
  beforeTask?: (stateName: string, input: unknown) => Promise<void>;
}

export interface TaskCall {
  stateName: string;
  input: unknown;
  invoke: (input: unknown) => Promise<unknown>;
}

export interface LocalRunResult {
  status: 'SUCCEEDED' | 'FAILED';
  output: unknown;
  error: { Error: string; Cause: unknown } | null;
  /** The last output of each state by name (e.g. CloseAfterFailure's on a failed run). */
  lastOutputs: Map<string, unknown>;
  transitions: number;
  /** The largest input or output of any state in the run, in UTF-8 bytes (AWS's limit is 256 KiB). */
  maxStateBytes: number;
}

/** One state input or output, measured as Step Functions measures its payload quota. */
export interface StateSize {
  state: string;
  /** input/output: the state's; parameters/result: what a Task hands its Lambda and what it gets back. */
  phase: 'input' | 'output' | 'parameters' | 'result';
  bytes: number;
}

/** Step Functions counts a payload as its JSON text encoded in UTF-8 (not in UTF-16 code units). */
export function payloadBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');
}

/** Measures each state's input on entry and output on exit, including states inside Map and Parallel. */
export function stateSizes(event: EventLog): StateSize[] {
  if (!event.state) return [];
  if (event.type === 'StateEntered')
    return [{ state: event.state.name, phase: 'input', bytes: payloadBytes(event.state.input) }];
  if (event.type === 'StateExited')
    return [{ state: event.state.name, phase: 'output', bytes: payloadBytes(event.state.output) }];
  return [];
}

export async function loadLocalMachine() {
  const raw = JSON.parse(readFileSync(DEFINITION_PATH, 'utf8')) as Json;
  const { definition, tasks, waits } = prepareDefinition(raw);
  const bindings = handlersFromServerless();
  const handlers: Record<string, (input: unknown) => Promise<Json>> = {};
  const callbackTasks = new Set<string>();
  const context = {
    functionName: 'medic-local',
    awsRequestId: 'local',
    getRemainingTimeInMillis: () => 30_000,
  };
  for (const task of tasks) {
    const binding = bindings.get(task.logicalId);
    if (!binding)
      throw new LocalSubstrateError(
        `Task ${task.stateName} uses ${task.logicalId}, which serverless.yml does not define`,
      );
    if (!existsSync(binding.file))
      throw new LocalSubstrateError(`Task ${task.stateName}: handler file ${binding.file} does not exist`);
    // Imported on first use: a run only pays for the handlers (and SDK clients) it reaches.
    let loaded: Promise<Handler> | undefined;
    const load = () => {
      loaded ??= import(pathToFileURL(binding.file).href).then((mod: Record<string, Handler>) => {
        const handler = mod[binding.exportName];
        if (typeof handler !== 'function')
          throw new LocalSubstrateError(`${binding.file} does not export ${binding.exportName}`);
        return handler;
      });
      return loaded;
    };
    // Each invocation runs as its deployed function, so the AWS calls it makes are attributed to
    // that function's IAM role (the IAM check records them).
    handlers[task.stateName] = async (input) => {
      const handler = await load();
      return (await asFunction(binding.functionName, () =>
        handler(input, { ...context, functionName: `medic-local-${binding.functionName}` }),
      )) as Json;
    };
    if (task.callback) callbackTasks.add(task.stateName);
  }
  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });

  return {
    tasks,
    waits,
    async run(input: unknown, options: LocalRunOptions): Promise<LocalRunResult> {
      const waitTimeOverrides = Object.fromEntries(waits.map((w) => [w, options.waitMs]));
      const retryIntervalOverrides = Object.fromEntries(tasks.map((t) => [t.stateName, options.retryMs]));
      const local = { ...handlers };
      const before = options.beforeTask;
      if (before) {
        for (const [stateName, invoke] of Object.entries(handlers)) {
          local[stateName] = async (payload) => {
            await before(stateName, payload);
            return invoke(payload);
          };
        }
      }
      for (const [stateName, invoke] of Object.entries(local)) {
        local[stateName] = async (payload) => localWaitUntil(await invoke(payload));
      }
      for (const stateName of callbackTasks) {
        const invoke = local[stateName];
        if (!invoke) continue;
        local[stateName] = async (payload) => {
          const callbacks = options.callbacks;
          if (!callbacks)
            throw new LocalSubstrateError(
              `${stateName} waits for a task token but no callback server was given`,
            );
          // A fresh token per pause, as Step Functions issues one per task.
          const taskToken = `local-task-token-${randomUUID()}`;
          // The token expires with the state's timeout, so a late answer gets TaskTimedOut, as in AWS.
          const timeoutSeconds = (payload as { settings?: { approvalTimeoutSeconds?: number } }).settings
            ?.approvalTimeoutSeconds;
          const decided = callbacks.expect(taskToken, timeoutSeconds ? timeoutSeconds * 1000 : undefined);
          decided.catch(() => undefined); // settled before it is awaited when the approver answers at once
          const result = await invoke({ ...(payload as Record<string, Json>), taskToken });
          await options.approver?.({ stateName, taskToken, result });
          return (await decided) as Json;
        };
      }
      let maxStateBytes = 0;
      const measure = (sample: StateSize) => {
        maxStateBytes = Math.max(maxStateBytes, sample.bytes);
        options.onState?.(sample);
      };
      // AWS also limits a Task's input after Parameters and the Lambda's result before ResultPath.
      for (const [state, invoke] of Object.entries(local)) {
        local[state] = async (payload) => {
          measure({ state, phase: 'parameters', bytes: payloadBytes(payload) });
          const result = await invoke(payload);
          measure({ state, phase: 'result', bytes: payloadBytes(result) });
          return result;
        };
      }
      const intercept = options.interceptTask;
      if (intercept) {
        for (const [stateName, invoke] of Object.entries(local)) {
          local[stateName] = async (payload) =>
            (await intercept({ stateName, input: payload, invoke: (i) => invoke(i as Json) })) as Json;
        }
      }
      const execution = machine.run(input as never, {
        overrides: {
          taskResourceLocalHandlers: local as never,
          waitTimeOverrides,
          retryIntervalOverrides,
        },
        context: {
          Execution: {
            // Each execution has its own id, as in AWS: dedupe must not rely on ids colliding.
            Id: `local:${options.executionName}:${randomUUID()}`,
            Name: options.executionName,
            Input: input as never,
            StartTime: new Date().toISOString(),
          },
          // Makes `$$.Task.Token` resolvable; the callback handler above issues the real one.
          Task: { Token: 'local-task-token' },
        } as never,
      });
      const lastOutputs = new Map<string, unknown>();
      let transitions = 0;
      const drain = (async () => {
        for await (const event of execution.eventLogs as AsyncGenerator<EventLog>) {
          for (const sample of stateSizes(event)) measure(sample);
          if (event.type === 'StateEntered') transitions++;
          if (event.type === 'StateExited' && event.state)
            lastOutputs.set(event.state.name, event.state.output);
          options.onEvent?.(event);
        }
      })();
      try {
        const output = await execution.result;
        await drain;
        return { status: 'SUCCEEDED', output, error: null, lastOutputs, transitions, maxStateBytes };
      } catch (error) {
        await drain.catch(() => undefined);
        const e = error as { name?: string; message?: string; cause?: { name?: string; message?: string } };
        const cause = e.cause ?? e;
        return {
          status: 'FAILED',
          output: null,
          error: { Error: cause.name ?? 'Error', Cause: cause.message ?? String(error) },
          lastOutputs,
          transitions,
          maxStateBytes,
        };
      }
    },
  };
}

/**
 * Stands in for Step Functions' SendTaskSuccess / SendTaskFailure (AWS JSON 1.0 protocol) on
 * loopback, so the real approval function, with the real SDK client (`AWS_ENDPOINT_URL_SFN`),
 * resumes a paused local task. A token that is not waiting (timed out, already decided, unknown)
 * is answered with Step Functions' own error names.
 */
export interface CallbackServer {
  endpoint: string;
  /**
   * Registers a token; the promise settles with the decision (or rejects with the failure). After
   * `expiresInMs` the token stops waiting (the engine's own Task timeout fails the state).
   */
  expect(taskToken: string, expiresInMs?: number): Promise<unknown>;
  close(): Promise<void>;
}

export async function startCallbackServer(): Promise<CallbackServer> {
  const waiting = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const answered = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: Record<string, unknown>) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify(body));
      };
      const target = String(req.headers['x-amz-target'] ?? '');
      let body: { taskToken?: string; output?: string; error?: string; cause?: string };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        return reply(400, { __type: 'InvalidOutput', message: 'body is not JSON' });
      }
      const token = body.taskToken ?? '';
      const pending = waiting.get(token);
      if (!pending) {
        return reply(400, {
          __type: answered.has(token) ? 'TaskTimedOut' : 'TaskDoesNotExist',
          message: 'Task Timed Out or does not exist',
        });
      }
      waiting.delete(token);
      answered.add(token);
      if (target.endsWith('.SendTaskSuccess')) {
        pending.resolve(JSON.parse(body.output ?? 'null'));
        return reply(200, {});
      }
      if (target.endsWith('.SendTaskFailure')) {
        const error = new Error(body.cause ?? '');
        error.name = body.error ?? 'States.TaskFailed';
        pending.reject(error);
        return reply(200, {});
      }
      return reply(400, { __type: 'UnknownOperationException', message: target });
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    expect(taskToken, expiresInMs) {
      if (expiresInMs !== undefined) {
        setTimeout(() => {
          if (waiting.delete(taskToken)) answered.add(taskToken);
        }, expiresInMs).unref();
      }
      return new Promise((resolve, reject) => {
        waiting.set(taskToken, { resolve, reject });
      });
    },
    close() {
      // A token still waiting now belongs to a task the engine already timed out.
      for (const token of waiting.keys()) answered.add(token);
      waiting.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
