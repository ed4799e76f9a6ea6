// The dashboard in a real browser (headless Chromium) against a running gateway on the simulated
// demo substation: the overview shows every configured point live, with its sparkline against the
// alarm and cut-off lines; a scripted methane excursion on T1 shows the heading power CUT with the
// hold's reason; stopping the gateway process (SIGSTOP) raises the stale banner. Screenshot saved
// under test-artifacts/dashboard/ (gitignored), path printed.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { artifactPath, launchChromium } from './browser.js';
import { type DashboardRig, startDashboardRig } from './rig.js';

let rig: DashboardRig;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  rig = await startDashboardRig('mg-dash-overview-');
  browser = await launchChromium();
  // A laptop set to another zone and locale: the page must still show mine time (+08:00).
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, timezoneId: 'America/New_York', locale: 'en-US' });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await rig?.stop();
});

const cell = (point: string, cls: string) => page.locator(`#points tr[data-point="${point}"] td.${cls}`);

describe('dashboard overview in headless Chromium', () => {
  it('shows every configured point with a live value, quality and age, and a sparkline with its limits', async () => {
    await page.goto(rig.url);
    await page.waitForSelector('body[data-live="yes"]', { timeout: 15_000 });
    const codes = (rig.config.points as { code: string }[]).map((p) => p.code);
    expect(codes.length).toBeGreaterThan(5);
    // Every point has a row with a value read from the bus (not the "never read" dash).
    await waitFor(async () => {
      for (const code of codes) if (((await cell(code, 'value').textContent({ timeout: 1000 })) ?? '—') === '—') return false;
      return true;
    }, { what: 'a value in every point row', timeoutMs: 15_000, intervalMs: 200 });
    expect(await page.locator('#points tbody tr').count()).toBe(codes.length);
    expect(await cell('F001A01', 'quality').textContent()).toBe('good');
    // Chinese names from the config, next to the code.
    await expect.poll(() => page.locator('#points tr[data-point="F001A01"] td[lang="zh"]').textContent()).toBe('掘进工作面甲烷 T1');
    // The methane sparkline carries the 1.0 % alarm and 1.5 % cut-off lines (AQ 1029-2019 table).
    expect(await page.locator('#points tr[data-point="F001A01"] svg.spark line.lim-cut').count()).toBe(1);
    expect(await page.locator('#points tr[data-point="F001A01"] svg.spark line.lim-alarm').count()).toBe(1);
    expect(await page.locator('#points tr[data-point="F001A01"] td.limits').textContent()).toBe('alarm 1 · cut 1.5');
    // Live: the age column keeps being redrawn from new frames.
    const wallBefore = await page.locator('#conn').textContent();
    await waitFor(async () => (await page.locator('#conn').textContent()) !== wallBefore, { what: 'a second status frame', timeoutMs: 5_000 });
    expect(await page.locator('#stale').isHidden()).toBe(true);
  });

  it('shows times in mine time with the zone printed, whatever the browser zone (one time rule)', async () => {
    const mineNow = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(11, 19);
    const before = Date.now();
    const conn = (await page.locator('#conn').textContent()) ?? '';
    const after = Date.now();
    expect(conn).toMatch(/^live · \d\d:\d\d:\d\d \+08:00$/);
    // The frame shown is at most a couple of seconds old: its clock is mine time, not New York's.
    const shown = conn.slice(7, 15);
    const candidates = [-3, -2, -1, 0, 1].map((s) => mineNow(before + s * 1000)).concat(mineNow(after));
    expect(candidates).toContain(shown);
    expect(await page.locator('#alarms').textContent()).toMatch(/since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+08:00/);
  });

  it('a methane excursion on T1 shows the heading power CUT, with the hold and its reason, and the alarm', async () => {
    expect(await page.locator('#outputs tr[data-output="heading-power"] td.state').textContent()).toBe('on');
    rig.methane(2.0);
    await page.waitForSelector('#outputs tr[data-output="heading-power"].cut', { timeout: 15_000 });
    expect(await page.locator('#outputs tr[data-output="heading-power"] td.state').textContent()).toBe('CUT');
    const holds = await page.locator('#outputs tr[data-output="heading-power"] ul.holds').textContent();
    expect(holds).toMatch(/F001A01/);
    await page.waitForSelector('#points tr[data-point="F001A01"].cut', { timeout: 5_000 });
    expect(await page.locator('#points tr[data-point="F001A01"] td.value').textContent()).toBe('2 %CH4');
    expect(await page.locator('#alarms li').first().textContent()).not.toBe('no active alarm');
    const shot = artifactPath('overview-methane-cut.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`[dashboard] screenshot of the cut state: ${shot}`);
    rig.methane(0.3);
  });

  it('raises the stale banner when the gateway stops sending (SIGSTOP), and lowers it when frames come back', async () => {
    rig.gw.child.kill('SIGSTOP');
    try {
      await page.waitForSelector('#stale:not([hidden])', { timeout: 10_000 });
      expect(await page.locator('#stale').textContent()).toMatch(/STALE/);
    } finally {
      rig.gw.child.kill('SIGCONT');
    }
    await page.waitForSelector('#stale[hidden]', { state: 'attached', timeout: 15_000 });
  });
});
