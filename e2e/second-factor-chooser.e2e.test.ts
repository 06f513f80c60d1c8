import { join } from 'node:path';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../server/commands/demo.js';
import { launchChromium, type LaunchedChromium } from '../server/testing/chromium.js';
import { addPhoneLink, answerOnPhone, enrollPhone, openPhone, waitForApproval } from './push/support.js';
import { AXE_CONTEXT, expectAccessible } from './support/axe.js';
import { registerPasskey } from './support/passkeys.js';
import { startPushStack, type PushStack } from './support/push-stack.js';
import { SCREENSHOT_DIR } from './support/screenshots.js';
import { capturePage } from './support/page-checks.js';

/**
 * The second step as a new user meets it in real Chromium, with every kind of method at once: a
 * phone for push approval (and its offline codes), a passkey (CDP virtual authenticator) and an
 * imported TOTP hardware token. The method used last leads with the focus, the others wait under
 * "Other ways to sign in"; the code field takes what the server takes; "Add phone" fits the
 * window; a phone can be renamed.
 */

const password = DEMO_USERS.find((u) => u.username === 'alice')!.password;
let chromium: LaunchedChromium;
let stack: PushStack;
const contexts: BrowserContext[] = [];
beforeAll(async () => {
  chromium = await launchChromium();
  stack = await startPushStack({ configure: (c) => (c.regulation = { account: { max_retries: 50 } }) });
});
afterAll(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => undefined)));
  await chromium?.close();
  await stack?.close();
});

/** A picture of the page in the shared screenshot folder (support/screenshots.ts), for a person to look at. */
const saveScreenshot = (page: Page, name: string) => capturePage(page, join(SCREENSHOT_DIR, `${name}.png`));

const secure = () => `${stack.origin}/secure/report`;

/** A desktop browser with a Windows Hello-like authenticator attached. */
async function desktop(locale = 'en-US'): Promise<{ page: Page; cdp: CDPSession }> {
  const context = await chromium.browser.newContext({ ...AXE_CONTEXT, locale, viewport: { width: 1280, height: 800 } });
  contexts.push(context);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  } as never);
  return { page, cdp };
}

async function signIn(page: Page, target: string, labels = { username: 'Username', password: 'Password', submit: 'Sign in' }) {
  await page.goto(target);
  await page.getByLabel(labels.username).fill('alice');
  await page.getByLabel(labels.password).fill(password);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: labels.submit, exact: true }).click()]);
  expect(new URL(page.url()).pathname).toBe('/auth/second-factor');
}

/**
 * Signed out as far as the next sign-in is concerned: the browser forgets its session cookie. The
 * sign-out pages themselves are walked in sign-in.e2e.test.ts; here they cost two page loads a
 * sign-in and showed nothing about the second step.
 */
async function signOut(page: Page) {
  await page.context().clearCookies({ name: 'gatehouse_session' });
}

/** What the page leads with, where the focus is, and what waits under "Other ways". */
async function chooser(page: Page) {
  // The page script shows the passkey button (and moves the focus to it) once it has loaded.
  await page.waitForLoadState('load');
  await page.waitForFunction(() => !document.querySelector('[data-webauthn]') || !(document.querySelector('[data-webauthn]') as HTMLElement).hidden);
  return page.evaluate(() => {
    const visible = (el: Element) => (el as HTMLElement).offsetParent !== null;
    const lead = document.querySelector('.lead-method');
    return {
      lead: lead?.querySelector('[data-webauthn]') ? 'webauthn' : lead?.querySelector('.push-option') ? 'push' : lead?.querySelector('.code-option') ? 'code' : 'none',
      focus: document.activeElement?.id ?? '',
      primaries: Array.from(document.querySelectorAll('.button-primary'))
        .filter(visible)
        .map((b) => b.textContent?.trim()),
      otherOpen: (document.querySelector('details.other-methods') as HTMLDetailsElement | null)?.open ?? null,
      others: Array.from(document.querySelectorAll('details.other-methods .method-list > li:not([hidden])')).map((li) => li.className),
      dividers: document.querySelectorAll('.divider').length,
    };
  });
}

