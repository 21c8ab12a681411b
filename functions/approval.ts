/**
 * Approval HTTP function (Lambda function URL): the approve/reject links land here. The
 * signed link authenticates the decision; POST calls SendTaskSuccess / SendTaskFailure.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { taskCallbackAdapter } from '../shared/adapters/sfn-callback.ts';
import { approvalSecret } from '../shared/approval-secret.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda } from '../shared/lambda.ts';
import { decide } from '../shared/usecases/approval.ts';

const callbacks = taskCallbackAdapter(new SFNClient({}));

function formParams(event: APIGatewayProxyEventV2): Record<string, string> {
  if (!event.body) return {};
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  return Object.fromEntries(new URLSearchParams(raw));
}

export const handler = lambda(async (raw) => {
  const event = raw as APIGatewayProxyEventV2;
  const method = event.requestContext?.http?.method ?? 'GET';
  const params = { ...(event.queryStringParameters ?? {}), ...(method === 'POST' ? formParams(event) : {}) };
  return decide(
    { method, params, sourceIp: event.requestContext?.http?.sourceIp ?? null },
    { callbacks, secret: await approvalSecret(), clock: systemClock },
  );
});
