/**
 * The HTTP intake (Alertmanager, Datadog, SNS HTTPS or a manual POST): authenticate, bound the
 * body, validate every alert, and only then start executions. Unauthenticated → 401 with no
 * detail; malformed → 400 with the reason; nothing is started unless the whole body is valid.
 */

import { intakeSignals } from '../domain/normalise.ts';
import { authenticate } from '../domain/webhook-auth.ts';
import type { IncidentStorePort, SecretSource, WorkflowPort } from '../ports.ts';
import { type DispatchResult, dispatchSignals } from './dispatch.ts';

export interface WebhookRequest {
  method: string;
  headers: Record<string, string | undefined>;
  body: string | undefined;
  isBase64Encoded: boolean;
}

export interface WebhookResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface WebhookDeps {
  secret: SecretSource;
  workflow: WorkflowPort;
  store: IncidentStorePort;
  maxBodyBytes: number;
  now: () => Date;
  /** Told what happened, never the headers or the secret. */
  log: (message: string, detail: Record<string, unknown>) => void;
}

const json = (statusCode: number, body: unknown): WebhookResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** Function URLs lower-case header names already; API Gateway v1 does not. */
function lower(headers: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

export async function handleWebhook(request: WebhookRequest, deps: WebhookDeps): Promise<WebhookResponse> {
  if (request.method.toUpperCase() !== 'POST') {
    return json(405, { error: 'MethodNotAllowed', reason: 'POST a JSON alert body' });
  }
  const headers = lower(request.headers);
  const declared = Number(headers['content-length'] ?? '0');
  if (declared > deps.maxBodyBytes) {
    return json(413, { error: 'PayloadTooLargeError', reason: `body above ${deps.maxBodyBytes} bytes` });
  }
  const raw = Buffer.from(request.body ?? '', request.isBase64Encoded ? 'base64' : 'utf8');
  if (raw.byteLength > deps.maxBodyBytes) {
    return json(413, { error: 'PayloadTooLargeError', reason: `body above ${deps.maxBodyBytes} bytes` });
  }
  // Authenticate before parsing: an anonymous caller learns nothing about what medic accepts.
  const method = authenticate(headers, raw, await deps.secret());
  if (method === null) {
    deps.log('webhook rejected: unauthenticated', { bytes: raw.byteLength });
    return json(401, { error: 'UnauthorizedError' });
  }
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return json(400, { error: 'InvalidTriggerError', reason: 'the body is not valid JSON' });
  }
  let signals: ReturnType<typeof intakeSignals>;
  try {
    signals = intakeSignals(body, deps.now());
  } catch (error) {
    const e = error as Error;
    if (['InvalidTriggerError', 'NoTargetError', 'UnsupportedEventError'].includes(e.name)) {
      deps.log('webhook rejected: malformed', { error: e.name, reason: e.message, auth: method });
      return json(400, { error: e.name, reason: e.message });
    }
    throw error;
  }
  const result: DispatchResult = await dispatchSignals(signals, deps);
  deps.log('webhook accepted', {
    auth: method,
    started: result.started.map((s) => s.episodeKey),
    joined: result.joined.length,
    closed: result.closed.length,
    ignored: result.ignored.length,
  });
  return json(202, result);
}
