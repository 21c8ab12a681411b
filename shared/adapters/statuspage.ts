/**
 * Atlassian Statuspage (REST v1) on fetch: the four routes in local/statuspage-routes.generated.json,
 * authenticated with `Authorization: OAuth <key>`.
 *
 * Rate limit: each API token may send 1 request per second (rolling 60 s window); beyond it the API
 * answers 420 or 429. A token bucket per key and sandbox spaces the requests; a 420/429 is retried
 * after its Retry-After (or backoff), a bounded number of times and never past the caller's
 * deadline. 5xx and network failures get the same bounded retries; other 4xx are not retried.
 */
import { createHash } from 'node:crypto';
import { type Deadline, NO_DEADLINE } from '../domain/deadline.ts';
import { DeadlineExceededError, StatusPageRequestError, StatusPageUnavailableError } from '../errors.ts';
import {
  type BucketShape,
  fullBucket,
  rateLimitPause,
  type TokenBucket,
  takeToken,
} from '../policy/token-bucket.ts';
import type { StatusPageIncident, StatusPagePort } from '../ports.ts';

export const STATUSPAGE_API = 'https://api.statuspage.io/v1';
/** 1 request per second per token, no burst: a burst would eat the rolling window's allowance. */
export const STATUSPAGE_BUCKET: BucketShape = { capacity: 1, perSecond: 1 };
/** Below this much time left a request could not be answered: it is not started. */
export const MIN_REQUEST_MS = 300;

export interface StatusPageSettings {
  baseUrl: string;
  pageId: string;
  apiKey: string;
  timeoutMs: number;
  deadline?: Deadline;
  /** Attempts per request (default 4). */
  attempts?: number;
  /** Longest single wait after a 420/429 (default 10 s). */
  maxPauseMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** One bucket per key in this sandbox: every port built for the key spends from it. */
const buckets = new Map<string, TokenBucket>();

type RawIncident = { id?: unknown; status?: unknown; metadata?: unknown };

/**
 * The episode as the incident's metadata names it: an opaque digest, because the episode key is
 * built from the alarm's name and anyone with API access to the page can read the metadata.
 */
export function episodeRef(episodeKey: string): string {
  return createHash('sha256').update(episodeKey).digest('hex').slice(0, 24);
}

function medicMeta(raw: RawIncident): { ref: string | null; posted: string[] } {
  const meta = (raw.metadata as { medic?: { ref?: unknown; posted?: unknown } } | null)?.medic;
  return {
    ref: typeof meta?.ref === 'string' ? meta.ref : null,
    posted: typeof meta?.posted === 'string' && meta.posted ? meta.posted.split(',') : [],
  };
}

function toIncident(raw: RawIncident, episodeKey: string): StatusPageIncident {
  return {
    id: String(raw.id ?? ''),
    status: String(raw.status ?? ''),
    episodeKey,
    posted: medicMeta(raw).posted,
  };
}

export function statusPage(settings: StatusPageSettings): StatusPagePort {
  const base = settings.baseUrl.replace(/\/$/, '');
  const page = encodeURIComponent(settings.pageId);
  const deadline = settings.deadline ?? NO_DEADLINE;
  const attempts = settings.attempts ?? 4;
  const maxPauseMs = settings.maxPauseMs ?? 10_000;
  const now = settings.now ?? Date.now;
  const sleep = settings.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  async function waitForToken(): Promise<void> {
    const t = now();
    const taken = takeToken(
      STATUSPAGE_BUCKET,
      buckets.get(settings.apiKey) ?? fullBucket(STATUSPAGE_BUCKET, t),
      t,
    );
    buckets.set(settings.apiKey, taken.bucket);
    if (taken.waitMs > 0) await sleep(Math.min(taken.waitMs, Math.max(0, deadline.leftMs())));
  }

  async function call(what: string, method: string, path: string, body?: unknown): Promise<unknown> {
    let last = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      await waitForToken();
      if (deadline.leftMs() < MIN_REQUEST_MS)
        throw new DeadlineExceededError(
          `Statuspage ${what} not attempted: the function's time is nearly up${last ? ` (last: ${last})` : ''}`,
        );
      let response: Response;
      try {
        response = await fetch(`${base}${path}`, {
          method,
          headers: {
            Authorization: `OAuth ${settings.apiKey}`,
            Accept: 'application/json',
            ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(Math.max(1, Math.min(settings.timeoutMs, deadline.leftMs()))),
          redirect: 'error',
        });
      } catch (error) {
        last = `network error ${(error as Error).name}`;
        if (attempt < attempts)
          await sleep(Math.min(200 * 2 ** (attempt - 1), Math.max(0, deadline.leftMs())));
        continue;
      }
      if (response.ok) return response.status === 204 ? null : await response.json();
      const status = response.status;
      // The answer is not read into messages: it could echo what was sent.
      await response.body?.cancel().catch(() => undefined);
      last = `HTTP ${status}`;
      if (status === 420 || status === 429) {
        const pause = rateLimitPause(response.headers.get('retry-after'), attempt, now(), {
          baseMs: 1_000,
          capMs: maxPauseMs,
        });
        if (attempt < attempts) {
          if (pause > deadline.leftMs() - MIN_REQUEST_MS)
            throw new StatusPageUnavailableError(
              `Statuspage ${what}: rate limited (HTTP ${status}) and the wait it asks for (${pause} ms) does not fit the time left`,
            );
          await sleep(pause);
        }
        continue;
      }
      if (status < 500) throw new StatusPageRequestError(`Statuspage ${what} rejected: HTTP ${status}`);
      if (attempt < attempts) await sleep(Math.min(200 * 2 ** (attempt - 1), Math.max(0, deadline.leftMs())));
    }
    throw new StatusPageUnavailableError(`Statuspage ${what} failed after ${attempts} attempts: ${last}`);
  }

  const metadata = (episodeKey: string, posted: string[]) => ({
    medic: { ref: episodeRef(episodeKey), posted: posted.join(',') },
  });

  return {
    async findIncident(episodeKey) {
      // Open ones first (where a rerun usually finds it), then the latest 100 (a resolved one).
      const unresolved = (await call(
        'list unresolved incidents',
        'GET',
        `/pages/${page}/incidents/unresolved?per_page=100`,
      )) as RawIncident[];
      const ref = episodeRef(episodeKey);
      const open = (Array.isArray(unresolved) ? unresolved : []).find((i) => medicMeta(i).ref === ref);
      if (open) return toIncident(open, episodeKey);
      const recent = (await call(
        'list incidents',
        'GET',
        `/pages/${page}/incidents?limit=100`,
      )) as RawIncident[];
      const found = (Array.isArray(recent) ? recent : []).find((i) => medicMeta(i).ref === ref);
      return found ? toIncident(found, episodeKey) : null;
    },

    async createIncident(change) {
      const created = (await call('create incident', 'POST', `/pages/${page}/incidents`, {
        incident: {
          name: change.name,
          status: change.status,
          impact_override: change.impact,
          body: change.body,
          component_ids: change.componentIds,
          components: change.components,
          metadata: metadata(change.episodeKey, change.posted),
          deliver_notifications: change.notify,
        },
      })) as RawIncident;
      return toIncident(created, change.episodeKey);
    },

    async updateIncident(id, change) {
      await call('update incident', 'PATCH', `/pages/${page}/incidents/${encodeURIComponent(id)}`, {
        incident: {
          status: change.status,
          body: change.body,
          component_ids: Object.keys(change.components),
          components: change.components,
          metadata: metadata(change.episodeKey, change.posted),
          deliver_notifications: change.notify,
        },
      });
    },
  };
}