describe('the second step in a real browser', () => {
  let phone: Page;
  let page: Page;

  it('"Add phone": the one-time link wraps, and the page fits a 1280 px window and a 390 px phone', async () => {
    ({ page } = await desktop());
    await page.goto(`${stack.origin}/`);
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill(password);
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
    const link = await addPhoneLink(page, stack.origin);
    const widths = async () => page.evaluate(() => ({ document: document.documentElement.scrollWidth, link: document.getElementById('push-link')!.getBoundingClientRect().right }));
    const wide = await widths();
    await saveScreenshot(page, 'add-phone-1280-en');
    expect(wide.document).toBeLessThanOrEqual(1280);
    expect(wide.link).toBeLessThanOrEqual(1280);
    await page.setViewportSize({ width: 390, height: 844 });
    const narrow = await widths();
    await saveScreenshot(page, 'add-phone-390-en');
    expect(narrow.document).toBeLessThanOrEqual(390);
    expect(narrow.link).toBeLessThanOrEqual(390);
    await expectAccessible(page, 'add phone at 390 px');
    await page.setViewportSize({ width: 1280, height: 800 });

    phone = await openPhone(chromium.browser, contexts);
    await enrollPhone(phone, link, 'Pixel 9');
    // An imported 8-digit TOTP hardware token, assigned to alice by the IT desk.
    await stack.gateway.ctx.storage.otpDevices.importTokens(
      [{ username: null, kind: 'totp', name: 'TT-0042', secret: Buffer.alloc(20, 9), algorithm: 'SHA1', digits: 8, period: 30, serial: 'TT-0042', confirmed: true }],
      Date.now(),
    );
    expect(await stack.gateway.ctx.storage.otpDevices.assign('TT-0042', 'alice')).toBe(true);
    await signOut(page);
  });

  it('with nothing used yet, the phone leads with the focus; the codes wait under "Other ways", each named for what it is', async () => {
    await signIn(page, secure());
    const state = await chooser(page);
    await saveScreenshot(page, 'second-factor-lead-push-en');
    expect(state).toEqual({ lead: 'push', focus: 'push-start', primaries: ['Approve on my phone'], otherOpen: false, others: ['method-code'], dividers: 0 });
    await page.getByText('Other ways to sign in').click();
    const labels = await page.locator('.method-code .option label').allTextContents();
    expect(labels.map((l) => l.replace(/\s+/g, ' ').trim())).toEqual([
      'Pixel 9 Codes from the Gatehouse app · not used yet',
      'TT-0042 Hardware token (TOTP), serial TT-0042 · not used yet',
    ]);
    await saveScreenshot(page, 'second-factor-other-ways-en');
    await expectAccessible(page, 'second step, other ways open');

    await Promise.all([page.waitForLoadState('load'), page.locator('#push-start').click()]);
    const number = (await page.locator('#push-number').textContent())!.trim();
    const approvalId = (await page.locator('#push-wait').getAttribute('data-status-url'))!.split('/').pop()!;
    await waitForApproval(phone, approvalId);
    await answerOnPhone(phone, 'approve', number);
    await page.waitForURL(secure(), { timeout: 10_000 });
  });

  // From here on Alice has recovery codes (owed since her phone): a recovery code is one of the other ways, listed last.
  it('after a passkey is added, the phone (used last) still leads, and the passkey waits under "Other ways"', async () => {
    // Alice's first factor was the phone: its recovery codes, owed since, are shown once on her
    // first visit to My sign-in methods after a second factor.
    await page.goto(`${stack.origin}/auth/methods`);
    expect(page.url()).toBe(`${stack.origin}/auth/methods/recovery-codes/new`);
    expect(await page.locator('ol.codes code').count()).toBe(10);
    await Promise.all([page.waitForURL(/\/auth\/methods/), page.getByRole('link', { name: 'I have saved them — continue' }).click()]);
    await page.goto(`${stack.origin}/auth/methods`);
    await registerPasskey(page, 'Windows Hello', /notice=webauthn_added/);
    await signOut(page);

    await signIn(page, secure());
    const state = await chooser(page);
    expect(state).toEqual({
      lead: 'push',
      focus: 'push-start',
      primaries: ['Approve on my phone'],
      otherOpen: false,
      others: ['method-webauthn', 'method-code', 'method-recovery'],
      dividers: 0,
    });
    await page.getByText('Other ways to sign in').click();
    const passkey = page.locator('#webauthn-start');
    expect(await passkey.getAttribute('class')).toBe('button button-secondary');
    await Promise.all([page.waitForURL(secure(), { timeout: 10_000 }), passkey.click()]);
  });

  it('after the passkey, the passkey leads and its button has the focus, not the code field', async () => {
    await signOut(page);
    await signIn(page, secure());
    const state = await chooser(page);
    await saveScreenshot(page, 'second-factor-lead-passkey-en');
    expect(state).toEqual({
      lead: 'webauthn',
      focus: 'webauthn-start',
      primaries: ['Use your security key or passkey'],
      otherOpen: false,
      others: ['method-push', 'method-code', 'method-recovery'],
      dividers: 0,
    });
  });

  it('the code field takes what the server takes: a dot between groups passes, Arabic-Indic digits are stopped in the browser', async () => {
    await page.getByText('Other ways to sign in').click();
    await page.locator('.method-code').getByText('Pixel 9').click();
    const field = page.locator('#code');
    const verdicts: Record<string, boolean> = {};
    for (const input of ['123.456', '123 456', '123-456', '12345678', '١٢٣٤٥٦', '１２３４５６', '12345', '123..456', '12a456']) {
      await field.fill(input);
      verdicts[input] = await field.evaluate((el: HTMLInputElement) => el.validity.valid);
    }
    expect(verdicts).toEqual({
      '123.456': true,
      '123 456': true,
      '123-456': true,
      '12345678': true,
      '١٢٣٤٥٦': false,
      '１２３４５６': false,
      '12345': false,
      '123..456': false,
      '12a456': false,
    });

    // Arabic-Indic digits never leave the browser; the phone's code typed with a dot signs in.
    await field.fill('١٢٣٤٥٦');
    await page.locator('.method-code button[type="submit"]').click();
    expect(new URL(page.url()).pathname).toBe('/auth/second-factor');
    const code = (await phone.locator('#totp-code').getAttribute('data-code'))!;
    await field.fill(`${code.slice(0, 3)}.${code.slice(3)}`);
    await Promise.all([page.waitForURL(secure(), { timeout: 10_000 }), page.locator('.method-code button[type="submit"]').click()]);
  });

  it("after a code, the code form leads with the field focused and the phone's codes chosen", async () => {
    await signOut(page);
    await signIn(page, secure());
    const state = await chooser(page);
    await saveScreenshot(page, 'second-factor-lead-code-en');
    expect(state).toEqual({ lead: 'code', focus: 'code', primaries: ['Verify'], otherOpen: false, others: ['method-webauthn', 'method-push', 'method-recovery'], dividers: 0 });
    expect(await page.locator('.lead-method input[type="radio"]:checked + label .option-name').textContent()).toBe('Pixel 9');
    // Two devices of 6 and 8 digits on one form: the hint cannot name one count.
    expect(await page.locator('#code-hint').textContent()).toContain('6 or 8 digits');
  });

  it('in Traditional Chinese: the same order, 其他登入方式, and the devices named in Chinese', async () => {
    const zh = await desktop('zh-TW');
    await signIn(zh.page, secure(), { username: '帳號', password: '密碼', submit: '登入' });
    const state = await chooser(zh.page);
    expect(state.lead).toBe('code');
    expect(state.primaries).toEqual(['驗證']);
    await zh.page.getByText('其他登入方式').click();
    await saveScreenshot(zh.page, 'second-factor-other-ways-zh-TW');
    const labels = await zh.page.locator('.lead-method .option label').allTextContents();
    expect(labels.map((l) => l.replace(/\s+/g, ' ').trim())[1]).toBe('TT-0042 硬體權杖（TOTP），序號 TT-0042，尚未使用');
    expect(labels[0]).toContain('Gatehouse App 的驗證碼，上次使用');
  });

  it('a phone is renamed on My sign-in methods, and the second step uses the new name', async () => {
    // A fresh second factor first (changing sign-in methods needs one): the passkey, from the other ways.
    await page.getByText('Other ways to sign in').click();
    await Promise.all([page.waitForURL(secure(), { timeout: 10_000 }), page.locator('#webauthn-start').click()]);
    await page.goto(`${stack.origin}/auth/methods`);
    await page.locator('#phone-rename-0').fill('Work phone');
    await Promise.all([page.waitForURL(/notice=renamed/), page.locator('form[action$="methods/push/rename"] button[type="submit"]').click()]);
    expect(await page.locator('#phone-0-name').textContent()).toBe('Work phone');
    expect(await page.getByRole('status').textContent()).toContain('renamed');
    await saveScreenshot(page, 'methods-phone-renamed-en');
    await signOut(page);
    await signIn(page, secure());
    expect(await page.locator('.code-option .option-name').allTextContents()).toEqual(['Work phone', 'TT-0042']);
  });

  it('while push is suspended ("This wasn\'t me"), the phone neither leads nor is offered, and a note says why, in both languages', async () => {
    const { ctx } = stack.gateway;
    const [pixel] = await ctx.storage.pushDevices.listForUser('alice');
    await ctx.storage.userState.setLastUsed('alice', 'push', pixel!.id);
    await ctx.kv.set('push:suspended:alice', String(Date.now()), 3600);
    try {
      await signOut(page);
      await signIn(page, secure());
      const state = await chooser(page);
      expect(state.lead).toBe('webauthn');
      expect(state.others).not.toContain('method-push');
      expect(await page.locator('form[action$="second-factor/push"]').count()).toBe(0);
      expect(await page.locator('#push-suspended').textContent()).toContain('suspended');
      await saveScreenshot(page, 'second-factor-push-suspended-en');
      await expectAccessible(page, 'second step, push suspended');
      const zh = await desktop('zh-TW');
      await signIn(zh.page, secure(), { username: '帳號', password: '密碼', submit: '登入' });
      expect((await chooser(zh.page)).others).not.toContain('method-push');
      expect(await zh.page.locator('#push-suspended').isVisible()).toBe(true);
      await saveScreenshot(zh.page, 'second-factor-push-suspended-zh-TW');
      await expectAccessible(zh.page, 'second step, push suspended, zh-TW');
    } finally {
      await ctx.kv.del('push:suspended:alice');
    }
  });
});
