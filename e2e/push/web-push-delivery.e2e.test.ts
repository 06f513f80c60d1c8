import { createDecipheriv, createECDH, hkdfSync, randomBytes, type ECDH } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { importJWK, jwtVerify } from 'jose';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type LaunchedChromium } from '../../server/testing/chromium.js';
import { startPushStack, type PushStack } from '../support/push-stack.js';
import { addPhoneLink, answerOnPhone, askPhone, enrollPhone, openPhone, openWithPasswordSession, recordWorkerEvents, signInWithPassword, waitForApproval } from './support.js';

/**
 * Web Push from the gateway to the phone's service worker, end to end. Chromium here reaches no
 * push service, so the subscription is one made in Node (P-256 keys, auth secret) and handed to
 * the companion in place of pushManager.subscribe(); its endpoint is a local HTTP server playing
 * the push service. That server checks the VAPID JWT, decrypts the RFC 8291 aes128gcm body with
 * the subscription's private key, and delivers the plaintext into the companion's service worker
 * with CDP ServiceWorker.deliverPushMessage — as the push service would. The worker shows the
 * notification; the tap opens #approval=<id>, and the app (with no live channel open) fetches
 * /pending, shows the request and approves it.
 */

type Received = { path: string; headers: IncomingHttpHeaders; body: Buffer };

function decryptAes128gcm(body: Buffer, ecdh: ECDH, auth: Buffer): Buffer {
  // RFC 8188 header: salt (16) | record size (4) | key id length (1) | key id (the sender's public key).
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body[20]!;
  const senderPublic = body.subarray(21, 21 + idLength);
  const ciphertext = body.subarray(21 + idLength);
  expect(idLength).toBe(65);
  expect(ciphertext.length).toBeLessThanOrEqual(recordSize); // one record
  // RFC 8291 §3.4: the input keying material from ECDH and the auth secret, then RFC 8188's key and nonce.
  const shared = ecdh.computeSecret(senderPublic);
  const info = Buffer.concat([Buffer.from('WebPush: info\0'), ecdh.getPublicKey(), senderPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', shared, auth, info, 32));
  const key = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', key, nonce);
  decipher.setAuthTag(ciphertext.subarray(-16));
  const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, -16)), decipher.final()]);
  // The last record ends with the delimiter 0x02, then zero padding.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  expect(padded[end]).toBe(2);
  return padded.subarray(0, end);
}

let chromium: LaunchedChromium;
let stack: PushStack;
let pushService: Server;
const received: Received[] = [];
const contexts: BrowserContext[] = [];
beforeAll(async () => {
  chromium = await launchChromium();
  pushService = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(201).end();
    });
  });
  await new Promise<void>((resolve) => pushService.listen(0, '127.0.0.1', resolve));
  stack = await startPushStack();
});
afterAll(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => undefined)));
  await chromium?.close();
  await stack?.close();
  pushService?.close();
});

async function watchRegistrations(page: Page): Promise<{ cdp: CDPSession; registrationId: (scope: string) => string | undefined; worker: ReturnType<typeof recordWorkerEvents> }> {
  const cdp = await page.context().newCDPSession(page);
  const registrations = new Map<string, string>();
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e: { registrations: { registrationId: string; scopeURL: string; isDeleted: boolean }[] }) =>
    e.registrations.forEach((r) => (r.isDeleted ? registrations.delete(r.scopeURL) : registrations.set(r.scopeURL, r.registrationId))),
  );
  await cdp.send('ServiceWorker.enable');
  return { cdp, registrationId: (scope) => registrations.get(scope), worker: recordWorkerEvents(cdp) };
}

