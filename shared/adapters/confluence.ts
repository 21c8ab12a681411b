/**
 * Confluence adapter (one service) for the post-incident review, both flavours chosen by one
 * setting (MEDIC_CONFLUENCE_FLAVOUR), both with storage-format bodies (storage.ts):
 * - `cloud`: REST v2 under /wiki/api/v2 — GET /spaces?keys= (a space key → its id), GET
 *   /pages?space-id=&title=, POST /pages, PUT /pages/{id} with version.number = current + 1.
 * - `data-center`: REST /rest/api/content — GET ?type=page&spaceKey=&title=&expand=version, POST,
 *   PUT /{id} with the version likewise.
 * Transient failures (5xx, 429, timeouts, refused connections) are retried with backoff and jitter
 * inside the caller's deadline, then surface as ConfluenceUnavailableError; 409 (the version moved
 * on) as ConfluenceConflictError; other 4xx as ConfluenceRequestError.
 */
import { type Deadline, NO_DEADLINE } from '../domain/deadline.ts';
import type { ReviewDocument } from '../domain/review.ts';
import { storageEpisodeKey, toStorage } from '../domain/storage.ts';
import {
  ConfluenceConflictError,
  ConfluenceRequestError,
  ConfluenceUnavailableError,
  DeadlineExceededError,
} from '../errors.ts';
import type { ReviewPage, ReviewPort } from '../ports.ts';

export type ConfluenceFlavour = 'cloud' | 'data-center';

export interface ConfluenceSettings {
  baseUrl: string;
  flavour: ConfluenceFlavour;
  /** A numeric space id (Cloud) or a space key. */
  space: string;
  parentId?: string;
  /** With an email: basic auth (Cloud API token); without: the token is a bearer PAT (Data Center). */
  email?: string;
  token: string;
  timeoutMs: number;
  attempts?: number;
  backoffMs?: number;
  deadline?: Deadline;
}

/** Below this much time left an attempt could not get an answer anyway: it is not started. */
export const MIN_ATTEMPT_MS = 250;

interface Answer {
  status: number;
  body: unknown;
}

