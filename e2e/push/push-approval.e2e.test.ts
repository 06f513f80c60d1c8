import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMovableClock } from '../../server/core/clock.js';
import type { SecondFactorKind } from '../../server/config/schema.js';
import { launchChromium, type LaunchedChromium } from '../../server/testing/chromium.js';
import { startPushStack, type PushStack } from '../support/push-stack.js';
import {
  addPhoneLink,
  answerOnPhone,
  askPhone,
  enrollPhone,
  openPhone,
  openWithPasswordSession,
  otherNumber,
  screenshot,
  serverCodes,
  signInWithPassword,
  waitForApproval,
} from './support.js';

/**
 * Push approval in real Chromium, two sides at once: the sign-in page (a browser signing in to
 * /secure/, which needs a second factor) and the phone (the companion app in its own context).
 * Enrollment by the QR link from "My sign-in methods", approval with the number carried over,
 * a wrong number refused, deny, "This wasn't me" with its audit event, two phones to choose
 * from, a phone whose clock is 5 minutes off, and an expired request (the gateway's clock moved
 * past the request's lifetime, last). The first two tests sign in on the password page; the others
 * start from the session that page makes (made directly), since their subject is the second step.
 */

let chromium: LaunchedChromium;
const contexts: BrowserContext[] = [];
beforeAll(async () => {
  chromium = await launchChromium();
});
afterAll(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => undefined)));
  await chromium?.close();
});

