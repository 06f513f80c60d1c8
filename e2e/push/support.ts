import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { expect } from 'vitest';
import { DEMO_USERS } from '../../server/commands/demo.js';
import { generateTotp } from '../../server/factors/otp/generate-otp.js';
import type { Gateway } from '../../server/gateway.js';
import type { SecondFactorKind } from '../../server/config/schema.js';
import { saveScreenshot } from '../support/screenshots.js';

/**
 * Browser steps shared by the push-approval tests: the sign-in page on one side, the phone's
 * companion app on the other. Selectors are the pages' hooks (ids and form actions).
 */

const password = (username: string) => DEMO_USERS.find((u) => u.username === username)!.password;

/** A fresh browser (its own cookies) signed in with the password, sent on to the second-factor page for `target`. */
export async function signInWithPassword(browser: Browser, contexts: BrowserContext[], _origin: string, username: string, target: string): Promise<Page> {
  const context = await browser.newContext({ locale: 'en-US' });
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(target);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password(username));
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
  return page;
}

/**
 * A fresh browser (its own cookies) holding a session the password step would have made, opened
 * at `target`: a /secure/ page leads to the second-factor page. The session is made in the
 * gateway directly, for tests about the second step rather than the password page (a real
 * sign-in is `signInWithPassword`); `alsoFactors` adds second factors already passed just now.
 */
export async function openWithPasswordSession(
  browser: Browser,
  contexts: BrowserContext[],
  gateway: Gateway,
  username: string,
  target: string,
  alsoFactors: SecondFactorKind[] = [],
): Promise<Page> {
  const { ctx } = gateway;
  const at = ctx.clock.now();
  const created = await ctx.sessions.create({ user: ctx.directory.findUser(username)!, factor: { kind: 'password', at }, rememberMe: false });
  const token = alsoFactors.length
    ? (await ctx.sessions.rotate(created.token, (s) => ({ ...s, factors: [...s.factors, ...alsoFactors.map((kind) => ({ kind, at }))] })))!.token
    : created.token;
  const context = await browser.newContext({ locale: 'en-US' });
  contexts.push(context);
  await context.addCookies([{ name: 'gatehouse_session', value: token, url: new URL(target).origin }]);
  const page = await context.newPage();
  await page.goto(target);
  return page;
}

/** Screenshots land in the shared folder (overwritten each run) so a person can look at the phone's screens. */
export async function screenshot(page: Page, name: string) {
  await saveScreenshot(page, name);
}

