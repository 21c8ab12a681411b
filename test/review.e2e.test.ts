// The post-incident review end to end: the real ASL and handlers against moto, the local Jira and
// the local Confluence. One page per episode (a rerun updates it, version + 1), the page and the
// ticket link each other, and Confluence down never costs the run its ticket or its notification:
// the review waits in the outbox and the scheduled drain writes it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as closeHandler } from '../functions/close.ts';
import { handler as drainHandler } from '../functions/drain-outbox.ts';
import { renderHuman } from '../local/cli/main.ts';
import { type LocalConfluence, startConfluenceServer } from '../local/confluence-server.ts';
import type { SimulationResult } from '../local/simulate.ts';
import { elementsNamed, parseStorage, textOf } from '../local/storage-format.ts';
import { reviewTitle } from '../shared/domain/review.ts';
import { scheduledEvent } from './support/aws-events.ts';
import { runMedic } from './support/substrate.ts';
import { startWorld, type World } from './support/world.ts';

let w: World;
let confluence: LocalConfluence;

beforeAll(async () => {
  confluence = await startConfluenceServer({ spaceKey: 'OPS' });
  w = await startWorld({
    MEDIC_CONFLUENCE_URL: confluence.baseUrl,
    MEDIC_CONFLUENCE_FLAVOUR: 'cloud',
    MEDIC_CONFLUENCE_SPACE: 'OPS',
    MEDIC_CONFLUENCE_PARENT_ID: confluence.homepageId,
    MEDIC_CONFLUENCE_EMAIL: 'medic@example.com',
    MEDIC_CONFLUENCE_TOKEN: 'local-confluence-token',
  });
}, 120_000);
afterAll(async () => {
  await w?.stop();
  await confluence?.close();
});

/** Alarm text written to break out of storage format: a macro, a CDATA end, a raw entity, a tag. */
const HOSTILE =
  '<ac:structured-macro ac:name="html"><ac:plain-text-body><![CDATA[<script>alert(1)</script>]]></ac:plain-text-body></ac:structured-macro> &nbsp; </p><h1>x';

