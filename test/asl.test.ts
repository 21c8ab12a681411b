import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { DEFINITION_PATH, handlersFromServerless, prepareDefinition } from '../local/engine.ts';

type State = Record<string, unknown> & { Type: string };
const definition = JSON.parse(readFileSync(DEFINITION_PATH, 'utf8'));

function allStates(machine: { States: Record<string, State> }): [string, State][] {
  return Object.entries(machine.States).flatMap(([name, state]) => [
    [name, state] as [string, State],
    ...((state.Branches as { States: Record<string, State> }[] | undefined) ?? []).flatMap(allStates),
    ...(state.ItemProcessor ? allStates(state.ItemProcessor as { States: Record<string, State> }) : []),
  ]);
}

describe('the state machine definition', () => {
  it('is valid ASL (asl-validator)', () => {
    // Act
    const { isValid, errors } = aslValidator(definition);
    // Assess
    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
  });

  it('retries the transient Lambda.* errors on every Task', () => {
    // Prepare
    const tasks = allStates(definition).filter(([, s]) => s.Type === 'Task');
    // Assess
    expect(tasks.length).toBeGreaterThanOrEqual(8);
    for (const [name, state] of tasks) {
      const retried = ((state.Retry as { ErrorEquals: string[] }[]) ?? []).flatMap((r) => r.ErrorEquals);
      expect(retried, name).toEqual(
        expect.arrayContaining([
          'Lambda.ServiceException',
          'Lambda.AWSLambdaException',
          'Lambda.SdkClientException',
          'Lambda.TooManyRequestsException',
        ]),
      );
    }
  });

  it('keeps its input on every Catch (ResultPath), so a failure never loses the incident', () => {
    // Prepare
    const catchers = allStates(definition).flatMap(([name, s]) =>
      ((s.Catch as Record<string, unknown>[]) ?? []).map((c) => [name, c] as const),
    );
    // Assess
    expect(catchers.length).toBeGreaterThan(5);
    for (const [name, catcher] of catchers) expect(catcher.ResultPath, name).toMatch(/^\$(\.[A-Za-z]+)+$/);
  });

  it('sends every top-level failure to the one catch-all path that records and notifies', () => {
    // Prepare
    const topLevel = Object.entries(definition.States as Record<string, State>).filter(
      ([n, s]) => ['Task', 'Map', 'Parallel'].includes(s.Type) && n !== 'CloseAfterFailure', // the catch-all path itself
    );
    // Assess
    for (const [name, state] of topLevel) {
      const all = (state.Catch as { ErrorEquals: string[]; Next: string }[]).find((c) =>
        c.ErrorEquals.includes('States.ALL'),
      );
      expect(all?.Next, name).toBe('CloseAfterFailure');
    }
  });

  it('releases the per-instance locks on every exit path', () => {
    // Prepare
    const states = definition.States as Record<string, State & { Next?: string; Catch?: { Next: string }[] }>;
    // Assess: success goes Investigate → Close (the end); failure CloseAfterFailure → Failed, both
    // on the one function that releases the locks before it records
    expect(states.Investigate?.Next).toBe('Close');
    expect(states.Close?.End).toBe(true);
    expect(states.Close?.Catch?.[0]?.Next).toBe('CloseAfterFailure');
    expect(states.CloseAfterFailure?.Next).toBe('Failed');
    expect(states.CloseAfterFailure?.Catch?.[0]?.Next).toBe('Failed');
    const fn = (s: unknown) => (s as { Resource: { 'Fn::GetAtt': string[] } }).Resource['Fn::GetAtt'][0];
    expect(fn(states.Close)).toBe('CloseLambdaFunction');
    expect(fn(states.CloseAfterFailure)).toBe('CloseLambdaFunction');
    // Assess: only Admit's non-open outcomes skip both, and they never took a lock
    const admitted = states['IsItANewIncident?'] as unknown as {
      Choices: { StringEquals?: string; Variable: string; Next: string }[];
    };
    expect(admitted.Choices.find((c) => c.StringEquals === 'open')?.Next).toBe('Investigate');
    // Assess: bad input Admit answered itself (an input that is no object cannot take a Catch's
    // ResultPath) still reaches the catch-all path
    expect(admitted.Choices.find((c) => c.Variable === '$.error')?.Next).toBe('CloseAfterFailure');
  });

  it('maps every Task to a handler through serverless.yml (no hand-kept list)', () => {
    // Prepare
    const { tasks, waits } = prepareDefinition(definition);
    const handlers = handlersFromServerless();
    // Assess
    expect(waits).toContain('WaitBeforeVerify');
    for (const task of tasks) expect(handlers.get(task.logicalId), task.stateName).toBeDefined();
  });
});
