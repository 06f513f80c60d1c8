import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type LaunchedChromium } from '../../server/testing/chromium.js';
import { startPushStack, type PushStack } from '../support/push-stack.js';
import { recordWorkerEvents } from './support.js';

/**
 * The companion app itself in real Chromium: it loads under the portal's CSP without a single
 * violation, speaks the phone's language, registers its service worker for the companion scope,
 * and a Web Push message delivered into that worker (CDP ServiceWorker.deliverPushMessage — no
 * push service is reachable here) shows a notification and tells the open app.
 */

let chromium: LaunchedChromium;
let stack: PushStack;
const contexts: BrowserContext[] = [];
beforeAll(async () => {
  chromium = await launchChromium();
  stack = await startPushStack();
});
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => undefined)));
});
afterAll(async () => {
  await chromium?.close();
  await stack?.close();
});

async function phone(locale = 'en-US'): Promise<{ page: Page; problems: string[] }> {
  const context = await chromium.browser.newContext({ locale });
  contexts.push(context);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  return { page, problems };
}

describe('companion app shell', () => {
  it('loads under the portal CSP with no errors and, not yet enrolled, says how to set the phone up', async () => {
    const { page, problems } = await phone();
    await page.goto(`${stack.origin}/auth/companion/`);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.locator('#screen-not-enrolled').isVisible()).toBe(true);
    expect(await page.locator('#screen-not-enrolled').textContent()).toContain('My sign-in methods');
    // The manifest was fetched and parsed (a CSP block would leave it out and log an error).
    const manifest = await page.evaluate(async () => {
      const link = document.querySelector('link[rel="manifest"]') as HTMLLinkElement;
      return (await fetch(link.href)).headers.get('content-type');
    });
    expect(manifest).toBe('application/manifest+json; charset=utf-8');
    expect(problems).toEqual([]);
  });

  it.each([
    ['zh-TW', '這支手機尚未設定', 'zh-TW'],
    ['zh-HK', '這支手機尚未設定', 'zh-TW'],
    ['en-GB', 'This phone is not set up', 'en'],
    ['fr-FR', 'This phone is not set up', 'en'],
  ])('a phone set to %s reads "%s"', async (locale, heading, lang) => {
    const { page } = await phone(locale);
    await page.goto(`${stack.origin}/auth/companion/`);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.locator('#screen-not-enrolled h1').textContent()).toBe(heading);
    expect(await page.evaluate(() => document.documentElement.lang)).toBe(lang);
  });

  it('a push delivered into the service worker shows a notification and reaches the open app', async () => {
    const { page, problems } = await phone();
    const origin = stack.origin;
    await page.context().grantPermissions(['notifications'], { origin });
    const cdp = await page.context().newCDPSession(page);
    const registrations = new Map<string, { registrationId: string; scopeURL: string }>();
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e: { registrations: { registrationId: string; scopeURL: string }[] }) =>
      e.registrations.forEach((r) => registrations.set(r.scopeURL, r)),
    );
    await cdp.send('ServiceWorker.enable');
    const worker = recordWorkerEvents(cdp);
    await page.goto(`${origin}/auth/companion/`);
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    expect(scope).toBe(`${origin}/auth/companion/`);
    await page.evaluate(() => {
      (window as any).received = [];
      navigator.serviceWorker.addEventListener('message', (e) => (window as any).received.push(e.data));
    });
    await expect.poll(() => registrations.get(scope)?.registrationId).toBeDefined();

    const approval = {
      approvalId: 'ap_Test-1',
      username: 'alice',
      site: 'localhost',
      requestedAt: Date.now(),
      expiresAt: Date.now() + 30_000,
      ip: '192.0.2.7',
      browser: 'Firefox 140',
      os: 'Windows',
    };
    await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId: registrations.get(scope)!.registrationId, data: JSON.stringify({ type: 'approval', approval }) });

    await expect.poll(() => page.evaluate(() => (window as any).received.length)).toBe(1);
    expect(await page.evaluate(() => (window as any).received[0])).toEqual({ type: 'approval', approval });
    const listNotifications = () =>
      page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data })));
    await expect.poll(listNotifications).toHaveLength(1).catch(worker.explain);
    const notifications = await listNotifications();
    expect(notifications[0]).toEqual({
      title: 'Sign-in request',
      body: 'localhost: tap to approve or deny',
      tag: 'approval-ap_Test-1',
      data: { approvalId: 'ap_Test-1', expiresAt: approval.expiresAt },
    });

    // A message that is not an approval (or has a hostile id) shows nothing: after them, a good one
    // (delivered last, in order) is the next and only thing the app hears, and the only new notification.
    for (const data of ['not json', JSON.stringify({ type: 'other' }), JSON.stringify({ type: 'approval', approval: { ...approval, approvalId: '../x' } })]) {
      await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId: registrations.get(scope)!.registrationId, data });
    }
    const after = { ...approval, approvalId: 'ap_Test-2' };
    await cdp.send('ServiceWorker.deliverPushMessage', {
      origin,
      registrationId: registrations.get(scope)!.registrationId,
      data: JSON.stringify({ type: 'approval', approval: after }),
    });
    await expect.poll(() => page.evaluate(() => (window as any).received.length)).toBeGreaterThanOrEqual(2);
    expect(await page.evaluate(() => (window as any).received)).toEqual([
      { type: 'approval', approval },
      { type: 'approval', approval: after },
    ]);
    await expect
      .poll(async () => (await listNotifications()).length)
      .toBeGreaterThanOrEqual(2)
      .catch(worker.explain);
    expect((await listNotifications()).map((n) => n.tag).sort()).toEqual(['approval-ap_Test-1', 'approval-ap_Test-2']);
    expect(problems).toEqual([]);
  });
});
