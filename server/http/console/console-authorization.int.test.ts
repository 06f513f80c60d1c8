import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTotp } from '../../factors/otp/generate-otp.js';
import { PORTAL, startGatewayHarness, type GatewayHarness } from '../../testing/gateway-harness.js';
import { createConsoleRouter } from './console-router.js';
import { addConsoleUsers, adminEventsAfter, consoleRequest, lastEventId, MINUTE, ORIGIN, sessionFor } from './testing/console-harness.js';

/**
 * The console's authorization as a table over every route the console's express router has,
 * found by walking the router: a route added later is in the table without anyone listing it, so
 * one that escaped the access check would fail here. Each route as an anonymous visitor, a user
 * outside the admin groups, an administrator with a stale second factor, an auditor, and an
 * administrator; every change also without, or with a wrong, CSRF token.
 */

// Started while the tests are collected: the table is built from this gateway's console router.
const h: GatewayHarness = await startGatewayHarness({ configure: (c) => Object.assign(c, { admin: { auditor_group: 'auditors' } }) });
afterAll(() => h.close());
beforeAll(async () => {
  await addConsoleUsers(h);
  // A hardware token for the /tokens/:serial routes.
  const token = { username: null, kind: 'hotp' as const, name: 'AUTHZ-1', secret: Buffer.alloc(20, 7), algorithm: 'SHA1' as const, digits: 6 as const, period: 30, counter: 0 };
  await h.gateway.ctx.storage.otpDevices.importTokens([{ ...token, serial: 'AUTHZ-1', confirmed: true }], Date.now());
});

interface ConsoleRoute {
  method: string;
  path: string;
}

type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };

/** Every method and path of the console router and the page routers mounted in it. */
function consoleRoutes(): ConsoleRoute[] {
  const routes: ConsoleRoute[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) for (const method of Object.keys(layer.route.methods).filter((m) => m !== '_all')) routes.push({ method: method.toUpperCase(), path: layer.route.path });
      else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((createConsoleRouter(h.gateway.ctx) as unknown as { stack: Layer[] }).stack);
  return routes;
}

/** A route's path with its parameters filled: a real user (erin), a well-formed session id. */
const concrete = (path: string) =>
  path
    .replace(':name', 'erin')
    .replace(':id', '0123456789abcdef')
    .replace(':format', 'csv')
    .replace(':serial', 'AUTHZ-1')
    .replace(/:[A-Za-z]+/g, 'x');
const isChange = (r: ConsoleRoute) => r.method !== 'GET' && r.method !== 'HEAD';

const routes = consoleRoutes();
const reads = routes.filter((r) => !isChange(r));
const changes = routes.filter(isChange);
const label = (r: ConsoleRoute) => `${r.method} ${r.path}`;

describe('the route table', () => {
  it('finds the console routes by walking the router', () => {
    expect(reads.map(label)).toEqual(
      expect.arrayContaining([
        'GET /',
        'GET /users',
        'GET /users/:name',
        'GET /audit',
        'GET /audit/export/:format',
        'GET /audit/live',
        'GET /overview',
        'GET /policy',
        'GET /tokens',
        'GET /tokens/:serial',
      ]),
    );
    expect(changes.map(label)).toEqual(
      expect.arrayContaining([
        'POST /users/:name/unlock',
        'POST /users/:name/reset-factors',
        'POST /users/:name/enrollment-code',
        'POST /tokens/import',
        'POST /tokens/:serial/assign',
        'POST /tokens/:serial/unassign',
        'POST /tokens/:serial/resync',
      ]),
    );
  });

  it('has the configuration page, read only', () => {
    expect(routes.filter((r) => r.path === '/configuration').map(label)).toEqual(['GET /configuration']);
  });
});

