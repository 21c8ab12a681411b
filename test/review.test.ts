/**
 * The post-incident review: its title, its storage-format body (hostile alarm and host text stays
 * text), its sections, the use case's create-or-update with Confluence's version rule, the drain's
 * wait for a ticket, and the Jira remote link keyed by globalId.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalJira, startJiraServer } from '../local/jira-server.ts';
import { elementsNamed, parseStorage, textOf } from '../local/storage-format.ts';
import { jiraTickets } from '../shared/adapters/jira.ts';
import { para, t } from '../shared/domain/document.ts';
import { episodeOutcome, prevention } from '../shared/domain/report.ts';
import { EPISODE_MARKER, type ReviewDocument, reviewDocument, reviewTitle } from '../shared/domain/review.ts';
import { storageEpisodeKey, toStorage } from '../shared/domain/storage.ts';
import { ConfluenceConflictError } from '../shared/errors.ts';
import type { RemoteLink, ReviewOutboxItem, ReviewPage, ReviewPort, TicketFound } from '../shared/ports.ts';
import { drainReviews, publishReview, reviewGlobalId } from '../shared/usecases/review.ts';
import { fixedClock, resolvedIncident } from './support/incident.ts';
import { LOCAL_JIRA } from './support/jira.ts';

const HOSTILE =
  '<ac:structured-macro ac:name="html"><ac:plain-text-body><![CDATA[<script>x</script>]]></ac:plain-text-body></ac:structured-macro> &nbsp; &#x3c; </td></tr><h1>\u0001\ud800';

describe('reviewTitle', () => {
  it.each([
    [
      'the alarm day in UTC, the Name tag, an em dash',
      '2026-03-01T03:00:00.000Z',
      'web-1',
      'web-1 status',
      '[medic] 2026-03-01 web-1 — web-1 status',
    ],
    [
      'a local-time alarm is dated in UTC',
      '2026-03-01T23:30:00.000-02:00',
      'web-1',
      'a',
      '[medic] 2026-03-02 web-1 — a',
    ],
    [
      'no Name tag: the instance id',
      '2026-03-01T03:00:00.000Z',
      undefined,
      'a',
      '[medic] 2026-03-01 i-0abc123def4567890 — a',
    ],
    [
      'line breaks become spaces',
      '2026-03-01T03:00:00.000Z',
      'web\n1',
      'disk\r\nfull',
      '[medic] 2026-03-01 web 1 — disk full',
    ],
  ])('%s', (_why, enteredAlarmAt, name, alarmName, expected) => {
    // Prepare
    const base = resolvedIncident({ alarmName });
    const state = {
      ...base,
      trigger: { ...base.trigger, enteredAlarmAt },
      targets: base.targets.map((x) => ({ ...x, name })),
    };
    // Act
    const title = reviewTitle(state as never);
    // Assess
    expect(title).toBe(expected);
  });

  it('stays within Confluence’s 255 characters', () => {
    // Act
    const title = reviewTitle(resolvedIncident({ alarmName: 'x'.repeat(400) }));
    // Assess
    expect(title.length).toBe(255);
    expect(title.endsWith('…')).toBe(true);
  });
});

describe('toStorage', () => {
  it('keeps hostile alarm and host text as text: well-formed, no element it spelled, read back verbatim', () => {
    // Prepare
    const doc: ReviewDocument = {
      sections: [
        {
          title: HOSTILE,
          blocks: [
            {
              type: 'paragraph',
              content: [
                { text: HOSTILE, bold: true },
                { text: HOSTILE, href: 'javascript:alert(1)' },
              ],
            },
            { type: 'bullets', items: [[{ text: HOSTILE, code: true }]] },
            { type: 'table', header: [HOSTILE], rows: [[HOSTILE]] },
            { type: 'tasks', items: [HOSTILE] },
          ],
        },
      ],
    };
    // Act
    const body = parseStorage(toStorage(doc));
    // Assess
    expect(elementsNamed(body, 'ac:structured-macro')).toEqual([]);
    expect(elementsNamed(body, 'h1')).toEqual([]);
    // A non-http(s) href is never a link; the XML-forbidden characters become spaces.
    expect(elementsNamed(body, 'a')).toEqual([]);
    const visible = HOSTILE.replaceAll('\u0001', ' ').replaceAll('\ud800', ' ');
    for (const name of ['h2', 'strong', 'code', 'th', 'td', 'ac:task-body'])
      expect(elementsNamed(body, name).map(textOf), name).toEqual([visible]);
  });
});

describe('storageEpisodeKey', () => {
  it('reads back the episode a rendered review belongs to, escaped characters included', () => {
    // Prepare
    const key = 'medic-manual-a&b<c>-1';
    const doc: ReviewDocument = {
      sections: [{ title: 'Links', blocks: [para(t(`${EPISODE_MARKER}${key}`))] }],
    };
    // Act / Assess
    expect(storageEpisodeKey(toStorage(doc))).toBe(key);
    expect(storageEpisodeKey('<p>written by a person</p>')).toBeNull();
  });
});

describe('reviewDocument', () => {
  it('has the review’s sections, the action items from the prevention suggestions, and links the ticket', () => {
    // Prepare
    const state = resolvedIncident();
    // Act
    const doc = reviewDocument(state, state.timeline, episodeOutcome(state), {
      ticket: { key: 'OPS-7', url: 'https://acme.atlassian.net/browse/OPS-7' },
    });
    // Assess
    expect(doc.sections.map((s) => s.title)).toEqual([
      'Summary and impact',
      'Timeline',
      'What medic checked and found',
      'Actions and results',
      'Recent changes',
      'Contributing factors (hypotheses)',
      'What went well',
      'What went poorly',
      'Action items',
      'Links',
    ]);
    const body = parseStorage(toStorage(doc));
    expect(elementsNamed(body, 'ac:task-body').map(textOf)).toEqual(prevention(state));
    expect(elementsNamed(body, 'a').map((a) => [textOf(a), a.attributes.href])).toContainEqual([
      'OPS-7',
      'https://acme.atlassian.net/browse/OPS-7',
    ]);
    expect(textOf(body)).toContain('os (medium confidence)');
  });
});

/** The episode a document says it belongs to (the review's marker paragraph). */
function episodeIn(doc: ReviewDocument): string | null {
  for (const block of doc.sections.flatMap((x) => x.blocks))
    if (block.type === 'paragraph' && block.content[0]?.text.startsWith(EPISODE_MARKER))
      return block.content[0].text.slice(EPISODE_MARKER.length);
  return null;
}

