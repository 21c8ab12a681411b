/**
 * The status page follows the run while it is under way, end to end: the real ASL and handlers
 * against moto, the local Jira and the local Statuspage (which records every request in the order
 * it got them). The page is told by the step that knows, as it happens: the incident and the
 * component's outage right after the action acted, the step's update with it, resolved and
 * operational at Close — in that order on the wire. Two cases of one episode publishing at once
 * make one incident (the publish lease; the loser's plan waits in the outbox), a step delivered
 * again posts nothing new, and a Statuspage that hangs costs a step a bounded few seconds.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as drainHandler } from '../functions/drain-outbox.ts';
import { LOCAL_STATUSPAGE_COMPONENTS } from '../local/simulate.ts';
import { type LocalStatusPage, startStatusPageServer } from '../local/statuspage-server.ts';
import { episodeRef } from '../shared/adapters/statuspage.ts';
import { deadlineIn } from '../shared/domain/deadline.ts';
import type { InstanceCase } from '../shared/domain/model.ts';
import { OPENED_TEXT, RESOLVED_TEXT, STEP_TEXT } from '../shared/policy/statuspage.ts';
import { tellUsersMidRun } from '../shared/statuspage-port.ts';
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
const incidentsOf = (episodeKey: string) =>
  page
    .incidents()
    .filter((i) => (i.metadata.medic as { ref?: string } | undefined)?.ref === episodeRef(episodeKey));
const outboxItems = async () => (await w.safetyItems('STATUSPAGE')).filter((i) => i.pk === 'STATUSPAGE');

/** A case of a finished run, turned back into one under way for a new episode on another host. */
function caseUnderWay(
  from: InstanceCase,
  episodeKey: string,
  instanceId: string,
  component: string,
): InstanceCase {
  return {
    ...from,
    incidentId: episodeKey,
    target: { ...from.target, instanceId, statusPageComponent: component },
    actions: [],
    outcome: null,
    timeline: [],
  };
}

