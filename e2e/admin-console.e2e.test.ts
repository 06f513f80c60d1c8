import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../server/commands/demo.js';
import { launchChromium, type LaunchedChromium } from '../server/testing/chromium.js';
import { adminContext, type ConsoleStack, createLook, giveAliceAnApp, startConsoleStack, WIDE } from './support/console-stack.js';
import { watchCspViolations } from './support/page-checks.js';

/**
 * The IT desk's story in real Chromium, in English and in Traditional Chinese: bob locks himself
 * out; alice, an administrator, signs in, is asked for her second factor on the way into the
 * console, finds bob among the locked users, sees why, unlocks him, resets his lost phone and
 * gives him an enrollment code, which bob then uses. Bob's "Where you're signed in" page, and
 * the console's 403 page for him. Every page is checked with axe-core and saved at 1280 and at
 * 390 px wide under e2e/artifacts/.
 */

let chromium: LaunchedChromium;
beforeAll(async () => {
  chromium = await launchChromium();
});
afterAll(() => chromium?.close());

const TEXT = {
  en: {
    users: 'Users',
    lockedWhy: 'too many failed sign-in attempts',
    unlocked: 'The account was unlocked.',
    reset: 'All second factors were removed',
    codeTitle: 'Enrollment code',
    forbidden: 'The admin console is for the IT desk and security team.',
    sessions: "Where you're signed in",
  },
  'zh-TW': {
    users: '使用者',
    lockedWhy: '登入失敗次數過多',
    unlocked: '已解除帳號鎖定',
    reset: '已移除所有第二驗證因素',
    codeTitle: '註冊碼',
    forbidden: '管理主控台僅供 IT 服務台與資安團隊使用。',
    sessions: '您登入的位置',
  },
} as const;

const { look, violations } = createLook();

const click = (page: Page, selector: string) => Promise.all([page.waitForLoadState('load'), page.locator(selector).click()]);
const password = (username: string) => DEMO_USERS.find((u) => u.username === username)!.password;

async function signIn(page: Page, origin: string, username: string, pass = password(username)) {
  await page.goto(`${origin}/auth/`);
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="password"]').fill(pass);
  await click(page, 'form[action$="/auth/login"] button[type="submit"]');
}

