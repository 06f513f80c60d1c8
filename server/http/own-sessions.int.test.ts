import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PORTAL, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';

/**
 * "Where you're signed in": a user sees their own live sessions (browser, address, last activity)
 * and signs out any one of them — only their own, only with the page's CSRF token.
 */
let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness();
});
afterAll(() => h?.close());

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';

async function sessionOf(username: string, ip: string, userAgent = FIREFOX) {
  const { ctx } = h.gateway;
  const created = await ctx.sessions.create({
    user: ctx.directory.findUser(username)!,
    factor: { kind: 'password', at: Date.now() },
    rememberMe: false,
    client: { ip, userAgent },
  });
  return { ...created, cookie: `gatehouse_session=${created.token}`, id: ctx.sessions.idOf(created.token)! };
}

const get = (cookie: string) => h.request({ path: '/sessions', host: PORTAL, headers: { cookie } });
function signOut(cookie: string, fields: Record<string, string>, headers: Record<string, string> = { origin: `http://${PORTAL}` }) {
  return h.request({
    method: 'POST',
    path: '/sessions/sign-out',
    host: PORTAL,
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}
const eventsAfter = async (since: number) => (await h.gateway.ctx.storage.auditEvents.after(since, 100)).filter((e) => e.kind === 'session.revoked');
const lastId = async () => (await h.gateway.ctx.storage.auditEvents.query({ limit: 1 }))[0]?.id ?? 0;

describe("Where you're signed in", () => {
  it('asks a signed-out visitor to sign in first', async () => {
    const res = await h.request({ path: '/sessions', host: PORTAL });
    expect(res.status).toBe(303);
    expect(res.headers.location).toContain('rd=');
  });

  it('lists only the user’s own sessions, this browser marked, with browser, address and times', async () => {
    const here = await sessionOf('bob', '10.0.0.1');
    const phone = await sessionOf(
      'bob',
      '10.0.0.2',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
    );
    const alices = await sessionOf('alice', '10.9.9.9');
    const res = await get(here.cookie);
    expect(res.status).toBe(200);
    expect(res.body).toContain('Firefox 133 on Linux');
    expect(res.body).toContain('Safari 18 on iPhone');
    expect(res.body).toContain('10.0.0.2');
    expect(res.body).toContain('This browser');
    expect(res.body).toContain(`value="${phone.id}"`);
    expect(res.body).not.toContain(alices.id);
    expect(res.body).not.toContain('10.9.9.9');
    expect(res.body).not.toContain(here.token);
    // This browser first.
    expect(res.body.indexOf(`value="${here.id}"`)).toBeLessThan(res.body.indexOf(`value="${phone.id}"`));
  });

  it('signs out another of the user’s browsers: that one ends, this one stays, one event', async () => {
    const here = await sessionOf('bob', '10.0.0.1');
    const other = await sessionOf('bob', '10.0.0.3');
    const csrf = here.session.csrf;
    const before = await lastId();
    const res = await signOut(here.cookie, { csrf, session: other.id });
    expect([res.status, res.headers.location]).toEqual([303, '/sessions?notice=signed_out']);
    expect(await h.gateway.ctx.sessions.read(other.token)).toBeNull();
    expect(await h.gateway.ctx.sessions.read(here.token)).not.toBeNull();
    expect(await eventsAfter(before)).toMatchObject([{ actor: 'bob', subject: 'bob', details: { scope: 'one', target: other.id } }]);
    const shown = await h.request({ path: res.headers.location!, host: PORTAL, headers: { cookie: here.cookie } });
    expect(shown.body).toContain('That browser was signed out.');
  });

  it('signing out this browser signs it out (cookie cleared)', async () => {
    const here = await sessionOf('bob', '10.0.0.1');
    const res = await signOut(here.cookie, { csrf: here.session.csrf, session: here.id });
    expect([res.status, res.headers.location]).toEqual([303, '/logout']);
    expect(String(res.headers['set-cookie'])).toMatch(/gatehouse_session=;/);
    expect(await h.gateway.ctx.sessions.read(here.token)).toBeNull();
  });

  it.each([
    ['another user’s session id', async () => (await sessionOf('alice', '10.9.9.9')).id],
    ['an unknown id', async () => '0123456789abcdef'],
    ['an empty id', async () => ''],
    ['a malformed id', async () => '../../alice'],
    ['an oversized id', async () => 'a'.repeat(5000)],
  ])('%s ends nothing, and no event', async (_name, idOf) => {
    const here = await sessionOf('bob', '10.0.0.1');
    const alices = await sessionOf('alice', '10.9.9.8');
    const id = await idOf();
    const before = await lastId();
    const res = await signOut(here.cookie, { csrf: here.session.csrf, session: id });
    expect(res.headers.location).toBe('/sessions?notice=already_gone');
    expect(await h.gateway.ctx.sessions.read(here.token)).not.toBeNull();
    expect(await h.gateway.ctx.sessions.read(alices.token)).not.toBeNull();
    expect(await eventsAfter(before)).toEqual([]);
  });

  it('another user’s id by name cannot end their session', async () => {
    const alices = await sessionOf('alice', '10.9.9.7');
    const here = await sessionOf('bob', '10.0.0.1');
    await signOut(here.cookie, { csrf: here.session.csrf, session: alices.id });
    expect(await h.gateway.ctx.sessions.read(alices.token)).not.toBeNull();
  });

  it.each([
    ['no token', (csrf: string) => ({ csrf: '', _: csrf }), { origin: `http://${PORTAL}` }],
    ['a wrong token', (csrf: string) => ({ csrf: `${csrf.slice(0, -1)}x` }), { origin: `http://${PORTAL}` }],
    ['another session’s token', (_csrf: string, other: string) => ({ csrf: other }), { origin: `http://${PORTAL}` }],
    ['the right token from another site', (csrf: string) => ({ csrf }), { origin: 'http://app.localhost' }],
    ['the right token without Origin or Referer', (csrf: string) => ({ csrf }), {} as Record<string, string>],
  ])('refuses %s (403): nothing ends', async (_name, fields, headers) => {
    const here = await sessionOf('bob', '10.0.0.1');
    const other = await sessionOf('bob', '10.0.0.4');
    const res = await signOut(here.cookie, { ...fields(here.session.csrf, other.session.csrf), session: other.id }, headers);
    expect(res.status).toBe(403);
    expect(await h.gateway.ctx.sessions.read(other.token)).not.toBeNull();
  });

  it('the home page links to it, beside My sign-in methods', async () => {
    const here = await sessionOf('bob', '10.0.0.1');
    const home = await h.request({ path: '/', host: PORTAL, headers: { cookie: here.cookie } });
    expect(home.body).toContain('href="/sessions"');
  });
});
