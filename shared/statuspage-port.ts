/**
 * The Statuspage port, its outbox and the episode's publish lease, for the functions that publish:
 * Decide and the action steps while the run is under way, Close at its end, the outbox drainer.
 * The API key is read from SSM (SecureString, kept 5 minutes per Lambda sandbox), never from the
 * environment of a deployed stack; the port is bound to the caller's deadline.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';
import { documentClient } from './adapters/dynamo-document.ts';
import { dynamoStatusLease, dynamoStatusOutbox } from './adapters/safety/status-outbox.ts';
import { ssmSecureString } from './adapters/ssm-secure-string.ts';
import { statusPage } from './adapters/statuspage.ts';
import { perEnvironment, safetyConfig, statusPageConfig } from './config.ts';
import type { Deadline } from './domain/deadline.ts';
import type { ActionKind, InstanceCase } from './domain/model.ts';
import { append, entry, systemClock } from './domain/timeline.ts';
import type { StatusOutbox, StatusOutboxDrain, StatusPagePort, StatusPublishLease } from './ports.ts';
import { type PublishLease, type TellUsersDeps, tellUsersSoFar } from './usecases/status-page.ts';

const ssm = new SSMClient({});
const apiKeyOf = /* @__PURE__ */ perEnvironment(() => {
  const config = statusPageConfig();
  const key = config.MEDIC_STATUSPAGE_KEY;
  return key ? async () => key : ssmSecureString(ssm, config.MEDIC_STATUSPAGE_KEY_PARAMETER ?? '');
});

/** Whether this deployment publishes on a status page at all (a page id is configured). */
export function statusPageEnabled(): boolean {
  return Boolean(statusPageConfig().MEDIC_STATUSPAGE_PAGE_ID);
}

export async function statusPagePort(deadline?: Deadline): Promise<StatusPagePort> {
  const config = statusPageConfig();
  // A failed read is not kept: the next publish asks SSM again.
  const apiKey = await apiKeyOf()();
  return statusPage({
    baseUrl: config.MEDIC_STATUSPAGE_URL,
    pageId: config.MEDIC_STATUSPAGE_PAGE_ID ?? '',
    apiKey,
    timeoutMs: config.MEDIC_STATUSPAGE_TIMEOUT_MS,
    ...(deadline ? { deadline } : {}),
  });
}

export const statusOutbox: () => StatusOutbox & StatusOutboxDrain = /* @__PURE__ */ perEnvironment(() =>
  dynamoStatusOutbox(documentClient(new DynamoDBClient({})), safetyConfig().MEDIC_SAFETY_TABLE),
);

export const statusLease: () => StatusPublishLease = /* @__PURE__ */ perEnvironment(() =>
  dynamoStatusLease(documentClient(new DynamoDBClient({})), safetyConfig().MEDIC_SAFETY_TABLE),
);

/** A fresh holder for one publish: two deliveries of one Task, or two cases, never share a lease. */
export function publishLease(ms: number): PublishLease {
  return { port: statusLease(), holder: randomUUID(), ms };
}

/** The deadline, cut to `budgetMs` from now: Statuspage gets that much of the invocation at most. */
export function boundedDeadline(deadline: Deadline, budgetMs: number): Deadline {
  const started = Date.now();
  return { leftMs: () => Math.min(deadline.leftMs(), budgetMs - (Date.now() - started)) };
}

/** What one publish may cost a step of the run: 4 requests at 1 per second, then the outbox. */
export const MIDRUN_STATUS_BUDGET_MS = 6_000;

export function tellUsersDeps(deadline: Deadline, budgetMs: number): TellUsersDeps {
  return {
    statusPage: statusPagePort,
    outbox: statusOutbox(),
    clock: systemClock,
    deadline: boundedDeadline(deadline, budgetMs),
    // Past the budget: a holder still publishing never loses the lease to the next one.
    lease: publishLease(budgetMs + 30_000),
  };
}

/**
 * The page follows the run (Decide, the action steps): the case's plan so far, when this stage
 * publishes at all. Bounded (MIDRUN_STATUS_BUDGET_MS) and never throws: a Statuspage that hangs or
 * fails costs the step that much time and a timeline line, never its outcome.
 */
export async function tellUsersMidRun<C extends InstanceCase>(
  c: C,
  starting: ActionKind | null,
  step: string,
  deadline: Deadline,
): Promise<C> {
  try {
    if (!statusPageEnabled()) return c;
    return await tellUsersSoFar(c, starting, step, tellUsersDeps(deadline, MIDRUN_STATUS_BUDGET_MS));
  } catch (error) {
    return {
      ...c,
      timeline: append(
        c.timeline,
        entry(systemClock, {
          step,
          kind: 'error',
          instanceId: c.target.instanceId,
          summary: `could not publish on the status page: ${(error as Error).name}: ${(error as Error).message}`,
        }),
      ),
    };
  }
}