type Json = Record<string, unknown>;
const isJson = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function confluencePages(settings: ConfluenceSettings): ReviewPort {
  const base = settings.baseUrl.replace(/\/$/, '');
  const deadline = settings.deadline ?? NO_DEADLINE;
  const attempts = settings.attempts ?? 3;
  const backoffMs = settings.backoffMs ?? 200;
  const authorization = settings.email
    ? `Basic ${Buffer.from(`${settings.email}:${settings.token}`).toString('base64')}`
    : `Bearer ${settings.token}`;
  const cloud = settings.flavour === 'cloud';

  async function once(method: string, path: string, body?: unknown): Promise<Answer> {
    const limit = Math.max(1, Math.min(settings.timeoutMs, deadline.leftMs()));
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(limit),
      redirect: 'error',
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (an HTML error page from a proxy): kept as text for the message.
    }
    return { status: response.status, body: parsed };
  }

  function describe(answer: Answer | null, error: unknown): string {
    if (!answer) return `network error ${(error as Error)?.name ?? ''}: ${(error as Error)?.message ?? ''}`;
    const b = answer.body;
    const message = isJson(b)
      ? String(b.message ?? (Array.isArray(b.errors) ? JSON.stringify(b.errors).slice(0, 300) : ''))
      : String(b ?? '').slice(0, 200);
    return `HTTP ${answer.status}${message ? `: ${message}` : ''}`;
  }

  async function call(what: string, method: string, path: string, body?: unknown): Promise<unknown> {
    let last = 'not attempted';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (deadline.leftMs() < MIN_ATTEMPT_MS) {
        throw new DeadlineExceededError(
          `Confluence ${what} not attempted: the function's time is nearly up${attempt > 1 ? ` (after ${attempt - 1} attempt(s): ${last})` : ''}`,
        );
      }
      let answer: Answer | null = null;
      try {
        answer = await once(method, path, body);
      } catch (error) {
        last = describe(null, error);
      }
      if (answer) {
        if (answer.status < 300) return answer.body;
        last = describe(answer, null);
        if (answer.status === 409) throw new ConfluenceConflictError(`Confluence ${what} conflict: ${last}`);
        if (answer.status < 500 && answer.status !== 429)
          throw new ConfluenceRequestError(`Confluence ${what} rejected: ${last}`);
      }
      if (attempt < attempts) {
        const pause = Math.random() * backoffMs * 2 ** (attempt - 1);
        await new Promise((r) => setTimeout(r, Math.max(0, Math.min(pause, deadline.leftMs()))));
      }
    }
    throw new ConfluenceUnavailableError(`Confluence ${what} failed after ${attempts} attempts: ${last}`);
  }

  /** The page as a reader opens it: the answer's own web link, else the flavour's canonical one. */
  function pageOf(answer: unknown): ReviewPage {
    const page = isJson(answer) ? answer : {};
    const id = String(page.id ?? '');
    if (!/^\d+$/.test(id)) throw new ConfluenceRequestError(`Confluence answered without a page id`);
    const version = isJson(page.version) ? Number(page.version.number) : Number.NaN;
    const links = isJson(page._links) ? page._links : {};
    const webui = typeof links.webui === 'string' ? links.webui : null;
    const linkBase = typeof links.base === 'string' ? links.base : cloud ? `${base}/wiki` : base;
    const url = webui
      ? `${linkBase}${webui}`
      : cloud
        ? `${base}/wiki/pages/viewpage.action?pageId=${id}`
        : `${base}/pages/viewpage.action?pageId=${id}`;
    return { id, url, version: Number.isInteger(version) && version > 0 ? version : 1 };
  }

  /** Both flavours answer the storage body as body.storage.value when asked for it. */
  function episodeOf(answer: unknown): string | null {
    const body = isJson(answer) && isJson(answer.body) ? answer.body.storage : undefined;
    return isJson(body) && typeof body.value === 'string' ? storageEpisodeKey(body.value) : null;
  }

  let spaceId: Promise<string> | undefined;
  /** Cloud v2 addresses spaces by id; a key is looked up once per port. */
  function cloudSpaceId(): Promise<string> {
    if (/^\d+$/.test(settings.space)) return Promise.resolve(settings.space);
    spaceId ??= (async () => {
      const found = await call(
        'space lookup',
        'GET',
        `/wiki/api/v2/spaces?${new URLSearchParams({ keys: settings.space, limit: '1' })}`,
      );
      const first = isJson(found) && Array.isArray(found.results) ? found.results[0] : undefined;
      if (!isJson(first) || first.id === undefined)
        throw new ConfluenceRequestError(
          `Confluence has no space with key ${settings.space} (or the token cannot see it)`,
        );
      return String(first.id);
    })().catch((error: unknown) => {
      spaceId = undefined;
      throw error;
    });
    return spaceId;
  }

  const storage = (document: ReviewDocument) => ({ representation: 'storage', value: toStorage(document) });

  return {
    flavour: settings.flavour,

    async findByTitle(title) {
      if (cloud) {
        const query = new URLSearchParams({
          'space-id': await cloudSpaceId(),
          title,
          status: 'current',
          'body-format': 'storage',
          limit: '1',
        });
        const found = await call('page lookup', 'GET', `/wiki/api/v2/pages?${query}`);
        const first = isJson(found) && Array.isArray(found.results) ? found.results[0] : undefined;
        return first === undefined ? null : { ...pageOf(first), episodeKey: episodeOf(first) };
      }
      const query = new URLSearchParams({
        type: 'page',
        spaceKey: settings.space,
        title,
        expand: 'version,body.storage',
        limit: '1',
      });
      const found = await call('page lookup', 'GET', `/rest/api/content?${query}`);
      const first = isJson(found) && Array.isArray(found.results) ? found.results[0] : undefined;
      return first === undefined ? null : { ...pageOf(first), episodeKey: episodeOf(first) };
    },

    async create(title, document) {
      if (cloud) {
        return pageOf(
          await call('page create', 'POST', '/wiki/api/v2/pages', {
            spaceId: await cloudSpaceId(),
            status: 'current',
            title,
            ...(settings.parentId ? { parentId: settings.parentId } : {}),
            body: storage(document),
          }),
        );
      }
      return pageOf(
        await call('page create', 'POST', '/rest/api/content', {
          type: 'page',
          title,
          space: { key: settings.space },
          ...(settings.parentId ? { ancestors: [{ id: settings.parentId }] } : {}),
          body: { storage: storage(document) },
        }),
      );
    },

    async update(id, title, document, version) {
      const message = 'updated by medic (the episode ran again)';
      if (cloud) {
        return pageOf(
          await call('page update', 'PUT', `/wiki/api/v2/pages/${encodeURIComponent(id)}`, {
            id,
            status: 'current',
            title,
            body: storage(document),
            version: { number: version, message },
          }),
        );
      }
      return pageOf(
        await call('page update', 'PUT', `/rest/api/content/${encodeURIComponent(id)}`, {
          id,
          type: 'page',
          title,
          space: { key: settings.space },
          body: { storage: storage(document) },
          version: { number: version, message },
        }),
      );
    },
  };
}
