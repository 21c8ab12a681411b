/**
 * The cold path's counters over hand-written event logs, shaped as aws-local-stepfunctions logs
 * them (a Map's states carry the iteration index; a retry is StateFailed then StateRetried with no
 * new StateEntered): which states are Lambda hops, how a Parallel and a Map count, and what a retry
 * adds.
 */
import { describe, expect, it } from 'vitest';
import {
  firstActionFigures,
  type HopEvent,
  hopCount,
  invocationsOf,
  pathTime,
  pathTo,
  statePlaces,
} from '../local/hops.ts';

const fn = (id: string) => ({ 'Fn::GetAtt': [`${id}LambdaFunction`, 'Arn'] });
const lambda = (id: string, next?: string) => ({
  Type: 'Task',
  Resource: fn(id),
  ...(next ? { Next: next } : { End: true }),
});
const EVIDENCE = ['Ec2', 'Reachability', 'Resources', 'Host', 'Alerts'];

/** Admit → Choice → Investigate (Map: Gather (Parallel of 5) → Decide → Notify (SNS) → Act) → Close. */
const DEFINITION = {
  StartAt: 'Admit',
  States: {
    Admit: lambda('Admit', 'IsItNew'),
    IsItNew: { Type: 'Choice', Choices: [], Default: 'Investigate' },
    Investigate: {
      Type: 'Map',
      ItemsPath: '$.cases',
      ItemProcessor: {
        StartAt: 'Gather',
        States: {
          Gather: {
            Type: 'Parallel',
            Next: 'Decide',
            Branches: EVIDENCE.map((e) => ({
              StartAt: `Evidence${e}`,
              States: { [`Evidence${e}`]: lambda(e) },
            })),
          },
          Decide: lambda('Decide', 'Notify'),
          Notify: {
            Type: 'Task',
            Resource: 'arn:aws:states:::sns:publish',
            Parameters: { TopicArn: 't', 'Message.$': '$.page' },
            Next: 'Pause',
          },
          Pause: { Type: 'Wait', Seconds: 5, Next: 'Act' },
          Act: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: fn('Act'), 'Payload.$': '$' },
            End: true,
          },
        },
      },
      Next: 'Close',
    },
    Close: lambda('Close'),
  },
};

/** A tiny event log builder: a clock that advances 10 ms per event. */
function log() {
  const events: HopEvent[] = [];
  let now = 1_000;
  const type = (name: string) => {
    for (const [k, v] of Object.entries(DEFINITION.States)) if (k === name) return v.Type;
    const inner = DEFINITION.States.Investigate.ItemProcessor.States as Record<string, { Type: string }>;
    return inner[name]?.Type ?? 'Task';
  };
  const push = (t: string, name?: string, index?: number, at?: number) => {
    now = at ?? now + 10;
    const e: HopEvent = {
      type: t,
      timestamp: now,
      ...(index === undefined ? {} : { index }),
      ...(name ? { state: { name, type: type(name), input: { name } } } : {}),
    };
    events.push(e);
    return e;
  };
  const state = (name: string, index?: number) => {
    const entered = push('StateEntered', name, index);
    push('StateExited', name, index);
    return entered;
  };
  return { events, push, state, clock: () => now };
}

/** The run up to Decide of iteration `index` (Admit, the Map, Gather with its 5 branches). */
function toDecide(l: ReturnType<typeof log>, index: number) {
  l.push('StateEntered', 'Gather', index);
  for (const _ of EVIDENCE) l.push('ParallelBranchStarted');
  for (const e of EVIDENCE) l.state(`Evidence${e}`, index);
  l.push('StateExited', 'Gather', index);
  l.state('Decide', index);
  l.state('Notify', index);
  l.state('Pause', index);
}

describe('statePlaces: which Tasks are Lambda invocations', () => {
  it('counts Fn::GetAtt and lambda:invoke Tasks, not direct service integrations or flow states', () => {
    // Act
    const places = statePlaces(DEFINITION);

    // Assess
    const lambdas = [...places].filter(([, p]) => p.lambda).map(([name]) => name);
    expect(lambdas.sort()).toEqual(
      ['Admit', 'Decide', 'Act', 'Close', ...EVIDENCE.map((e) => `Evidence${e}`)].sort(),
    );
    expect(places.get('EvidenceHost')?.within).toEqual([
      { container: 'Investigate', kind: 'Map', branch: 0 },
      { container: 'Gather', kind: 'Parallel', branch: 3 },
    ]);
  });

  it('with the functions serverless.yml declares, a GetAtt of anything else is no Lambda', () => {
    // Act
    const places = statePlaces(DEFINITION, new Set(['AdmitLambdaFunction']));

    // Assess
    expect(places.get('Admit')?.lambda).toBe(true);
    expect(places.get('Decide')?.lambda).toBe(false);
    expect(places.get('Act')?.lambda).toBe(true);
  });
});

