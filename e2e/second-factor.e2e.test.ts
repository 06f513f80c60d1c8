import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DEMO_USERS } from '../server/commands/demo.js';
import { parseConfigText } from '../server/config/load-config.js';
import { createMovableClock } from '../server/core/clock.js';
import { createSilentLogger } from '../server/core/logger.js';
import { createSampleApp } from '../server/demo/sample-app.js';
import { issueEnrollmentCode } from '../server/enrollment/enrollment-codes.js';
import { decodeBase32 } from '../server/factors/otp/base32.js';
import { generateTotp } from '../server/factors/otp/generate-otp.js';
import { createGateway, type Gateway } from '../server/gateway.js';
import { launchChromium, type LaunchedChromium } from '../server/testing/chromium.js';
import { getFreePort } from '../server/testing/free-port.js';
import { writeUsersFile } from '../server/testing/gateway-harness.js';
import { startRedisServer, type TestRedisServer } from '../server/testing/redis-server.js';
import { TEST_HASH_POLICY } from '../server/testing/test-password-hash.js';
import { testStorage } from '../server/testing/test-storage.js';
import { startDemoDirectory } from './support/demo-directory.js';
import { capturePage } from './support/page-checks.js';

/**
 * A second factor in a real browser: enroll an authenticator app (reading the key from the page),
 * sign out, sign in with password + code, get refused on a replayed code, and pass a step-up rule;
 * once with the users file, once with LDAP (slapd) as the directory.
 */

const alice = DEMO_USERS.find((u) => u.username === 'alice')!;
/** Screenshots land here (overwritten each run) so a person can look at the pages. */
const SCREENSHOT_DIR = join(tmpdir(), 'gatehouse-e2e-screenshots');
let chromium: LaunchedChromium;

beforeAll(async () => {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  chromium = await launchChromium();
});

afterAll(async () => {
  await chromium?.close().catch(() => undefined);
});

/**
 * The gateway in front of the sample app, with the demo users in the users file or in LDAP (slapd).
 * Its time is a movable clock: a test moves it on to a new TOTP step or past max_auth_age instead
 * of waiting for either.
 */
