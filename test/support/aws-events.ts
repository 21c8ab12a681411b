/**
 * Events shaped as AWS delivers them to medic's entry points, for invoking the handlers in
 * process: the handlers validate the envelope (shared/aws-events.ts), so a hand-made `{}` no
 * longer stands in for what EventBridge or a function URL sends.
 */

/** What an EventBridge schedule rule sends (source aws.events, detail-type Scheduled Event). */
export function scheduledEvent(rule: string, at: Date = new Date()) {
  return {
    version: '0',
    id: `00000000-0000-4000-8000-${String(at.getTime()).padStart(12, '0').slice(-12)}`,
    'detail-type': 'Scheduled Event' as const,
    source: 'aws.events' as const,
    account: '123456789012',
    time: `${at.toISOString().slice(0, 19)}Z`,
    region: 'us-east-1',
    resources: [`arn:aws:events:us-east-1:123456789012:rule/${rule}`],
    detail: {},
  };
}

/** A function URL request (payload format 2.0, auth type NONE). */
export function functionUrlEvent(body: string, headers: Record<string, string>, method = 'POST') {
  const at = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', host: 'abcdefgh.lambda-url.us-east-1.on.aws', ...headers },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abcdefgh',
      domainName: 'abcdefgh.lambda-url.us-east-1.on.aws',
      domainPrefix: 'abcdefgh',
      http: {
        method,
        path: '/',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'alertmanager/0.27',
      },
      requestId: `req-${at.getTime()}`,
      routeKey: '$default',
      stage: '$default',
      time: '29/Nov/2026:13:00:00 +0000',
      timeEpoch: at.getTime(),
    },
    body,
    isBase64Encoded: false,
  };
}
