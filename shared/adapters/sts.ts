/**
 * STS AssumeRole, the one STS call medic makes: its Query API over HTTPS, signed with SigV4 by the
 * SDK's own signer. Not the STS SDK client: with its endpoint rules and SigV4a signer it adds about
 * 17 KB to every function that acts in a member account, and Admit and StopStart are on the hot
 * path's 400 KB budget (test/package.test.ts).
 *
 * The endpoint is the regional one of the function's own region (sts.<region>.amazonaws.com, .cn in
 * China), as the SDK's default; AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL override it as they do for
 * every SDK client (the local substrate's moto). The keys are the function's own, from its
 * environment (a Lambda function's role credentials are always there).
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Environment } from '../config.ts';

export interface AssumedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** An STS answer that is an error (its Code and Message, as the SDK names them). */
export class StsAnswerError extends Error {
  override readonly name: string;
  readonly status: number;
  constructor(code: string, message: string, status: number) {
    super(message);
    this.name = code;
    this.status = status;
  }
}

const bytes = (d: string | ArrayBuffer | ArrayBufferView): string | Uint8Array =>
  typeof d === 'string'
    ? d
    : d instanceof ArrayBuffer
      ? new Uint8Array(d)
      : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {}
}

function tag(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return match?.[1]
    ?.replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&amp;', '&');
}

export function stsEndpoint(environment: Environment, region: string): URL {
  const override = environment.AWS_ENDPOINT_URL_STS || environment.AWS_ENDPOINT_URL;
  if (override) return new URL(override);
  return new URL(`https://sts.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}/`);
}

export async function assumeRole(
  environment: Environment,
  region: string,
  params: { RoleArn: string; RoleSessionName: string; DurationSeconds: number; ExternalId?: string },
  timeoutMs = 10_000,
): Promise<AssumedCredentials> {
  const accessKeyId = environment.AWS_ACCESS_KEY_ID;
  const secretAccessKey = environment.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey)
    throw new StsAnswerError(
      'CredentialsProviderError',
      'no credentials in the environment to call STS with',
      0,
    );
  const url = stsEndpoint(environment, region);
  const body = new URLSearchParams({
    Action: 'AssumeRole',
    Version: '2011-06-15',
    RoleArn: params.RoleArn,
    RoleSessionName: params.RoleSessionName,
    DurationSeconds: String(params.DurationSeconds),
    ...(params.ExternalId ? { ExternalId: params.ExternalId } : {}),
  }).toString();
  const signer = new SignatureV4({
    service: 'sts',
    region,
    sha256: Sha256,
    credentials: {
      accessKeyId,
      secretAccessKey,
      ...(environment.AWS_SESSION_TOKEN ? { sessionToken: environment.AWS_SESSION_TOKEN } : {}),
    },
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname || '/',
    query: {},
    headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
  });
  const response = await fetch(url, {
    method: 'POST',
    headers: signed.headers,
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  if (!response.ok)
    throw new StsAnswerError(
      tag(text, 'Code') ?? `HTTP${response.status}`,
      tag(text, 'Message') ?? text.slice(0, 200),
      response.status,
    );
  const key = tag(text, 'AccessKeyId');
  const secret = tag(text, 'SecretAccessKey');
  if (!key || !secret)
    throw new StsAnswerError('InvalidResponse', 'STS answered AssumeRole without credentials', 200);
  const token = tag(text, 'SessionToken');
  const expiration = tag(text, 'Expiration');
  return {
    accessKeyId: key,
    secretAccessKey: secret,
    ...(token ? { sessionToken: token } : {}),
    ...(expiration ? { expiration: new Date(expiration) } : {}),
  };
}