describe('push approval, sign-in page and phone', () => {
  let stack: PushStack;
  let alicePixel: Page;
  let aliceIphone: Page;
  let bobPhone: Page;
  const alerts: { kind: string; subject: string }[] = [];
  let hook: Server;
  // The gateway's time: the expiry test moves it past the request's lifetime instead of waiting.
  const clock = createMovableClock();
  beforeAll(async () => {
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        alerts.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    stack = await startPushStack({
      clock,
      configure: (c) => {
        c.audit = { webhook: { url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`, kinds: ['push.not_me'], retries: 0 } };
        // Many requests per account in one run; push bombing has its own tests on the server side.
        c.second_factors.push.max_requests = 50;
        c.regulation = { account: { max_retries: 50 } };
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
    hook?.close();
  });

  const secure = () => `${stack.origin}/secure/report`;
  /** A browser past the password step, at `target` (the second-factor page for /secure/). */
  const passwordDone = (username: string, target = secure(), alsoFactors: SecondFactorKind[] = []) =>
    openWithPasswordSession(chromium.browser, contexts, stack.gateway, username, target, alsoFactors);

  it('enrolls a phone by the QR link: key, name and offline code; the link cannot be used twice', async () => {
    const browser = chromium.browser;
    const page = await signInWithPassword(browser, contexts, stack.origin, 'alice', `${stack.origin}/`);
    const link = await addPhoneLink(page, stack.origin);
    alicePixel = await openPhone(browser, contexts);
    // No push service answers here: the companion gives up on subscribing and goes on (an
    // unbounded subscribe would hang here until the test's ceiling).
    await enrollPhone(alicePixel, link, 'Pixel 9');
    expect(new URL(alicePixel.url()).hash).toBe('');

    const devices = await stack.gateway.ctx.storage.pushDevices.listForUser('alice');
    expect(devices.map((d) => d.name)).toEqual(['Pixel 9']);
    expect(devices[0]!.subscription).toBeNull();
    // The key in IndexedDB is the non-extractable pair whose public half the gateway holds.
    // A string, not a function: the test runner would rewrite import() inside a function.
    const stored = (await alicePixel.evaluate(`(async () => {
      const { loadEnrollment } = await import('./companion-store.js');
      const record = await loadEnrollment();
      const spki = new Uint8Array(await crypto.subtle.exportKey('spki', record.keys.publicKey));
      return { deviceId: record.deviceId, extractable: record.keys.privateKey.extractable, spki: Array.from(spki) };
    })()`)) as { deviceId: string; extractable: boolean; spki: number[] };
    expect(stored.deviceId).toBe(devices[0]!.id);
    expect(stored.extractable).toBe(false);
    expect(Buffer.from(stored.spki).equals(devices[0]!.publicKey)).toBe(true);

    // The offline code on the phone is one the gateway accepts for this device, with the ring drawn.
    const code = await alicePixel.locator('#totp-code').getAttribute('data-code');
    expect(await serverCodes(stack.gateway, 'alice', 'Pixel 9')).toContain(code);
    expect(await alicePixel.locator('#ring .segment').count()).toBe(10);
    expect(Number(await alicePixel.locator('#ring').getAttribute('data-lit'))).toBeGreaterThanOrEqual(1);
    expect(await alicePixel.locator('#clock-warning').isVisible()).toBe(false);
    await screenshot(alicePixel, 'companion-home-en');

    // The same link again, on another phone: refused plainly, with the way to start again; nothing stored.
    const other = await openPhone(browser, contexts);
    await other.goto(link);
    await other.locator('#enroll-submit').click();
    await other.locator('#screen-enroll-expired').waitFor({ state: 'visible' });
    expect(await other.locator('#screen-enroll-expired').textContent()).toContain('ask for a new QR code on My sign-in methods');
    await screenshot(other, 'companion-enroll-expired-en');
    expect(await stack.gateway.ctx.storage.pushDevices.listForUser('alice')).toHaveLength(1);
  });

  it('approves a sign-in with the number shown on the sign-in page', async () => {
    const page = await signInWithPassword(chromium.browser, contexts, stack.origin, 'alice', secure());
    expect(new URL(page.url()).pathname).toBe('/auth/second-factor');
    const { number, approvalId } = await askPhone(page);
    const shown = await waitForApproval(alicePixel, approvalId);
    expect(shown.site).toBe(new URL(stack.origin).host);
    expect(shown.ip).toBe('127.0.0.1');
    expect(shown.device).toMatch(/Chrom/);
    await screenshot(alicePixel, 'companion-approval-en');
    await screenshot(page, 'push-wait-en');
    const result = await answerOnPhone(alicePixel, 'approve', number);
    expect(result).toEqual({ kind: 'ok', text: 'Approved. You can go back to the sign-in.' });
    await page.waitForURL(secure(), { timeout: 10_000 });
    expect(await page.locator('#remote-user').textContent()).toBe('alice');
    const events = await stack.gateway.ctx.storage.auditEvents.query({ subject: 'alice', kind: 'push.approved', limit: 5 });
    expect(events).toHaveLength(1);
  });

  it('keeps the number being typed when the same request reaches the phone again', async () => {
    // The live channel, a push and the tap on its notification can each bring the request the user
    // is already answering; each used to show it afresh, clearing the number being typed.
    const page = await passwordDone('alice');
    const { number, approvalId } = await askPhone(page);
    await waitForApproval(alicePixel, approvalId);
    await alicePixel.locator('#approval-number').fill(number);
    // What the notification's tap does: the app opened at #approval=<id>, which fetches the pending requests and shows it.
    const refreshed = alicePixel.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/pending'));
    await alicePixel.evaluate((id) => {
      location.hash = '';
      location.hash = `#approval=${id}`;
    }, approvalId);
    await refreshed;
    await expect.poll(() => alicePixel.evaluate(() => (document.getElementById('approval-number') as HTMLInputElement).value)).toBe(number);
    await alicePixel.locator('#approve').click();
    await page.waitForURL(secure(), { timeout: 10_000 });
  });

  it('refuses a wrong number and keeps the sign-in waiting; three wrong numbers deny it', async () => {
    const page = await passwordDone('alice');
    const { number, approvalId } = await askPhone(page);
    await waitForApproval(alicePixel, approvalId);
    const wrong = await answerOnPhone(alicePixel, 'approve', otherNumber(number));
    expect(wrong.kind).toBe('error');
    expect(wrong.text).toContain('does not match');
    // The sign-in page is still waiting: its next poll (once a second), made after the wrong
    // number was refused, still reads "pending"; nothing was approved.
    const nextPoll = await page.waitForRequest((r) => r.method() === 'GET' && new URL(r.url()).pathname.endsWith(`/second-factor/push/${approvalId}`));
    expect(await (await nextPoll.response())!.json()).toMatchObject({ state: 'pending' });
    expect(await page.locator('#push-denied').isVisible()).toBe(false);
    expect(new URL(page.url()).pathname).not.toBe('/secure/report');

    await answerOnPhone(alicePixel, 'approve', otherNumber(number, 2));
    const third = await answerOnPhone(alicePixel, 'approve', otherNumber(number));
    expect(third.kind).toBe('error');
    await page.locator('#push-denied').waitFor({ state: 'visible', timeout: 10_000 });
    // The phone, told the request is closed, says it was refused instead of asking again.
    await expect.poll(() => alicePixel.locator('#approval-result').textContent()).toContain('The sign-in was refused');
    expect(await alicePixel.locator('#approval-form').isVisible()).toBe(false);
    expect(await page.locator('#push-denied').textContent()).toContain('Denied');
    const wrongEvents = await stack.gateway.ctx.storage.auditEvents.query({ subject: 'alice', kind: 'push.wrong_number', limit: 10 });
    expect(wrongEvents.length).toBeGreaterThanOrEqual(3);
  });

  it('deny on the phone: the sign-in page says it was denied on the phone', async () => {
    const page = await passwordDone('alice');
    const { approvalId } = await askPhone(page);
    await waitForApproval(alicePixel, approvalId);
    const result = await answerOnPhone(alicePixel, 'deny');
    expect(result).toEqual({ kind: 'info', text: 'Denied. The sign-in was refused.' });
    await page.locator('#push-denied').waitFor({ state: 'visible', timeout: 10_000 });
    await page.goto(secure());
    expect(new URL(page.url()).pathname).toBe('/auth/second-factor');
  });

  it('with two phones the sign-in page offers a choice, and only the chosen phone is asked', async () => {
    // Alice has a phone already: adding another takes a session with a second factor (governance),
    // here one just approved on her phone.
    const page = await passwordDone('alice', `${stack.origin}/`, ['push']);
    const link = await addPhoneLink(page, stack.origin);
    aliceIphone = await openPhone(chromium.browser, contexts);
    await enrollPhone(aliceIphone, link, 'iPhone 16');

    const signIn = await passwordDone('alice');
    const names = await signIn.locator('form.push-option select option').allTextContents();
    expect(names.map((n) => n.trim()).sort()).toEqual(['Pixel 9', 'iPhone 16']);
    const { number, approvalId } = await askPhone(signIn, 'iPhone 16');
    await waitForApproval(aliceIphone, approvalId);
    await answerOnPhone(aliceIphone, 'approve', number);
    await signIn.waitForURL(secure(), { timeout: 10_000 });
    // The other phone was never asked.
    expect(await alicePixel.locator(`#screen-approval[data-approval-id="${approvalId}"]`).count()).toBe(0);
    expect(await alicePixel.locator('#pending-list li').count()).toBe(0);
  });

  it('a phone whose clock is 5 minutes fast warns, shows the right code, and still approves', async () => {
    const page = await passwordDone('bob', `${stack.origin}/`);
    const link = await addPhoneLink(page, stack.origin);
    bobPhone = await openPhone(chromium.browser, contexts, { skewMs: 5 * 60_000 });
    await enrollPhone(bobPhone, link, 'Bob’s phone');
    const warning = bobPhone.locator('#clock-warning');
    await warning.waitFor({ state: 'visible' });
    expect(await warning.textContent()).toContain('off by 5 minutes');
    await screenshot(bobPhone, 'companion-clock-warning-en');
    const code = await bobPhone.locator('#totp-code').getAttribute('data-code');
    expect(await serverCodes(stack.gateway, 'bob', 'Bob’s phone')).toContain(code);

    // Offline (no signal): the app opens from the worker's cache, with the offset it learned last.
    await bobPhone.evaluate(() => navigator.serviceWorker.ready);
    await bobPhone.context().setOffline(true);
    await bobPhone.reload();
    await bobPhone.locator('#screen-home').waitFor({ state: 'visible' });
    expect(await bobPhone.locator('#clock-warning').isVisible()).toBe(true);
    const offlineCode = await bobPhone.locator('#totp-code').getAttribute('data-code');
    expect(await serverCodes(stack.gateway, 'bob', 'Bob’s phone')).toContain(offlineCode);
    expect(await bobPhone.locator('#live-status').getAttribute('data-state')).not.toBe('connected');
    await bobPhone.context().setOffline(false);
    await expect.poll(() => bobPhone.locator('#live-status').getAttribute('data-state'), { timeout: 20_000 }).toBe('connected');

    // Signed times carry the offset, so the gateway's 60-second window accepts them.
    const signIn = await passwordDone('bob');
    const { number, approvalId } = await askPhone(signIn);
    await waitForApproval(bobPhone, approvalId);
    expect((await answerOnPhone(bobPhone, 'approve', number)).kind).toBe('ok');
    await signIn.waitForURL(secure(), { timeout: 10_000 });
  });

  it('"This wasn\'t me" refuses the sign-in, suspends push for the account and is audited', async () => {
    const page = await passwordDone('bob');
    const { approvalId } = await askPhone(page);
    await waitForApproval(bobPhone, approvalId);
    const result = await answerOnPhone(bobPhone, 'not_me');
    expect(result.text).toContain('Reported');
    await page.locator('#push-denied').waitFor({ state: 'visible', timeout: 10_000 });

    const events = await stack.gateway.ctx.storage.auditEvents.query({ subject: 'bob', kind: 'push.not_me', limit: 5 });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ subject: 'bob', result: 'failure' });
    expect(stack.logs.filter((l) => l.event === 'push.not_me').map((l) => l.username)).toEqual(['bob']);
    // The security team's alert webhook got it.
    await expect.poll(() => alerts.map((a) => `${a.kind}:${a.subject}`)).toContain('push.not_me:bob');

    // Push is suspended for bob: the next sign-in offers no phone and says why (a request posted
    // anyway is refused: push-approval.int.test.ts), and nothing reaches the phone.
    const again = await passwordDone('bob');
    expect(await again.locator('#push-suspended').textContent()).toContain('suspended');
    expect(await again.locator('form.push-option').count()).toBe(0);
    expect(await again.locator('#push-number').count()).toBe(0);
    expect(await bobPhone.locator('#pending-list li').count()).toBe(0);
  });
  it("the phone's offline code is accepted as its TOTP factor; setting the phone up again replaces it", async () => {
    // Push is suspended for bob now: the code the companion shows is his way in.
    const page = await passwordDone('bob');
    const code = (await bobPhone.locator('#totp-code').getAttribute('data-code'))!;
    const form = page.locator('form.code-option');
    // The phone, used last, leads: the codes wait under "Other ways to sign in".
    if (!(await form.isVisible())) await page.locator('details.other-methods > summary').click();
    await form.locator('input[name="code"]').fill(code);
    await Promise.all([page.waitForURL(secure(), { timeout: 10_000 }), form.locator('button[type="submit"]').click()]);
    expect(await page.locator('#remote-user').textContent()).toBe('bob');

    const [old] = await stack.gateway.ctx.storage.pushDevices.listForUser('bob');
    const link = await addPhoneLink(page, stack.origin);
    await bobPhone.goto(link);
    expect(await bobPhone.locator('#enroll-replaces').isVisible()).toBe(true);
    await enrollPhone(bobPhone, link, 'Bob’s new phone');
    // The old registration removed itself: one phone, the new key, and its old offline-code device gone too.
    const devices = await stack.gateway.ctx.storage.pushDevices.listForUser('bob');
    expect(devices.map((d) => d.name)).toEqual(['Bob’s new phone']);
    expect(devices[0]!.id).not.toBe(old!.id);
    const otp = await stack.gateway.ctx.storage.otpDevices.listForUser('bob');
    expect(otp.map((d) => d.id)).toEqual([devices[0]!.otpDeviceId]);
  });

  // Last: the gateway's clock stays moved on for whatever would come after.
  it('an unanswered request expires on both sides, and a late answer is refused', async () => {
    const signIn = await passwordDone('alice');
    const { number, approvalId } = await askPhone(signIn, 'Pixel 9');
    await waitForApproval(alicePixel, approvalId);
    // The request's lifetime (push.ttl) goes by on the gateway's clock, which decides expiry
    // (Redis only keeps the record a while longer), so no real time is waited out.
    clock.advance(stack.gateway.ctx.config.second_factors.push.ttl * 1000);
    await signIn.locator('#push-expired').waitFor({ state: 'visible', timeout: 10_000 });
    // The phone was told (closed event) or, answering late, is told by the answer: either way no approval.
    const result = alicePixel.locator('#approval-result');
    if (!(await result.isVisible())) await answerOnPhone(alicePixel, 'approve', number);
    expect(await result.textContent()).toMatch(/expired/);
    await signIn.goto(secure());
    expect(new URL(signIn.url()).pathname).toBe('/auth/second-factor');
  });
});
