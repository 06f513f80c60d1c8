import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../server/commands/demo.js';
import { issueEnrollmentCode } from '../server/enrollment/enrollment-codes.js';
import { decodeBase32 } from '../server/factors/otp/base32.js';
import { generateTotp } from '../server/factors/otp/generate-otp.js';
import { launchChromium, type LaunchedChromium } from '../server/testing/chromium.js';
import { AXE_CONTEXT, axeViolations } from './support/axe.js';
import { registerPasskey } from './support/passkeys.js';
import { startPushStack, type PushStack } from './support/push-stack.js';
import { saveScreenshot } from './support/screenshots.js';

/**
 * axe-core on every page of the portal and of the companion app that the browser tests visit, in
 * English and in Traditional Chinese, each in the state a user sees it: sign-in (and its error),
 * the portal home, the second step (no device yet; each method leading, the other ways open; an
 * error), the enrollment gate (and its error), My sign-in methods (read-only and editable, with a
 * passkey, a phone and an app), adding an app (and its error), recovery codes, Add phone, waiting
 * for the phone, the companion's screens (not set up, set up, home, an approval and its answer,
 * a used link), sign-out, signed out, and error pages (not found, an expired form).
 */

const password = DEMO_USERS.find((u) => u.username === 'alice')!.password;
let chromium: LaunchedChromium;
beforeAll(async () => {
  chromium = await launchChromium();
});
afterAll(() => chromium?.close());

