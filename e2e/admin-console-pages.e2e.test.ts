import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type LaunchedChromium } from '../server/testing/chromium.js';
import { adminContext, type ConsoleStack, createLook, startConsoleStack } from './support/console-stack.js';
import { watchCspViolations } from './support/page-checks.js';

/**
 * The security engineer's pages of the admin console in real Chromium, in English and in
 * Traditional Chinese: the overview, the audit log (filter one day, export it, follow new
 * events live), and the policy page (explain a decision, who can reach a site). Every page is
 * checked with axe-core, must fit 390 px, and is saved at 1280 and 390 px under e2e/artifacts/.
 */

let chromium: LaunchedChromium;
let stack: ConsoleStack;
const DAY = Date.UTC(2026, 10, 4);
const HOUR = 3_600_000;

beforeAll(async () => {
  chromium = await launchChromium();
  stack = await startConsoleStack();
  const { storage } = stack.gateway.ctx;
  const now = Date.now();
  for (let i = 0; i < 40; i++) {
    const failed = i % 4 === 0;
    await storage.auditEvents.append({
      at: i < 20 ? DAY + i * HOUR : now - i * 1.3 * HOUR,
      kind: failed ? 'sign_in.failure' : 'sign_in.success',
      result: failed ? 'failure' : 'success',
      subject: i % 3 === 0 ? 'bob' : 'alice',
      actor: i % 3 === 0 ? 'bob' : 'alice',
      clientIp: `192.0.2.${i % 7}`,
      site: 'wiki',
      userAgent: 'Mozilla/5.0',
      ...(failed ? { reason: 'invalid-credentials' } : {}),
    });
  }
  await storage.auditEvents.append({ at: now - HOUR, kind: 'push.not_me', result: 'info', subject: 'bob', actor: 'bob', clientIp: '198.51.100.4' });
  await storage.auditEvents.append({ at: now - 2 * HOUR, kind: 'webauthn.clone_warning', result: 'failure', subject: 'alice', actor: 'alice', clientIp: '192.0.2.1' });
});
afterAll(async () => {
  await stack?.close();
  await chromium?.close();
});

const { look, violations } = createLook();

describe.each(['en', 'zh-TW'] as const)('the security pages in %s', (locale) => {
  let context: BrowserContext;
  let page: Page;
  let csp: string[];
  beforeAll(async () => {
    context = await adminContext(stack, chromium.browser, { locale, acceptDownloads: true });
    page = await context.newPage();
    csp = watchCspViolations(page);
  });
  afterAll(() => context?.close());

  it('the console opens on the overview, with both charts', async () => {
    await page.goto(`${stack.origin}/auth/console/`);
    expect(new URL(page.url()).pathname).toBe('/auth/console/overview');
    expect(await page.locator('svg[role="img"]').count()).toBe(2);
    // This browser's own session is live at least: the number, with nothing to link to.
    expect(Number(await page.locator('#stat-sessions .console-stat-number').textContent())).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#stat-sessions a').count()).toBe(0);
    await look(page, 'overview', locale);
  });

  it('reads the running configuration, secrets masked, from the navigation', async () => {
    await page.locator('.console-nav a[href$="/console/configuration"]').click();
    await page.waitForLoadState('load');
    expect(new URL(page.url()).pathname).toBe('/auth/console/configuration');
    expect(await page.locator('h2 code', { hasText: 'storage' }).count()).toBe(1);
    const text = (await page.locator('main').textContent()) ?? '';
    for (const { key } of stack.gateway.ctx.config.storage.encryption_keys) expect(text).not.toContain(key);
    expect(text).toContain('••••');
    await look(page, 'configuration', locale);
  });

  it('exports a day of audit events', async () => {
    await page.goto(`${stack.origin}/auth/console/audit`);
    await look(page, 'audit', locale);
    await page.locator('#audit-from').fill('2026-11-04');
    await page.locator('#audit-to').fill('2026-11-04');
    await Promise.all([page.waitForLoadState('load'), page.locator('form[role="search"] button[type="submit"]').click()]);
    expect(await page.locator('#audit-table tbody tr').count()).toBe(20);
    // A reason in words, its code kept beside them.
    const reason = page.locator('#audit-table .meta[title="invalid-credentials"]').first();
    expect(await reason.textContent()).toBe(locale === 'en' ? 'Wrong username or password invalid-credentials' : '使用者名稱或密碼錯誤 invalid-credentials');
    await look(page, 'audit-day', locale);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('a[href*="/audit/export/jsonl"]').click()]);
    const path = await download.path();
    const { readFileSync } = await import('node:fs');
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(20);
    expect(JSON.parse(lines[0]!).at).toBe('2026-11-04T00:00:00.000Z');
  });

  it('follows new events live', async () => {
    // The live view asks again every 5 s: the page's clock is moved on instead of waiting that out.
    await context.clock.install();
    await page.goto(`${stack.origin}/auth/console/audit?site=live-${locale}`);
    // The event happens after the first look (made as the box is ticked), so a later poll has to bring it.
    const firstLook = page.waitForResponse((r) => new URL(r.url()).searchParams.has('after'));
    await page.locator('#audit-live').check();
    await firstLook;
    await stack.gateway.ctx.storage.auditEvents.append({ at: Date.now(), kind: 'lockout', result: 'failure', subject: 'bob', site: `live-${locale}`, reason: '<b>not markup</b>' });
    await expect
      .poll(
        async () => {
          await page.clock.runFor(5_000);
          return page.locator('#audit-table tbody tr').count();
        },
        { timeout: 15_000 },
      )
      .toBe(1);
    expect(await page.locator('#audit-table tbody tr code').textContent()).toBe('lockout');
    expect(await page.locator('#audit-table tbody tr .meta').textContent()).toBe('<b>not markup</b>');
    await look(page, 'audit-live', locale);
  });

  it('explains a decision, and who can reach a site', async () => {
    await page.goto(`${stack.origin}/auth/console/policy`);
    await look(page, 'policy', locale);
    await page.locator('#explain-url').fill(`${stack.origin}/private`);
    await page.locator('#explain-user').fill('bob');
    await Promise.all([page.waitForLoadState('load'), page.locator('form[action$="#explain-heading"] button[type="submit"]').click()]);
    expect(await page.locator('.console-explanation').count()).toBe(1);
    await look(page, 'policy-decision', locale);
    await page.locator('#reach-url').fill(`${stack.origin}/private`);
    await Promise.all([page.waitForLoadState('load'), page.locator('form[action$="#reach-heading"] button[type="submit"]').click()]);
    expect(await page.locator('.console-explanation').count(), 'the explanation stays').toBe(1);
    await look(page, 'policy-explained', locale);
    expect(csp).toEqual([]);
  });
});

describe('accessibility', () => {
  it('axe-core finds no violation on any page', () => {
    expect(Object.keys(violations).length).toBeGreaterThanOrEqual(20);
    expect(violations).toEqual(Object.fromEntries(Object.keys(violations).map((k) => [k, []])));
  });
});
