import { request as httpRequest, type IncomingMessage } from 'node:http';
import { createPublicKey } from 'node:crypto';
import { jwtVerify, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../core/logger.js';
import { createGateway, type Gateway } from '../gateway.js';
import { decryptAes128gcm, startPushEndpoint } from '../factors/push/testing/push-endpoint.js';
import { api, enrollPhone, requestPush, SECURE, startPushHarness } from '../factors/push/testing/push-harness.js';
import type { SoftCompanion } from '../factors/push/testing/soft-companion.js';
import { PORTAL } from '../testing/gateway-harness.js';
import { send } from '../testing/http-client.js';
import { TEST_HASH_POLICY } from '../testing/test-password-hash.js';

type Harness = Awaited<ReturnType<typeof startPushHarness>>;
const EVENTS = '/api/push/v1/events';

/** An EventSource in Node: the parsed events as they arrive. */
function openEvents(port: number, phone: SoftCompanion, query = phone.query(EVENTS)) {
  const events: Array<{ event: string; data: unknown }> = [];
  const waiters: Array<() => void> = [];
  let response: IncomingMessage | undefined;
  const opened = new Promise<number>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: `${EVENTS}?${query}`, headers: { host: PORTAL, accept: 'text/event-stream' }, agent: false }, (res) => {
      response = res;
      resolve(res.statusCode ?? 0);
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
          waiters.splice(0).forEach((wake) => wake());
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
  return {
    opened,
    events,
    async waitFor(predicate: (e: { event: string; data: unknown }) => boolean, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`event not received; got ${JSON.stringify(events)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    close: () => response?.destroy(),
  };
}

describe('push across two gateway instances sharing one Redis', () => {
  let h: Harness;
  let b: Gateway;
  let bPort: number;
  beforeAll(async () => {
    h = await startPushHarness();
    b = await createGateway(h.gateway.ctx.config, { logger: createSilentLogger(), hashPolicy: TEST_HASH_POLICY });
    bPort = (await b.listen(0, '127.0.0.1')).port;
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('a sign-in started on A reaches the companion’s event stream on B, is answered through B, and completes on A', async () => {
    const phone = await enrollPhone(h, 'alice');
    const stream = openEvents(bPort, phone);
    expect(await stream.opened).toBe(200);
    await stream.waitFor((e) => e.event === 'time');
    try {
      const { user, approvalId, number, csrf } = await requestPush(h, 'alice', phone);
      const shown = await stream.waitFor((e) => e.event === 'approval');
      expect(shown.data).toMatchObject({ approvalId, username: 'alice', site: 'app.localhost' });
      expect(shown.data).not.toHaveProperty('number');

      const body = JSON.stringify(phone.answer(approvalId, 'approve', number));
      const answered = await send({
        port: bPort,
        method: 'POST',
        path: `/api/push/v1/approvals/${approvalId}`,
        host: PORTAL,
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect([answered.status, JSON.parse(answered.body).result]).toEqual([200, 'approved']);
      expect((await stream.waitFor((e) => e.event === 'closed')).data).toEqual({ approvalId });

      const done = await user.post(`/second-factor/push/${approvalId}/complete`, { csrf, rd: SECURE });
      expect([done.status, done.headers.location]).toEqual([303, SECURE]);
    } finally {
      stream.close();
    }
  });

  it('the event stream refuses a bad or reused signature', async () => {
    const phone = await enrollPhone(h, 'bob');
    const query = phone.query(EVENTS);
    const first = await send({ port: bPort, path: `${EVENTS}?${query.replace(/sig=[^&]+/, `sig=${'A'.repeat(86)}`)}`, host: PORTAL });
    expect(first.status).toBe(401);
    const stream = openEvents(bPort, phone, query);
    expect(await stream.opened).toBe(200);
    stream.close();
    const reused = await api(h, 'GET', `/events?${query}`);
    expect(reused.status).toBe(401);
  });
});

describe('Web Push to a local push service', () => {
  let h: Harness;
  let service: Awaited<ReturnType<typeof startPushEndpoint>>;
  beforeAll(async () => {
    service = await startPushEndpoint();
    h = await startPushHarness({ ttl: '45s' });
  });
  afterAll(async () => {
    await h?.close();
    await service?.close();
  });

  it('the gateway posts an RFC 8291 aes128gcm payload with a VAPID JWT for the endpoint’s origin', async () => {
    const phone = await enrollPhone(h, 'alice', { endpoint: `${service.origin}/push/alice-phone` });
    const arrival = service.next();
    const { approvalId } = await requestPush(h, 'alice', phone);
    const push = await arrival;

    expect(push.path).toBe('/push/alice-phone');
    expect(push.headers['content-encoding']).toBe('aes128gcm');
    expect(Number(push.headers.ttl)).toBeGreaterThan(40);
    expect(Number(push.headers.ttl)).toBeLessThanOrEqual(45);
    const auth = /^vapid t=([^,]+), k=([A-Za-z0-9_-]+)$/.exec(String(push.headers.authorization));
    expect(auth).not.toBeNull();
    const [, jwt, k] = auth!;
    expect(k).toBe(h.vapid.publicKey);
    expect(decodeProtectedHeader(jwt!).alg).toBe('ES256');
    const raw = Buffer.from(k!, 'base64url');
    const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33).toString('base64url') }, format: 'jwk' });
    const { payload } = await jwtVerify(jwt!, key, { audience: service.origin, algorithms: ['ES256'] });
    expect(payload.sub).toBe('mailto:security@corp.example');
    expect(payload.exp! * 1000).toBeGreaterThan(Date.now());
    expect(payload.exp! * 1000).toBeLessThanOrEqual(Date.now() + 24 * 3600_000);
    await expect(jwtVerify(jwt!, key, { audience: 'https://fcm.googleapis.com', algorithms: ['ES256'] })).rejects.toThrow();

    const message = JSON.parse(decryptAes128gcm(push.body, phone.pushKeys).toString('utf8'));
    expect(message).toEqual({
      type: 'approval',
      approval: {
        approvalId,
        username: 'alice',
        site: 'app.localhost',
        requestedAt: expect.any(Number),
        expiresAt: expect.any(Number),
        ip: '127.0.0.1',
        browser: 'Other',
        os: 'Other',
      },
    });
    expect(message.approval.expiresAt - message.approval.requestedAt).toBe(45_000);
  });

  it('a subscription the push service says is gone (410) is dropped; the live channel still serves the phone', async () => {
    const phone = await enrollPhone(h, 'bob', { endpoint: `${service.origin}/push/bob-phone` });
    service.setStatus(410);
    const arrival = service.next();
    await requestPush(h, 'bob', phone);
    await arrival;
    for (let i = 0; i < 50 && (await h.gateway.ctx.storage.pushDevices.get(phone.deviceId))!.subscription !== null; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await h.gateway.ctx.storage.pushDevices.get(phone.deviceId))!.subscription).toBeNull();
    service.setStatus(201);
  });
});