describe.each(routes.map((r) => ({ ...r, name: label(r) })))('$name', (route) => {
  const path = concrete(route.path);

  it('anonymous → the sign-in page, coming back here', async () => {
    const res = await consoleRequest(h, route.method, path, { cookie: 'gatehouse_session=forged-token-value-aaaaaaaaaaaaaaaaaaaaaaaaa', csrf: 'x'.repeat(43) });
    expect(res.status).toBe(303);
    const location = new URL(res.headers.location!);
    expect(location.origin + location.pathname).toBe(`${ORIGIN}/`);
    expect(location.searchParams.get('rd')).toBe(`${ORIGIN}/console${path}`);
  });

  it('a user outside admin.group and admin.auditor_group, with a fresh factor → 403', async () => {
    const bob = await sessionFor(h, 'bob', { kind: 'totp', ageMs: 0 });
    const res = await consoleRequest(h, route.method, path, bob);
    expect(res.status).toBe(403);
    expect(res.body).toContain('The admin console is for the IT desk and security team.');
  });

  it.each([
    ['a password only', undefined],
    ['a second factor 11 minutes old', { kind: 'totp' as const, ageMs: 11 * MINUTE }],
    ['a second factor dated in the future', { kind: 'totp' as const, ageMs: -5 * MINUTE }],
  ])('an administrator with %s → the second step (admin freshness), nothing done', async (_name, second) => {
    const alice = await sessionFor(h, 'alice', second);
    const before = await lastEventId(h);
    const res = await consoleRequest(h, route.method, path, alice);
    expect(res.status).toBe(303);
    const location = new URL(res.headers.location!, ORIGIN);
    expect(location.pathname).toBe('/second-factor');
    expect(location.searchParams.get('fresh')).toBe('admin');
    expect(location.searchParams.get('rd')).toBe(isChange(route) ? `${ORIGIN}/console/` : `${ORIGIN}/console${path}`);
    expect(await adminEventsAfter(h, before)).toEqual([]);
  });

  if (!isChange(route)) {
    it.each([
      ['an auditor', 'dave'],
      ['an administrator', 'alice'],
    ])('%s with a fresh factor may read it', async (_name, user) => {
      const who = await sessionFor(h, user, { kind: 'webauthn', ageMs: MINUTE });
      const res = await consoleRequest(h, route.method, path, who);
      expect(res.status, res.body.slice(0, 300)).toBeLessThan(400);
      // Pages are in the console's layout; a download or a live view's poll is data.
      if (res.status === 200 && res.headers['content-type']?.startsWith('text/html')) expect(res.body).toContain('class="console-nav"');
    });
  } else {
    it('an auditor with a fresh factor and a valid token → 403 read-only, nothing done', async () => {
      const dave = await sessionFor(h, 'dave', { kind: 'totp', ageMs: MINUTE });
      const before = await lastEventId(h);
      const res = await consoleRequest(h, route.method, path, dave);
      expect(res.status).toBe(403);
      expect(res.body).toContain('your auditor role cannot change anything');
      expect(await adminEventsAfter(h, before)).toEqual([]);
    });

    it.each([
      ['no token', (c: { csrf: string }) => ({ ...c, csrf: undefined }), {}],
      ['a wrong token', (c: { csrf: string }) => ({ ...c, csrf: 'x'.repeat(c.csrf.length) }), {}],
      ['the token with a suffix', (c: { csrf: string }) => ({ ...c, csrf: `${c.csrf}x` }), {}],
      ['the right token from a sibling site', (c: { csrf: string }) => c, { origin: 'http://app.localhost' }],
      ['the right token from a look-alike origin', (c: { csrf: string }) => c, { origin: `http://${PORTAL}.evil.example` }],
      ['the right token without Origin or Referer', (c: { csrf: string }) => c, { origin: '' }],
    ])('an administrator with a fresh factor and %s → 403, nothing done', async (_name, change, headers) => {
      const alice = await sessionFor(h, 'alice', { kind: 'totp', ageMs: MINUTE });
      const before = await lastEventId(h);
      const res = await consoleRequest(h, route.method, path, change(alice), { headers });
      expect(res.status).toBe(403);
      expect(res.body).toContain('This form had expired or came from another page.');
      expect(await adminEventsAfter(h, before)).toEqual([]);
    });

    it('an administrator with a fresh factor and the token → done, not refused', async () => {
      const alice = await sessionFor(h, 'alice', { kind: 'totp', ageMs: MINUTE });
      const res = await consoleRequest(h, route.method, path, alice);
      // 400: the table posts the CSRF field alone, so a form's own fields (a file, two codes) are missing.
      expect([200, 303, 400, 404]).toContain(res.status);
    });
  }
});

describe('paths no route answers', () => {
  it.each(['/nothing', '/users/erin/nothing', '/../methods'])('%s: the same check first (anonymous → sign in, non-admin → 403)', async (path) => {
    expect((await consoleRequest(h, 'GET', path)).status).toBe(303);
    const bob = await sessionFor(h, 'bob', { kind: 'totp', ageMs: 0 });
    expect((await consoleRequest(h, 'GET', path, bob)).status).toBe(path === '/../methods' ? 200 : 403);
  });
});

