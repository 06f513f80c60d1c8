import { readFileSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../server/commands/demo.js';
import { decodeBase32 } from '../server/factors/otp/base32.js';
import { generateTotp } from '../server/factors/otp/generate-otp.js';
import { launchChromium, type LaunchedChromium } from '../server/testing/chromium.js';
import { formatLocalTime } from '../client/static/local-time.js';
import { type AxeViolation, watchCspViolations } from './support/page-checks.js';
import { axeViolations, screenshot } from './support/page-checks.js';
import { startBrowserStack, type BrowserStack } from './support/stack.js';

/**
 * "My sign-in methods" as a new user of the demo meets it, in real Chromium, in English and in
 * Traditional Chinese, each in a time zone that is not the server's: a first authenticator app and
 * its recovery codes (copy, download, print), new codes after a warning, times in the reader's
 * zone, and — once the second factor is stale — "Confirm it's you" asking for it instead of looping
 * back to the locked page. Every page is saved under e2e/artifacts/ and checked with axe-core.
 */

let chromium: LaunchedChromium;
let stack: BrowserStack;

beforeAll(async () => {
  chromium = await launchChromium();
  // The demo's layout: the portal at localhost/auth/ under the one_factor rule for localhost.
  stack = await startBrowserStack((c) => {
    c.enrollment = { trusted_networks: ['127.0.0.0/8'] };
  });
});
afterAll(async () => {
  await stack?.close();
  await chromium?.close();
});

const TEXT = {
  en: {
    appAdded: 'Your authenticator app was added.',
    oldCodes: 'Your previous recovery codes no longer work.',
    confirmTitle: 'Create new recovery codes?',
    replacedNotice: 'New recovery codes were created. Your old codes no longer work.',
    copied: 'The codes were copied. Paste them somewhere safe.',
    codesTitle: 'Your recovery codes',
    confirmItsYou: "Confirm it's you",
  },
  'zh-TW': {
    appAdded: '已新增驗證器應用程式。',
    oldCodes: '您先前的復原碼已失效。',
    confirmTitle: '要產生新的復原碼嗎？',
    replacedNotice: '已產生新的復原碼，舊的復原碼已失效。',
    copied: '已複製復原碼。請貼到安全的地方保存。',
    codesTitle: '您的復原碼',
    confirmItsYou: '確認是您本人',
  },
} as const;

type Locale = keyof typeof TEXT;
const violations: Record<string, AxeViolation[]> = {};

/** Saves the page as `name-locale.png` and keeps its axe-core violations for the report at the end. */
async function look(page: Page, name: string, locale: Locale) {
  await screenshot(page, `${name}-${locale}`);
  violations[`${name} (${locale})`] = await axeViolations(page);
}

const codesOn = async (page: Page) => page.locator('ol.codes code').allTextContents();
const submit = (page: Page, action: string) => Promise.all([page.waitForLoadState('load'), page.locator(`form[action$="${action}"] button[type="submit"]`).click()]);

/** Every <time> reads as the browser writes that instant in its own zone and language; none says UTC. */
async function expectLocalTimes(page: Page, locale: Locale, timeZone: string) {
  const times = await page.locator('time[datetime]').evaluateAll((elements) => elements.map((e) => ({ iso: e.getAttribute('datetime')!, text: e.textContent! })));
  expect(times.length).toBeGreaterThan(0);
  for (const { iso, text } of times) expect(text).toBe(formatLocalTime(iso, locale, timeZone));
  expect(await page.locator('main').textContent()).not.toMatch(/UTC/);
}

/** Moves every factor of the browser's session `ms` into the past, as if that long had gone by. */
async function ageSession(context: BrowserContext, ms: number) {
  const cookie = (await context.cookies(stack.origin)).find((c) => c.name === 'gatehouse_session')!;
  const rotated = await stack.gateway.ctx.sessions.rotate(cookie.value, (s) => ({ ...s, factors: s.factors.map((f) => ({ ...f, at: f.at - ms })) }));
  await context.addCookies([{ ...cookie, value: rotated!.token }]);
}

describe.each([
  { locale: 'en' as const, username: 'alice', timeZone: 'Asia/Taipei' },
  { locale: 'zh-TW' as const, username: 'bob', timeZone: 'America/New_York' },
])('My sign-in methods in $locale ($timeZone)', ({ locale, username, timeZone }) => {
  const text = TEXT[locale];

  it('first app → recovery codes once → new codes after a warning → stale → "Confirm it\'s you" asks, then unlocks', async () => {
    const { origin } = stack;
    const context = await chromium.browser.newContext({ locale, timezoneId: timeZone });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    try {
      const page = await context.newPage();
      const cspViolations = watchCspViolations(page);

      await page.goto(`${origin}/auth/`);
      await page.locator('input[name="username"]').fill(username);
      await page.locator('input[name="password"]').fill(DEMO_USERS.find((u) => u.username === username)!.password);
      await submit(page, '/auth/login');

      // A first authenticator app, from the trusted network: its recovery codes come at once.
      await page.goto(`${origin}/auth/methods`);
      await submit(page, 'methods/totp/start');
      const secret = decodeBase32((await page.locator('#totp-secret').textContent())!.replace(/\s/g, ''))!;
      await page.locator('form[action$="methods/totp/confirm"] input[name="code"]').fill(generateTotp(secret, Date.now(), { period: 30, digits: 6, algorithm: 'SHA1' }));
      await submit(page, 'methods/totp/confirm');
      const firstCodes = await codesOn(page);
      expect(firstCodes).toHaveLength(10);
      await expect.poll(() => page.locator('#recovery-actions').isVisible()).toBe(true);
      expect(await page.locator('main').textContent()).not.toContain(text.oldCodes);
      await look(page, 'recovery-codes-first', locale);

      // Copy: the clipboard holds the heading, the account and every code.
      await page.locator('#recovery-copy').click();
      await expect.poll(() => page.locator('#recovery-status').textContent()).toBe(text.copied);
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      expect(copied.startsWith(`${text.codesTitle}\n`)).toBe(true);
      for (const code of firstCodes) expect(copied).toContain(code);

      // Download: a .txt with the same text.
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#recovery-download').click()]);
      expect(download.suggestedFilename()).toBe('gatehouse-recovery-codes.txt');
      expect(readFileSync((await download.path())!, 'utf8')).toBe(copied);

      // Print: the browser's print dialog, and on paper only the codes and what they are.
      await page.evaluate(() => {
        const counted = window as unknown as { printed: number };
        counted.printed = 0;
        window.print = () => void counted.printed++;
      });
      await page.locator('#recovery-print').click();
      expect(await page.evaluate(() => (window as unknown as { printed: number }).printed)).toBe(1);
      await page.emulateMedia({ media: 'print' });
      expect(await page.locator('#recovery-actions').isVisible()).toBe(false);
      expect(await page.locator('p.no-print a.button-primary').isVisible()).toBe(false);
      expect(await page.locator('ol.codes').isVisible()).toBe(true);
      await page.emulateMedia({ media: 'screen' });

      await Promise.all([page.waitForURL(/\/auth\/methods\?notice=added$/), page.locator('p.no-print a.button-primary').click()]);
      expect(await page.locator('.notice-success').textContent()).toBe(text.appAdded);
      await expectLocalTimes(page, locale, timeZone);
      await look(page, 'methods', locale);

      await page.goto(`${origin}/auth/`);
      await expectLocalTimes(page, locale, timeZone);
      await look(page, 'home', locale);

      // New codes: asked first, since ten unused ones would stop working.
      await page.goto(`${origin}/auth/methods`);
      await submit(page, 'methods/recovery-codes');
      expect(await page.locator('h1').textContent()).toBe(text.confirmTitle);
      expect(await codesOn(page)).toEqual([]);
      await look(page, 'recovery-confirm', locale);
      await submit(page, 'methods/recovery-codes');
      const newCodes = await codesOn(page);
      expect(newCodes).toHaveLength(10);
      expect(newCodes).not.toContain(firstCodes[0]);
      expect(await page.locator('.notice').textContent()).toBe(text.oldCodes);
      await look(page, 'recovery-codes-replaced', locale);
      await Promise.all([page.waitForURL(/notice=codes_regenerated$/), page.locator('p.no-print a.button-primary').click()]);
      expect(await page.locator('.notice-success').textContent()).toBe(text.replacedNotice);

      // Once the second factor is older than enrollment.fresh_factor_age the page locks…
      await ageSession(context, 11 * 60_000);
      await page.goto(`${origin}/auth/methods`);
      expect(await page.locator('form[action$="methods/totp/start"]').count()).toBe(0);
      const confirm = page.locator('main a.button-primary[href*="second-factor"]');
      await look(page, 'methods-locked', locale);
      // …and "Confirm it's you" asks for the second factor instead of answering with the locked page again.
      await Promise.all([page.waitForURL(/\/auth\/second-factor\?/), confirm.click()]);
      expect(await page.locator('h1').textContent()).toBe(text.confirmItsYou);
      await look(page, 'confirm-second-factor', locale);
      await page.locator('details.alternative summary').click();
      await page.locator('#recovery-code').fill(newCodes[0]!);
      await Promise.all([page.waitForURL(`${origin}/auth/methods`), page.locator('form:has(input[name="device"][value="recovery"]) button[type="submit"]').click()]);
      expect(await page.locator('form[action$="methods/totp/start"]').count()).toBe(1);

      expect(cspViolations).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('accessibility', () => {
  it("axe-core, injected under the portal's CSP, does report a problem when there is one", async () => {
    const context = await chromium.browser.newContext({ locale: 'en' });
    try {
      const page = await context.newPage();
      await page.goto(`${stack.origin}/auth/`);
      expect(await axeViolations(page)).toEqual([]);
      await page.evaluate(() => document.querySelector('main')!.append(Object.assign(document.createElement('img'), { src: 'static/favicon.svg' })));
      expect((await axeViolations(page)).map((v) => v.id)).toContain('image-alt');
    } finally {
      await context.close();
    }
  });

  it('axe-core finds nothing on the pages above', () => {
    expect(Object.keys(violations).length).toBeGreaterThanOrEqual(14);
    const found = Object.entries(violations).flatMap(([page, list]) => list.map((v) => `${page}: ${v.id} (${v.impact}) ${v.help} — ${v.targets.join(', ')}`));
    expect(found).toEqual([]);
  });
});
