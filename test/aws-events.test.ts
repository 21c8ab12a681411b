// The entry points AWS invokes validate the envelope AWS documents for them (Powertools' built-in
// schemas) before any work: a malformed event fails the invocation with MalformedEventError and
// starts nothing. For the SNS intake that failure is what keeps the event (Lambda retries the
// asynchronous invocation, then its failure destination holds it); a hand-made `{}` handed to a
// scheduled function is a wiring mistake, not a schedule.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';

// Should the envelope check ever let an event through, the handlers' AWS clients reach only a
// closed loopback port (hoisted: the clients are built when the handler modules load).
vi.hoisted(() => {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'medic-local',
    AWS_SECRET_ACCESS_KEY: 'medic-local',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_MAX_ATTEMPTS: '1',
  });
});

import { handler as drainOutbox } from '../functions/drain-outbox.ts';
import { handler as healthSweep } from '../functions/health-sweep.ts';
import { handler as intakeHttp } from '../functions/intake-http.ts';
import { handler as intakeSns } from '../functions/intake-sns.ts';
import { FunctionUrlRequestSchema, ScheduledEventSchema, SnsDeliverySchema } from '../shared/aws-events.ts';
import { functionUrlEvent, scheduledEvent } from './support/aws-events.ts';

const context = { functionName: 'medic-test', awsRequestId: 'req-1' } as Context;
const snsFixture = () =>
  JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'sns-lambda-metric-math.json'), 'utf8'));
type Invoke = (event: unknown, context: Context) => Promise<unknown>;
const entry = (h: unknown) => h as Invoke;

describe('AWS-shaped events at the entry points', () => {
  it.each([
    ['SNS intake', 'an SNS delivery', SnsDeliverySchema, snsFixture()],
    ['HTTP intake', 'a function URL request', FunctionUrlRequestSchema, functionUrlEvent('{}', {})],
    [
      'HTTP intake',
      'a method medic answers with 405',
      FunctionUrlRequestSchema,
      functionUrlEvent('', {}, 'PROPFIND'),
    ],
    ['scheduled functions', 'a schedule rule’s event', ScheduledEventSchema, scheduledEvent('medic-sweep')],
  ])('%s accept %s', (_entry, _what, schema, event) => {
    // Act
    const parsed = schema.safeParse(event);
    // Assess
    expect(parsed.error).toBeUndefined();
  });

  const snsWithout = (field: string) => {
    const event = snsFixture();
    delete event.Records[0].Sns[field];
    return event;
  };
  it.each([
    ['SNS intake', intakeSns, 'an empty object', {}],
    [
      'SNS intake',
      intakeSns,
      'an SQS record',
      { Records: [{ ...snsFixture().Records[0], EventSource: 'aws:sqs' }] },
    ],
    ['SNS intake', intakeSns, 'a delivery without its Message', snsWithout('Message')],
    [
      'SNS intake',
      intakeSns,
      'the alarm message without its envelope',
      JSON.parse(snsFixture().Records[0].Sns.Message),
    ],
    ['HTTP intake', intakeHttp, 'a bare body', { body: '{"instanceId":"i-0123456789abcdef0"}' }],
    [
      'HTTP intake',
      intakeHttp,
      'a request without its context',
      { ...functionUrlEvent('{}', {}), requestContext: undefined },
    ],
    ['health sweep', healthSweep, 'an empty object', {}],
    [
      'health sweep',
      healthSweep,
      'an alarm event',
      { ...scheduledEvent('x'), source: 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change' },
    ],
    ['outbox drain', drainOutbox, 'an empty object', {}],
  ])('%s fails on %s with MalformedEventError, before any work', async (_entry, handler, _what, event) => {
    // Act
    const outcome = entry(handler)(event, context);
    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'MalformedEventError' });
  });
});
