/**
 * The incident report in a real browser: `medic simulate` writes the HTML, headless Chromium
 * (the one shipped in the `@sparticuz/chromium` npm package, driven by playwright-core) opens it, and the timeline must be drawn — one
 * mark per timeline entry, in the lanes of their kind, on a time axis — with the ticket's sections
 * below. `MEDIC_UPDATE_SCREENSHOT=1` refreshes docs/incident-report.png for the README.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { findBrowser } from './support/browser.ts';
import { TICKET_SECTIONS } from './support/incident.ts';
import { runMedic, useSubstrate } from './support/substrate.ts';

const s = useSubstrate();
const work = mkdtempSync(join(tmpdir(), 'medic-report-'));

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the HTML incident report', () => {
  it('renders the run timeline as marks on a time axis, and the ticket sections, in headless Chromium', async () => {
    // Prepare: a run that writes its report
    const browser = await findBrowser();
    const reportPath = join(work, 'report.html');
    const run = await runMedic(
      ['simulate', '--scenario', 'unreachable', '--json', '--report', reportPath],
      s.env,
    );
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.report).toBe(reportPath);

    // Act: open it in Chromium with a fresh profile
    const profile = mkdtempSync(join(work, 'profile-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: browser.executablePath,
      headless: true,
      args: browser.args,
      env: { ...process.env, ...browser.env },
      viewport: { width: 1200, height: 1000 },
    });
    try {
      const page = await context.newPage();
      await page.goto(pathToFileURL(reportPath).href);
      const svg = page.locator('svg.timeline');
      await svg.waitFor({ state: 'visible', timeout: 15_000 });
      const box = await svg.boundingBox();
      const marks = await page.locator('svg.timeline g.mark').evaluateAll((nodes) =>
        nodes.map((n) => {
          const r = (n.querySelector('circle,rect,polygon') ?? n).getBoundingClientRect();
          return {
            kind: n.getAttribute('data-kind'),
            at: n.getAttribute('data-at'),
            x: r.x + r.width / 2,
            w: r.width,
          };
        }),
      );
      const headings = await page.locator('#ticket h2').allTextContents();
      const shot = process.env.MEDIC_UPDATE_SCREENSHOT
        ? join(import.meta.dirname, '..', 'docs', 'incident-report.png')
        : join(work, 'incident-report.png');
      await page.screenshot({ path: shot, fullPage: false });

      // Assess: the timeline is drawn, one visible mark per entry, in time order along the axis
      expect(box?.width).toBeGreaterThan(600);
      expect(marks.map((m) => [m.at, m.kind])).toEqual(
        result.timeline.map((e: { at: string; kind: string }) => [e.at, e.kind]),
      );
      expect(marks.every((m) => m.w > 0)).toBe(true);
      const xs = marks.map((m) => m.x);
      for (let i = 1; i < xs.length; i++) expect(xs[i]).toBeGreaterThanOrEqual((xs[i - 1] ?? 0) - 0.5);
      for (const kind of ['evidence', 'action', 'verify'])
        expect(marks.some((m) => m.kind === kind)).toBe(true);
      expect(headings).toEqual(TICKET_SECTIONS);
      expect(statSync(shot).size).toBeGreaterThan(10_000);
    } finally {
      await context.close();
    }
    // A full simulated incident plus a browser start: more work than one simulate test.
  }, 120_000);
});
