/** Step Functions adapter: start (dedupe by name), inspect and answer executions. */
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { NotFoundError } from '../errors.ts';
import type { StartedExecution, WorkflowPort } from '../ports.ts';
import { callAws } from './aws-errors.ts';

export interface ExecutionView {
  executionArn: string;
  name: string;
  status: string;
  startDate: string | null;
  stopDate: string | null;
  input: unknown;
  output: unknown;
  error: string | null;
  cause: string | null;
}

const parse = (text: string | undefined): unknown => {
  if (text === undefined) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/** arn:…:stateMachine:NAME → arn:…:execution:NAME:EXECUTION */
export function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

export function stepFunctions(client: SFNClient, stateMachineArn: string) {
  const workflow: WorkflowPort = {
    async start(name, input): Promise<StartedExecution> {
      // StartExecution with the name and input of a RUNNING execution succeeds and returns that
      // execution, so "did we start it?" is asked first; a race between two deliveries still
      // starts one execution (Step Functions guarantees it), it is only reported twice.
      const existing = executionArnFor(stateMachineArn, name);
      try {
        await client.send(new DescribeExecutionCommand({ executionArn: existing }));
        return { executionArn: existing, started: false };
      } catch (error) {
        if ((error as Error).name !== 'ExecutionDoesNotExist') throw error;
      }
      try {
        const out = await callAws('StartExecution', () =>
          client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) })),
        );
        return { executionArn: out.executionArn ?? executionArnFor(stateMachineArn, name), started: true };
      } catch (error) {
        if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') {
          return { executionArn: executionArnFor(stateMachineArn, name), started: false };
        }
        throw error;
      }
    },
  };
  return {
    ...workflow,
    stateMachineArn,
    async describe(executionArn: string): Promise<ExecutionView> {
      try {
        const out = await client.send(new DescribeExecutionCommand({ executionArn }));
        return {
          executionArn,
          name: out.name ?? executionArn.split(':').at(-1) ?? '',
          status: out.status ?? 'UNKNOWN',
          startDate: out.startDate?.toISOString() ?? null,
          stopDate: out.stopDate?.toISOString() ?? null,
          input: parse(out.input),
          output: parse(out.output),
          error: out.error ?? null,
          cause: out.cause ?? null,
        };
      } catch (error) {
        if ((error as Error).name === 'ExecutionDoesNotExist') {
          throw new NotFoundError(`no execution ${executionArn}`);
        }
        throw error;
      }
    },
    /** All history events after `afterId`, following pagination (bounded). */
    async history(executionArn: string, afterId = 0): Promise<HistoryEvent[]> {
      const events: HistoryEvent[] = [];
      let nextToken: string | undefined;
      for (let page = 0; page < 50; page++) {
        const out = await client.send(
          new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }),
        );
        events.push(...(out.events ?? []).filter((e) => (e.id ?? 0) > afterId));
        nextToken = out.nextToken;
        if (!nextToken) break;
      }
      return events;
    },
    async recent(maxResults = 20) {
      const out = await client.send(new ListExecutionsCommand({ stateMachineArn, maxResults }));
      return out.executions ?? [];
    },
    async approve(taskToken: string, output: unknown): Promise<void> {
      await client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    },
    async reject(taskToken: string, error: string, cause: string): Promise<void> {
      await client.send(new SendTaskFailureCommand({ taskToken, error, cause }));
    },
  };
}
export type StepFunctionsAdapter = ReturnType<typeof stepFunctions>;