/** A phone: its own browser context, English unless said otherwise; `skewMs` sets its clock off. */
export async function openPhone(browser: Browser, contexts: BrowserContext[], options: { locale?: string; skewMs?: number } = {}): Promise<Page> {
  const context = await browser.newContext({ locale: options.locale ?? 'en-US', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  contexts.push(context);
  const page = await context.newPage();
  if (options.skewMs) {
    await page.addInitScript((skew) => {
      const real = Date.now;
      Date.now = () => real() + skew;
    }, options.skewMs);
  }
  return page;
}

/** On "My sign-in methods": "Add phone", then the one-time link shown beside the QR code. */
export async function addPhoneLink(page: Page, origin: string): Promise<string> {
  await page.goto(`${origin}/auth/methods`);
  // The first visit after a first phone shows that phone's recovery codes, once: go on past them.
  if (new URL(page.url()).pathname === '/auth/methods/recovery-codes/new') {
    expect(await page.locator('ol.codes code').count()).toBe(10);
    await Promise.all([page.waitForURL(/\/auth\/methods\?notice=push_added$/), page.locator('p.no-print a.button-primary').click()]);
  }
  await Promise.all([page.waitForLoadState('load'), page.locator('form[action$="methods/push/add"] button[type="submit"]').click()]);
  const link = await page.locator('#push-link').getAttribute('href');
  expect(link).toMatch(new RegExp(`^${origin}/auth/companion/#enroll=[A-Za-z0-9_-]{43}$`));
  expect(await page.locator('img[src^="data:image/"]').count()).toBeGreaterThan(0);
  return link!;
}

/** The phone opens the link, names itself and sets up; waits for the home screen. */
export async function enrollPhone(phone: Page, link: string, name: string) {
  await phone.goto(link);
  await phone.locator('#device-name').fill(name);
  await phone.locator('#enroll-submit').click();
  await phone.locator('#screen-home').waitFor({ state: 'visible', timeout: 15_000 });
  await phone.locator('#live-status[data-state="connected"]').waitFor({ timeout: 10_000 });
}

/** From the second-factor page: "Approve on my phone" (choosing `phoneName` when there are several); returns the number shown. */
export async function askPhone(page: Page, phoneName?: string): Promise<{ number: string; approvalId: string }> {
  const option = page.locator('form.push-option');
  await option.waitFor({ state: 'attached' });
  // When another method leads (the one used last), the phone waits under "Other ways to sign in".
  if (!(await option.isVisible())) await page.locator('details.other-methods > summary').click();
  if (phoneName) await option.locator('select').selectOption({ label: phoneName });
  await Promise.all([page.waitForLoadState('load'), option.locator('button[type="submit"]').click()]);
  const number = (await page.locator('#push-number').textContent())?.trim() ?? '';
  expect(number).toMatch(/^[1-9][0-9]$/);
  const statusUrl = (await page.locator('#push-wait').getAttribute('data-status-url')) ?? '';
  return { number, approvalId: statusUrl.split('/').pop()! };
}

/** The phone's approval screen, once the request reached it. */
export async function waitForApproval(phone: Page, approvalId: string) {
  await phone.locator(`#screen-approval[data-approval-id="${approvalId}"]`).waitFor({ state: 'visible', timeout: 10_000 });
  return {
    site: await phone.locator('#approval-site').textContent(),
    device: await phone.locator('#approval-device').textContent(),
    ip: await phone.locator('#approval-ip').textContent(),
    time: await phone.locator('#approval-time').textContent(),
  };
}

export async function answerOnPhone(phone: Page, decision: 'approve' | 'deny' | 'not_me', number = ''): Promise<{ kind: string; text: string }> {
  const result = phone.locator('#approval-result');
  if (decision === 'approve') {
    await phone.locator('#approval-number').fill(number);
    await phone.locator('#approve').click();
  } else {
    await phone.locator(decision === 'deny' ? '#deny' : '#not-me').click();
  }
  // The app hides the previous result when the answer goes out and shows the new one when it is back.
  await expect.poll(async () => (await result.isVisible()) && !(await phone.locator('#approve').isDisabled())).toBe(true);
  return { kind: (await result.getAttribute('data-kind')) ?? '', text: (await result.textContent()) ?? '' };
}

/**
 * The `nth` two-digit number (10–99) after `n`, wrapping from 99 to 10: never `n` itself, and a
 * different one for each `nth` from 1 to 89. (Applying a plain "n + 1, or 98 for 99" twice gave
 * back 98 or 99 itself: the "second wrong number" was then the right one.)
 */
export function otherNumber(n: string, nth = 1): string {
  return String(10 + ((Number(n) - 10 + nth) % 90));
}

/** The TOTP codes the gateway accepts now (this step and the one before, for a boundary crossed meanwhile). */
export async function serverCodes(gateway: Gateway, username: string, phoneName: string): Promise<string[]> {
  const device = (await gateway.ctx.storage.pushDevices.listForUser(username)).find((d) => d.name === phoneName);
  expect(device?.otpDeviceId).toBeTruthy();
  const otp = (await gateway.ctx.storage.otpDevices.listForUser(username)).find((d) => d.id === device!.otpDeviceId)!;
  const now = Date.now();
  return [now, now - otp.period * 1000].map((t) => generateTotp(otp.secret, t, { algorithm: otp.algorithm, digits: otp.digits as 6 | 8, period: otp.period }));
}

/**
 * What the service workers seen through `cdp` reported: uncaught errors (a rejected
 * showNotification among them) and each change of a version's state. Tests add it to a failure
 * about a notification that never came, which otherwise says only "not within 15 s". Call after
 * `ServiceWorker.enable` has been sent on `cdp` (events before it are not kept).
 */
export function recordWorkerEvents(cdp: CDPSession): { explain(error: unknown): never } {
  const events: string[] = [];
  const at = () => new Date().toISOString().slice(11, 23);
  cdp.on('ServiceWorker.workerErrorReported', (e: { errorMessage: { errorMessage: string; sourceURL: string; lineNumber: number } }) =>
    events.push(`${at()} error: ${e.errorMessage.errorMessage} (${e.errorMessage.sourceURL}:${e.errorMessage.lineNumber})`),
  );
  cdp.on('ServiceWorker.workerVersionUpdated', (e: { versions: { versionId: string; runningStatus: string; status: string }[] }) => {
    for (const v of e.versions) events.push(`${at()} version ${v.versionId}: ${v.status}, ${v.runningStatus}`);
  });
  return {
    explain(error) {
      if (error instanceof Error) error.message += `\nservice worker events:\n${events.join('\n') || '(none)'}`;
      throw error;
    },
  };
}
