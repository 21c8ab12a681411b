/**
 * The AWS clients that look at or act on an alarm's instance, built in the alarm's own account and
 * region. The central account is one more account: its clients use the functions' own credentials.
 * A member account is reached through its execution role (`arn:<partition>:iam::<account>:role/
 * <MEDIC_MEMBER_ROLE_NAME>`, the member stack) with the deployment's external id; the session is
 * named after the incident, so the member account's CloudTrail says which incident made each call.
 *
 * What AWS does here, and what this module does about it:
 * - A Lambda function's credentials are themselves an assumed role, so this AssumeRole is role
 *   chaining: AWS caps the session at one hour whatever the role's MaxSessionDuration. Sessions are
 *   asked for 3600 s and refreshed five minutes before they expire.
 * - STS is called in the function's own region (the SDK's regional endpoint): that region is
 *   enabled for the central account by definition, an alarm's region may be an opt-in region that
 *   is not; the session token (v2) is valid in every region.
 * - AccessDenied (no such role, a trust policy without this principal, a wrong external id) is a
 *   MemberAccountError: the caller records it and pages. A member account is never read or acted on
 *   with the central credentials instead.
 *
 * Cached per environment (one per sandbox deployed): credentials per (account, incident session),
 * clients per (service, account, region, retry budget) for the credentials' lifetime.
 */
import { isTransient } from './adapters/aws-errors.ts';
import { assumeRole } from './adapters/sts.ts';
import { orgConfig, perEnvironment } from './config.ts';
import { AwsTransientError, MemberAccountError } from './errors.ts';
import { type AccountSettings, roleSessionName, type Where, whereToAct } from './policy/accounts.ts';

/** Where a case's AWS calls go: its account and region (absent: the central one) and its incident. */
export interface CaseWhere {
  account?: string | null | undefined;
  region?: string | null | undefined;
  incidentId: string;
}

export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  expiration?: Date | undefined;
}

export interface AssumeRequest {
  roleArn: string;
  sessionName: string;
  externalId: string | undefined;
  durationSeconds: number;
}

export interface ClientConfig {
  region: string;
  credentials?: TemporaryCredentials;
  maxAttempts?: number;
}

export interface AwsClientsDeps {
  /** The central account and the member settings (the central account may take one STS call). */
  settings: () => Promise<AccountSettings>;
  externalId: string | undefined;
  assume: (request: AssumeRequest) => Promise<TemporaryCredentials>;
  now: () => number;
}

/** Role chaining (a Lambda role assuming another role) is capped at one hour by AWS. */
export const SESSION_SECONDS = 3_600;
/** A session this close to its end is renewed before use, so no call starts on expiring keys. */
export const REFRESH_BEFORE_MS = 5 * 60_000;
const MAX_ENTRIES = 64;

/**
 * Lets the local substrate's per-run endpoint scope keep a client's own region and credentials when
 * it points the client at the run's endpoint (local/aws-scope.ts); deployed nothing reads it.
 */
export const CLIENT_ORIGIN = Symbol.for('medic.awsClients.origin');

interface Session {
  sessionName: string;
  credentials: Promise<TemporaryCredentials>;
  expiresAt: number;
}

