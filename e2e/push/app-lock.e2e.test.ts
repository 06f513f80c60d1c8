import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type LaunchedChromium } from '../../server/testing/chromium.js';
import { AXE_CONTEXT, expectAccessible } from '../support/axe.js';
import { startPushStack, type PushStack } from '../support/push-stack.js';
import { addPhoneLink, answerOnPhone, askPhone, openWithPasswordSession, screenshot, serverCodes, signInWithPassword, waitForApproval } from './support.js';

/**
 * The phone app lock (push.require_user_verification) in real Chromium, with a CDP virtual
 * authenticator standing in for the phone's fingerprint or face: enrollment says so and stops on
 * a phone without one, the code shows only after the lock, and an approval carries the lock's
 * assertion. Without user verification the phone's answer is refused.
 */

let chromium: LaunchedChromium;
let stack: PushStack;
const contexts: BrowserContext[] = [];
beforeAll(async () => {
  chromium = await launchChromium();
  stack = await startPushStack({
    configure: (c) => {
      c.second_factors.push.require_user_verification = true;
      c.second_factors.push.max_requests = 50;
    },
  });
});
afterAll(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => undefined)));
  await chromium?.close();
  await stack?.close();
});

const secure = () => `${stack.origin}/secure/report`;
/** A browser past the password step (the session that page makes, made directly), at `target`. */
const passwordDone = (username: string, target = secure()) => openWithPasswordSession(chromium.browser, contexts, stack.gateway, username, target);

/** A phone whose pages axe can look into; English unless said otherwise. */
async function openLockPhone(locale = 'en-US'): Promise<Page> {
  const context = await chromium.browser.newContext({ ...AXE_CONTEXT, locale, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  contexts.push(context);
  return context.newPage();
}

/** The phone's built-in authenticator (Face ID / fingerprint-like): internal, resident keys, user verification. */
async function addPlatformAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, authenticatorId };
}

async function tapSetUp(phone: Page, link: string, name: string) {
  await phone.goto(link);
  await phone.waitForSelector('body[data-ready="true"]');
  await phone.locator('#enroll-app-lock').waitFor({ state: 'visible' });
  await phone.locator('#device-name').fill(name);
  await phone.locator('#enroll-submit').click();
}

