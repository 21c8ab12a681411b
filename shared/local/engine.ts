/**
 * Runs the real state machine definition (statemachines/incident.asl.json) with
 * aws-local-stepfunctions, invoking the real handlers in-process. The Task → handler mapping is
 * derived, never hand-kept: each Task's Resource names a CloudFormation logical id
 * (`Fn::GetAtt: [IntakeLambdaFunction, Arn]`), serverless.yml maps function names to handler files,
 * and the Serverless Framework's naming rule links the two.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { StateMachine } from 'aws-local-stepfunctions';

/** The slice of aws-local-stepfunctions' execution event log medic reads (the type is not exported). */
export interface EventLog {
  type: string;
  state?: { name: string; type: string; input: unknown; output?: unknown };
}

import { parse as parseYaml } from 'yaml';
import { LocalSubstrateError } from '../errors.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFINITION_PATH = join(ROOT, 'statemachines', 'incident.asl.json');
export const SERVERLESS_PATH = join(ROOT, 'serverless.yml');

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Handler = (event: unknown, context: unknown) => Promise<unknown>;

/** Serverless Framework v3 logical id of a function: `record` → `RecordLambdaFunction`. */
export function logicalIdOf(functionName: string): string {
  const normalized = functionName.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return `${normalized.charAt(0).toUpperCase()}${normalized.slice(1)}LambdaFunction`;
}

/** logical id → handler module path + export, from serverless.yml. */
export function handlersFromServerless(
  path = SERVERLESS_PATH,
): Map<string, { file: string; exportName: string }> {
  const doc = parseYaml(readFileSync(path, 'utf8'), { logLevel: 'silent' }) as {
    functions?: Record<string, { handler?: string }>;
  };
  const out = new Map<string, { file: string; exportName: string }>();
  for (const [name, fn] of Object.entries(doc.functions ?? {})) {
    if (!fn.handler) continue;
    const dot = fn.handler.lastIndexOf('.');
    out.set(logicalIdOf(name), {
      file: join(ROOT, `${fn.handler.slice(0, dot)}.ts`),
      exportName: fn.handler.slice(dot + 1),
    });
  }
  return out;
}

export interface TaskBinding {
  stateName: string;
  logicalId: string;
}

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
      if (state.Type === 'Wait') waits.push(name);
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

export interface LocalRunOptions {
  executionName: string;
  /** Every Wait state lasts this long locally (configuration, not an edit of the definition). */
  waitMs: number;
  /** Every Retry pause lasts this long locally. */
  retryMs: number;
  onEvent?: (event: EventLog) => void;
}

export interface LocalRunResult {
  status: 'SUCCEEDED' | 'FAILED';
  output: unknown;
  error: { Error: string; Cause: unknown } | null;
  /** The last output of each state by name (e.g. RecordFailure's on a failed run). */
  lastOutputs: Map<string, unknown>;
  transitions: number;
}

export async function loadLocalMachine() {
  const raw = JSON.parse(readFileSync(DEFINITION_PATH, 'utf8')) as Json;
  const { definition, tasks, waits } = prepareDefinition(raw);
  const bindings = handlersFromServerless();
  const handlers: Record<string, (input: unknown) => Promise<Json>> = {};
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
    const mod = (await import(pathToFileURL(binding.file).href)) as Record<string, Handler>;
    const handler = mod[binding.exportName];
    if (typeof handler !== 'function')
      throw new LocalSubstrateError(`${binding.file} does not export ${binding.exportName}`);
    handlers[task.stateName] = async (input) => (await handler(input, { ...context })) as Json;
  }
  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });

  return {
    tasks,
    waits,
    async run(input: unknown, options: LocalRunOptions): Promise<LocalRunResult> {
      const waitTimeOverrides = Object.fromEntries(waits.map((w) => [w, options.waitMs]));
      const retryIntervalOverrides = Object.fromEntries(tasks.map((t) => [t.stateName, options.retryMs]));
      const execution = machine.run(input as never, {
        overrides: {
          taskResourceLocalHandlers: handlers as never,
          waitTimeOverrides,
          retryIntervalOverrides,
        },
        context: {
          Execution: {
            // Each execution has its own id, as in AWS (issue #5: dedupe must not rely on ids colliding).
            Id: `local:${options.executionName}:${randomUUID()}`,
            Name: options.executionName,
            Input: input as never,
            StartTime: new Date().toISOString(),
          },
        },
      });
      const lastOutputs = new Map<string, unknown>();
      let transitions = 0;
      const drain = (async () => {
        for await (const event of execution.eventLogs as AsyncGenerator<EventLog>) {
          if (event.type === 'StateEntered') transitions++;
          if (event.type === 'StateExited' && event.state)
            lastOutputs.set(event.state.name, event.state.output);
          options.onEvent?.(event);
        }
      })();
      try {
        const output = await execution.result;
        await drain;
        return { status: 'SUCCEEDED', output, error: null, lastOutputs, transitions };
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
        };
      }
    },
  };
}
