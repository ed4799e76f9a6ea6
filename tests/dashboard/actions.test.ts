// Actions on the dashboard are refused without a login — at the HTTP level (no session, no CSRF
// token, another origin, no reason) and in the page (Chromium: the button is disabled, a forced
// submit is refused, a cross-site page's POST does nothing) — and after a login they are
// role-checked and audited by the gateway exactly as the CLI's (`minegate audit` shows them).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../edge/operators/audit.js';
import { minegate } from '../ops/helpers/cli.js';
import { waitFor } from '../helpers/wait-for.js';
import { launchChromium } from './browser.js';
import { type DashboardRig, PASSWORDS, startDashboardRig } from './rig.js';

let rig: DashboardRig;
let browser: Browser;
let evil: http.Server | undefined;

beforeAll(async () => {
  rig = await startDashboardRig('mg-dash-actions-');
  browser = await launchChromium();
  // An alarm to acknowledge: T1 over its 1.0 % alarm limit, below the cut-off.
  rig.methane(1.2);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  evil?.close();
  await rig?.stop();
});

async function audit(action: string): Promise<AuditRecord[]> {
  const r = await minegate(['audit', '-d', rig.dataDir, '--action', action, '--json'], { timeoutMs: 20_000 });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as AuditRecord[];
}

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(new URL(path, rig.url), { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

async function login(user: keyof typeof PASSWORDS): Promise<{ cookie: string; csrf: string }> {
  const res = await post('/api/login', { user, password: PASSWORDS[user] });
  expect(res.status).toBe(200);
  const cookie = res.headers.get('set-cookie')!;
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/SameSite=Strict/);
  return { cookie: cookie.split(';')[0]!, csrf: ((await res.json()) as { csrf: string }).csrf };
}

describe('dashboard actions', () => {
  it('refuses every action at the HTTP level without a session, a CSRF token, the same origin or a reason', async () => {
    const ack = { action: 'ack', reason: 'siren silenced, checking T1' };
    const none = await post('/api/action', ack);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('AUTH_REQUIRED');
    // Reads stay open (the CLI's viewer commands need no password either).
    expect((await fetch(new URL('/api/status', rig.url))).status).toBe(200);

    const wrong = await post('/api/login', { user: 'zhang', password: 'not-his' });
    expect(wrong.status).toBe(401);
    const { cookie, csrf } = await login('zhang');
    const noToken = await post('/api/action', ack, { Cookie: cookie });
    expect(noToken.status).toBe(403);
    expect(((await noToken.json()) as { error: { code: string } }).error.code).toBe('CSRF');
    const otherOrigin = await post('/api/action', ack, { Cookie: cookie, 'X-CSRF-Token': csrf, Origin: 'http://evil.example' });
    expect(otherOrigin.status).toBe(403);
    const form = await fetch(new URL('/api/action', rig.url), { method: 'POST', headers: { Cookie: cookie, 'X-CSRF-Token': csrf, 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'action=ack&reason=xyz' });
    expect(form.status).toBe(415);
    const noReason = await post('/api/action', { action: 'ack', reason: ' ' }, { Cookie: cookie, 'X-CSRF-Token': csrf });
    expect(noReason.status).toBe(400);
    expect(((await noReason.json()) as { error: { code: string } }).error.code).toBe('REASON_REQUIRED');

    expect(await audit('alarm-ack')).toEqual([]);
    // The wrong password went over the control path and was audited there, as for the CLI.
    const refused = await audit('auth-refused');
    expect(refused.some((r) => r.operator === 'zhang' && r.outcome === 'refused')).toBe(true);
  });

  it('in the page: read-only without login, a forced submit is refused, a cross-site page cannot act', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(rig.url);
    await page.waitForSelector('body[data-live="yes"]', { timeout: 15_000 });
    expect(await page.locator('#action-submit').isDisabled()).toBe(true);
    expect(await page.locator('#action-note').textContent()).toMatch(/read-only/);
    await page.fill('#action input[name=reason]', 'siren silenced, checking T1');
    await page.evaluate(() => (document.querySelector('#action') as HTMLFormElement).requestSubmit());
    await page.waitForSelector('#action-result[data-status="401"]', { timeout: 5_000 });
    expect(await page.locator('#action-result').textContent()).toMatch(/refused \(401 AUTH_REQUIRED\)/);

    // Logged in, then a page from another site posts to the dashboard in the same browser.
    await page.fill('#login input[name=user]', 'zhang');
    await page.fill('#login input[name=password]', PASSWORDS.zhang);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#whoami:not([hidden])');
    let hits = 0;
    evil = http.createServer((_req, res) => {
      hits++;
      res.setHeader('Content-Type', 'text/html');
      // A form needs no CORS: the classic CSRF. SameSite=Strict keeps the session cookie off it.
      res.end(`<form id=f method=post enctype="text/plain" action="${new URL('/api/action', rig.url).href}"><input name='{"action":"ack","reason":"csrf","x":"' value='"}'></form><script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((r) => evil!.listen(0, '127.0.0.1', r));
    const evilPage = await context.newPage();
    // localhost is another site than 127.0.0.1.
    await evilPage.goto(`http://localhost:${(evil.address() as AddressInfo).port}/`);
    await evilPage.waitForURL(/\/api\/action/, { timeout: 5_000 });
    expect(hits).toBe(1);
    // Refused as if nobody were logged in: the browser did not send the session cookie.
    expect(await evilPage.content()).toMatch(/AUTH_REQUIRED/);
    expect(await audit('alarm-ack')).toEqual([]);
    await context.close();
  });

  it('after login: a viewer is refused by role, a technician acknowledges with a reason, audited as the CLI would be', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(rig.url);
    await page.waitForSelector('body[data-live="yes"]', { timeout: 15_000 });
    await waitFor(async () => (await page.locator('#alarms li.sev-danger').count()) > 0, { what: 'the T1 alarm on the page', timeoutMs: 10_000 });
    const loginAs = async (user: keyof typeof PASSWORDS) => {
      await page.fill('#login input[name=user]', user);
      await page.fill('#login input[name=password]', PASSWORDS[user]);
      await page.click('#login button[type=submit]');
      await page.waitForSelector('#whoami:not([hidden])');
    };
    await loginAs('li');
    expect(await page.locator('#whoami-text').textContent()).toBe('li (viewer)');
    await page.fill('#action input[name=reason]', 'siren silenced, checking T1');
    await page.click('#action-submit');
    await page.waitForSelector('#action-result[data-status="403"]', { timeout: 10_000 });
    expect(await page.locator('#action-result').textContent()).toMatch(/insufficient-role/);
    await page.click('#logout');
    await page.waitForSelector('#login:not([hidden])');

    await loginAs('zhang');
    expect(await page.locator('#whoami-text').textContent()).toBe('zhang (technician)');
    await page.fill('#action input[name=reason]', 'siren silenced, checking T1');
    await page.click('#action-submit');
    await page.waitForSelector('#action-result[data-status="200"]', { timeout: 10_000 });
    expect(await page.locator('#action-result').textContent()).toBe('done: ack');
    const acks = await audit('alarm-ack');
    expect(acks).toHaveLength(1);
    expect(acks[0]).toMatchObject({ operator: 'zhang', role: 'technician', reason: 'siren silenced, checking T1', outcome: 'ok' });
    const refused = await audit('auth-refused');
    expect(refused.some((r) => r.operator === 'li')).toBe(true);
    await context.close();
  });
});