describe.each(['en', 'zh-TW'] as const)('the admin console in %s', (locale) => {
  const text = TEXT[locale];
  let stack: ConsoleStack;
  let browser: Browser;
  /** Alice's authenticator app (her second factor): each call is a code the gateway has not seen yet. */
  let aliceCode: () => string;

  beforeAll(async () => {
    stack = await startConsoleStack((c) => {
      c.regulation = { lockout: { max_failures: 3 } };
    });
    browser = chromium.browser;
    aliceCode = await giveAliceAnApp(stack, Buffer.from('12345678901234567890'));
    // Bob's phone, which he has lost.
    await stack.gateway.ctx.storage.otpDevices.create(
      { username: 'bob', kind: 'totp', name: 'Bob’s old phone', secret: Buffer.alloc(20, 9), algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
      Date.now() - 86_400_000 * 40,
    );
  });
  afterAll(() => stack?.close());

  it('find a locked user, see why, unlock, reset the phone, give an enrollment code; the user uses it', async () => {
    const { origin } = stack;
    const bobContext: BrowserContext = await browser.newContext({ locale, viewport: WIDE });
    const aliceContext: BrowserContext = await browser.newContext({ locale, viewport: WIDE });
    try {
      // Bob mistypes his password until the account locks.
      const bob = await bobContext.newPage();
      for (let i = 0; i < 3; i++) await signIn(bob, origin, 'bob', 'not-my-password');
      await expect.poll(async () => (await stack.gateway.ctx.regulator.lockState('bob')).locked).toBe(true);

      // Alice: password, then the console asks for her second factor and comes back.
      const page = await aliceContext.newPage();
      const csp = watchCspViolations(page);
      await signIn(page, origin, 'alice');
      await page.goto(`${origin}/auth/console/users?locked=1`);
      expect(new URL(page.url()).pathname).toBe('/auth/second-factor');
      await page.locator('form.code-option input[name="code"]').fill(aliceCode());
      await click(page, 'form.code-option button[type="submit"]');
      expect(page.url()).toBe(`${origin}/auth/console/users?locked=1`);
      expect(await page.locator('h1').textContent()).toBe(text.users);
      expect(await page.locator('.console-username').allTextContents()).toEqual(['bob']);
      await look(page, 'users-locked', locale);

      await page.goto(`${origin}/auth/console/users`);
      expect(await page.locator('.console-username').allTextContents()).toEqual(['alice', 'bob']);
      await look(page, 'users', locale);

      // Why bob cannot get in: the lock, its reason, and the failures in his trail.
      await page.goto(`${origin}/auth/console/users?locked=1`);
      await click(page, '.console-table a');
      expect(await page.locator('main').textContent()).toContain(text.lockedWhy);
      expect(await page.locator('#trail-heading + .table-scroll').textContent()).toContain('sign_in.failure');
      await look(page, 'user-locked', locale);

      await click(page, 'form[action$="/users/bob/unlock"] button');
      expect(await page.locator('.notice').first().textContent()).toContain(text.unlocked);
      expect((await stack.gateway.ctx.regulator.lockState('bob')).locked).toBe(false);

      // The lost phone: reset, behind a second click.
      await page.locator('details.console-confirm:has(form[action$="/reset-factors"]) summary').click();
      await look(page, 'user-reset-confirm', locale);
      await click(page, 'form[action$="/users/bob/reset-factors"] button');
      expect(await page.locator('main').textContent()).toContain(text.reset);
      expect(await stack.gateway.ctx.storage.otpDevices.listForUser('bob')).toEqual([]);
      await look(page, 'user-reset', locale);

      await click(page, 'form[action$="/users/bob/enrollment-code"] button');
      expect(await page.locator('h1').textContent()).toBe(text.codeTitle);
      const code = (await page.locator('code.secret').textContent())!;
      expect(await page.locator('img.qr').isVisible()).toBe(true);
      await look(page, 'enrollment-code', locale);
      expect(csp).toEqual([]);

      // Bob, unlocked, signs in and gets past the enrollment gate with the code.
      await signIn(bob, origin, 'bob');
      await bob.goto(`${origin}/auth/methods`);
      await bob.locator('#enroll-code').fill(code);
      await click(bob, 'form[action$="enroll/code"] button[type="submit"]');
      expect(await bob.locator('form[action$="methods/totp/start"]').count()).toBe(1);

      // His own sessions, and the console's door closed to him.
      await bob.goto(`${origin}/auth/sessions`);
      expect(await bob.locator('h1').textContent()).toBe(text.sessions);
      await look(bob, 'own-sessions', locale);
      const refused = await bob.goto(`${origin}/auth/console/users`);
      expect(refused!.status()).toBe(403);
      expect(await bob.locator('main').textContent()).toContain(text.forbidden);
      await look(bob, 'forbidden', locale);

      // Alice sees bob's new session, with its browser.
      await page.goto(`${origin}/auth/console/users/bob`);
      expect(await page.locator('#sessions-heading + .table-scroll tbody tr').count()).toBeGreaterThanOrEqual(1);
      expect(await page.locator('#sessions-heading + .table-scroll').textContent()).toMatch(/Chrome \d+/);
      await look(page, 'user', locale);
    } finally {
      await bobContext.close();
      await aliceContext.close();
    }
    // Eleven pages, each saved and checked at two widths: minutes on a busy machine.
  }, 300_000);

  it('keyboard: the skip link comes first and leads to the main content; the navigation is reachable', async () => {
    const context = await browser.newContext({ locale, viewport: WIDE });
    try {
      const page = await context.newPage();
      await signIn(page, stack.origin, 'alice');
      await page.goto(`${stack.origin}/auth/console/users`);
      expect(new URL(page.url()).pathname).toBe('/auth/second-factor');
      await page.locator('form.code-option input[name="code"]').fill(aliceCode());
      await click(page, 'form.code-option button[type="submit"]');
      expect(page.url()).toBe(`${stack.origin}/auth/console/users`);
      await page.locator('a.skip-link').waitFor({ state: 'attached' });
      await page.bringToFront();
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.className), await page.evaluate(() => document.activeElement?.outerHTML ?? '')).toBe('skip-link');
      await page.keyboard.press('Enter');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
      await page.keyboard.press('Shift+Tab');
      const reached: string[] = [];
      await page.focus('a.brand');
      for (let i = 0; i < 3; i++) {
        await page.keyboard.press('Tab');
        reached.push(await page.evaluate(() => document.activeElement?.textContent ?? ''));
      }
      expect(reached).toContain(text.users);
    } finally {
      await context.close();
    }
  });
});

describe('the language switch', () => {
  it('switches the console to the other language and keeps it', async () => {
    // Signing in through the second step is the story's and the keyboard test's: here alice's browser starts signed in.
    const stack = await startConsoleStack();
    const context = await adminContext(stack, chromium.browser, { locale: 'en' });
    try {
      const page = await context.newPage();
      await page.goto(`${stack.origin}/auth/console/users?q=bob`);
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
      await click(page, '.console-languages a[lang="zh-TW"]');
      expect(page.url()).toBe(`${stack.origin}/auth/console/users?q=bob`);
      expect(await page.locator('html').getAttribute('lang')).toBe('zh-TW');
      expect(await page.locator('h1').textContent()).toBe('使用者');
      await page.goto(`${stack.origin}/auth/console/users/bob`);
      expect(await page.locator('html').getAttribute('lang')).toBe('zh-TW');
      await click(page, '.console-languages a[lang="en"]');
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
    } finally {
      await context.close();
      await stack.close();
    }
  });
});

describe('accessibility', () => {
  it('axe-core finds nothing on any console page, in either language, at either width', () => {
    expect(Object.keys(violations).length).toBeGreaterThanOrEqual(36);
    const found = Object.entries(violations).flatMap(([page, list]) => list.map((v) => `${page}: ${v.id} (${v.impact}) ${v.help} — ${v.targets.join(', ')}`));
    expect(found).toEqual([]);
  });
});
