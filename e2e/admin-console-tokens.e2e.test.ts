import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHotp } from '../server/factors/otp/generate-otp.js';
import { launchChromium, type LaunchedChromium } from '../server/testing/chromium.js';
import { testSecret } from '../server/tokens/testing/build-pskc.js';
import { adminContext, type ConsoleStack, createLook, startConsoleStack } from './support/console-stack.js';
import { watchCspViolations } from './support/page-checks.js';

/**
 * The console's hardware-token page in real Chromium, in English and Traditional Chinese: a
 * refused upload (every problem listed), a good one, then a token's page to assign it, resync it
 * from two codes and unassign it. Each page is checked with axe-core, must fit 390 px, and is
 * saved at 1280 and 390 px under e2e/artifacts/. An upload over the limit shows the 413 page.
 */

let chromium: LaunchedChromium;
let stack: ConsoleStack;
beforeAll(async () => {
  chromium = await launchChromium();
  stack = await startConsoleStack();
});
afterAll(async () => {
  await stack?.close();
  await chromium?.close();
});

const { look, violations } = createLook();
const HEADER = 'serial,secret,type,digits,period,counter';

async function submit(page: Page, selector: string) {
  await Promise.all([page.waitForLoadState('load'), page.locator(selector).click()]);
}

describe.each(['en', 'zh-TW'] as const)('hardware tokens in %s', (locale) => {
  let context: BrowserContext;
  let page: Page;
  let csp: string[];
  const serial = `E2E-${locale}`;
  const secret = testSecret(locale === 'en' ? 50 : 60);
  beforeAll(async () => {
    context = await adminContext(stack, chromium.browser, { locale });
    page = await context.newPage();
    csp = watchCspViolations(page);
  });
  afterAll(() => context?.close());

  it('an upload with a bad entry imports nothing and lists the problem; a good one imports every token', async () => {
    await page.goto(`${stack.origin}/auth/console/tokens`);
    expect(await page.locator('.console-nav [aria-current="page"]').count()).toBe(1);
    const bad = [HEADER, `${serial},${secret.toString('hex')},hotp,6,,0`, `${serial}-X,00ff,hotp,6,,0`].join('\n');
    await page.locator('#import-file').setInputFiles({ name: 'vendor.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    await submit(page, 'form[enctype="multipart/form-data"] button[type="submit"]');
    expect(await page.locator('#import-result.alert li').count()).toBe(1);
    await look(page, 'tokens-refused', locale);
    const good = [HEADER, `${serial},${secret.toString('hex')},hotp,6,,0`, `${serial}-T,${testSecret(70).toString('hex')},totp,6,30,`].join('\n');
    await page.locator('#import-file').setInputFiles({ name: 'vendor.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
    await submit(page, 'form[enctype="multipart/form-data"] button[type="submit"]');
    expect(await page.locator('#import-result.notice').count()).toBe(1);
    expect(await page.locator('#tokens-table tbody tr', { hasText: serial }).count()).toBe(2);
    await look(page, 'tokens', locale);
  });

  it('assigns the token, resyncs it from two codes, and unassigns it', async () => {
    await Promise.all([page.waitForLoadState('load'), page.getByRole('link', { name: serial, exact: true }).click()]);
    await page.locator('#assign-username').fill('nobody');
    await submit(page, 'form[action$="/assign"] button');
    expect(await page.locator('#token-problem').count()).toBe(1);
    await page.locator('#assign-username').fill('bob');
    await submit(page, 'form[action$="/assign"] button');
    expect(await page.locator('a[href="/auth/console/users/bob"]').count()).toBe(1);
    const params = { digits: 6 as const, algorithm: 'SHA1' as const };
    await page.locator('#resync-code1').fill(generateHotp(secret, 30, params));
    await page.locator('#resync-code2').fill(generateHotp(secret, 31, params));
    await submit(page, 'form[action$="/resync"] button');
    expect(new URL(page.url()).search).toBe('?notice=resynced');
    expect((await stack.gateway.ctx.storage.otpDevices.findBySerial(serial))!.counter).toBe(32);
    await look(page, 'token', locale);
    await submit(page, 'form[action$="/unassign"] button');
    expect(new URL(page.url()).search).toBe('?notice=unassigned');
    expect(await page.locator('#assign-username').count()).toBe(1);
    await look(page, 'token-unassigned', locale);
    expect(csp).toEqual([]);
  });
});

describe('an upload over 5 MB', () => {
  it('shows the 413 page in the browser, and nothing is imported', async () => {
    const context = await adminContext(stack, chromium.browser, { locale: 'en' });
    const page = await context.newPage();
    await page.goto(`${stack.origin}/auth/console/tokens`);
    const before = (await stack.gateway.ctx.storage.otpDevices.listTokens()).length;
    await page.locator('#import-file').setInputFiles({ name: 'huge.csv', mimeType: 'text/csv', buffer: Buffer.alloc(6 * 1024 * 1024, 'a') });
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/tokens/import')), page.locator('form[enctype="multipart/form-data"] button').click()]);
    expect(response.status()).toBe(413);
    await page.waitForLoadState('load');
    expect(await page.locator('h1').textContent()).toBeTruthy();
    expect(await page.content()).toContain('The request was larger than this service accepts.');
    expect((await stack.gateway.ctx.storage.otpDevices.listTokens()).length).toBe(before);
    await context.close();
  });
});

describe('accessibility', () => {
  it('axe-core finds no violation on any page', () => {
    expect(Object.keys(violations).length).toBe(16);
    expect(violations).toEqual(Object.fromEntries(Object.keys(violations).map((k) => [k, []])));
  });
});
