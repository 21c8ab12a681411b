/**
 * Users hear of a confirmed outage before a person approves the first action, end to end through
 * `medic simulate` (the real ASL and handlers, moto, the local Jira, the local approver) with a
 * local Statuspage that records what it received and when: the incident is created by Decide while
 * the reboot waits for its approval, the step's update follows the approved reboot, and Close
 * resolves it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_STATUSPAGE_COMPONENTS, simulate } from '../local/simulate.ts';
import { type LocalStatusPage, startStatusPageServer } from '../local/statuspage-server.ts';
import { OPENED_TEXT, RESOLVED_TEXT, STEP_TEXT } from '../shared/policy/statuspage.ts';
import { useSubstrate } from './support/substrate.ts';

let page: LocalStatusPage;
const s = useSubstrate({
  started: (started) => {
    Object.assign(process.env, started.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'medic-local',
      AWS_SECRET_ACCESS_KEY: 'medic-local',
      MEDIC_LOG_LEVEL: 'SILENT',
    });
    delete process.env.MEDIC_MODE;
    delete process.env.MEDIC_STAGE;
  },
});
beforeAll(async () => {
  page = await startStatusPageServer({ components: { ...LOCAL_STATUSPAGE_COMPONENTS } });
});
afterAll(async () => {
  await page?.close();
});

describe('the status page does not wait for an approval', () => {
  it('reboot=approve: "investigating" and the outage are on the page before the approval; the step after the reboot; resolved at Close', async () => {
    // Prepare: the unreachable web server (the Website component); a person approves the reboot
    const env = {
      ...process.env,
      ...s.env,
      MEDIC_AUTONOMY: 'reboot=approve',
      MEDIC_SIM_APPROVAL: 'approve',
      MEDIC_STATUSPAGE_URL: page.baseUrl,
      MEDIC_STATUSPAGE_PAGE_ID: page.pageId,
      MEDIC_STATUSPAGE_KEY: page.apiKey,
    };
    const before = page.requests().length;
    // Act
    const r = await simulate({ scenario: 'unreachable', env });
    // Assess: the run
    expect(r.status).toBe('SUCCEEDED');
    expect(r.outcome).toBe('resolved');
    expect(r.statusPage?.status).toBe('resolved');
    const approvedAt = r.timeline.find((e) => /^approved: reboot /.test(e.summary))?.at ?? '';
    expect(approvedAt).not.toBe('');
    // Assess: the writes, in the order Statuspage got them, and when
    const writes = page
      .requests()
      .slice(before)
      .filter((q) => q.method !== 'GET');
    expect(writes.filter((q) => q.refused)).toEqual([]);
    expect(
      writes.map((q) => {
        const i = (q.body as { incident: { status: string; body: string } }).incident;
        return [q.method, i.status, i.body];
      }),
    ).toEqual([
      ['POST', 'investigating', OPENED_TEXT.outage],
      ['PATCH', 'identified', STEP_TEXT.reboot],
      ['PATCH', 'resolved', RESOLVED_TEXT],
    ]);
    expect(Date.parse(writes[0]?.at ?? '')).toBeLessThan(Date.parse(approvedAt));
    expect(Date.parse(writes[1]?.at ?? '')).toBeGreaterThan(Date.parse(approvedAt));
    const decideLine = r.timeline.find((e) => e.step === 'Decide' && /status page incident/.test(e.summary));
    expect(decideLine?.summary).toMatch(/posted opened\)$/);
  }, 240_000);
});
