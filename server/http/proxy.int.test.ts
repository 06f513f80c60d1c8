import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieFrom } from '../testing/http-client.js';
import { APP, PORTAL, TRUSTED_PROXY, WIKI, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';

let h: GatewayHarness;
let hanging: Server;
let alice: string;
let bob: string;

beforeAll(async () => {
  hanging = createServer(() => {
    /* never answers: a stuck upstream */
  });
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  const hangingPort = (hanging.address() as AddressInfo).port;
  h = await startGatewayHarness({
    configure: (c) => {
      c.sites.push({ name: 'down', url: 'http://down.localhost/', upstream: 'http://127.0.0.1:1' } as never);
      c.sites.push({ name: 'slow', url: 'http://slow.localhost/', upstream: `http://127.0.0.1:${hangingPort}`, timeout: '300ms' } as never);
      c.access_control.rules.unshift(
        { domain: ['down.localhost', 'slow.localhost'], policy: 'bypass' } as never,
        { domain: APP, resources: ['/office/.*'], networks: ['office'], policy: 'bypass' } as never,
        { domain: APP, resources: ['/office/.*'], policy: 'deny' } as never,
      );
    },
  });
  alice = await h.signIn('alice');
  bob = await h.signIn('bob');
});
afterAll(async () => {
  await h?.close();
  hanging?.closeAllConnections();
  hanging?.close();
});

const seenBy = (body: string) => JSON.parse(body) as { url: string; headers: Record<string, string | string[] | undefined>; rawHeaders: string[] };

describe('identity headers', () => {
  const spoofs: [string, string][][] = [
    [['Remote-User', 'admin']],
    [['remote-user', 'admin']],
    [['REMOTE-USER', 'admin']],
    [['Remote_User', 'admin']],
    [['REMOTE_USER', 'admin']],
    [['Remote-Groups', 'admins']],
    [['remote_groups', 'admins']],
    [['Remote-Name', 'Admin']],
    [['Remote-Email', 'admin@corp.example']],
    [
      ['remote-email', 'admin@corp.example'],
      ['Remote_Email', 'x@y'],
    ],
    [
      ['Remote-User', 'admin'],
      ['Remote-User', 'root'],
    ],
    [
      ['Remote-User', 'admin'],
      ['remote_user', 'root'],
      ['REMOTE-USER', 'x'],
    ],
  ];

  it.each(spoofs)('strips client-sent %j on a bypass route', async (...headers) => {
    const res = await h.request({ path: '/public/page', host: APP, headers });
    expect(res.status).toBe(200);
    const seen = seenBy(res.body);
    const names = seen.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase().replaceAll('_', '-'));
    expect(names.filter((n) => n.startsWith('remote-'))).toEqual([]);
  });

  it.each(spoofs)('replaces client-sent %j with the real identity on a protected route', async (...headers) => {
    const res = await h.request({ path: '/page', host: APP, headers: [...headers, ['cookie', bob]] });
    expect(res.status).toBe(200);
    const seen = seenBy(res.body);
    const pairs = [];
    for (let i = 0; i < seen.rawHeaders.length; i += 2) pairs.push([seen.rawHeaders[i]!.toLowerCase().replaceAll('_', '-'), seen.rawHeaders[i + 1]]);
    const identity = pairs.filter(([n]) => n!.startsWith('remote-'));
    expect(identity).toEqual(
      expect.arrayContaining([
        ['remote-user', 'bob'],
        ['remote-groups', 'dev'],
      ]),
    );
    expect(identity.filter(([n]) => n === 'remote-user')).toHaveLength(1);
    expect(identity.filter(([n]) => n === 'remote-groups')).toHaveLength(1);
  });
});

describe('session cookies from the client', () => {
  const forged = [
    'gatehouse_session=',
    'gatehouse_session=abc',
    `gatehouse_session=${'A'.repeat(43)}`,
    `gatehouse_session=${'A'.repeat(4000)}`,
    'gatehouse_session=%00%ff%fe',
    'gatehouse_session="quoted"',
    'gatehouse_session=../../etc/passwd',
    '=; ==; ;;; gatehouse_session',
    'gatehouse_session=\u00e9\u00e8',
  ];
  it.each(forged)('a forged or malformed cookie %j is no session (302), never a 500', async (cookie) => {
    const res = await h.request({ path: '/page', host: APP, headers: { cookie } });
    expect(res.status).toBe(302);
  });

  it('two session cookies at once (one tossed by a sibling site) are no session', async () => {
    const res = await h.request({ path: '/page', host: APP, headers: { cookie: `${alice}; ${bob}` } });
    expect(res.status).toBe(302);
  });

  it('a valid cookie among junk cookies still works', async () => {
    const res = await h.request({ path: '/page', host: APP, headers: { cookie: `a=1; ${alice}; b="2"; c` } });
    expect(res.status).toBe(200);
  });
});

