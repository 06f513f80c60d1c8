import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTotp } from '../factors/otp/generate-otp.js';
import { csrfFieldOf } from '../testing/http-client.js';
import { PORTAL, browser, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';

/**
 * "Confirm it's you" on My sign-in methods, whatever the rule for the portal's own host says:
 * a user whose second factor is older than enrollment.fresh_factor_age sees the page locked,
 * confirms, is asked for the second factor (not sent straight back), and finds the page unlocked.
 */

const METHODS = `http://${PORTAL}/methods`;
const totp = (secret: Buffer) => generateTotp(secret, Date.now(), { period: 30, digits: 6, algorithm: 'SHA1' });
const unescape = (href: string) => href.replaceAll('&#61;', '=').replaceAll('&amp;', '&');
const confirmHref = (body: string) => /<a class="button button-primary" href="([^"]*second-factor[^"]*)"/.exec(body)?.[1];

// bypass, one_factor (the demo's portal sits under such a rule), two_factor and deny all meet or
// refuse the methods URL without saying anything about the factor's age.
describe.each(['one_factor', 'bypass', 'two_factor', 'deny'] as const)('the portal host under a %s rule', (policy) => {
  let h: GatewayHarness;
  beforeAll(async () => {
    h = await startGatewayHarness({ configure: (c) => c.access_control.rules.unshift({ domain: PORTAL, policy } as never) });
  });
  afterAll(() => h?.close());

  /**
   * Alice signed in with her password and, `minutesAgo` ago, an authenticator app of her own (one
   * per test: a code is accepted once, and the tests run within one 30-second step).
   */
  async function aliceWithFactorFrom(minutesAgo: number | null) {
    const secret = randomBytes(20);
    const { id: deviceId } = await h.gateway.ctx.storage.otpDevices.create(
      { username: 'alice', kind: 'totp', name: 'Phone', secret, algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
      Date.now(),
    );
    return { alice: await signedIn(minutesAgo, deviceId), deviceId, secret };
  }

  async function signedIn(minutesAgo: number | null, deviceId: string) {
    const cookie = await h.signIn('alice');
    const token = cookie.slice('gatehouse_session='.length);
    if (minutesAgo === null) return browser(h, cookie);
    const at = Date.now() - minutesAgo * 60_000;
    const rotated = await h.gateway.ctx.sessions.rotate(token, (s) => ({ ...s, factors: [...s.factors, { kind: 'totp', at, device: deviceId }] }));
    return browser(h, `gatehouse_session=${rotated!.token}`);
  }

  it.each([
    ['a second factor 11 minutes old', 11],
    ['a second factor 3 hours old', 180],
    ['the password only', null],
  ] as const)('with %s: locked → confirm → asked for the code → unlocked', async (_name, minutesAgo) => {
    const { alice, deviceId, secret } = await aliceWithFactorFrom(minutesAgo);
    const locked = await alice.get('/methods');
    expect(locked.status).toBe(200);
    expect(locked.body).not.toContain('methods/totp/start');
    const href = unescape(confirmHref(locked.body)!);
    const target = new URL(href, METHODS);
    expect(target.pathname).toBe('/second-factor');
    expect(target.searchParams.get('rd')).toBe(METHODS);

    const asked = await alice.get(href);
    expect(asked.status).toBe(200);
    expect(asked.body).toContain('<h1 id="page-heading">Confirm it&#39;s you</h1>');
    expect(asked.body).toContain(`value="${deviceId}"`);

    const done = await alice.post('/second-factor', { csrf: csrfFieldOf(asked.body)!, device: deviceId, code: totp(secret), rd: METHODS });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe(METHODS);
    const unlocked = await alice.get('/methods');
    expect(unlocked.body).toContain('methods/totp/start');
    expect(confirmHref(unlocked.body)).toBeUndefined();

    // Fresh now: the same link goes straight back where the rule lets it, instead of asking twice.
    const again = await alice.get(href);
    if (policy === 'deny') expect(again.status).toBe(200);
    else expect([again.status, again.headers.location]).toEqual([302, METHODS]);
  });

  it('a fresh second factor is not asked again, and the page is unlocked from the start', async () => {
    const { alice } = await aliceWithFactorFrom(2);
    const page = await alice.get('/methods');
    expect(page.body).toContain('methods/totp/start');
    expect(confirmHref(page.body)).toBeUndefined();
  });

  it('without the confirm flag the second step still goes on to a target whose rule is met', async () => {
    const { alice } = await aliceWithFactorFrom(60);
    const res = await alice.get(`/second-factor?rd=${encodeURIComponent(METHODS)}`);
    if (policy === 'deny') expect(res.status).toBe(200);
    else expect([res.status, res.headers.location]).toEqual([302, METHODS]);
  });

  it.skipIf(policy === 'deny').each(['0', 'true', '', '1x'])('only fresh=1 asks again (fresh=%j does not)', async (value) => {
    const { alice } = await aliceWithFactorFrom(60);
    const res = await alice.get(`/second-factor?rd=${encodeURIComponent(METHODS)}&fresh=${encodeURIComponent(value)}`);
    expect(res.status).toBe(302);
  });
});
