import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../server/commands/demo.js';
import { launchChromium, type LaunchedChromium } from '../server/testing/chromium.js';
import { registerPasskey } from './support/passkeys.js';
import { startBrowserStack, type BrowserStack } from './support/stack.js';

/**
 * WebAuthn in real Chromium with CDP virtual authenticators: a Windows Hello-like platform
 * authenticator (internal, user verification) signing in passwordless, a USB security key without
 * user verification as the second factor, passkey autofill, an AAGUID allow-list refusing a model,
 * and a signature counter that goes backwards refused and audited.
 */

const password = (username: string) => DEMO_USERS.find((u) => u.username === username)!.password;
let chromium: LaunchedChromium;
const contexts: BrowserContext[] = [];
beforeAll(async () => {
  chromium = await launchChromium();
});
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => undefined)));
});
afterAll(() => chromium?.close());

type Authenticator = { cdp: CDPSession; id: string };

async function browserWith(kind: 'platform' | 'usb-key'): Promise<{ page: Page; authenticator: Authenticator }> {
  const context = await chromium.browser.newContext({ locale: 'en-US' });
  contexts.push(context);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const options =
    kind === 'platform'
      ? { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true }
      : { protocol: 'ctap2', transport: 'usb', hasResidentKey: false, hasUserVerification: false, automaticPresenceSimulation: true };
  const { authenticatorId } = (await cdp.send('WebAuthn.addVirtualAuthenticator', { options } as never)) as { authenticatorId: string };
  return { page, authenticator: { cdp, id: authenticatorId } };
}

async function signInWithPassword(page: Page, _origin: string, username: string, target: string) {
  await page.goto(target);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password(username));
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
}

/** Registers the user's first factor: its recovery codes are shown once, then the methods page says it was added. */
async function registerKey(page: Page, origin: string, name: string) {
  await page.goto(`${origin}/auth/methods`);
  await registerPasskey(page, name, /\/auth\/methods\/recovery-codes\/new$/);
  expect(await page.locator('ol.codes code').count()).toBe(10);
  await Promise.all([page.waitForURL(/notice=webauthn_added/), page.getByRole('link', { name: 'I have saved them — continue' }).click()]);
}

/**
 * Signed out as far as the next sign-in is concerned: the browser forgets its session cookie. The
 * sign-out pages themselves are walked in sign-in.e2e.test.ts; here they cost two page loads a
 * sign-in and showed nothing about WebAuthn.
 */
async function signOut(page: Page) {
  await page.context().clearCookies({ name: 'gatehouse_session' });
}

describe('WebAuthn in a real browser', () => {
  let stack: BrowserStack;
  /** Alice's passkey as the authenticator holds it (private key included), for the autofill test. */
  let alicePasskey: Record<string, unknown>;
  beforeAll(async () => {
    stack = await startBrowserStack((c) => {
      c.enrollment = { trusted_networks: ['127.0.0.0/8'] };
      c.second_factors = { webauthn: { passwordless: true } };
      c.access_control.rules.unshift(
        { domain: 'localhost', resources: ['/secure/.*'], policy: 'two_factor' },
        { domain: 'localhost', resources: ['/keys-only/.*'], policy: 'two_factor', factors: ['webauthn'], passwordless: false },
      );
    });
  });
  afterAll(() => stack?.close());

  it('a platform authenticator with user verification registers, then signs in passwordless', async () => {
    const { origin } = stack;
    const { page, authenticator } = await browserWith('platform');
    await signInWithPassword(page, origin, 'alice', `${origin}/`);
    await registerKey(page, origin, 'Windows Hello');
    const { credentials } = (await authenticator.cdp.send('WebAuthn.getCredentials', { authenticatorId: authenticator.id })) as {
      credentials: { isResidentCredential: boolean }[];
    };
    expect(credentials).toHaveLength(1);
    expect(credentials[0]!.isResidentCredential).toBe(true);
    alicePasskey = credentials[0] as Record<string, unknown>;
    const stored = await stack.gateway.ctx.storage.webauthnCredentials.listForUser('alice');
    expect(stored.map((c) => c.name)).toEqual(['Windows Hello']);
    await signOut(page);

    // The button, not autofill (tested below): as in a browser without passkey autofill, so the
    // conditional request that would resolve by itself here is never started.
    await page.addInitScript(() => {
      PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    });
    await page.goto(`${origin}/secure/report`);
    expect(new URL(page.url()).pathname).toBe('/auth/');
    await Promise.all([page.waitForURL(`${origin}/secure/report`), page.getByRole('button', { name: /passkey/i }).click()]);
    expect(await page.locator('#remote-user').textContent()).toBe('alice');
  });

  it('a USB security key without user verification is the second factor after the password', async () => {
    const { origin } = stack;
    const { page } = await browserWith('usb-key');
    await signInWithPassword(page, origin, 'bob', `${origin}/`);
    await registerKey(page, origin, 'YubiKey');
    await signOut(page);

    await signInWithPassword(page, origin, 'bob', `${origin}/keys-only/x`);
    expect(new URL(page.url()).pathname).toBe('/auth/second-factor');
    await Promise.all([page.waitForURL(`${origin}/keys-only/x`), page.locator('#webauthn-start').click()]);
    expect(await page.locator('#remote-user').textContent()).toBe('bob');
  });

  it('passkey autofill signs in from the username field (conditional mediation)', async () => {
    const { origin } = stack;
    const { page, authenticator } = await browserWith('platform');
    // The same passkey on another device of alice's (a synced passkey, say).
    await authenticator.cdp.send('WebAuthn.addCredential', { authenticatorId: authenticator.id, credential: alicePasskey } as never);
    // The sign-in page starts a conditional request on load. What this cannot show is the real
    // autofill dropdown: with presence simulation on, Chromium resolves the request by itself
    // once a discoverable credential exists — so the wiring is what is tested.
    await Promise.all([page.waitForURL(`${origin}/secure/autofill`, { timeout: 20_000 }), page.goto(`${origin}/secure/autofill`)]);
    expect(await page.locator('#remote-user').textContent()).toBe('alice');
    expect(await page.getByLabel('Username').count()).toBe(0);
  });
});

