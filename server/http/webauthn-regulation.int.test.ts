import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../core/random.js';
import { createSoftAuthenticator, type SoftAuthenticator } from '../factors/webauthn/testing/soft-authenticator.js';
import { cookieFrom, csrfFieldOf } from '../testing/http-client.js';
import { PORTAL, TRUSTED_PROXY, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';

/**
 * Regulation of the WebAuthn routes against a real Redis: a passkey sign-in is admitted like a
 * password (a burst from one address is refused past its limit, not verified in full), and is
 * refused for an account that is locked or whose passkey attempts are banned; options are never
 * issued to a banned address or a refused account, and passkey sign-in options are capped per
 * address. Every refusal is the same `429 throttled`, whichever it was.
 */

const API = '/api/webauthn';
const ORIGIN = `http://${PORTAL}`;
const ADDRESS_LIMIT = 6;
const CHALLENGES = 8;

let h: GatewayHarness;
let alice: SoftAuthenticator;
let bob: SoftAuthenticator;
beforeAll(async () => {
  h = await startGatewayHarness({
    configure: (c) => {
      Object.assign(c, { second_factors: { webauthn: { passwordless: true, max_sign_in_challenges: CHALLENGES } } });
      c.regulation = {
        account: { max_retries: 3, find_time: '10m', ban_time: '15m' },
        address: { max_retries: ADDRESS_LIMIT, find_time: '10m', ban_time: '15m' },
        lockout: { max_failures: 50, find_time: '24h', duration: '1h' },
      };
    },
  });
  alice = await addPasskey('alice');
  bob = await addPasskey('bob');
});
afterAll(() => h?.close());

async function addPasskey(username: string): Promise<SoftAuthenticator> {
  const { ctx } = h.gateway;
  const authenticator = createSoftAuthenticator({ origin: ORIGIN, userVerified: true, transports: ['internal'] });
  const binding = `test:${randomUUID()}`;
  const options = await ctx.webauthn.registrationOptions({ username, binding, now: ctx.clock.now() });
  const result = await ctx.webauthn.verifyRegistration({
    username,
    binding,
    response: authenticator.register(options, { residentKey: true }),
    name: 'Laptop',
    now: ctx.clock.now(),
  });
  if (!result.ok) throw new Error(`passkey registration failed: ${result.reason}`);
  return authenticator;
}

let nextAddress = 1;
/** A client address of its own (through the trusted proxy), so each test starts with clean counters. */
const freshAddress = () => `203.0.113.${nextAddress++}`;

async function browserAt(ip: string) {
  const { csrfCookie } = await h.signInForm();
  const headers = { cookie: `gatehouse_csrf=${csrfCookie}`, 'x-csrf-token': csrfCookie, 'x-forwarded-for': ip };
  return { headers, binding: `browser:${hashToken(csrfCookie)}` };
}

function call(path: string, body: unknown, headers: Record<string, string>) {
  return h.request({
    method: 'POST',
    path: `${API}${path}`,
    host: PORTAL,
    headers: { 'content-type': 'application/json', origin: ORIGIN, ...headers },
    body: JSON.stringify(body),
    localAddress: TRUSTED_PROXY,
  });
}

/** A challenge for the browser made without the options route (which a test may have made refuse). */
const issueDirectly = (binding: string) => h.gateway.ctx.webauthn.authenticationOptions({ binding, now: h.gateway.ctx.clock.now() });

async function passkeySignIn(authenticator: SoftAuthenticator, ip: string, forge = false) {
  const b = await browserAt(ip);
  const response = authenticator.authenticate(await issueDirectly(b.binding)) as { response: { signature: string } };
  if (forge) {
    const signature = Buffer.from(response.response.signature, 'base64url');
    signature[signature.length - 1]! ^= 0x01;
    response.response.signature = signature.toString('base64url');
  }
  const res = await call('/authenticate/verify', { mode: 'passwordless', response }, b.headers);
  return { status: res.status, body: JSON.parse(res.body) as Record<string, unknown>, session: cookieFrom(res, 'gatehouse_session') };
}

const banAddress = (ip: string) => Promise.all(Array.from({ length: ADDRESS_LIMIT }, () => h.gateway.ctx.regulator.recordFailure({ kind: 'password', ip })));
/** A lock as it stands when it happened after the session was made (a lock ends sessions; this one raced it). */
const lockQuietly = (username: string) => h.gateway.ctx.kv.set(`reg:lock:${username}`, JSON.stringify({ reason: 'admin', actor: 'test', at: Date.now(), until: null }), 3600);
const THROTTLED = { status: 429, body: { error: 'throttled' } };

describe('passkey sign-in is admitted like a password', () => {
  it('a parallel burst of forged assertions from one address: at most its limit are verified, the rest refused unverified', async () => {
    const ip = freshAddress();
    const results = await Promise.all(Array.from({ length: 24 }, () => passkeySignIn(alice, ip, true)));
    const verified = results.filter((r) => r.status === 400);
    const refused = results.filter((r) => r.status === 429);
    expect(verified.length + refused.length).toBe(24);
    expect(verified.length).toBeGreaterThanOrEqual(1);
    expect(verified.length).toBeLessThanOrEqual(ADDRESS_LIMIT);
    for (const r of refused) expect(r.body).toEqual({ error: 'throttled' });
    // Banned now: even the real passkey is refused, unverified; another address signs in.
    expect(await passkeySignIn(alice, ip)).toMatchObject({ ...THROTTLED, session: undefined });
    expect((await passkeySignIn(alice, freshAddress())).status).toBe(200);
  });

  it('a banned address: every passkey, real or forged, gets 429 throttled and no session', async () => {
    const ip = freshAddress();
    await banAddress(ip);
    for (const [who, forge] of [
      [alice, false],
      [bob, false],
      [alice, true],
    ] as const)
      expect(await passkeySignIn(who, ip, forge)).toMatchObject({ ...THROTTLED, session: undefined });
  });

  it('the account a real passkey names: locked, or its passkey attempts banned, is refused with the answer a banned address gets', async () => {
    const banned = freshAddress();
    await banAddress(banned);
    const addressAnswer = await passkeySignIn(bob, banned);
    expect(addressAnswer).toMatchObject({ ...THROTTLED, session: undefined });
    await Promise.all(Array.from({ length: 3 }, () => h.gateway.ctx.regulator.recordFailure({ username: 'bob', kind: 'webauthn', ip: freshAddress() })));
    try {
      expect(await passkeySignIn(bob, freshAddress())).toEqual(addressAnswer);
      expect((await passkeySignIn(alice, freshAddress())).status).toBe(200);
    } finally {
      await h.gateway.ctx.regulator.unlock('bob', { actor: 'test' });
    }
    await lockQuietly('alice');
    try {
      expect(await passkeySignIn(alice, freshAddress())).toEqual(addressAnswer);
      expect((await passkeySignIn(bob, freshAddress())).status).toBe(200);
    } finally {
      await h.gateway.ctx.regulator.unlock('alice', { actor: 'test' });
    }
  });
});

describe('WebAuthn options', () => {
  const passwordlessOptions = async (ip: string) => {
    const b = await browserAt(ip);
    const res = await call('/authenticate/options', { mode: 'passwordless' }, b.headers);
    return { status: res.status, body: JSON.parse(res.body) as Record<string, unknown> };
  };
  const secondFactorOptions = async (cookie: string, ip: string) => {
    const page = await h.request({ path: '/', host: PORTAL, headers: { cookie } });
    const csrf = csrfFieldOf(page.body)!;
    const res = await call('/authenticate/options', {}, { cookie, 'x-csrf-token': csrf, 'x-forwarded-for': ip });
    return { status: res.status, body: JSON.parse(res.body) as Record<string, unknown> };
  };

  it(`passkey sign-in options: ${CHALLENGES} per address in the challenge's lifetime, each from a new browser; then 429, and other addresses go on`, async () => {
    const ip = freshAddress();
    const results = await Promise.all(Array.from({ length: 30 }, () => passwordlessOptions(ip)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(CHALLENGES);
    for (const r of results.filter((r) => r.status !== 200)) expect(r).toEqual(THROTTLED);
    expect((await passwordlessOptions(freshAddress())).status).toBe(200);
  });

  it('a banned address gets no options, before sign-in or as a second factor', async () => {
    const ip = freshAddress();
    await banAddress(ip);
    const session = await h.signIn('alice');
    expect(await passwordlessOptions(ip)).toEqual(THROTTLED);
    expect(await secondFactorOptions(session, ip)).toEqual(THROTTLED);
    expect((await secondFactorOptions(session, freshAddress())).status).toBe(200);
  });

  it('a second factor’s options for a locked account, or one whose passkey attempts are banned: the banned address’s answer', async () => {
    const alices = await h.signIn('alice');
    const bobs = await h.signIn('bob');
    await Promise.all(Array.from({ length: 3 }, () => h.gateway.ctx.regulator.recordFailure({ username: 'alice', kind: 'webauthn', ip: freshAddress() })));
    await lockQuietly('bob');
    try {
      expect(await secondFactorOptions(alices, freshAddress())).toEqual(THROTTLED);
      expect(await secondFactorOptions(bobs, freshAddress())).toEqual(THROTTLED);
    } finally {
      await h.gateway.ctx.regulator.unlock('alice', { actor: 'test' });
      await h.gateway.ctx.regulator.unlock('bob', { actor: 'test' });
    }
    expect((await secondFactorOptions(alices, freshAddress())).status).toBe(200);
  });
});
