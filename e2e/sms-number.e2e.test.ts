import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfigText } from '../server/config/load-config.js';
import { createSilentLogger } from '../server/core/logger.js';
import { createSampleApp } from '../server/demo/sample-app.js';
import { hashPassword } from '../server/directory/password-hash.js';
import { createGateway, type Gateway } from '../server/gateway.js';
import { launchChromium, type LaunchedChromium } from '../server/testing/chromium.js';
import { getFreePort } from '../server/testing/free-port.js';
import { startRedisServer } from '../server/testing/redis-server.js';
import { codeFromText, startSmsProvider, type SmsProvider } from '../server/testing/sms-provider.js';
import { generateTotp } from '../server/factors/otp/generate-otp.js';
import { TEST_HASH_POLICY } from '../server/testing/test-password-hash.js';
import { testStorage } from '../server/testing/test-storage.js';
import { axeViolations, screenshot } from './support/page-checks.js';

/**
 * A user adds their own mobile number for SMS codes in a real browser: signed in with an
 * authenticator app (a fresh second factor), they type the number on "My sign-in methods", get
 * the code from a local server playing Twilio, type it back, and see the number masked. Every
 * page is checked with axe-core and saved (English and Traditional Chinese) under e2e/artifacts/.
 */

const PASSWORD = 'alice-e2e-pass';
const SECRET = Buffer.alloc(20, 7);
let chromium: LaunchedChromium;
let sms: SmsProvider;
let gateway: Gateway;
let origin: string;
const stops: Array<() => unknown> = [];

beforeAll(async () => {
  chromium = await launchChromium();
  stops.push(() => chromium.close());
  sms = await startSmsProvider();
  stops.push(() => sms.close());
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-sms-number-'));
  stops.push(() => rmSync(dir, { recursive: true, force: true }));
  const redis = await startRedisServer();
  stops.push(() => redis.stop());
  const app: Server = createSampleApp({ portalUrl: 'http://placeholder/' });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  stops.push(() => new Promise<void>((r) => app.close(() => r())));
  const port = await getFreePort();
  origin = `http://localhost:${port}`;
  const usersFile = join(dir, 'users.yml');
  const hash = await hashPassword(PASSWORD, TEST_HASH_POLICY);
  const user = (name: string) => ({ displayname: name, email: `${name}@corp.example`, groups: ['dev'], password: hash });
  writeFileSync(usersFile, stringify({ users: { nina: user('Nina'), niko: user('Niko') } }));
  const config = {
    server: { host: '127.0.0.1', port, portal_url: `${origin}/auth/` },
    session: { store: 'redis' },
    redis: { url: redis.url },
    authentication: { users_file: usersFile, watch: false },
    storage: testStorage(join(dir, 'gatehouse.db')),
    second_factors: {
      sms_otp: {
        enabled: true,
        user_numbers: true,
        default_region: 'TW',
        allowed_countries: ['TW'],
        // Room for every text the walk below sends, in both languages.
        max_sends: 20,
        max_per_number_per_day: 20,
        timeout: '2s',
        sender: { type: 'twilio', account_sid: `AC${'d4'.repeat(16)}`, auth_token: 'tok', from: '+15005550006', api_url: sms.url },
      },
    },
    sites: [{ name: 'canteen', url: `${origin}/`, upstream: `http://127.0.0.1:${(app.address() as AddressInfo).port}` }],
    access_control: { default_policy: 'deny', rules: [{ domain: 'localhost', policy: 'two_factor', factors: ['totp', 'sms_otp'] }] },
  };
  const loaded = parseConfigText(stringify(config), { env: {}, baseDir: dir });
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  gateway = await createGateway(loaded.config, { logger: createSilentLogger(), hashPolicy: TEST_HASH_POLICY });
  stops.push(() => gateway.close());
  await gateway.listen(port, '127.0.0.1');
  for (const name of ['nina', 'niko']) {
    await gateway.ctx.storage.otpDevices.create(
      { username: name, kind: 'totp', name: 'Phone', secret: SECRET, algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
      Date.now(),
    );
  }
}, 60_000);

afterAll(async () => {
  for (const stop of stops.splice(0).reverse())
    await Promise.resolve()
      .then(stop)
      .catch(() => undefined);
});

async function checkPage(page: Page, name: string) {
  expect(await axeViolations(page), name).toEqual([]);
  await screenshot(page, name);
}

describe.each([
  { locale: 'en-US' as const, tag: 'en', user: 'nina', masked: 'Your number: •••• 678' },
  { locale: 'zh-TW' as const, tag: 'zh-TW', user: 'niko', masked: '您的號碼：•••• 678' },
])('adding a mobile number for SMS codes in Chromium ($tag)', ({ locale, tag, user, masked }) => {
  it('number → texted code → added, shown masked', async () => {
    const context = await chromium.browser.newContext({ locale });
    const page = await context.newPage();
    await page.goto(`${origin}/auth/methods`);
    await page.locator('input[name="username"]').fill(user);
    await page.locator('input[name="password"]').fill(PASSWORD);
    await Promise.all([page.waitForURL(/\/auth\/second-factor/), page.locator('form button[type="submit"]').first().click()]);
    await page
      .locator('input[name="code"]')
      .first()
      .fill(generateTotp(SECRET, Date.now(), { period: 30, digits: 6, algorithm: 'SHA1' }));
    await Promise.all([page.waitForURL(/\/auth\/methods/), page.locator('form:has(input[name="code"]) button[type="submit"]').first().click()]);
    await checkPage(page, `sms-number-methods-${tag}`);
    await Promise.all([page.waitForURL(/\/auth\/methods\/sms\/add/), page.locator('a[href$="methods/sms/add"]').click()]);
    await checkPage(page, `sms-number-add-${tag}`);
    // A premium-rate number first: refused, said so.
    await page.locator('input[name="number"]').fill('+1 900 555 0100');
    await page.locator('form button[type="submit"]').click();
    await page.getByRole('alert').first().waitFor();
    await checkPage(page, `sms-number-refused-${tag}`);
    const arrived = sms.next();
    await page.locator('input[name="number"]').fill('0912 345 678');
    await page.locator('form button[type="submit"]').click();
    const text = new URLSearchParams((await arrived).body);
    expect(text.get('To')).toBe('+886912345678');
    await page.locator('input[name="code"]').waitFor();
    await checkPage(page, `sms-number-code-${tag}`);
    await page.locator('input[name="code"]').fill(codeFromText(text.get('Body') ?? ''));
    await Promise.all([page.waitForURL(/notice=sms_added/), page.locator('form:has(input[name="code"]) button[type="submit"]').click()]);
    const main = (await page.locator('main').textContent()) ?? '';
    expect(main).toContain(masked);
    expect(main).not.toMatch(/0912|912 ?345/);
    await checkPage(page, `sms-number-added-${tag}`);
    await context.close();
  }, 60_000);
});