describe('the status page follows the run while it is under way', () => {
  it('in order on the wire: outage and incident after the action acted, its update, then resolved and operational at Close; a step delivered again posts nothing', async () => {
    // Prepare: the unreachable web server (tagged with the Website component)
    const seeded = await w.seed('unreachable');
    const before = page.requests().length;
    // Act
    const run = await w.run(seeded.event);
    // Assess: the run
    expect(run.status, JSON.stringify(run.error)).toBe('SUCCEEDED');
    expect(run.state?.outcome).toBe('resolved');
    const c = run.state?.cases?.[0] as InstanceCase;
    const rebootedAt = c.actions.find((a) => a.kind === 'reboot')?.at ?? '';
    // Assess: what Statuspage received, in the order it received it
    const writes = page
      .requests()
      .slice(before)
      .filter((r) => r.method !== 'GET');
    expect(writes.filter((r) => r.refused)).toEqual([]);
    const story = writes.map((r) => {
      const incident = (r.body as { incident: { status: string; body: string; components: object } })
        .incident;
      return [r.method, incident.status, incident.body, incident.components];
    });
    expect(story).toEqual([
      ['POST', 'investigating', OPENED_TEXT.outage, { simwebsite01: 'major_outage' }],
      ['PATCH', 'identified', STEP_TEXT.reboot, { simwebsite01: 'major_outage' }],
      ['PATCH', 'resolved', RESOLVED_TEXT, { simwebsite01: 'operational' }],
    ]);
    // The incident opened after the reboot was sent (the action never waits for the page) …
    expect(rebootedAt).not.toBe('');
    expect(Date.parse(writes[0]?.at ?? '')).toBeGreaterThanOrEqual(Date.parse(rebootedAt));
    // … by the Reboot step itself, and Close posted only the resolution
    const lines = (run.state?.timeline ?? []).concat(c.timeline).map((e) => `${e.step}: ${e.summary}`);
    expect(
      lines.some((l) => /^Reboot: .*posted opened, step-reboot\)$/.test(l)),
      lines.join('\n'),
    ).toBe(true);
    expect(
      lines.some((l) => /^Record: .*posted resolved\)$/.test(l)),
      lines.join('\n'),
    ).toBe(true);
    expect(page.componentHistory().map((h) => h.status)).toEqual(['major_outage', 'operational']);
    expect(incidentsOf(c.incidentId)).toHaveLength(1);

    // Act: the Reboot step's publish delivered again (Step Functions retried the Task)
    const again = page.requests().length;
    await tellUsersMidRun({ ...c, outcome: null }, 'reboot', 'Reboot', deadlineIn(20_000));
    // Assess: read, nothing written, still one incident
    expect(
      page
        .requests()
        .slice(again)
        .filter((r) => r.method !== 'GET'),
    ).toEqual([]);
    expect(incidentsOf(c.incidentId)).toHaveLength(1);
  }, 240_000);

  it('two cases of one episode publishing at once make one incident; the other plan waits in the outbox and the drainer adds only what is missing', async () => {
    // Prepare: a finished case as a template, and two hosts of one new episode, each its component
    const seeded = await w.seed('unreachable');
    const run = await w.run(seeded.event);
    const template = run.state?.cases?.[0] as InstanceCase;
    const episode = `${template.incidentId}-race`;
    const web = caseUnderWay(template, episode, 'i-0aaaaaaaaaaaaaaa1', 'simwebsite01');
    const db = caseUnderWay(template, episode, 'i-0aaaaaaaaaaaaaaa2', 'simdatabase1');
    page.setFaults({ delayMs: 200 });
    // Act: both cases tell users at the same moment (two Decide invocations of the Map)
    const [a, b] = await Promise.all([
      tellUsersMidRun(web, null, 'Decide', deadlineIn(20_000)),
      tellUsersMidRun(db, null, 'Decide', deadlineIn(20_000)),
    ]);
    // Assess: one incident; one case published, the other queued its plan
    expect(incidentsOf(episode)).toHaveLength(1);
    const said = [a, b].map((k) => k.timeline.at(-1)?.summary ?? '');
    expect(said.filter((s) => s.includes('waits in the outbox'))).toHaveLength(1);
    expect((await outboxItems()).map((i) => i.sk)).toEqual([episode]);

    // Act: the drainer runs
    page.setFaults({});
    await drainHandler(scheduledEvent('medic-test-drain-outbox'), context);
    // Assess: still one incident, its one opening update, and no plan left waiting
    const incidents = incidentsOf(episode);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]?.incident_updates).toHaveLength(1);
    expect(await outboxItems()).toEqual([]);
  }, 240_000);

  it('a Statuspage that hangs costs a step its bounded budget, then the plan waits in the outbox', async () => {
    // Prepare: a case under way, and a Statuspage that answers nothing for 30 s
    const seeded = await w.seed('unreachable');
    const run = await w.run(seeded.event);
    const template = run.state?.cases?.[0] as InstanceCase;
    const episode = `${template.incidentId}-hang`;
    const c = caseUnderWay(template, episode, 'i-0aaaaaaaaaaaaaaa3', 'simwebsite01');
    page.setFaults({ delayMs: 30_000 });
    const started = Date.now();
    // Act
    const told = await tellUsersMidRun(c, 'reboot', 'Reboot', deadlineIn(25_000));
    const tookMs = Date.now() - started;
    // Assess: bounded, said, queued, and the case itself untouched but for the line
    // The budget (MIDRUN_STATUS_BUDGET_MS, 6 s) and a second of slack: not a function of the constant.
    expect(tookMs).toBeLessThan(7_000);
    expect(told.timeline.at(-1)).toMatchObject({ step: 'Reboot', kind: 'error' });
    expect(told.timeline.at(-1)?.summary).toMatch(/waits in the outbox/);
    expect({ ...told, timeline: [] }).toEqual({ ...c, timeline: [] });
    const queued = await outboxItems();
    expect(queued.map((i) => i.sk)).toEqual([episode]);
    expect(JSON.parse(String(queued[0]?.plan)).updates.map((u: { key: string }) => u.key)).toEqual([
      'opened',
      'step-reboot',
    ]);
  }, 240_000);
});
