import { testStorage } from '../server/testing/test-storage.js';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DEMO_USERS } from '../server/commands/demo.js';
import { parseConfigText } from '../server/config/load-config.js';
import { createSilentLogger } from '../server/core/logger.js';
import { createSampleApp } from '../server/demo/sample-app.js';
import { createGateway, type Gateway } from '../server/gateway.js';
import { launchChromium, type LaunchedChromium } from '../server/testing/chromium.js';
import { getFreePort } from '../server/testing/free-port.js';
import { writeUsersFile } from '../server/testing/gateway-harness.js';
import { startRedisServer, type TestRedisServer } from '../server/testing/redis-server.js';
import { startDemoDirectory } from './support/demo-directory.js';
import { capturePage } from './support/page-checks.js';
import { TEST_HASH_POLICY } from '../server/testing/test-password-hash.js';

/**
 * The demo's layout, with sessions in a real Redis, driven by a real Chromium: the portal at
 * http://localhost:<port>/auth/ and the sample app at http://localhost:<port>/ behind the gateway;
 * once with the users file, once with LDAP (slapd) as the directory.
 */

/** Screenshots land here (overwritten each run) so a person can look at the pages. */
const SCREENSHOT_DIR = join(tmpdir(), 'gatehouse-e2e-screenshots');

const alice = DEMO_USERS.find((u) => u.username === 'alice')!;

let chromium: LaunchedChromium | undefined;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  chromium = await launchChromium();
});

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => undefined)));
});

afterAll(async () => {
  await chromium?.close().catch(() => undefined);
});

/**
 * The gateway in front of the sample app with the demo users in `directory`: the users file, or
 * LDAP (a private slapd holding the same users, and no users file at all).
 */
