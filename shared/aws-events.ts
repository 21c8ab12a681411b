/**
 * The events AWS delivers to medic's entry points, as Powertools' built-in schemas describe them.
 * Validating the envelope before the handler runs turns a wiring mistake (a rule or subscription
 * pointed at the wrong function) into one named failure instead of a half-read event.
 */
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { LambdaFunctionUrlSchema } from '@aws-lambda-powertools/parser/schemas/lambda';
import { SnsSchema } from '@aws-lambda-powertools/parser/schemas/sns';
import * as z from 'zod';

/** An SNS delivery to a subscribed function: the alarm action's message is in Records[].Sns.Message. */
export const SnsDeliverySchema = SnsSchema;

const { requestContext } = LambdaFunctionUrlSchema.shape;

/**
 * A function URL request (payload format 2.0). The method is any string, not the schema's seven:
 * a public URL receives whatever method a client sends, and medic answers one it does not take
 * with 405 rather than failing the invocation.
 */
export const FunctionUrlRequestSchema = LambdaFunctionUrlSchema.extend({
  requestContext: requestContext.extend({
    http: requestContext.shape.http.extend({ method: z.string().min(1) }),
  }),
});
export type FunctionUrlRequest = z.output<typeof FunctionUrlRequestSchema>;

/**
 * What an EventBridge schedule rule (serverless.yml `schedule:`, an AWS::Events::Rule) sends.
 * Anything else reaching a scheduled function was wired to it by mistake.
 */
export const ScheduledEventSchema = EventBridgeSchema.extend({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
});
