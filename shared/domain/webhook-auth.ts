/**
 * Webhook authentication, pure so every branch is tested. A request passes with any of:
 *   Authorization: Bearer <secret>             (Alertmanager `http_config.authorization`)
 *   X-Medic-Token: <secret>                    (Datadog custom headers)
 *   X-Medic-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>
 * The stored value may hold several secrets, one per line, so a secret can be rotated without
 * downtime. Comparisons are constant-time over SHA-256 digests (no length leak).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type AuthMethod = 'bearer' | 'token' | 'hmac';

const digest = (value: string | Buffer): Buffer => createHash('sha256').update(value).digest();

function same(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export function secretsIn(stored: string): string[] {
  return stored
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s.length >= 16);
}

export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The method that authenticated the request, or null. Headers must be lower-cased. */
export function authenticate(
  headers: Record<string, string | undefined>,
  body: Buffer,
  stored: string,
): AuthMethod | null {
  const secrets = secretsIn(stored);
  if (secrets.length === 0) return null;
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1]?.trim();
  const token = headers['x-medic-token']?.trim();
  const signature = headers['x-medic-signature']?.trim().toLowerCase();
  let method: AuthMethod | null = null;
  // Every secret is compared (no early exit), so timing does not reveal which one matched.
  for (const secret of secrets) {
    if (bearer !== undefined && same(bearer, secret)) method ??= 'bearer';
    if (token !== undefined && same(token, secret)) method ??= 'token';
    if (signature !== undefined && same(signature, signBody(secret, body))) method ??= 'hmac';
  }
  return method;
}