async function startSignInStack(directory: 'users-file' | 'ldap') {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-'));
  const stops: Array<() => unknown> = [() => rmSync(dir, { recursive: true, force: true })];
  const close = async () => {
    // Each step on its own: one failing must not leave the others running.
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
    stops.push(() => new Promise<void>((resolve) => app.close(() => resolve())));
    const appPort = (app.address() as AddressInfo).port;

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
      session: { store: 'redis', remember_me: '7d' },
      redis: { url: redis.url },
      authentication,
      storage: testStorage(),
      sites: [{ name: 'sample-app', url: `${origin}/`, upstream: `http://127.0.0.1:${appPort}` }],
      access_control: {
        default_policy: 'deny',
        rules: [
          { domain: 'localhost', resources: ['/public/.*'], policy: 'bypass' },
          { domain: 'localhost', policy: 'one_factor' },
        ],
      },
    };
    const loaded = parseConfigText(stringify(config), { env: {}, baseDir: dir });
    if (!loaded.ok) throw new Error(`test config invalid:\n${loaded.errors.join('\n')}`);
    const gateway: Gateway = await createGateway(loaded.config, { logger: createSilentLogger(), hashPolicy: TEST_HASH_POLICY });
    stops.push(() => gateway.close());
    await gateway.listen(port, '127.0.0.1');
    return { origin, close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function newPage(options: { locale?: string } = {}): Promise<Page> {
  const context = await chromium!.browser.newContext({ locale: options.locale ?? 'en-US' });
  contexts.push(context);
  return context.newPage();
}

describe.each([
  { directory: 'users-file' as const, shots: '' },
  // The same browser walk with LDAP as the directory: the portal must not tell them apart.
  { directory: 'ldap' as const, shots: 'ldap-' },
])('signing in with a password in a real browser ($directory)', ({ directory, shots }) => {
  let origin: string;
  let stack: Awaited<ReturnType<typeof startSignInStack>> | undefined;
  beforeAll(async () => {
    stack = await startSignInStack(directory);
    origin = stack.origin;
  });
  afterAll(async () => stack?.close());

  function signInPageUrl(target: string): string {
    return `${origin}/auth/?rd=${encodeURIComponent(target)}`;
  }

  it('goes from the site to the sign-in page (in English for an English browser), back to the page first asked for, and out again', async () => {
    const page = await newPage({ locale: 'en-US' });
    const target = `${origin}/reports/q3?year=2025`;

    await page.goto(target);
    expect(page.url()).toBe(signInPageUrl(target));
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in');
    expect(await page.title()).toBe('Sign in · Gatehouse');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await capturePage(page, join(SCREENSHOT_DIR, `${shots}sign-in-en.png`));

    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill(alice.password);
    await Promise.all([page.waitForURL(target), page.getByRole('button', { name: 'Sign in' }).click()]);
    expect(await page.locator('#remote-user').textContent()).toBe('alice');

    // The session cookie is out of reach of the page's scripts.
    const session = (await page.context().cookies(origin)).find((c) => c.name === 'gatehouse_session');
    // Not "kept signed in": a browser-session cookie, gone when the browser closes.
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', expires: -1 });
    expect(await page.evaluate(() => document.cookie)).not.toContain('gatehouse_session');

    await page.goto(`${origin}/auth/`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Hello, Alice Liu');
    await expect.poll(() => page.getByText('Signed in as alice').count()).toBe(1);
    expect(await page.getByRole('link', { name: /sample-app/ }).getAttribute('href')).toBe(`${origin}/`);

    // Out through the sample app's own link, as a user would: a confirmation page, then a POST.
    await page.goto(target);
    await page.getByRole('link', { name: 'Sign out' }).click();
    await page.waitForURL(`${origin}/auth/logout`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign out?');
    await Promise.all([page.waitForURL(`${origin}/auth/logout`), page.getByRole('button', { name: 'Sign out', exact: true }).click()]);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('You are signed out');

    await page.goto(target);
    expect(page.url()).toBe(signInPageUrl(target));
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in');
  });

  // The demo's portal (/auth/) shares its origin with the sample app, so a same-origin Referer
  // would hand the app the sign-in URL with its rd (the app's own query). Referrer-Policy
  // strict-origin sends the origin alone, and unlike no-referrer keeps Origin on the form post.
  it('the site never sees a portal URL in a Referer, and the sign-in post still carries its Origin', async () => {
    const page = await newPage();
    const target = `${origin}/reports/q3?token=s3cret-app-token`;
    const requests: import('playwright-core').Request[] = [];
    page.on('request', (r) => requests.push(r));

    await page.goto(target);
    expect(page.url()).toBe(signInPageUrl(target));
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill(alice.password);
    await Promise.all([page.waitForURL(target), page.getByRole('button', { name: 'Sign in' }).click()]);
    expect(await page.locator('#remote-user').textContent()).toBe('alice');

    const sent = await Promise.all(requests.map(async (r) => ({ method: r.method(), url: r.url(), headers: await r.allHeaders() })));
    const login = sent.find((r) => r.method === 'POST' && r.url === `${origin}/auth/login`);
    expect(login?.headers.origin).toBe(origin);
    expect(login?.headers.referer).toBe(`${origin}/`);
    const back = sent.filter((r) => r.method === 'GET' && r.url === target);
    expect(back.length).toBe(2); // first asked for, then after signing in
    expect(back[1]!.headers.referer).toBe(`${origin}/`);
    for (const r of sent) expect([r.url, r.headers.referer ?? '']).toEqual([r.url, expect.not.stringMatching(/auth|rd=|s3cret/)]);
  });

  it('keeps the user signed in for the configured days when they tick the box', async () => {
    const page = await newPage();
    await page.goto(`${origin}/kept`);
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill(alice.password);
    await page.getByLabel('Keep me signed in for 7 days').check();
    const before = Date.now() / 1000;
    await Promise.all([page.waitForURL(`${origin}/kept`), page.getByRole('button', { name: 'Sign in' }).click()]);
    const session = (await page.context().cookies(origin)).find((c) => c.name === 'gatehouse_session');
    expect(session?.expires).toBeGreaterThan(before + 7 * 86400 - 60);
    expect(session?.expires).toBeLessThan(before + 7 * 86400 + 60);
  });

  it('shows one generic error in an alert for a wrong password and for an unknown user', async () => {
    const page = await newPage();
    for (const [username, password] of [
      ['alice', 'not-her-password'],
      ['nobody-here', 'whatever-password'],
    ] as const) {
      await page.goto(`${origin}/`);
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect((await alert.textContent())?.trim(), username).toBe('Incorrect username or password, or too many attempts — try again later or contact your IT desk.');
      expect(page.url().startsWith(`${origin}/auth/`), username).toBe(true);
      // The name typed stays, the password does not, and both fields are marked for assistive tech.
      expect(await page.getByLabel('Username').inputValue()).toBe(username);
      expect(await page.getByLabel('Password').inputValue()).toBe('');
      expect(await page.getByLabel('Password').getAttribute('aria-invalid')).toBe('true');
      expect(await page.getByLabel('Password').getAttribute('aria-describedby')).toBe('form-error');
      expect(await page.title()).toBe('Error: Sign in · Gatehouse');
    }
    await capturePage(page, join(SCREENSHOT_DIR, `${shots}sign-in-error-en.png`));

    // Still signed out: the site sends us back to the sign-in page.
    await page.goto(`${origin}/anything`);
    expect(page.url()).toBe(signInPageUrl(`${origin}/anything`));
  });

  it('speaks Traditional Chinese to a zh-TW browser, and signs in the same way', async () => {
    const page = await newPage({ locale: 'zh-TW' });
    const target = `${origin}/zh/page`;
    await page.goto(target);
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-TW');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('登入');
    expect(await page.title()).toBe('登入 · Gatehouse');
    await capturePage(page, join(SCREENSHOT_DIR, `${shots}sign-in-zh-TW.png`));

    await page.getByLabel('帳號').fill('alice');
    await page.getByLabel('密碼').fill('wrong-password');
    await page.getByRole('button', { name: '登入' }).click();
    expect((await page.getByRole('alert').textContent())?.trim()).toBe('帳號或密碼不正確，或嘗試次數過多 — 請稍後再試或聯絡資訊服務台。');
    await capturePage(page, join(SCREENSHOT_DIR, `${shots}sign-in-error-zh-TW.png`));

    await page.getByLabel('密碼').fill(alice.password);
    await Promise.all([page.waitForURL(target), page.getByRole('button', { name: '登入' }).click()]);
    expect(await page.locator('#remote-user').textContent()).toBe('alice');
  });
});