describe('lambda hops to the first action', () => {
  const places = statePlaces(DEFINITION);

  it('a Parallel of 5 branches is one hop; SNS, Wait and Choice are none', () => {
    // Prepare
    const l = log();
    l.push('ExecutionStarted');
    l.state('Admit');
    l.state('IsItNew');
    l.push('StateEntered', 'Investigate');
    l.push('MapIterationStarted', undefined, 0);
    toDecide(l, 0);
    const act = l.push('StateEntered', 'Act', 0);
    const callAt = l.clock() + 5;
    l.push('StateExited', 'Act', 0);
    l.push('StateExited', 'Investigate');
    l.state('Close');

    // Act
    const figures = firstActionFigures(l.events, places, callAt);

    // Assess: Admit, Gather (once), Decide, Act
    expect(figures.actor).toBe(act);
    expect(figures.lambdaHopsToFirstAction).toBe(4);
    // Admit, IsItNew, Investigate, Gather, 5 branches, Decide, Notify, Pause, Act
    expect(figures.transitionsToFirstAction).toBe(13);
    expect(invocationsOf(figures.path).map((i) => i.state)).toEqual([
      'Admit',
      ...EVIDENCE.map((e) => `Evidence${e}`),
      'Decide',
      'Act',
    ]);
  });

  it('a branch of two Tasks in a row costs two hops: a fan-out counts its longest branch', () => {
    // Prepare: Gather's Host branch runs two invocations, one after the other
    const l = log();
    l.state('Admit');
    l.push('StateEntered', 'Investigate');
    l.push('StateEntered', 'Gather', 0);
    l.state('EvidenceEc2', 0);
    l.state('EvidenceHost', 0);
    l.state('EvidenceHost', 0);
    l.push('StateExited', 'Gather', 0);
    const act = l.push('StateEntered', 'Act', 0);

    // Act
    const path = pathTo(l.events, places, act);

    // Assess: Admit, Gather (2), Act
    expect(hopCount(path)).toBe(4);
  });

  it('in a Map only the iteration that acted is on the way; the others do not add hops', () => {
    // Prepare: two cases side by side; case 1 runs an extra Decide before case 0 acts
    const l = log();
    l.state('Admit');
    l.push('StateEntered', 'Investigate');
    l.push('MapIterationStarted', undefined, 0);
    l.push('MapIterationStarted', undefined, 1);
    toDecide(l, 1);
    l.state('Decide', 1);
    l.state('Decide', 1);
    toDecide(l, 0);
    const act = l.push('StateEntered', 'Act', 0);
    const callAt = l.clock() + 1;
    l.push('StateEntered', 'Act', 1);
    l.push('StateExited', 'Act', 0);
    l.push('StateExited', 'Act', 1);

    // Act
    const figures = firstActionFigures(l.events, places, callAt);

    // Assess: Admit, Gather, Decide, Act of iteration 0
    expect(figures.actor).toBe(act);
    expect(figures.lambdaHopsToFirstAction).toBe(4);
    expect(invocationsOf(figures.path).every((i) => i.index === undefined || i.index === 0)).toBe(true);
  });

  it('a Map that finished before the action costs its longest iteration', () => {
    // Prepare: the action is Close, after a Map whose iteration 1 took two more Decides
    const l = log();
    l.state('Admit');
    l.push('StateEntered', 'Investigate');
    l.state('Decide', 0);
    l.state('Decide', 1);
    l.state('Decide', 1);
    l.state('Decide', 1);
    l.push('StateExited', 'Investigate');
    const close = l.push('StateEntered', 'Close');

    // Act
    const path = pathTo(l.events, places, close);

    // Assess: Admit, 3 Decides, Close
    expect(hopCount(path)).toBe(5);
  });

  it('a retried Task is one hop whose time includes the retry; the retry is a transition', () => {
    // Prepare: Admit fails once (StateFailed, then StateRetried, no new StateEntered) and succeeds
    const l = log();
    const admit = l.push('StateEntered', 'Admit', undefined, 1_000);
    l.push('StateFailed', 'Admit', undefined, 1_100);
    l.push('StateRetried', 'Admit', undefined, 1_300);
    l.push('StateExited', 'Admit', undefined, 1_400);
    l.push('StateEntered', 'Investigate', undefined, 1_410);
    const act = l.push('StateEntered', 'Act', 0, 1_420);
    l.push('StateExited', 'Act', 0, 1_500);

    // Act
    const figures = firstActionFigures(l.events, places, 1_450);

    // Assess
    expect(figures.lambdaHopsToFirstAction).toBe(2);
    // Admit, its retry, Investigate, Act
    expect(figures.transitionsToFirstAction).toBe(4);
    const [first] = invocationsOf(figures.path);
    expect(first).toMatchObject({ state: 'Admit', attempts: 2, enteredAt: admit.timestamp, exitedAt: 1_400 });
    expect(figures.actor).toBe(act);
    expect(pathTime(figures.path, (i) => (i.exitedAt ?? 1_450) - i.enteredAt)).toBe(400 + 30);
  });

  it('a call made during a retried attempt belongs to the Task being retried', () => {
    // Prepare: Act's first attempt fails, the second makes the call
    const l = log();
    l.state('Admit');
    l.push('StateEntered', 'Investigate');
    const act = l.push('StateEntered', 'Act', 0, 2_000);
    l.push('StateFailed', 'Act', 0, 2_010);
    l.push('StateRetried', 'Act', 0, 2_050);
    l.push('StateExited', 'Act', 0, 2_100);
    l.state('Close');

    // Act
    const figures = firstActionFigures(l.events, places, 2_080);

    // Assess
    expect(figures.actor).toBe(act);
    expect(figures.lambdaHopsToFirstAction).toBe(2);
  });

  it('no mitigating call: no figures', () => {
    // Prepare
    const l = log();
    l.state('Admit');
    l.state('Close');

    // Act
    const figures = firstActionFigures(l.events, places, null);

    // Assess
    expect(figures).toMatchObject({ transitionsToFirstAction: null, lambdaHopsToFirstAction: null });
  });
});