describe('the phone app lock', () => {
  let alicePhone: Page;
  let lock: { cdp: CDPSession; authenticatorId: string };

  it('a phone without a platform authenticator is told so (en, zh-TW), nothing is enrolled, and the link stays valid', async () => {
    const page = await signInWithPassword(chromium.browser, contexts, stack.origin, 'bob', `${stack.origin}/`);
    const link = await addPhoneLink(page, stack.origin);
    let phone: Page | undefined;
    for (const [locale, tag, message] of [
      ['en-US', 'en', 'no fingerprint, face or screen lock'],
      ['zh-TW', 'zh-TW', '沒有可供本應用程式使用的指紋、臉部或螢幕鎖定'],
    ] as const) {
      phone = await openLockPhone(locale);
      await tapSetUp(phone, link, 'Old phone');
      const error = phone.locator('#enroll-error');
      await error.waitFor({ state: 'visible', timeout: 60_000 });
      expect(await error.textContent()).toContain(message);
      expect(await stack.gateway.ctx.storage.pushDevices.listForUser('bob')).toEqual([]);
      await expectAccessible(phone, `companion enroll without a lock (${tag})`);
      await screenshot(phone, `companion-app-lock-unavailable-${tag}`);
    }
    // Once the phone has a lock, the same link sets it up.
    await addPlatformAuthenticator(phone!);
    await phone!.locator('#enroll-submit').click();
    await phone!.locator('#screen-home').waitFor({ state: 'visible', timeout: 60_000 });
    const devices = await stack.gateway.ctx.storage.pushDevices.listForUser('bob');
    expect(devices).toHaveLength(1);
    expect(devices[0]!.appLock).not.toBeNull();
    expect(await phone!.locator('#show-code').textContent()).toBe('解鎖以顯示驗證碼');
    await expectAccessible(phone!, 'companion home, code locked (zh-TW)');
    await screenshot(phone!, 'companion-app-lock-home-zh-TW');
  });

  it('enrolls with the lock: the credential is the phone’s, the code shows only after the lock', async () => {
    const page = await passwordDone('alice', `${stack.origin}/`);
    const link = await addPhoneLink(page, stack.origin);
    alicePhone = await openLockPhone();
    lock = await addPlatformAuthenticator(alicePhone);
    await tapSetUp(alicePhone, link, 'Pixel 9');
    await expectAccessible(alicePhone, 'companion enroll with the app lock');
    await alicePhone.locator('#screen-home').waitFor({ state: 'visible', timeout: 60_000 });
    await alicePhone.locator('#live-status[data-state="connected"]').waitFor({ timeout: 30_000 });

    const [device] = await stack.gateway.ctx.storage.pushDevices.listForUser('alice');
    const { credentials } = await lock.cdp.send('WebAuthn.getCredentials', { authenticatorId: lock.authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(Buffer.from(credentials[0]!.credentialId, 'base64').toString('base64url')).toBe(device!.appLock!.credentialId);

    // Locked: no code on the screen until the phone's lock is confirmed.
    expect(await alicePhone.locator('#show-code').isVisible()).toBe(true);
    expect(await alicePhone.locator('#totp-code').getAttribute('data-code')).toBeNull();
    expect(await alicePhone.locator('#totp-code').textContent()).toBe('••• •••');
    await expectAccessible(alicePhone, 'companion home, code locked');
    await screenshot(alicePhone, 'companion-app-lock-home-en');
    await alicePhone.locator('#show-code').click();
    await expect.poll(() => alicePhone.locator('#totp-code').getAttribute('data-code')).toMatch(/^\d{6}$/);
    expect(await serverCodes(stack.gateway, 'alice', 'Pixel 9')).toContain(await alicePhone.locator('#totp-code').getAttribute('data-code'));
    expect(await alicePhone.locator('#show-code').isVisible()).toBe(false);
  });

  it('approves with the lock (user verified): the sign-in goes through', async () => {
    const page = await passwordDone('alice');
    const { number, approvalId } = await askPhone(page);
    await waitForApproval(alicePhone, approvalId);
    await expectAccessible(alicePhone, 'companion approval with the app lock');
    const result = await answerOnPhone(alicePhone, 'approve', number);
    expect(result).toEqual({ kind: 'ok', text: 'Approved. You can go back to the sign-in.' });
    await page.waitForURL(secure(), { timeout: 30_000 });
    const [device] = await stack.gateway.ctx.storage.pushDevices.listForUser('alice');
    expect(device!.appLock!.counter).toBeGreaterThan(0);
  });

  it('without user verification (WebAuthn.setUserVerified false) the approval is not accepted', async () => {
    const page = await passwordDone('alice');
    const { number, approvalId } = await askPhone(page);
    await waitForApproval(alicePhone, approvalId);
    await lock.cdp.send('WebAuthn.setUserVerified', { authenticatorId: lock.authenticatorId, isUserVerified: false });
    const approvedBefore = (await stack.gateway.ctx.storage.auditEvents.query({ subject: 'alice', kind: 'push.approved', limit: 50 })).length;
    const result = await answerOnPhone(alicePhone, 'approve', number);
    expect(result).toEqual({ kind: 'error', text: 'The phone’s lock was not confirmed. Try again.' });
    await screenshot(alicePhone, 'companion-app-lock-refused-en');
    expect((await stack.gateway.ctx.storage.auditEvents.query({ subject: 'alice', kind: 'push.approved', limit: 50 })).length).toBe(approvedBefore);
    expect(new URL(page.url()).pathname).toBe('/auth/second-factor/push');

    // With the lock confirmed again, the same request is approved.
    await lock.cdp.send('WebAuthn.setUserVerified', { authenticatorId: lock.authenticatorId, isUserVerified: true });
    expect((await answerOnPhone(alicePhone, 'approve', number)).kind).toBe('ok');
    await page.waitForURL(secure(), { timeout: 30_000 });
  });
  it('the phone browser’s own assertions, misused, are refused: none, another approval’s, another credential’s, replayed', async () => {
    const first = await passwordDone('alice');
    const a = await askPhone(first);
    const second = await passwordDone('alice');
    const b = await askPhone(second);
    await waitForApproval(alicePhone, b.approvalId);
    // The companion's own key and lock, driven from the page: a string, so the test runner leaves import() alone.
    const tryAnswer = (approvalId: string, number: string, options: { challengeFor?: string; lock?: 'none' | 'other' | 'own'; repeat?: boolean }) =>
      alicePhone.evaluate(`(async () => {
        const core = await import('./companion-core.js');
        const { loadEnrollment } = await import('./companion-store.js');
        const record = await loadEnrollment();
        const options = ${JSON.stringify(options)};
        const approvalId = ${JSON.stringify(approvalId)};
        const number = ${JSON.stringify(number)};
        const time = Date.now();
        const text = core.answerText({ approvalId, decision: 'approve', number, time });
        const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, record.keys.privateKey, new TextEncoder().encode(text));
        const body = { deviceId: record.deviceId, decision: 'approve', number, time, signature: core.encodeBase64Url(new Uint8Array(sig)) };
        const b64 = (buffer) => core.encodeBase64Url(new Uint8Array(buffer));
        if (options.lock !== 'none') {
          const challengeText = core.answerText({ approvalId: options.challengeFor ?? approvalId, decision: 'approve', number, time });
          const challenge = core.decodeBase64Url(await core.appLockChallenge(challengeText));
          let allow = [{ type: 'public-key', id: core.decodeBase64Url(record.appLock.credentialId) }];
          if (options.lock === 'other') {
            const made = await navigator.credentials.create({ publicKey: {
              challenge: crypto.getRandomValues(new Uint8Array(32)), rp: { id: record.appLock.rpId, name: 'x' },
              user: { id: crypto.getRandomValues(new Uint8Array(16)), name: 'other', displayName: 'other' },
              pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
              authenticatorSelection: { userVerification: 'required', residentKey: 'discouraged' } } });
            allow = [{ type: 'public-key', id: made.rawId }];
          }
          const got = await navigator.credentials.get({ publicKey: { challenge, rpId: record.appLock.rpId, allowCredentials: allow, userVerification: 'required' } });
          body.appLock = { id: got.id, rawId: b64(got.rawId), type: got.type, clientExtensionResults: {},
            response: { clientDataJSON: b64(got.response.clientDataJSON), authenticatorData: b64(got.response.authenticatorData), signature: b64(got.response.signature) } };
        }
        const post = async () => {
          const response = await fetch(new URL('../api/push/v1/approvals/' + approvalId, location.href), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
          return [response.status, (await response.json()).error ?? 'ok'];
        };
        const results = [await post()];
        if (options.repeat) results.push(await post());
        return results;
      })()`) as Promise<[number, string][]>;

    expect(await tryAnswer(a.approvalId, a.number, { lock: 'none' })).toEqual([[401, 'app_lock_refused']]);
    expect(await tryAnswer(a.approvalId, a.number, { challengeFor: b.approvalId })).toEqual([[401, 'app_lock_refused']]);
    expect(await tryAnswer(a.approvalId, a.number, { lock: 'other' })).toEqual([[401, 'app_lock_refused']]);
    // The honest answer passes once; the very same body again is refused as seen before.
    expect(await tryAnswer(a.approvalId, a.number, { repeat: true })).toEqual([
      [200, 'ok'],
      [401, 'bad_signature'],
    ]);
    await first.waitForURL(secure(), { timeout: 30_000 });
    const refused = await stack.gateway.ctx.storage.auditEvents.query({ subject: 'alice', kind: 'push.app_lock_refused', limit: 50 });
    expect(refused.map((e) => e.reason)).toEqual(expect.arrayContaining(['missing', 'client-data', 'wrong-credential']));
  });
});