describe.each([
  { locale: 'en-US', tag: 'en' },
  { locale: 'zh-TW', tag: 'zh-TW' },
])('accessibility (axe) of every page, in $tag', ({ locale, tag }) => {
  let stack: PushStack;
  const contexts: BrowserContext[] = [];
  let page: Page;
  let phone: Page;
  let secret: Buffer;
  /** Every violation of the walk so far, page by page: each test ends by asserting its own are none. */
  let found: string[] = [];

  beforeAll(async () => {
    // No trusted network: the enrollment gate is on the way, as for a user at home.
    stack = await startPushStack({
      configure: (c) => {
        c.enrollment = { trusted_networks: [] };
        c.regulation = { account: { max_retries: 50 } };
        // The sign-in page with its passkey button too.
        c.second_factors.webauthn = { passwordless: true };
      },
    });
    const context = await chromium.browser.newContext({ ...AXE_CONTEXT, locale, viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    page = await context.newPage();
    // No passkey autofill: with presence simulated, Chromium would sign in with the passkey by itself
    // (and leave the sign-in page) once one exists. The button stays, as without autofill.
    await page.addInitScript(() => {
      if (typeof PublicKeyCredential !== 'undefined') PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    } as never);
  });
  afterAll(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => undefined)));
    await stack?.close();
  });

  async function check(on: Page, name: string, screenshot = false) {
    await on.waitForLoadState('load');
    for (const v of await axeViolations(on)) {
      for (const n of v.nodes) found.push(`${name}: ${v.id} (${v.impact}) ${n.target} — ${v.help}; ${n.summary.replace(/\s+/g, ' ')}`);
    }
    if (screenshot) await saveScreenshot(on, `${name}-${tag}`);
  }
  function expectNone() {
    const all = found;
    found = [];
    expect(all).toEqual([]);
  }
  const submit = (selector: string) =>
    Promise.all([page.waitForLoadState('load'), page.locator(`${selector} [type="submit"]`).first().click()]).then(() => page.waitForLoadState('load'));
  const secure = () => `${stack.origin}/secure/report`;

  async function signIn(pw = password) {
    await page.goto(secure());
    await page.locator('#username').fill('alice');
    await page.locator('#password').fill(pw);
    await submit('form[action$="login"]');
  }

  async function signOutAndIn() {
    await page.goto(`${stack.origin}/auth/logout`);
    await submit('form:has(input[name="scope"][value="here"])');
    await signIn();
  }

  async function openPhone(): Promise<Page> {
    const context = await chromium.browser.newContext({ ...AXE_CONTEXT, locale, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    contexts.push(context);
    return context.newPage();
  }

  it('sign-in, its error, the second step with nothing set up, the enrollment gate and its error', async () => {
    await page.goto(secure());
    await check(page, 'sign-in');
    await signIn('not-the-password');
    expect(await page.locator('#form-error').isVisible()).toBe(true);
    await check(page, 'sign-in-error');
    await signIn();
    expect(new URL(page.url()).pathname).toBe('/auth/second-factor');
    await check(page, 'second-factor-no-device');
    await page.goto(`${stack.origin}/auth/`);
    await check(page, 'home');
    await page.goto(`${stack.origin}/auth/methods`);
    await check(page, 'enrollment-gate');
    await page.locator('#enroll-code').fill('AAAAA-AAAAA');
    await submit('form[action$="enroll/code"]');
    expect(await page.locator('#enroll-code').getAttribute('aria-invalid')).toBe('true');
    await check(page, 'enrollment-gate-error');
    expectNone();
  });

  it('My sign-in methods, adding an app (and its error), recovery codes', async () => {
    const { code } = await issueEnrollmentCode(stack.gateway.ctx.storage, { username: 'alice', method: 'admin', ttlSeconds: 600, issuedBy: 'it-desk', now: Date.now() });
    await page.locator('#enroll-code').fill(code);
    await submit('form[action$="enroll/code"]');
    await check(page, 'methods-first');
    await submit('form[action$="methods/totp/start"]');
    await check(page, 'totp-enroll');
    secret = decodeBase32((await page.locator('#totp-secret').textContent())!.replace(/\s/g, ''))!;
    await page.locator('form[action$="methods/totp/confirm"] input[name="code"]').fill('000000');
    await submit('form[action$="methods/totp/confirm"]');
    expect(await page.locator('#form-error').isVisible()).toBe(true);
    await check(page, 'totp-enroll-error');
    await page.locator('form[action$="methods/totp/confirm"] input[name="code"]').fill(generateTotp(secret, Date.now(), { period: 30, digits: 6, algorithm: 'SHA1' }));
    await submit('form[action$="methods/totp/confirm"]');
    expect(await page.locator('.codes li').count()).toBe(10);
    await check(page, 'recovery-codes');
    expectNone();
  });

  it('a passkey, Add phone and the companion: not set up, setting up, home, a used link', async () => {
    await page.goto(`${stack.origin}/auth/methods`);
    await registerPasskey(page, 'Windows Hello', /notice=webauthn_added/);
    await submit('form[action$="methods/push/add"]');
    await check(page, 'add-phone', true);
    const link = (await page.locator('#push-link').getAttribute('href'))!;

    phone = await openPhone();
    await phone.goto(`${stack.origin}/auth/companion/`);
    await phone.waitForSelector('body[data-ready="true"]');
    await check(phone, 'companion-not-enrolled', true);
    await phone.goto(link);
    await phone.locator('#screen-enroll').waitFor({ state: 'visible' });
    await check(phone, 'companion-enroll', true);
    await phone.locator('#enroll-submit').click();
    await phone.locator('#screen-home').waitFor({ state: 'visible', timeout: 15_000 });
    await phone.locator('#live-status[data-state="connected"]').waitFor({ timeout: 10_000 });
    await check(phone, 'companion-home', true);

    const other = await openPhone();
    await other.goto(link);
    await other.locator('#enroll-submit').click();
    await other.locator('#screen-enroll-expired').waitFor({ state: 'visible' });
    await check(other, 'companion-enroll-expired', true);

    await page.goto(`${stack.origin}/auth/methods`);
    await check(page, 'methods-all', true);
    expectNone();
  });

  it('the second step with every method (the other ways open), its error, waiting for the phone, and the approval on the phone', async () => {
    await page.goto(`${stack.origin}/auth/logout`);
    await check(page, 'sign-out');
    await submit('form:has(input[name="scope"][value="here"])');
    await check(page, 'signed-out');
    await signIn();
    await page.locator('details.other-methods > summary').click();
    await check(page, 'second-factor-all', true);
    await page.locator('.method-code input[name="code"]').fill('000000');
    await submit('.method-code');
    expect(await page.locator('#form-error').isVisible()).toBe(true);
    await check(page, 'second-factor-error', true);

    await page.goto(secure());
    const push = page.locator('form.push-option');
    if (!(await push.isVisible())) await page.locator('details.other-methods > summary').click();
    await submit('form.push-option');
    await check(page, 'push-wait', true);
    const number = (await page.locator('#push-number').textContent())!.trim();
    await phone.locator('#screen-approval').waitFor({ state: 'visible', timeout: 10_000 });
    await check(phone, 'companion-approval', true);
    await phone.locator('#approval-number').fill(number);
    await phone.locator('#approve').click();
    await phone.locator('#approval-result').waitFor({ state: 'visible' });
    await check(phone, 'companion-approval-answered', true);
    await page.waitForURL(secure(), { timeout: 10_000 });

    // Denied on the phone: the waiting page says so.
    await signOutAndIn();
    const again = page.locator('form.push-option');
    if (!(await again.isVisible())) await page.locator('details.other-methods > summary').click();
    await submit('form.push-option');
    await phone.locator('#screen-approval').waitFor({ state: 'visible', timeout: 10_000 });
    await phone.locator('#deny').click();
    await page.locator('#push-denied').waitFor({ state: 'visible', timeout: 10_000 });
    await check(page, 'push-wait-denied', true);
    expectNone();
  });

  it('error pages: a page that does not exist, a form that expired', async () => {
    expect((await page.goto(`${stack.origin}/auth/no-such-page`))?.status()).toBe(404);
    await check(page, 'error-not-found', true);
    // A fresh password sign-in (whatever came before), then its sign-out form with a stale token.
    await page.context().clearCookies();
    await signIn();
    await page.goto(`${stack.origin}/auth/logout`);
    const form = 'form:has(input[name="scope"][value="here"])';
    await page.locator(`${form} input[name="csrf"]`).evaluate((input: HTMLInputElement) => (input.value = 'expired'));
    const [answer] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/auth/logout') && r.request().method() === 'POST'), submit(form)]);
    expect(answer.status()).toBe(403);
    await check(page, 'error-expired-form');
    expectNone();
  });
});
