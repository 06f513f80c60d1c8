import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type LaunchedChromium } from '../../server/testing/chromium.js';
import { startPushStack, type PushStack } from '../support/push-stack.js';
import { addPhoneLink, answerOnPhone, askPhone, enrollPhone, openPhone, openWithPasswordSession, signInWithPassword, waitForApproval } from './support.js';

/**
 * Two gateway instances sharing one Redis and one storage file, behind a front proxy: the sign-in
 * browser is served by instance 0, the phone (its app, its API calls and its live channel) by
 * instance 1. A sign-in started on 0 reaches the phone's open channel on 1 (Redis pub/sub), is
 * answered on 1, and completes on 0.
 */

let chromium: LaunchedChromium;
let stack: PushStack;
const contexts: BrowserContext[] = [];
beforeAll(async () => {
  chromium = await launchChromium();
  stack = await startPushStack({ instances: 2 });
});
afterAll(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => undefined)));
  await chromium?.close();
  await stack?.close();
});

/** A browser past the password step (the session that page makes, made directly), at a page that needs the second. */
const passwordDone = () => openWithPasswordSession(chromium.browser, contexts, stack.gateway, 'alice', `${stack.origin}/secure/report`);
const served = (pattern: RegExp, method = 'GET') => new Set(stack.hits.filter((h) => h.method === method && pattern.test(h.path)).map((h) => h.instance));

describe('push approval across two gateway instances', () => {
  it('a sign-in started on one instance is approved through the other', async () => {
    const { origin } = stack;
    const enrolling = await signInWithPassword(chromium.browser, contexts, origin, 'alice', `${origin}/`);
    const link = await addPhoneLink(enrolling, origin);
    const phone = await openPhone(chromium.browser, contexts);
    await enrollPhone(phone, link, 'Pixel 9');
    expect(served(/^\/auth\/methods\/push\/add$/, 'POST')).toEqual(new Set([0]));
    expect(served(/^\/auth\/api\/push\/v1\/enroll$/, 'POST')).toEqual(new Set([1]));

    const signIn = await passwordDone();
    const pendingFetchesBefore = stack.hits.filter((h) => h.path.startsWith('/auth/api/push/v1/pending')).length;
    const { number, approvalId } = await askPhone(signIn);
    await waitForApproval(phone, approvalId);
    // It came over the open channel on instance 1 — the phone did not fetch /pending meanwhile.
    expect(stack.hits.filter((h) => h.path.startsWith('/auth/api/push/v1/pending')).length).toBe(pendingFetchesBefore);
    expect((await answerOnPhone(phone, 'approve', number)).kind).toBe('ok');
    await signIn.waitForURL(`${origin}/secure/report`, { timeout: 10_000 });
    expect(await signIn.locator('#remote-user').textContent()).toBe('alice');

    expect(served(/^\/auth\/second-factor\/push$/, 'POST')).toEqual(new Set([0]));
    expect(served(/^\/auth\/second-factor\/push\/[^/]+$/)).toEqual(new Set([0]));
    expect(served(/^\/auth\/second-factor\/push\/[^/]+\/complete$/, 'POST')).toEqual(new Set([0]));
    expect(served(/^\/auth\/api\/push\/v1\/events\?/)).toEqual(new Set([1]));
    expect(served(/^\/auth\/api\/push\/v1\/approvals\//, 'POST')).toEqual(new Set([1]));
  });

  it("a deny answered through the phone's instance reaches the sign-in page on the other", async () => {
    const phone = contexts.flatMap((c) => c.pages()).find((p) => p.url().includes('/auth/companion/'))!;
    const signIn = await passwordDone();
    const { approvalId } = await askPhone(signIn);
    await waitForApproval(phone, approvalId);
    expect((await answerOnPhone(phone, 'deny')).kind).toBe('info');
    await signIn.locator('#push-denied').waitFor({ state: 'visible', timeout: 10_000 });
  });

  it('the live channel comes back after the connection drops, each connection signed afresh', async () => {
    const { origin } = stack;
    const phone = contexts.flatMap((c) => c.pages()).find((p) => p.url().includes('/auth/companion/'))!;
    const events = () => stack.hits.filter((h) => h.path.startsWith('/auth/api/push/v1/events?'));
    const before = events().length;
    stack.dropConnections();
    await expect.poll(() => events().length, { timeout: 15_000 }).toBeGreaterThan(before);
    await expect.poll(() => phone.locator('#live-status').getAttribute('data-state'), { timeout: 10_000 }).toBe('connected');
    // The gateway refuses a signature twice, so a reconnection that reused the URL would never come back.
    const signatures = events().map((h) => new URL(h.path, origin).searchParams.get('sig'));
    expect(new Set(signatures).size).toBe(signatures.length);

    const signIn = await passwordDone();
    const { number, approvalId } = await askPhone(signIn);
    await waitForApproval(phone, approvalId);
    expect((await answerOnPhone(phone, 'approve', number)).kind).toBe('ok');
    await signIn.waitForURL(`${origin}/secure/report`, { timeout: 10_000 });
  });
});