async function startSecondFactorStack(directory: 'users-file' | 'ldap') {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-2fa-'));
  const stops: Array<() => unknown> = [() => rmSync(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const stop of stops.splice(0).reverse())
      await Promise.resolve()
        .then(stop)
        .catch(() => undefined);
  };
  try {
    const port = await getFreePort();
    const origin = `http://localhost:${port}`;
    const redis: TestRedisServer = await startRedisServer();
    stops.push(() => redis.stop());
    const app: Server = createSampleApp({ portalUrl: `${origin}/auth/` });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    stops.push(() => new Promise<void>((r) => app.close(() => r())));
    let authentication: Record<string, unknown>;
    if (directory === 'ldap') {
      const { slapd, ldap } = await startDemoDirectory();
      stops.push(() => slapd.close());
      authentication = { ldap };
    } else {
      const usersFile = join(dir, 'users.yml');
      await writeUsersFile(usersFile, Object.fromEntries(DEMO_USERS.map(({ username, ...u }) => [username, { ...u, disabled: false }])));
      authentication = { users_file: usersFile, watch: false };
    }
    const config = {
      server: { host: '127.0.0.1', port, portal_url: `${origin}/auth/` },
      session: { store: 'redis' },
      redis: { url: redis.url },
      authentication,
      storage: testStorage(join(dir, 'gatehouse.db')),
      sites: [{ name: 'sample-app', url: `${origin}/`, upstream: `http://127.0.0.1:${(app.address() as AddressInfo).port}` }],
      access_control: {
        default_policy: 'deny',
        rules: [
          { domain: 'localhost', resources: ['/secure/.*'], policy: 'two_factor' },
          { domain: 'localhost', resources: ['/fresh/.*'], policy: 'two_factor', max_auth_age: '5m' },
          { domain: 'localhost', policy: 'one_factor' },
        ],
      },
    };
    const loaded = parseConfigText(stringify(config), { env: {}, baseDir: dir });
    if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
    const clock = createMovableClock();
    const gateway: Gateway = await createGateway(loaded.config, { logger: createSilentLogger(), hashPolicy: TEST_HASH_POLICY, clock });
    stops.push(() => gateway.close());
    await gateway.listen(port, '127.0.0.1');
    return { origin, gateway, clock, close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function newPage(): Promise<Page> {
  const context = await chromium.browser.newContext({ locale: 'en-US' });
  return context.newPage();
}

async function signIn(page: Page, target: string) {
  await page.goto(target);
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill(alice.password);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
}

/** The authenticator app's code at `now` (the gateway's time). */
const totp = (secret: Buffer, now: number) => generateTotp(secret, now, { period: 30, digits: 6, algorithm: 'SHA1' });

describe.each([
  { directory: 'users-file' as const, shots: '' },
  // The same walk with LDAP as the directory: second factors hang on the account name, wherever it comes from.
  { directory: 'ldap' as const, shots: 'ldap-' },
])('second factor in a real browser ($directory)', ({ directory, shots }) => {
  let origin: string;
  let gateway: Gateway;
  let clock: ReturnType<typeof createMovableClock>;
  let stack: Awaited<ReturnType<typeof startSecondFactorStack>> | undefined;
  beforeAll(async () => {
    stack = await startSecondFactorStack(directory);
    ({ origin, gateway, clock } = stack);
  });
  afterAll(async () => stack?.close());
  let secret: Buffer;
  let recoveryCodes: string[];
  let usedCode: string;
  const SECURE = () => `${origin}/secure/reports`;

  it('enrolls an authenticator app after the IT desk’s code, then reaches a two_factor page', async () => {
    const page = await newPage();
    await signIn(page, SECURE());
    expect(new URL(page.url()).pathname).toBe('/auth/second-factor');
    await page.getByRole('link', { name: /set up/i }).click();
    expect(new URL(page.url()).pathname).toBe('/auth/methods');

    const { code } = await issueEnrollmentCode(gateway.ctx.storage, { username: 'alice', method: 'admin', ttlSeconds: 600, issuedBy: 'it-desk', now: Date.now() });
    await page.locator('form[action$="enroll/code"] input[name="code"]').fill(code);
    await Promise.all([page.waitForURL(/\/auth\/methods/), page.locator('form[action$="enroll/code"] button[type="submit"]').click()]);
    await Promise.all([page.waitForLoadState('load'), page.locator('form[action$="methods/totp/start"] button[type="submit"]').click()]);

    await capturePage(page, join(SCREENSHOT_DIR, `${shots}totp-enroll-en.png`));
    const qr = page.locator('img[src^="data:image/svg+xml;base64,"]');
    expect(await qr.count()).toBe(1);
    expect(await qr.getAttribute('alt')).toBeTruthy();
    secret = decodeBase32((await page.locator('#totp-secret').textContent())!.replace(/\s/g, ''))!;
    expect(secret.length).toBe(20);
    await page.locator('form[action$="methods/totp/confirm"] input[name="code"]').fill(totp(secret, clock.now()));
    await Promise.all([page.waitForLoadState('load'), page.locator('form[action$="methods/totp/confirm"] button[type="submit"]').click()]);

    const text = (await page.locator('main').textContent()) ?? '';
    recoveryCodes = [...text.matchAll(/[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}/g)].map((m) => m[0]);
    expect(new Set(recoveryCodes).size).toBe(10);
    await page.goto(`${origin}/auth/methods`);
    await capturePage(page, join(SCREENSHOT_DIR, `${shots}methods-en.png`));

    await page.goto(SECURE());
    expect(page.url()).toBe(SECURE());
    expect(await page.locator('#remote-user').textContent()).toBe('alice');
    await page.context().close();
  });

  it('signs in with password and code, and refuses the same code again', async () => {
    const page = await newPage();
    await signIn(page, SECURE());
    expect(new URL(page.url()).pathname).toBe('/auth/second-factor');
    await capturePage(page, join(SCREENSHOT_DIR, `${shots}second-factor-en.png`));
    // Half a minute on: a new step, not the one the enrollment just used (a used step is refused as a replay).
    clock.advance(30_000);
    usedCode = totp(secret, clock.now());
    await page.locator('input[name="code"]').first().fill(usedCode);
    await Promise.all([
      page.waitForURL(SECURE()),
      page
        .getByRole('button', { name: /verify|continue|sign in/i })
        .first()
        .click(),
    ]);
    expect(await page.locator('#remote-user').textContent()).toBe('alice');
    await page.context().close();

    const other = await newPage();
    await signIn(other, SECURE());
    await other.locator('input[name="code"]').first().fill(usedCode);
    await other
      .getByRole('button', { name: /verify|continue|sign in/i })
      .first()
      .click();
    const alert = other.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/already used/i);
    // Still no second factor in this session: the site sends it back to the second step.
    await other.goto(SECURE());
    expect(new URL(other.url()).pathname).toBe('/auth/second-factor');
    await other.context().close();
  }, 45_000);

  it('passes a step-up rule: asked again once the second factor is older than max_auth_age', async () => {
    const page = await newPage();
    const FRESH = `${origin}/fresh/report`;
    await signIn(page, FRESH);
    expect(new URL(page.url()).pathname).toBe('/auth/second-factor');
    // The recovery-code form, for variety: each code works once.
    await page.locator('details summary').click();
    await page.locator('input[name="code"]').last().fill(recoveryCodes[0]!);
    await Promise.all([page.waitForURL(FRESH), page.locator('form:has(input[name="device"][value="recovery"]) button[type="submit"]').click()]);
    // Just past max_auth_age (5m) on the gateway's clock: the second factor is too old for /fresh/.
    clock.advance(5 * 60_000 + 1_000);
    await page.goto(FRESH);
    expect(new URL(page.url()).pathname).toBe('/auth/second-factor');
    await page.locator('details summary').click();
    await page.locator('input[name="code"]').last().fill(recoveryCodes[1]!);
    await Promise.all([page.waitForURL(FRESH), page.locator('form:has(input[name="device"][value="recovery"]) button[type="submit"]').click()]);
    expect(await page.locator('#remote-user').textContent()).toBe('alice');
    await page.context().close();
  });
});