describe('WebAuthn policy controls', () => {
  it('refuses an authenticator model that is not on the AAGUID allow-list, and stores nothing', async () => {
    const stack = await startBrowserStack((c) => {
      c.enrollment = { trusted_networks: ['127.0.0.0/8'] };
      c.second_factors = { webauthn: { aaguid_allowlist: [{ aaguid: 'cb69481e-8ff7-4039-93ec-0a2729a154a8', name: 'YubiKey 5 FIPS' }] } };
    });
    try {
      const { page } = await browserWith('usb-key');
      await signInWithPassword(page, stack.origin, 'alice', `${stack.origin}/`);
      await page.goto(`${stack.origin}/auth/methods`);
      await page.locator('#webauthn-name').fill('Unknown key');
      await page.locator('#webauthn-register button[type="submit"]').click();
      const alert = page.locator('#webauthn-alert');
      await expect.poll(async () => (await alert.textContent())?.trim() ?? '').not.toBe('');
      expect(await stack.gateway.ctx.storage.webauthnCredentials.listForUser('alice')).toEqual([]);
    } finally {
      await stack.close();
    }
  });

  it('refuses a signature counter that went backwards, and audits it as a clone warning', async () => {
    const stack = await startBrowserStack((c) => {
      c.enrollment = { trusted_networks: ['127.0.0.0/8'] };
      c.access_control.rules.unshift({ domain: 'localhost', resources: ['/secure/.*'], policy: 'two_factor' });
    });
    try {
      const { origin } = stack;
      const { page, authenticator } = await browserWith('usb-key');
      await signInWithPassword(page, origin, 'bob', `${origin}/`);
      await registerKey(page, origin, 'Key');
      // Two sign-ins move the stored counter on.
      for (let i = 0; i < 2; i++) {
        await signOut(page);
        await signInWithPassword(page, origin, 'bob', `${origin}/secure/x`);
        await Promise.all([page.waitForURL(`${origin}/secure/x`), page.locator('#webauthn-start').click()]);
      }
      // A clone: the same key material with an older counter.
      const { cdp, id } = authenticator;
      const { credentials } = (await cdp.send('WebAuthn.getCredentials', { authenticatorId: id })) as unknown as { credentials: Record<string, unknown>[] };
      const credential = credentials[0]!;
      await cdp.send('WebAuthn.clearCredentials', { authenticatorId: id });
      await cdp.send('WebAuthn.addCredential', { authenticatorId: id, credential: { ...credential, signCount: 0 } } as never);

      await signOut(page);
      await signInWithPassword(page, origin, 'bob', `${origin}/secure/x`);
      await page.locator('#webauthn-start').click();
      await expect.poll(async () => (await page.locator('#webauthn-alert').textContent())?.trim() ?? '').not.toBe('');
      expect(new URL(page.url()).pathname).toBe('/auth/second-factor');
      await expect.poll(() => stack.logs.some((l) => l.event === 'webauthn.clone_warning')).toBe(true);
    } finally {
      await stack.close();
    }
  });
});