describe('the auditor', () => {
  it('sees a user page with a read-only note and no form that changes anything', async () => {
    const dave = await sessionFor(h, 'dave', { kind: 'totp', ageMs: MINUTE });
    const res = await consoleRequest(h, 'GET', '/users/erin', dave);
    expect(res.status).toBe(200);
    expect(res.body).toContain('You are signed in as an auditor');
    expect(res.body).toContain('Auditor (read only)');
    expect(res.body).not.toContain('method="post"');
  });
});

describe('the language switch', () => {
  it.each([
    ['/users?lang=zh-TW&q=erin', '/console/users?q=erin', 'zh-TW'],
    ['/users/erin?lang=en', '/console/users/erin', 'en'],
  ])('%s: remembers the language in a cookie and comes back without the parameter', async (path, back, locale) => {
    const alice = await sessionFor(h, 'alice', { kind: 'totp', ageMs: MINUTE });
    const res = await consoleRequest(h, 'GET', path, alice);
    expect([res.status, res.headers.location]).toEqual([303, back]);
    expect(String(res.headers['set-cookie'])).toContain(`gatehouse_lang=${locale}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax`);
    const page = await consoleRequest(h, 'GET', back.slice('/console'.length), alice, { headers: { cookie: `${alice.cookie}; gatehouse_lang=${locale}` } });
    expect(page.body).toContain(`<html lang="${locale}"`);
  });

  it.each(['fr', 'zh', 'EN', '', 'zh-TW;x', '<b>'])('ignores lang=%j', async (value) => {
    const alice = await sessionFor(h, 'alice', { kind: 'totp', ageMs: MINUTE });
    const res = await consoleRequest(h, 'GET', `/users?lang=${encodeURIComponent(value)}`, alice);
    expect(res.status).toBe(200);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('a cookie with something else than a locale is ignored', async () => {
    const alice = await sessionFor(h, 'alice', { kind: 'totp', ageMs: MINUTE });
    for (const value of ['fr', 'zh-TW"><script>', 'x'.repeat(100)]) {
      const page = await consoleRequest(h, 'GET', '/users', alice, { headers: { cookie: `${alice.cookie}; gatehouse_lang=${value}` } });
      expect(page.body).toContain('<html lang="en"');
    }
  });
});

describe('an administrator with a stale second factor', () => {
  it('is asked for it ("Confirm it\'s you") and lands back on the console page asked for', async () => {
    const { ctx } = h.gateway;
    const secret = Buffer.from('console-fresh-factor');
    const { id: device } = await ctx.storage.otpDevices.create(
      { username: 'alice', kind: 'totp', name: 'Phone', secret, algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
      Date.now(),
    );
    const stale = await sessionFor(h, 'alice', { kind: 'totp', ageMs: 30 * MINUTE });
    const asked = await consoleRequest(h, 'GET', '/users/erin?notice=unlocked', stale);
    const second = new URL(asked.headers.location!, ORIGIN);
    const page = await h.request({ path: second.pathname + second.search, host: PORTAL, headers: { cookie: stale.cookie } });
    // Not sent straight back (the portal's own rule may be met): the factor is asked for.
    expect(page.status).toBe(200);
    expect(page.body).toContain('Confirm it&#39;s you');
    const done = await h.request({
      method: 'POST',
      path: '/second-factor',
      host: PORTAL,
      headers: { cookie: stale.cookie, origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        csrf: stale.csrf,
        device,
        code: generateTotp(secret, Date.now(), { period: 30, digits: 6, algorithm: 'SHA1' }),
        rd: second.searchParams.get('rd')!,
      }).toString(),
    });
    expect([done.status, done.headers.location]).toEqual([303, `${ORIGIN}/console/users/erin?notice=unlocked`]);
    const cookie = /gatehouse_session=([^;]+)/.exec(String(done.headers['set-cookie']))![1];
    const back = await consoleRequest(h, 'GET', '/users/erin?notice=unlocked', { cookie: `gatehouse_session=${cookie}` });
    expect(back.status).toBe(200);
    expect(back.body).toContain('Erin Wu');
  });
});
