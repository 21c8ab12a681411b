// Logs searchable by incident: the lambda() wrapper keys every line of an invocation by incident and
// instance, closes it with one line (outcome or error name), and resets the keys so a warm
// container's next invocation does not carry the last incident's keys. A real middy chain and the
// real Powertools logger, its output captured from the process streams it writes to.
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { InvalidTriggerError } from '../shared/errors.ts';
import { lambda, logger, logKeysOf, outcomeOf } from '../shared/lambda.ts';

const context = {
  functionName: 'medic-test-verify',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;
const written: string[] = [];

beforeAll(() => {
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
  }
});
afterAll(() => vi.restoreAllMocks());

/** The medic log lines written since `from`, parsed. */
function linesSince(from: number): Record<string, unknown>[] {
  return written
    .slice(from)
    .join('')
    .split('\n')
    .filter((l) => l.includes('"service":"medic"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const aCase = (incidentId: string, instanceId: string) => ({
  incidentId,
  mode: 'auto',
  target: { instanceId },
  timeline: [{ at: '2026-01-01T00:00:00Z', what: 'a long timeline the closing line never carries' }],
  next: 'verify',
});

describe('logKeysOf: the incident and instance a payload is about', () => {
  it.each([
    ['a case', aCase('inc-1', 'i-0aaa'), { incident: 'inc-1', instance: 'i-0aaa' }],
    [
      'the incident state',
      { incidentId: 'inc-2', targets: [{ instanceId: 'i-0aaa' }, { instanceId: 'i-0bbb' }] },
      { incident: 'inc-2', instance: 'i-0aaa,i-0bbb' },
    ],
    [
      'a Task wrapping the state',
      { state: { incidentId: 'inc-3', targets: [] }, executionName: 'x' },
      { incident: 'inc-3' },
    ],
    [
      'the approval wait',
      { case: aCase('inc-4', 'i-0ccc'), taskToken: 't' },
      { incident: 'inc-4', instance: 'i-0ccc' },
    ],
    ['an SNS delivery (not normalised yet)', { Records: [{ Sns: { Message: '{"incidentId":"x"}' } }] }, {}],
    ['a webhook body', { version: '4', alerts: [{ labels: { instance_id: 'i-0ddd' } }] }, {}],
    ['not an object', 'i-0eee', {}],
    ['an id that is not a string', { incidentId: 42, target: { instanceId: ['i-0fff'] } }, {}],
  ])('%s', (_what, payload, expected) => {
    // Act
    const keys = logKeysOf(payload);
    // Assess
    expect(keys).toEqual(expected);
  });

  it('cannot be made to bloat every line', () => {
    // Prepare
    const payload = {
      incidentId: 'x'.repeat(10_000),
      targets: Array.from({ length: 500 }, (_, i) => ({ instanceId: `i-${String(i).padStart(17, '0')}` })),
    };
    // Act
    const keys = logKeysOf(payload);
    // Assess
    expect(keys.incident?.length).toBe(200);
    expect(keys.instance?.split(',')).toHaveLength(20);
  });
});

describe('outcomeOf: what the closing line says', () => {
  it('keeps where the run goes and counts lists, never bodies or evidence', () => {
    // Prepare
    const result = {
      ...aCase('inc-1', 'i-0aaa'),
      evidence: { ec2: { state: 'running' } },
      move: { kind: 'act', action: 'reboot', reasons: ['unreachable'] },
      started: [{ episodeKey: 'a' }, { episodeKey: 'b' }],
      body: '{"secret":"never"}',
    };
    // Act
    const outcome = outcomeOf(result);
    // Assess
    expect(outcome).toEqual({ next: 'verify', move: { kind: 'act', action: 'reboot' }, started: 2 });
  });
});

describe('lambda(): one wrapper, every line keyed', () => {
  it('keys the handler’s own lines and the closing line, then resets them for the next invocation', async () => {
    // Prepare
    const handler = lambda(async (event) => {
      logger.info('inside the handler');
      return { next: 'done', outcome: (event as { incidentId?: string }).incidentId ? 'resolved' : null };
    });
    const from = written.length;
    // Act
    await handler(aCase('inc-warm-1', 'i-0aaa'), context);
    const second = written.length;
    await handler({ Records: [] }, context);
    // Assess
    const [inside, done] = linesSince(from);
    expect(inside).toMatchObject({
      message: 'inside the handler',
      incident: 'inc-warm-1',
      instance: 'i-0aaa',
    });
    expect(done).toMatchObject({
      level: 'INFO',
      message: 'invocation done',
      incident: 'inc-warm-1',
      instance: 'i-0aaa',
      function_name: 'medic-test-verify',
      outcome: { next: 'done', outcome: 'resolved' },
    });
    const next = linesSince(second);
    expect(next).toHaveLength(2);
    for (const line of next) {
      expect(line).not.toHaveProperty('incident');
      expect(line).not.toHaveProperty('instance');
    }
  });

  it('keys the closing line of the invocation that opens the incident by its result', async () => {
    // Prepare
    const handler = lambda(async () => ({ incidentId: 'inc-opened', targets: [{ instanceId: 'i-0bbb' }] }));
    const from = written.length;
    // Act
    await handler({ event: { source: 'aws.cloudwatch' } }, context);
    // Assess
    expect(linesSince(from)).toEqual([
      expect.objectContaining({ message: 'invocation done', incident: 'inc-opened', instance: 'i-0bbb' }),
    ]);
  });

  it('closes a failed invocation with an error line naming the error, and resets the keys after it', async () => {
    // Prepare
    const failing = lambda(async () => {
      throw new InvalidTriggerError('invalid Verify payload');
    });
    const quiet = lambda(async () => ({ next: 'act' }));
    const from = written.length;
    // Act
    await expect(failing(aCase('inc-failed', 'i-0ccc'), context)).rejects.toThrow(InvalidTriggerError);
    const second = written.length;
    await quiet({}, context);
    // Assess
    expect(linesSince(from)[0]).toMatchObject({
      level: 'ERROR',
      message: 'invocation failed',
      errorName: 'InvalidTriggerError',
      incident: 'inc-failed',
      instance: 'i-0ccc',
    });
    const [after] = linesSince(second);
    expect(after).toMatchObject({ message: 'invocation done' });
    expect(after).not.toHaveProperty('incident');
  });
});
