import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTotp } from '../factors/otp/generate-otp.js';
import { APP, PORTAL, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';
import { cookieFrom, csrfFieldOf } from '../testing/http-client.js';

/** ASVS 7.4 / SECURITY.md class 5: a session must not survive the factor it was signed in with. */
let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness();
});
afterAll(() => h?.close());

const SECURE = `http://${APP}/secure/page`;

async function twoFactorSession(username: string, device: { id: string; secret: Buffer }): Promise<string> {
  let cookie = await h.signIn(username);
  const page = await h.request({ path: '/second-factor', host: PORTAL, headers: { cookie } });
  const csrf = csrfFieldOf(page.body)!;
  const code = generateTotp(device.secret, Date.now(), { period: 30, digits: 6, algorithm: 'SHA1' });
  const res = await h.request({
    method: 'POST',
    path: '/second-factor',
    host: PORTAL,
    headers: { cookie, origin: `http://${PORTAL}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf, device: device.id, code }).toString(),
  });
  const token = cookieFrom(res, 'gatehouse_session');
  if (res.status !== 303 || !token) throw new Error(`second factor failed: ${res.status}`);
  cookie = `gatehouse_session=${token}`;
  return cookie;
}

describe('removing a factor', () => {
  it("ends the user's other sessions on every path, keeps the one that removed it, and audits it", async () => {
    const storage = h.gateway.ctx.storage;
    const make = async (name: string, fill: number) => {
      const secret = Buffer.alloc(20, fill);
      const device = await storage.otpDevices.create(
        { username: 'alice', kind: 'totp', name, secret, algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
        Date.now(),
      );
      return { id: device.id, secret };
    };
    const office = await make('Office phone', 1);
    const lost = await make('Lost phone', 2);
    const mine = await twoFactorSession('alice', office);
    const thief = await twoFactorSession('alice', lost);
    const bobs = await h.signIn('bob');
    for (const cookie of [mine, thief]) expect((await h.request({ path: '/secure/page', host: APP, headers: { cookie } })).status).toBe(200);

    const methods = await h.request({ path: '/methods', host: PORTAL, headers: { cookie: mine } });
    const csrf = csrfFieldOf(methods.body)!;
    const removed = await h.request({
      method: 'POST',
      path: '/methods/remove',
      host: PORTAL,
      headers: { cookie: mine, origin: `http://${PORTAL}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, device: lost.id }).toString(),
    });
    expect(removed.status).toBe(303);
    expect(await storage.otpDevices.get(lost.id)).toBeUndefined();

    const thiefNow = await h.request({ path: '/secure/page', host: APP, headers: { cookie: thief } });
    expect(thiefNow.status).toBe(302);
    expect(thiefNow.headers.location).toContain(`rd=${encodeURIComponent(SECURE)}`);
    expect((await h.request({ path: '/secure/page', host: APP, headers: { cookie: mine } })).status).toBe(200);
    expect((await h.request({ path: '/', host: APP, headers: { cookie: bobs } })).status).toBe(200);
    const events = await storage.auditEvents.query({ subject: 'alice', kind: 'sessions.revoked', limit: 5 });
    expect(events[0]).toMatchObject({ reason: 'factor-removed', details: expect.objectContaining({ sessions: 1 }) });
  });
});