describe('access policy on the proxy path', () => {
  it.each([
    ['anonymous on a bypass path', '/public/x', undefined, 200],
    ['anonymous on a protected path', '/x', undefined, 302],
    ['an admin on /admin', '/admin/panel', 'alice', 200],
    ['a non-admin on /admin', '/admin/panel', 'bob', 403],
    ['password only on a two_factor path', '/secure/vault', 'alice', 302],
  ])('%s', async (_name, path, who, status) => {
    const cookie = who === 'alice' ? alice : who === 'bob' ? bob : undefined;
    const res = await h.request({ path, host: APP, headers: cookie ? { cookie } : {} });
    expect(res.status).toBe(status);
  });

  it('the portal sends a password-only session to the second step, which answers without looping', async () => {
    const rd = `http://${APP}/secure/vault`;
    const res = await h.request({ path: `/?rd=${encodeURIComponent(rd)}`, host: PORTAL, headers: { cookie: alice } });
    expect(res.status).toBe(303);
    const next = new URL(res.headers.location!, `http://${PORTAL}/`);
    expect(next.pathname).toBe('/second-factor');
    expect(next.searchParams.get('rd')).toBe(rd);
    const page = await h.request({ path: next.pathname + next.search, host: PORTAL, headers: { cookie: alice } });
    expect(page.status).toBe(200);
    expect(page.headers.location).toBeUndefined();
  });

  // Each confusable path gets the decision of its normalized form, or 400.
  it.each([
    ['/public/../admin/panel', 'bob', [403]],
    ['/public/%2e%2e/admin/panel', 'bob', [403]],
    ['/public/%2E%2E/admin/panel', 'bob', [403]],
    ['/public/.%2e/admin/panel', 'bob', [403]],
    ['//admin/panel', 'bob', [403]],
    ['/./admin/panel', 'bob', [403]],
    ['/admin;x=1/panel', 'bob', [403]],
    ['/admin;/panel', 'bob', [403]],
    ['/public/..;/admin/panel', 'bob', [400, 403]],
    ['/public%2f..%2fadmin/panel', 'bob', [400]],
    ['/public%5c..%5cadmin/panel', 'bob', [400]],
    ['/public\\..\\admin/panel', 'bob', [400]],
    ['/public/?/../admin/panel', undefined, [200]],
    ['/public/;/../admin/panel', undefined, [400]],
    ['/public/;jsessionid=1/../admin/panel', undefined, [400]],
    ['/%61dmin/panel', 'bob', [403]],
    ['/admin%00/panel', 'bob', [400]],
    ['/public/../../admin', 'bob', [400, 403]],
    ['/public/x/../../public/y', undefined, [200]],
  ])('%s → same decision as normalized', async (path, who, statuses) => {
    const cookie = who === 'bob' ? bob : undefined;
    const res = await h.request({ path, host: APP, headers: cookie ? { cookie } : {} });
    expect(statuses).toContain(res.status);
  });

  it('forwards the normalized path, exactly what the decision was made on', async () => {
    const res = await h.request({ path: '/public/a/%2e%2e/b//c?q=/../x', host: APP });
    expect(seenBy(res.body).url).toBe('/public/b/c?q=/../x');
  });

  it('maps a site path prefix onto the upstream path', async () => {
    const res = await h.request({ path: '/docs/guide?x=1', host: APP, headers: { cookie: alice } });
    expect(res.status).toBe(200);
    expect(seenBy(res.body).url).toBe('/v2/guide?x=1');
  });
});

describe('hosts', () => {
  it.each([
    ['an unknown host', 'intranet.localhost', 404],
    ['a trailing-dot host', `${APP}.`, 404],
    ['a suffix host', `evil${APP}`, 404],
    ['a host with the site as prefix', `${APP}.evil.example`, 404],
    ['a different port', `${APP}:8443`, 404],
    ['a forward-auth-only site', WIKI, 404],
  ])('%s (%s) → %i, never another site', async (_name, host, status) => {
    const res = await h.request({ path: '/public/x', host });
    expect(res.status).toBe(status);
    expect(res.body).not.toContain('"rawHeaders"');
  });

  it.each([
    ['an empty Host', 'GET /public/x HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n'],
    ['no Host at all (HTTP/1.0)', 'GET /public/x HTTP/1.0\r\n\r\n'],
  ])('%s → 400', async (_name, raw) => {
    const status = await rawRequest(h.port, raw);
    expect(status).toBe(400);
  });

  it.each(['a b', 'user@app.localhost', 'app.localhost/x', '[::1', 'app.localhost:99999'])('a malformed Host %j → 400', async (host) => {
    const res = await h.request({ path: '/public/x', host });
    expect(res.status).toBe(400);
  });
});