export function awsClients(deps: AwsClientsDeps) {
  const sessions = new Map<string, Session>();
  const clients = new Map<string, { client: unknown; session: Session | null }>();

  function fresh(session: Session): boolean {
    return session.expiresAt - REFRESH_BEFORE_MS > deps.now();
  }

  function sessionFor(where: Extract<Where, { kind: 'member' }>, incidentId: string): Session {
    const sessionName = roleSessionName(incidentId);
    const key = `${where.account}|${sessionName}`;
    const known = sessions.get(key);
    if (known && fresh(known)) return known;
    const session: Session = {
      sessionName,
      // Until the answer is in, the session counts as fresh: concurrent callers share one AssumeRole.
      expiresAt: Number.POSITIVE_INFINITY,
      credentials: deps
        .assume({
          roleArn: where.roleArn,
          sessionName,
          externalId: deps.externalId,
          durationSeconds: SESSION_SECONDS,
        })
        .then(
          (credentials) => {
            session.expiresAt = credentials.expiration?.getTime() ?? deps.now() + SESSION_SECONDS * 1_000;
            return credentials;
          },
          (error: unknown) => {
            sessions.delete(key);
            throw asMemberError(error, where);
          },
        ),
    };
    prune(sessions);
    sessions.set(key, session);
    return session;
  }

  function prune<V>(map: Map<string, V>): void {
    while (map.size >= MAX_ENTRIES) {
      const oldest = map.keys().next().value;
      if (oldest === undefined) return;
      map.delete(oldest);
    }
  }

  /** Where the case's calls go; a member account medic does not serve is a MemberAccountError. */
  async function whereOf(c: CaseWhere): Promise<Exclude<Where, { kind: 'not-configured' }>> {
    const where = whereToAct(c, await deps.settings());
    if (where.kind === 'not-configured')
      throw new MemberAccountError(
        `medic does not act in account ${where.account} (${where.region}): ${where.why}`,
        where.account,
        where.region,
      );
    return where;
  }

  /**
   * The client for `service` in the case's account and region. For a member account the role is
   * assumed here, before the client is handed out, so a refusal is a MemberAccountError at this
   * call and never an error from inside some later request.
   */
  async function client<C>(
    service: string,
    make: (config: ClientConfig) => C,
    c: CaseWhere,
    options: { maxAttempts?: number } = {},
  ): Promise<C> {
    const where = await whereOf(c);
    const session = where.kind === 'member' ? sessionFor(where, c.incidentId) : null;
    const credentials = session ? await session.credentials : undefined;
    const key = [
      service,
      where.account,
      where.region,
      options.maxAttempts ?? '',
      session?.sessionName ?? '',
    ].join('|');
    const known = clients.get(key);
    if (known && known.session === session) return known.client as C;
    const config: ClientConfig = {
      region: where.region,
      ...(credentials ? { credentials } : {}),
      ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    };
    const made = make(config);
    (made as Record<symbol, unknown>)[CLIENT_ORIGIN] = { region: config.region, credentials };
    prune(clients);
    clients.set(key, { client: made, session });
    return made;
  }

  return { client, whereOf };
}

function asMemberError(error: unknown, where: Extract<Where, { kind: 'member' }>): Error {
  const e = error as Error;
  const status = (error as { status?: number }).status ?? 0;
  // Throttled, 5xx, or STS not reached at all (network, timeout): worth the workflow's retry.
  if (isTransient(error) || status >= 500 || ['TypeError', 'TimeoutError', 'AbortError'].includes(e.name))
    return new AwsTransientError(`sts:AssumeRole ${where.roleArn}: ${e.message}`, { cause: error });
  return new MemberAccountError(
    `cannot assume ${where.roleArn} to act in account ${where.account} (${where.region}): ${e.name}: ${e.message}. Deploy the member stack there (docs/member-stack.yml) with this deployment's central account and external id`,
    where.account,
    where.region,
  );
}

/**
 * The deployed factory: settings from the zod config, STS with the functions' own credentials.
 * Without MEDIC_CENTRAL_ACCOUNT (serverless.yml always sets it, and so do local runs) medic is a
 * single-account deployment: whatever account an alarm names is taken to be its own.
 */
export const caseClients = /* @__PURE__ */ perEnvironment((environment) => {
  const config = orgConfig();
  return awsClients({
    settings: async () => ({
      centralAccount: config.MEDIC_CENTRAL_ACCOUNT ?? '',
      centralRegion: config.AWS_REGION,
      memberRoleName: config.MEDIC_MEMBER_ROLE_NAME,
      memberAccounts: config.MEDIC_MEMBER_ACCOUNTS ?? null,
    }),
    externalId: config.MEDIC_MEMBER_EXTERNAL_ID,
    now: Date.now,
    // STS in the function's own region (see the header), with the function's own keys.
    assume: (r) =>
      assumeRole(environment, config.AWS_REGION, {
        RoleArn: r.roleArn,
        RoleSessionName: r.sessionName,
        DurationSeconds: r.durationSeconds,
        ...(r.externalId ? { ExternalId: r.externalId } : {}),
      }),
  });
});

/** Shorthand for handlers: the case's client for one service. */
export function clientFor<C>(
  service: string,
  make: (config: ClientConfig) => C,
  c: CaseWhere,
  options: { maxAttempts?: number } = {},
): Promise<C> {
  return caseClients().client(service, make, c, options);
}