type FakePage = ReviewPage & { title: string; episodeKey: string | null };

/** An in-memory Confluence space: titles unique, versions counted, optional one-off conflict. */
function fakePages(
  options: { conflictOnce?: boolean } = {},
): ReviewPort & { pages: Map<string, FakePage>; calls: string[] } {
  const pages = new Map<string, FakePage>();
  const calls: string[] = [];
  let conflict = options.conflictOnce ?? false;
  return {
    flavour: 'cloud',
    pages,
    calls,
    async findByTitle(title) {
      calls.push(`find ${title}`);
      return [...pages.values()].find((p) => p.title === title) ?? null;
    },
    async create(title, doc) {
      calls.push(`create ${title}`);
      if ([...pages.values()].some((p) => p.title === title)) throw new Error('title taken');
      const id = String(pages.size + 1);
      const page = { id, url: `https://wiki/${id}`, version: 1, title, episodeKey: episodeIn(doc) };
      pages.set(id, page);
      return page;
    },
    async update(id, _title, _doc, version) {
      calls.push(`update ${id} v${version}`);
      const page = pages.get(id);
      if (!page) throw new Error('no page');
      if (conflict) {
        conflict = false;
        page.version += 1; // someone else saved in between
        throw new ConfluenceConflictError('HTTP 409');
      }
      if (version !== page.version + 1) throw new ConfluenceConflictError(`HTTP 409 v${version}`);
      page.version = version;
      return page;
    },
  };
}

const draft = (
  ticket: { key: string; url: string | null } | null = { key: 'OPS-1', url: null },
  episodeKey = 'medic-web-1-1',
) => ({
  episodeKey,
  title: '[medic] 2026-03-01 web-1 — a',
  document: { sections: [{ title: 'Links', blocks: [para(t(`${EPISODE_MARKER}${episodeKey}`))] }] },
  ticket,
});

