/**
 * What AWS does when a Task's TimeoutSeconds is not above its Lambda function's timeout: the state
 * fails with States.Timeout while the function keeps running, unseen (a Record still filing the
 * ticket while CloseAfterFailure files it again, an action landing after the workflow moved on). A
 * Task without any timeout waits up to Step Functions' default of 99,999,999 s; a task-token Task
 * without one waits for a callback that may never come. This check reads a definition and the
 * functions' timeouts and names every such Task.
 */

export interface TaskTimeoutCheck {
  state: string;
  functionId: string | null;
  timeoutSeconds: number | null;
  functionTimeout: number | null;
  callback: boolean;
}

export interface TaskTimeoutReport {
  tasks: TaskTimeoutCheck[];
  violations: string[];
}

/** Cold-start init and the invoke round trip happen inside the Task's time but outside the function's. */
export const MIN_MARGIN_SECONDS = 5;
/** A person answers an approval within a day or not at all. */
export const MAX_CALLBACK_SECONDS = 86_400;

const CALLBACK = '.waitForTaskToken';

type State = Record<string, unknown>;

/**
 * `resolve` turns a Task's Resource (or a lambda:invoke FunctionName) into a function logical id:
 * `{"Fn::GetAtt": [X, "Arn"]}` in the source definition, `${Var}` in the packaged template.
 * `boundedPaths` are TimeoutSecondsPath references whose value the configuration already bounds
 * (maximum in seconds).
 */
export function checkTaskTimeouts(
  definition: unknown,
  functionTimeouts: ReadonlyMap<string, number>,
  resolve: (target: unknown) => string | null,
  boundedPaths: Readonly<Record<string, number>> = {},
): TaskTimeoutReport {
  const tasks: TaskTimeoutCheck[] = [];
  const violations: string[] = [];
  const walk = (machine: { States?: Record<string, State> }) => {
    for (const [name, state] of Object.entries(machine.States ?? {})) {
      for (const branch of (state.Branches as { States?: Record<string, State> }[] | undefined) ?? [])
        walk(branch);
      const processor = (state.ItemProcessor ?? state.Iterator) as
        | { States?: Record<string, State> }
        | undefined;
      if (processor) walk(processor);
      if (state.Type !== 'Task') continue;
      const resource = state.Resource;
      const callback = typeof resource === 'string' && resource.endsWith(CALLBACK);
      const invoked =
        typeof resource === 'string' && resource.startsWith('arn:aws:states:::lambda:invoke')
          ? (state.Parameters as { FunctionName?: unknown } | undefined)?.FunctionName
          : resource;
      const functionId = resolve(invoked);
      const functionTimeout = functionId ? (functionTimeouts.get(functionId) ?? null) : null;
      const timeoutSeconds = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : null;
      const path = typeof state.TimeoutSecondsPath === 'string' ? state.TimeoutSecondsPath : null;
      tasks.push({ state: name, functionId, timeoutSeconds, functionTimeout, callback });
      if (functionTimeout === null) {
        violations.push(`${name}: invokes ${String(functionId)}, whose timeout is unknown`);
        continue;
      }
      if (timeoutSeconds === null && path === null) {
        violations.push(
          `${name}: no TimeoutSeconds (Step Functions would wait ${callback ? 'for the callback ' : ''}up to 99999999 s)`,
        );
        continue;
      }
      if (callback) {
        if (timeoutSeconds === null && path !== null && !(path in boundedPaths)) {
          violations.push(`${name}: TimeoutSecondsPath ${path} is not bounded by the configuration`);
          continue;
        }
        const ceiling = timeoutSeconds ?? boundedPaths[path ?? ''] ?? Number.POSITIVE_INFINITY;
        if (ceiling > MAX_CALLBACK_SECONDS)
          violations.push(`${name}: waits up to ${ceiling} s for a callback (more than a day)`);
        const heartbeat = state.HeartbeatSeconds;
        if (typeof heartbeat === 'number' && heartbeat >= ceiling)
          violations.push(`${name}: HeartbeatSeconds ${heartbeat} is not below the timeout ${ceiling}`);
        continue;
      }
      if (timeoutSeconds === null) {
        violations.push(
          `${name}: TimeoutSecondsPath on a plain Lambda Task cannot be checked against ${functionId}`,
        );
        continue;
      }
      if (timeoutSeconds < functionTimeout + MIN_MARGIN_SECONDS)
        violations.push(
          `${name}: TimeoutSeconds ${timeoutSeconds} does not exceed ${functionId}'s timeout ${functionTimeout} s by ${MIN_MARGIN_SECONDS} s`,
        );
    }
  };
  walk(definition as { States?: Record<string, State> });
  return { tasks, violations };
}
