import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, askAgain, browser, enrollPhone, SECURE, startPushHarness, type Browser } from '../factors/push/testing/push-harness.js';
import type { SoftCompanion } from '../factors/push/testing/soft-companion.js';
import { APP, PORTAL, type GatewayHarness } from '../testing/gateway-harness.js';
import { csrfFieldOf, type TestResponse } from '../testing/http-client.js';

/**
 * Every portal response sends `Referrer-Policy: strict-origin`, and every portal page says the
 * same in its <meta name="referrer"> (a meta tag overrides the header). Portal URLs carry return
 * targets (`rd`, which may hold an app's own query) and approval ids; with a path-prefixed portal
 * an app is on the same origin, so `same-origin` handed those URLs to the app. Redirects carry
 * the header too: the browser applies a redirect's policy to the request that follows it.
 */
type Harness = GatewayHarness & { vapid: unknown };
let h: Harness;
let phone: SoftCompanion;
beforeAll(async () => {
  h = await startPushHarness({ max_requests: 100 });
  phone = await enrollPhone(h, 'alice');
});
afterAll(() => h?.close());

const POLICY = 'strict-origin';
const SECRET_RD = `${SECURE}?token=s3cret-app-token`;
const get = (path: string, headers: Record<string, string> = {}, host = PORTAL) => h.request({ path, host, headers });
const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  h.request({ method: 'POST', path, host: PORTAL, headers: { origin: `http://${PORTAL}`, 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });

function expectPolicy(name: string, res: TestResponse) {
  expect([name, res.headers['referrer-policy']]).toEqual([name, POLICY]);
  if (!String(res.headers['content-type']).startsWith('text/html')) return;
  const metas = [...res.body.matchAll(/<meta\s+name="referrer"\s+content="([^"]*)"/g)].map((m) => m[1]);
  // The companion asks for even less (no-referrer): it only calls its API with fetch, which keeps Origin.
  expect([name, metas]).toEqual([name, [name.startsWith('companion page') ? 'no-referrer' : POLICY]]);
}

describe('Referrer-Policy on every portal response', () => {
  it('signed out: pages, form answers, redirects, errors, static files, the companion and the APIs', async () => {
    const form = await get(`/?rd=${encodeURIComponent(SECRET_RD)}`);
    const csrfCookie = (form.headers['set-cookie'] ?? []).find((c) => c.startsWith('gatehouse_csrf='))!.split(';')[0]!;
    const csrf = csrfFieldOf(form.body)!;
    const cases: Array<[string, Promise<TestResponse> | TestResponse]> = [
      ['sign-in page with a return target', form],
      ['sign-in page with a bad return target', get('/?rd=javascript:alert(1)')],
      ['sign-in refused', post('/login', new URLSearchParams({ csrf, username: 'alice', password: 'wrong', rd: SECRET_RD }).toString(), { cookie: csrfCookie })],
      ['sign-in accepted (303)', post('/login', new URLSearchParams({ csrf, username: 'bob', password: 'bob-battery-staple', rd: SECRET_RD }).toString(), { cookie: csrfCookie })],
      ['sign-in without CSRF', post('/login', 'username=alice&password=x')],
      ['sign-in from another origin', post('/login', new URLSearchParams({ csrf, username: 'alice', password: 'x' }).toString(), { cookie: csrfCookie, origin: `http://${APP}` })],
      ['sign-out page', get('/logout')],
      ['sign-out post', post('/logout', '')],
      ['second factor while signed out (redirect)', get(`/second-factor?rd=${encodeURIComponent(SECRET_RD)}`)],
      ['methods while signed out (redirect)', get('/methods')],
      ['unknown portal path', get('/no-such-page?token=x')],
      ['static icon', get('/static/favicon.svg')],
      ['missing static file', get('/static/nope.css')],
      ['companion redirect', get('/companion')],
      ['companion page', get('/companion/')],
      ['companion script', get('/companion/app.js')],
      ['companion manifest', get('/companion/manifest.webmanifest')],
      ['companion service worker', get('/companion/sw.js')],
      ['push API config', api(h, 'GET', '/config')],
      ['push API unknown approval', api(h, 'POST', '/approvals/AAAAAAAAAAAAAAAAAAAAAA', phone.answer('AAAAAAAAAAAAAAAAAAAAAA', 'deny'))],
      ['push API enrollment refused', api(h, 'POST', '/enroll', { token: 'x' })],
      ['push API unsigned call', api(h, 'GET', '/pending')],
      ['push API unknown path', api(h, 'GET', '/nope')],
      [
        'webauthn options',
        h.request({
          method: 'POST',
          path: '/api/webauthn/authenticate/options',
          host: PORTAL,
          headers: { origin: `http://${PORTAL}`, 'content-type': 'application/json' },
          body: '{}',
        }),
      ],
      ['admin API without a session', get('/api/admin/v1/users')],
      ['health', get('/healthz')],
      ['readiness', get('/readyz')],
      ['metrics', get('/metrics')],
      ['a site the gateway does not know', get('/', {}, 'unknown.localhost')],
      ['a bad Host header', get('/', {}, 'bad host')],
    ];
    for (const [name, response] of cases) expectPolicy(name, await response);
  });

  it('signed in: the second-factor page, the push waiting page and its poll, methods, and what they post to', async () => {
    const user: Browser = browser(h, await h.signIn('alice'));
    const seen: Array<[string, TestResponse]> = [];
    const page = await user.get(`/second-factor?rd=${encodeURIComponent(SECRET_RD)}`);
    seen.push(['second-factor page', page]);
    const { wait, approvalId, csrf } = await askAgain(user, phone, SECRET_RD);
    seen.push(['push waiting page', wait]);
    seen.push(['push poll', await user.get(`/second-factor/push/${approvalId}`)]);
    seen.push(['push completion refused (pending)', await user.post(`/second-factor/push/${approvalId}/complete`, { csrf, rd: SECRET_RD })]);
    seen.push(['wrong one-time code', await user.post('/second-factor', { csrf, code: '000000', rd: SECRET_RD })]);
    seen.push(['methods page', await user.get('/methods')]);
    seen.push(['methods post without CSRF', await user.post('/methods/recovery-codes', {})]);
    seen.push(['enrollment code refused', await user.post('/enroll/code', { csrf: csrfFieldOf((await user.get('/methods')).body) ?? '', code: 'ABCD-EFGH' })]);
    seen.push(['signed-in portal root', await user.get(`/?rd=${encodeURIComponent(SECRET_RD)}`)]);
    seen.push(['admin API session', await user.get('/api/admin/v1/session')]);
    seen.push(['sign-out', await user.post('/logout', { csrf: csrfFieldOf((await user.get('/logout')).body) ?? '' })]);
    for (const [name, res] of seen) expectPolicy(name, res);
  });
});