describe('post-incident review', () => {
  it('a run writes one page, linked both ways with the ticket; a rerun updates it (version 2), no second page or link', async () => {
    // Prepare
    const seeded = await w.seed('unreachable');
    const detail = seeded.event.detail as Record<string, unknown>;
    const event = { ...seeded.event, detail: { ...detail, alarmName: `web-1 ${HOSTILE}` } };
    await w.tag(seeded.instanceId, 'Name', `web-1 ${HOSTILE}`);

    // Act
    const first = await w.run(event);

    // Assess: the page, titled for the episode, names the ticket; the ticket links the page
    expect(first.status, JSON.stringify(first.error)).toBe('SUCCEEDED');
    const ticket = first.state?.ticket;
    expect(ticket?.key).toMatch(/^OPS-\d+$/);
    expect(first.state?.review).toMatchObject({
      id: expect.stringMatching(/^\d+$/),
      url: expect.any(String),
    });
    const pages = confluence.pages();
    expect(pages).toHaveLength(1);
    const [page] = pages;
    expect(page?.title).toBe(reviewTitle(first.state as never));
    expect(page?.title).toMatch(/^\[medic\] \d{4}-\d{2}-\d{2} web-1 .* — web-1 /);
    expect(page?.version).toBe(1);
    const body = parseStorage(page?.body ?? '');
    // Hostile text stays text: no element it spelled out exists, and a reader sees it verbatim.
    expect(elementsNamed(body, 'ac:structured-macro')).toEqual([]);
    expect(elementsNamed(body, 'h1')).toEqual([]);
    expect(textOf(body)).toContain(HOSTILE);
    const ticketLinks = elementsNamed(body, 'a').filter((a) => a.attributes.href === ticket?.url);
    expect(ticketLinks.map(textOf)).toEqual([ticket?.key]);
    for (const title of ['Summary and impact', 'Timeline', 'What medic checked and found', 'Action items'])
      expect(elementsNamed(body, 'h2').map(textOf)).toContain(title);
    expect(elementsNamed(body, 'ac:task').length).toBeGreaterThan(0);
    const links = (await remoteLinks(ticket?.key ?? '')) as { globalId: string; object: { url: string } }[];
    expect(links).toHaveLength(1);
    expect(links[0]?.object.url).toBe(first.state?.review?.url);

    // Act: the episode's Close runs again (Lambda retried it after a lost answer, or the catch-all
    // path records once more): Step Functions never starts a second execution with the same name.
    const again = (await closeHandler(
      { state: first.state, executionName: first.state?.incidentId },
      {} as never,
    )) as { review?: { id: string; url: string } | null; ticket?: { key: string } | null };

    // Assess
    expect(again.ticket?.key).toBe(ticket?.key);
    expect(again.review?.id).toBe(page?.id);
    expect(confluence.pages()).toHaveLength(1);
    expect(confluence.pages()[0]?.version).toBe(2);
    expect(await remoteLinks(ticket?.key ?? '')).toHaveLength(1);
    expect(await w.safetyItems('REVIEW_OUTBOX')).toEqual([]);
  }, 180_000);

  it('Confluence down: the run still ends with its ticket and notification; the drain writes the page later', async () => {
    // Prepare
    await w.reset();
    const seeded = await w.seed('unreachable');
    const pagesBefore = confluence.pages().length;
    confluence.setFaults({ down: true });

    // Act
    const run = await w.run(seeded.event);

    // Assess: nothing lost but the page, which waits in the outbox
    expect(run.status, JSON.stringify(run.error)).toBe('SUCCEEDED');
    expect(run.state?.ticket?.key).toMatch(/^OPS-\d+$/);
    expect(run.state?.review).toBeNull();
    expect(run.state?.timeline.map((e) => e.summary)).toContainEqual(
      expect.stringMatching(
        /^could not write the post-incident review \(ConfluenceUnavailableError: .*it waits in the outbox$/,
      ),
    );
    const final = (await w.inbox()).find((m) =>
      /^\[medic\] (RESOLVED|SELF-RECOVERED|ESCALATED)/.test(m.subject),
    );
    expect(final?.body).toContain(run.state?.ticket?.key);
    expect(await w.safetyItems('REVIEW_OUTBOX')).toHaveLength(1);
    expect(confluence.pages()).toHaveLength(pagesBefore);

    // Act: still down, then up
    const down = (await drainHandler(scheduledEvent('medic-test-drain-outbox'), {} as never)) as {
      reviews?: { retryLater: unknown[] };
    };
    confluence.setFaults({});
    await w.dynamo.send(
      // The drain honours the backoff; make the waiting item due now, as time passing would.
      new (await import('@aws-sdk/client-dynamodb')).UpdateItemCommand({
        TableName: process.env.MEDIC_SAFETY_TABLE,
        Key: { pk: { S: 'REVIEW_OUTBOX' }, sk: { S: run.state?.incidentId ?? '' } },
        UpdateExpression: 'SET nextAttemptAt = :now',
        ExpressionAttributeValues: { ':now': { S: new Date(Date.now() - 1_000).toISOString() } },
      }),
    );
    const up = (await drainHandler(scheduledEvent('medic-test-drain-outbox'), {} as never)) as {
      reviews?: { written: { pageId: string; linked: boolean }[] };
    };

    // Assess
    expect(down.reviews?.retryLater).toHaveLength(1);
    expect(up.reviews?.written).toEqual([expect.objectContaining({ linked: true })]);
    expect(confluence.pages()).toHaveLength(pagesBefore + 1);
    const page = confluence.pages().at(-1);
    expect(textOf(parseStorage(page?.body ?? ''))).toContain(run.state?.ticket?.key ?? '(none)');
    const links = (await remoteLinks(run.state?.ticket?.key ?? '')) as { object: { url: string } }[];
    expect(links.map((l) => l.object.url)).toEqual([page?.url]);
    expect(await w.safetyItems('REVIEW_OUTBOX')).toEqual([]);
  }, 180_000);
});

describe('medic simulate', () => {
  it('--json reports the review it wrote, and the human output prints its URL', async () => {
    // Prepare: the CLI is given this file's Confluence (a loopback URL) through its environment
    await w.reset();
    const before = confluence.pages().length;
    // Act
    const run = await runMedic(['simulate', '--scenario', 'unreachable', '--json'], w.s.env);
    // Assess
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as SimulationResult;
    const page = confluence.pages().find((p) => p.id === result.review?.id);
    // A new episode: a page of its own, even though an earlier test's episode had the same title.
    expect(confluence.pages()).toHaveLength(before + 1);
    expect(page?.title).toMatch(/ \(2\)$/);
    expect(result.review).toEqual({ id: page?.id, url: expect.stringContaining(`/pages/${page?.id}`) });
    expect(textOf(parseStorage(page?.body ?? ''))).toContain(result.ticket?.key ?? '(no ticket)');
    expect(renderHuman(result)).toContain(`  review:         ${result.review?.url}`);
  }, 180_000);
});

async function remoteLinks(key: string): Promise<unknown[]> {
  const response = await fetch(`${w.s.jira.baseUrl}/rest/api/3/issue/${key}/remotelink`, {
    headers: { authorization: `Basic ${Buffer.from('medic@example.com:local-token').toString('base64')}` },
    signal: AbortSignal.timeout(5_000),
  });
  return (await response.json()) as unknown[];
}