describe('publishReview', () => {
  it('creates the page once, then updates it with the version plus one; the link keeps one globalId', async () => {
    // Prepare
    const pages = fakePages();
    const links: [string, RemoteLink][] = [];
    const link = { remoteLink: async (key: string, l: RemoteLink) => void links.push([key, l]) };
    // Act
    const first = await publishReview(draft(), { pages, links: link });
    const second = await publishReview(draft(), { pages, links: link });
    // Assess
    expect(first).toMatchObject({ id: '1', version: 1, created: true, linked: true });
    expect(second).toMatchObject({ id: '1', version: 2, created: false, linked: true });
    expect(pages.pages.size).toBe(1);
    expect(links.map(([key, l]) => [key, l.globalId, l.url])).toEqual([
      ['OPS-1', reviewGlobalId('medic-web-1-1'), 'https://wiki/1'],
      ['OPS-1', reviewGlobalId('medic-web-1-1'), 'https://wiki/1'],
    ]);
  });

  it('leaves another episode’s page with the same title alone and takes the next numbered title', async () => {
    // Prepare: the same alarm on the same instance earlier that day
    const pages = fakePages();
    await publishReview(draft(null, 'medic-web-1-earlier'), { pages });
    // Act
    const later = await publishReview(draft(null, 'medic-web-1-later'), { pages });
    const again = await publishReview(draft(null, 'medic-web-1-later'), { pages });
    // Assess
    expect([...pages.pages.values()].map((p) => [p.title, p.episodeKey, p.version])).toEqual([
      ['[medic] 2026-03-01 web-1 — a', 'medic-web-1-earlier', 1],
      ['[medic] 2026-03-01 web-1 — a (2)', 'medic-web-1-later', 2],
    ]);
    expect(later).toMatchObject({ created: true });
    expect(again).toMatchObject({ id: later.id, created: false });
  });

  it('reads the version again once when Confluence answers 409', async () => {
    // Prepare
    const pages = fakePages({ conflictOnce: true });
    await publishReview(draft(null), { pages });
    // Act
    const updated = await publishReview(draft(null), { pages });
    // Assess
    expect(updated.version).toBe(3);
    expect(pages.calls.filter((c) => c.startsWith('update'))).toEqual(['update 1 v2', 'update 1 v3']);
  });
});

describe('drainReviews', () => {
  it('writes the page but keeps the item while the ticket is not filed, then links it once it is', async () => {
    // Prepare
    let item: ReviewOutboxItem | null = {
      episodeKey: 'medic-web-1-1',
      review: draft(null),
      attempts: 0,
      nextAttemptAt: '2026-03-01T03:00:00.000Z',
      lastError: '',
    };
    const store = {
      dueReviews: async () => (item ? [item] : []),
      leaseReview: async () => true,
      rescheduleReview: async (_k: string, attempts: number, next: Date, lastError: string) => {
        if (item) item = { ...item, attempts, nextAttemptAt: next.toISOString(), lastError };
      },
      deleteReview: async () => {
        item = null;
      },
    };
    const pages = fakePages();
    let found: TicketFound[] = [];
    const links: string[] = [];
    const tickets = async () => ({
      search: async () => found,
      remoteLink: async (key: string) => void links.push(key),
    });
    const deps = { store, pages: async () => pages, tickets, clock: fixedClock(), random: () => 0.5 };
    // Act
    const waiting = await drainReviews(deps);
    found = [{ key: 'OPS-9', url: 'https://jira/OPS-9', labels: [], done: false, updated: null }];
    const done = await drainReviews(deps);
    // Assess
    expect(waiting.retryLater).toEqual([
      expect.objectContaining({ attempts: 1, error: expect.stringMatching(/^TicketNotFiledYetError/) }),
    ]);
    expect(done.written).toEqual([{ episodeKey: 'medic-web-1-1', pageId: '1', version: 2, linked: true }]);
    expect(links).toEqual(['OPS-9']);
    expect(item).toBeNull();
  });
});

describe('Jira remote link', () => {
  let jira: LocalJira | undefined;
  afterEach(async () => {
    await jira?.close();
    jira = undefined;
  });

  it('is created once and updated in place for the same globalId', async () => {
    // Prepare
    jira = await startJiraServer(LOCAL_JIRA);
    const tickets = jiraTickets({
      baseUrl: jira.baseUrl,
      ...LOCAL_JIRA,
      issueType: 'Task',
      timeoutMs: 2_000,
    });
    const { key } = await tickets.create({
      summary: 's',
      labels: ['medic'],
      priority: 'Low',
      description: { sections: [] },
    });
    const link = { globalId: reviewGlobalId('medic-web-1-1'), url: 'https://wiki/1', title: 'review' };
    // Act
    await tickets.remoteLink(key, link);
    await tickets.remoteLink(key, { ...link, url: 'https://wiki/1?v=2' });
    // Assess
    const links = jira.issues().find((i) => i.key === key)?.remoteLinks ?? [];
    expect(links.map((l) => [l.globalId, l.object.url])).toEqual([[link.globalId, 'https://wiki/1?v=2']]);
    expect(
      jira
        .requests()
        .filter((r) => r.path.endsWith('/remotelink'))
        .map((r) => r.status),
    ).toEqual([201, 200]);
  });
});