describe('Web Push into the companion', () => {
  it('the gateway pushes an encrypted, VAPID-signed request; the worker shows it; the tap opens the approval', async () => {
    const { origin } = stack;
    const scope = `${origin}/auth/companion/`;
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16);
    const endpoint = `http://localhost:${(pushService.address() as AddressInfo).port}/push/phone-1`;
    const subscription = { endpoint, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') } };

    const enrolling = await signInWithPassword(chromium.browser, contexts, origin, 'alice', `${origin}/`);
    const link = await addPhoneLink(enrolling, origin);
    const phone = await openPhone(chromium.browser, contexts);
    await phone.context().grantPermissions(['notifications'], { origin });
    // In place of the browser's push service: the subscription made above, with the VAPID key checked.
    await phone.addInitScript((sub) => {
      PushManager.prototype.subscribe = async (options?: PushSubscriptionOptionsInit) => {
        (window as any).subscribedWith = options?.applicationServerKey ? Array.from(new Uint8Array(options.applicationServerKey as ArrayBuffer)) : null;
        return { toJSON: () => sub } as unknown as PushSubscription;
      };
    }, subscription);
    const { cdp, registrationId, worker } = await watchRegistrations(phone);
    await enrollPhone(phone, link, 'Pixel 9');
    expect(Buffer.from((await phone.evaluate(() => (window as any).subscribedWith)) as number[]).toString('base64url')).toBe(stack.vapid.publicKey);
    const [device] = await stack.gateway.ctx.storage.pushDevices.listForUser('alice');
    expect(JSON.parse(device!.subscription!)).toEqual(subscription);
    await expect.poll(() => registrationId(scope)).toBeDefined();

    // The phone's app is closed: no live channel, only Web Push. (A portal page keeps the CDP session.)
    await phone.goto(`${origin}/auth/`);
    // Past the password step (the session that page makes, made directly): the second step is the subject.
    const signIn = await openWithPasswordSession(chromium.browser, contexts, stack.gateway, 'alice', `${origin}/secure/report`);
    const { number, approvalId } = await askPhone(signIn);

    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(1);
    const push = received[0]!;
    expect(push.path).toBe('/push/phone-1');
    expect(push.headers['content-encoding']).toBe('aes128gcm');
    expect(Number(push.headers.ttl)).toBeGreaterThan(0);
    expect(Number(push.headers.ttl)).toBeLessThanOrEqual(stack.gateway.ctx.config.second_factors.push.ttl); // the request's remaining seconds
    const vapid = /^vapid t=([^,]+),\s*k=([A-Za-z0-9_-]+)$/.exec(String(push.headers.authorization));
    expect(vapid).not.toBeNull();
    expect(vapid![2]).toBe(stack.vapid.publicKey);
    const point = Buffer.from(vapid![2]!, 'base64url');
    const key = await importJWK({ kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33, 65).toString('base64url') }, 'ES256');
    const { payload: jwt, protectedHeader } = await jwtVerify(vapid![1]!, key, { audience: new URL(endpoint).origin });
    expect(protectedHeader.alg).toBe('ES256');
    expect(jwt.sub).toBe('mailto:security@corp.example');
    expect(jwt.exp! * 1000).toBeGreaterThan(Date.now());
    expect(jwt.exp! * 1000).toBeLessThanOrEqual(Date.now() + 24 * 3600_000);

    const plaintext = decryptAes128gcm(push.body, ecdh, auth);
    const message = JSON.parse(plaintext.toString('utf8'));
    expect(message).toMatchObject({ type: 'approval', approval: { approvalId, username: 'alice', site: new URL(origin).host, ip: '127.0.0.1' } });
    expect(message.approval).not.toHaveProperty('number');
    expect(JSON.stringify(message)).not.toContain(`"${number}"`);

    // As the push service would: the decrypted message into the companion's worker.
    await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId: registrationId(scope)!, data: plaintext.toString('utf8') });
    const notifications = () =>
      phone.evaluate(async (s) => {
        const registration = await navigator.serviceWorker.getRegistration(s);
        return ((await registration?.getNotifications()) ?? []).map((n) => ({ title: n.title, tag: n.tag, data: n.data }));
      }, scope);
    await expect.poll(notifications).toHaveLength(1).catch(worker.explain);
    expect((await notifications())[0]).toMatchObject({ title: 'Sign-in request', tag: `approval-${approvalId}`, data: { approvalId } });

    // The tap opens the app at #approval=<id> (what the worker's notificationclick does).
    const opened = await phone.context().newPage();
    await opened.goto(`${scope}#approval=${approvalId}`);
    await waitForApproval(opened, approvalId);
    expect(await answerOnPhone(opened, 'approve', number)).toMatchObject({ kind: 'ok' }); // the text says why, if not
    await signIn.waitForURL(`${origin}/secure/report`, { timeout: 10_000 });
    expect(await signIn.locator('#remote-user').textContent()).toBe('alice');
  });
});