describe('X-Forwarded-For', () => {
  it('from an untrusted peer is replaced, and cannot satisfy a network rule', async () => {
    const res = await h.request({ path: '/office/x', host: APP, headers: { 'x-forwarded-for': '10.1.2.3' } });
    expect(res.status).toBe(403);
    const ok = await h.request({ path: '/public/x', host: APP, headers: { 'x-forwarded-for': '10.1.2.3', 'x-forwarded-host': 'evil.example' } });
    const seen = seenBy(ok.body);
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-host']).toBe(APP);
  });

  it('from a registered proxy is believed', async () => {
    const res = await h.request({ path: '/office/x', host: APP, headers: { 'x-forwarded-for': '10.1.2.3' }, localAddress: TRUSTED_PROXY });
    expect(res.status).toBe(200);
    expect(seenBy(res.body).headers['x-forwarded-for']).toBe(`10.1.2.3, ${TRUSTED_PROXY}`);
  });

  it('only the hops after the registered proxies count, however many came before', async () => {
    const xff = [...Array(100).fill('192.0.2.1'), '10.0.0.1'].join(',');
    const res = await h.request({ path: '/office/x', host: APP, headers: { 'x-forwarded-for': xff }, localAddress: TRUSTED_PROXY });
    expect(res.status).toBe(200);
  });

  it.each(['not-an-ip', '10.1.2.3, , ', '10.1.2.3,garbage', '999.1.1.1', '10.1.2.3 10.0.0.2', '10.1.2.3\tx', 'x'.repeat(5000), '10.1.2.3/8'])(
    'a malformed value %j from a registered proxy falls back to the real peer',
    async (xff) => {
      const res = await h.request({ path: '/office/x', host: APP, headers: { 'x-forwarded-for': xff }, localAddress: TRUSTED_PROXY });
      expect(res.status).toBe(403); // the peer 127.0.0.2 is not in the office network
    },
  );
});

describe('upstream faults', () => {
  it('an upstream that refuses connections → 502 page', async () => {
    const res = await h.request({ path: '/', host: 'down.localhost' });
    expect(res.status).toBe(502);
    expect(res.headers['content-type']).toMatch(/text\/html/);
  });

  it('an upstream that does not answer in time → 504 page', async () => {
    // The upstream never answers: without the site timeout this request would hang.
    const res = await h.request({ path: '/', host: 'slow.localhost' });
    expect(res.status).toBe(504);
  });
});

describe('redirect targets after sign-in', () => {
  const allowed = new Set([APP, WIKI, PORTAL]);
  const payloads = [
    'https://evil.example/',
    '//evil.example/',
    '///evil.example/',
    '/\\evil.example',
    '\\\\evil.example',
    'http://app.localhost.evil.example/',
    'http://evilapp.localhost/',
    'http://app.localhost@evil.example/',
    'http://evil.example#@app.localhost/',
    'http://evil.example?@app.localhost/',
    'http://evil.example\\@app.localhost/',
    'http://app.localhost:80@evil.example/',
    'http://app.localhost%2eevil.example/',
    'http://app.localhost%40evil.example/',
    'http:\\\\evil.example',
    'http:/evil.example',
    'http:evil.example',
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'java\tscript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'http://app.localhost\t.evil.example/',
    'http://app.localhost\n.evil.example/',
    'http://[::ffff:7f00:1]/',
    'http://2130706433/',
    'http://0x7f.1/',
    'ftp://app.localhost/',
    'https://app.localhost/', // right host, wrong scheme
    'http://app.localhost:8080/',
    'http://app.localhost./',
    'http://ａpp.localhost/',
    'http://app。localhost。evil.example/',
    ' http://evil.example',
    'http://evil.example%00.app.localhost/',
    `http://${'a'.repeat(3000)}.example/`,
  ];

  it.each(payloads)('rd=%j never leads to another host', async (rd) => {
    const res = await h.postSignIn({ username: 'alice', password: 'alice-correct-horse', rd });
    expect(res.status).toBe(303);
    const location = new URL(res.headers.location!, `http://${PORTAL}/`);
    expect(allowed).toContain(location.host);
    expect(['http:', 'https:']).toContain(location.protocol);
  });

  it.each(payloads)('signed-in GET of the portal with rd=%j never leads to another host', async (rd) => {
    const res = await h.request({ path: `/?rd=${encodeURIComponent(rd)}`, host: PORTAL, headers: { cookie: alice } });
    if (res.status === 302) expect(allowed).toContain(new URL(res.headers.location!, `http://${PORTAL}/`).host);
    else expect(res.status).toBe(200);
  });

  it('a good target survives, serialized', async () => {
    const res = await h.postSignIn({ username: 'alice', password: 'alice-correct-horse', rd: `http://${APP}/a b?x=1` });
    // a raw space is refused outright: back to the portal
    expect(new URL(res.headers.location!, `http://${PORTAL}/`).host).toBe(PORTAL);
    const ok = await h.postSignIn({ username: 'alice', password: 'alice-correct-horse', rd: `http://${APP}/docs/x?y=%20` });
    expect(ok.headers.location).toBe(`http://${APP}/docs/x?y=%20`);
    expect(cookieFrom(ok, 'gatehouse_session')).toBeDefined();
  });
});

/** Sends bytes the HTTP client would refuse to send; resolves with the status code. */
function rawRequest(port: number, raw: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(raw));
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('end', () => resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1] ?? 0)));
    socket.on('error', reject);
  });
}
