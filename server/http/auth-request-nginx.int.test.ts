import { testStorage } from '../testing/test-storage.js';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfigText } from '../config/load-config.js';
import { createLogger } from '../core/logger.js';
import { createGateway, type Gateway } from '../gateway.js';
import { getFreePort } from '../testing/free-port.js';
import { csrfFieldOf, type TestResponse } from '../testing/http-client.js';
import { writeUsersFile } from '../testing/gateway-harness.js';
import { startNginx, type NginxServer } from '../testing/nginx-server.js';
import { startRedisServer, type TestRedisServer } from '../testing/redis-server.js';
import { TEST_HASH_POLICY } from '../testing/test-password-hash.js';
import { startEchoUpstream, type SeenRequest } from '../testing/upstream-echo.js';

/**
 * The nginx example users copy (e2e/nginx/gatehouse-auth-request.conf), run as written by a real
 * nginx over TLS in front of an app that echoes what it received, with the gateway and a real
 * Redis behind auth_request. Only addresses, names and file paths are swapped. (What the app
 * receives besides the identity — cookies, other forged headers — is in forward-auth-snippets.int.test.ts.)
 */
const EXAMPLE = fileURLToPath(new URL('../../e2e/nginx/gatehouse-auth-request.conf', import.meta.url));
const STRIP_HEADERS = fileURLToPath(new URL('../../deploy/nginx/gatehouse-strip-headers.conf', import.meta.url));

const USERS = {
  alice: { password: 'alice-nginx-pass', displayname: 'Alice Liu', email: 'alice@corp.example', groups: ['admins', 'dev'], disabled: false },
  bob: { password: 'bob-nginx-pass', displayname: '陳柏宇 Bob Chen', email: 'bob@corp.example', groups: ['dev'], disabled: false },
};
const APP = 'app.localhost';
const PORTAL = 'auth.localhost';

let dir: string;
let cert: Buffer;
let redis: TestRedisServer | undefined;
let echo: Awaited<ReturnType<typeof startEchoUpstream>> | undefined;
let nginx: NginxServer | undefined;
let gateway: Gateway | undefined;
let gatewayStopped = false;
/** What the gateway logged (info and above: tens of lines a run), shown when a fail-closed test fails: what it answered nginx, and why. */
const gatewayLog: string[] = [];
let appOrigin: string;
let portalOrigin: string;

/** Replaces each placeholder of the example, failing if the example no longer has it. */
function adaptExample(text: string, swaps: [string, string][]): string {
  for (const [from, to] of swaps) {
    if (!text.includes(from)) throw new Error(`the nginx example no longer contains "${from}"`);
    text = text.replaceAll(from, to);
  }
  return text;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-nginx-test-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=gatehouse test',
      '-addext',
      `subjectAltName=DNS:${APP},DNS:${PORTAL}`,
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  cert = readFileSync(join(dir, 'cert.pem'));

  redis = await startRedisServer();
  echo = await startEchoUpstream();
  const gatewayPort = await getFreePort();
  const example = readFileSync(EXAMPLE, 'utf8');
  const appPort = echo.port;
  nginx = await startNginx(({ port }) =>
    adaptExample(example, [
      ['listen 443 ssl', `listen 127.0.0.1:${port} ssl`],
      ['127.0.0.1:9091', `127.0.0.1:${gatewayPort}`],
      ['127.0.0.1:8080', `127.0.0.1:${appPort}`],
      ['auth.example.com', PORTAL],
      ['app.example.com', APP],
      ['/etc/ssl/example.com.crt', join(dir, 'cert.pem')],
      ['/etc/ssl/example.com.key', join(dir, 'key.pem')],
      ['/etc/nginx/gatehouse-strip-headers.conf', STRIP_HEADERS],
    ]),
  );
  appOrigin = `https://${APP}:${nginx.port}`;
  portalOrigin = `https://${PORTAL}:${nginx.port}`;

  const usersFile = join(dir, 'users.yml');
  await writeUsersFile(usersFile, USERS);
  const config = {
    server: { host: '127.0.0.1', port: gatewayPort, portal_url: `${portalOrigin}/`, trusted_proxies: ['127.0.0.1/32'] },
    session: { store: 'redis', domain: 'localhost' },
    // Long enough for a busy machine; short enough that the frozen-Redis test ends soon.
    redis: { url: redis.url, timeout: '5s' },
    authentication: { users_file: usersFile, watch: false },
    storage: testStorage(),
    sites: [{ name: 'app', url: `${appOrigin}/` }],
    access_control: {
      default_policy: 'deny',
      rules: [
        { domain: APP, resources: ['/public/.*'], policy: 'bypass' },
        { domain: APP, resources: ['/office/.*'], networks: ['10.0.0.0/8'], policy: 'bypass' },
        { domain: APP, resources: ['/read-only/.*'], methods: ['GET', 'HEAD'], policy: 'bypass' },
        { domain: APP, resources: ['/admin(/.*)?'], subject: ['group:admins'], policy: 'one_factor' },
        { domain: APP, resources: ['/admin(/.*)?'], policy: 'deny' },
        { domain: APP, policy: 'one_factor' },
      ],
    },
  };
  const loaded = parseConfigText(stringify(config), { env: {}, baseDir: dir });
  if (!loaded.ok) throw new Error(`test config invalid:\n${loaded.errors.join('\n')}`);
  gateway = await createGateway(loaded.config, {
    logger: createLogger({
      level: 'info',
      destination: {
        write: (line: string) => void gatewayLog.push(line.trimEnd()),
      },
    }),
    hashPolicy: TEST_HASH_POLICY,
  });
  await gateway.listen(gatewayPort, '127.0.0.1');
});

afterAll(async () => {
  // Each step on its own: one failing must not leave the others running.
  const steps = [() => (gateway && !gatewayStopped ? gateway.close() : undefined), () => nginx?.stop(), () => echo?.close(), () => redis?.stop()];
  for (const step of steps)
    await Promise.resolve()
      .then(step)
      .catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** One HTTPS request to nginx: SNI and Host name the site, as a browser would send them. */
function send(o: { site?: 'app' | 'portal'; path: string; method?: string; headers?: [string, string][]; body?: string; host?: string; sni?: string }): Promise<TestResponse> {
  const name = o.site === 'portal' ? PORTAL : APP;
  const host = o.host ?? `${name}:${nginx!.port}`;
  const headers = [['host', host], ...(o.headers ?? [])].flat();
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port: nginx!.port, servername: o.sni ?? name, ca: cert, method: o.method ?? 'GET', path: o.path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

function setCookieValue(response: TestResponse, name: string): string | undefined {
  const line = (response.headers['set-cookie'] ?? []).find((l) => l.startsWith(`${name}=`));
  return line?.slice(name.length + 1).split(';')[0];
}

/** Signs in through nginx as a browser on the portal would; returns the session cookie pair. */
async function signIn(username: keyof typeof USERS): Promise<string> {
  const page = await send({ site: 'portal', path: '/' });
  const csrfCookie = setCookieValue(page, '__Host-gatehouse_csrf');
  const csrf = csrfFieldOf(page.body);
  expect(page.status).toBe(200);
  expect(csrfCookie && csrf).toBeTruthy();
  const rd = `${appOrigin}/after-sign-in`;
  const response = await send({
    site: 'portal',
    method: 'POST',
    path: '/login',
    headers: [
      ['content-type', 'application/x-www-form-urlencoded'],
      ['origin', portalOrigin],
      ['cookie', `__Host-gatehouse_csrf=${csrfCookie}`],
    ],
    body: new URLSearchParams({ csrf: csrf!, username, password: USERS[username].password, rd }).toString(),
  });
  expect(response.status).toBe(303);
  expect(response.headers.location).toBe(rd);
  const token = setCookieValue(response, 'gatehouse_session');
  expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return `gatehouse_session=${token}`;
}

/** Sends a request and returns what the app received from nginx (undefined: it received nothing). */
async function throughNginx(o: Parameters<typeof send>[0]): Promise<{ response: TestResponse; seen: SeenRequest | undefined }> {
  const before = echo!.seen.length;
  const response = await send(o);
  expect(echo!.seen.length - before).toBeLessThanOrEqual(1);
  return { response, seen: echo!.seen[before] };
}

const utf8 = (latin1: string | string[] | undefined) => (typeof latin1 === 'string' ? Buffer.from(latin1, 'latin1').toString('utf8') : latin1);

describe('nginx auth_request in front of an app', () => {
  it('sends an anonymous visitor to the portal with the page they asked for as rd', async () => {
    const { response, seen } = await throughNginx({ path: '/reports/q3?year=2025&sort=desc' });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.location ?? '');
    expect(location.origin + location.pathname).toBe(`${portalOrigin}/`);
    expect(location.searchParams.get('rd')).toBe(`${appOrigin}/reports/q3?year=2025&sort=desc`);
    expect(seen).toBeUndefined();
  });

  it('lets a signed-in user through, and the app learns who they are from Remote-* headers', async () => {
    const cookie = await signIn('alice');
    const { response, seen } = await throughNginx({ path: '/reports/q3', headers: [['cookie', cookie]] });
    expect(response.status).toBe(200);
    expect(seen?.url).toBe('/reports/q3');
    expect(seen?.headers['remote-user']).toBe('alice');
    expect(seen?.headers['remote-groups']).toBe('admins,dev');
    expect(seen?.headers['remote-email']).toBe('alice@corp.example');
    expect(seen?.headers['remote-name']).toBe('Alice Liu');
    expect(seen?.headers['x-forwarded-proto']).toBe('https');
  });

  it('passes a display name outside ASCII through nginx as UTF-8', async () => {
    const cookie = await signIn('bob');
    const { response, seen } = await throughNginx({ path: '/', headers: [['cookie', cookie]] });
    expect(response.status).toBe(200);
    expect(utf8(seen?.headers['remote-name'])).toBe('陳柏宇 Bob Chen');
  });

  it('answers 403 where a deny rule matches, without reaching the app', async () => {
    const bob = await signIn('bob');
    const denied = await throughNginx({ path: '/admin/users', headers: [['cookie', bob]] });
    expect(denied.response.status).toBe(403);
    expect(denied.seen).toBeUndefined();

    const alice = await signIn('alice');
    const allowed = await throughNginx({ path: '/admin/users', headers: [['cookie', alice]] });
    expect(allowed.response.status).toBe(200);
    expect(allowed.seen?.headers['remote-user']).toBe('alice');
  });

  it('serves a bypass page to anyone, and only for the methods its rule names (X-Original-Method)', async () => {
    const get = await throughNginx({ path: '/read-only/doc' });
    expect(get.response.status).toBe(200);
    expect(get.seen?.headers['remote-user']).toBeUndefined();
    const post = await throughNginx({ path: '/read-only/doc', method: 'POST', headers: [['content-type', 'text/plain']], body: 'x' });
    expect(post.response.status).toBe(302);
    expect(post.seen).toBeUndefined();
  });

  it('ends access through nginx when the user signs out', async () => {
    const cookie = await signIn('alice');
    expect((await throughNginx({ path: '/x', headers: [['cookie', cookie]] })).response.status).toBe(200);
    const home = await send({ site: 'portal', path: '/', headers: [['cookie', cookie]] });
    const csrf = csrfFieldOf(home.body);
    expect(csrf).toBeTruthy();
    const out = await send({
      site: 'portal',
      method: 'POST',
      path: '/logout',
      headers: [
        ['content-type', 'application/x-www-form-urlencoded'],
        ['origin', portalOrigin],
        ['cookie', cookie],
      ],
      body: new URLSearchParams({ csrf: csrf!, scope: 'here' }).toString(),
    });
    expect(out.status).toBe(303);
    const after = await throughNginx({ path: '/x', headers: [['cookie', cookie]] });
    expect(after.response.status).toBe(302);
    expect(after.seen).toBeUndefined();
  });
});

describe('headers a client forges never decide anything', () => {
  const spellings = ['Remote-User', 'remote-user', 'REMOTE-USER', 'Remote_User', 'remote_user', 'REMOTE_USER'];

  it.each(spellings)('anonymous on a public page sending %s: admin → the app gets no identity', async (name) => {
    const { response, seen } = await throughNginx({
      path: '/public/page',
      headers: [
        [name, 'admin'],
        ['Remote-Groups', 'admins'],
      ],
    });
    expect(response.status).toBe(200);
    const names = seen!.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase().replaceAll('_', '-'));
    expect(names).not.toContain('remote-user');
    expect(names).not.toContain('remote-groups');
  });

  it.each(spellings)('bob sending %s: admin → the app sees bob, once', async (name) => {
    const cookie = await signIn('bob');
    const { response, seen } = await throughNginx({
      path: '/',
      headers: [
        ['cookie', cookie],
        [name, 'admin'],
        ['Remote-Groups', 'admins'],
      ],
    });
    expect(response.status).toBe(200);
    expect(seen?.headers['remote-user']).toBe('bob');
    expect(seen?.headers['remote-groups']).toBe('dev');
    const userHeaders = seen!.rawHeaders.filter((n, i) => i % 2 === 0 && /^remote[-_]user$/i.test(n));
    expect(userHeaders).toHaveLength(1);
  });

  it('bob claiming the admins group in a header is still denied /admin/', async () => {
    const cookie = await signIn('bob');
    const { response, seen } = await throughNginx({
      path: '/admin/',
      headers: [
        ['cookie', cookie],
        ['Remote-User', 'alice'],
        ['Remote-Groups', 'admins'],
      ],
    });
    expect(response.status).toBe(403);
    expect(seen).toBeUndefined();
  });

  it.each([
    ['X-Original-URL', 'https://app.localhost/public/x'],
    ['X-Original-Method', 'OPTIONS'],
    ['X-Forwarded-Uri', '/public/x'],
    ['X-Forwarded-Host', 'elsewhere.localhost'],
  ])('an anonymous request sending %s: %s is still sent to sign in', async (name, value) => {
    const forged = name === 'X-Original-URL' ? value.replace('app.localhost', `${APP}:${nginx!.port}`) : value;
    const { response, seen } = await throughNginx({ path: '/private', headers: [[name, forged]] });
    expect(response.status).toBe(302);
    expect(seen).toBeUndefined();
  });

  it.each(['10.0.0.7', '10.0.0.7, 127.0.0.1', '127.0.0.1, 10.0.0.7'])('X-Forwarded-For: %s does not put a visitor on the office network', async (xff) => {
    const { response, seen } = await throughNginx({ path: '/office/wiki', headers: [['X-Forwarded-For', xff]] });
    expect(response.status).toBe(302);
    expect(seen).toBeUndefined();
  });
});

describe('paths and hosts that try to look like something else', () => {
  it.each([
    '/public/../private/x',
    '/public/%2e%2e/private/x',
    '/public/%2E%2E/admin/',
    '/public/..%2fprivate',
    '/public/..%5cprivate',
    '/public%2f..%2fprivate',
    '/public/./../admin/',
    '//public/../private',
    // Tomcat drops the params-only segment first, then resolves "..": it reads /private.
    '/public/;/../private',
    '/public/;jsessionid=1/../private',
  ])('anonymous %s is not served', async (path) => {
    const { response, seen } = await throughNginx({ path });
    expect(response.status).toBeGreaterThanOrEqual(300);
    // What the app was sent, if anything, must not be a path a resolving upstream reads as private.
    if (seen) expect(decodeURIComponent(seen.url).replaceAll('\\', '/')).not.toMatch(/\.\./);
  });

  it('bob cannot reach /admin/ by way of a public path', async () => {
    const cookie = await signIn('bob');
    for (const path of ['/public/../admin/', '/public/%2e%2e/admin/', '/public/%2e%2e%2fadmin/']) {
      const { response, seen } = await throughNginx({ path, headers: [['cookie', cookie]] });
      expect(response.status, path).toBeGreaterThanOrEqual(300);
      if (seen) expect(decodeURIComponent(seen.url), path).not.toMatch(/\.\./);
    }
  });

  it('a Host header with another port is not the protected site (403 even on a public path)', async () => {
    const { response, seen } = await throughNginx({ path: '/public/page', host: `${APP}:1` });
    expect(response.status).toBe(403);
    expect(seen).toBeUndefined();
  });

  it('a Host that names no server block gets no answer at all', async () => {
    const before = echo!.seen.length;
    const outcome = await send({ path: '/public/page', host: 'evil.localhost' }).then(
      (r) => r.status,
      (e: NodeJS.ErrnoException) => e.code,
    );
    expect(outcome).toBe('ECONNRESET');
    expect(echo!.seen.length).toBe(before);
  });

  it('a TLS name that matches no site is refused at the handshake', async () => {
    const outcome = await send({ path: '/public/page', sni: 'evil.localhost', host: 'evil.localhost' }).then(
      (r) => `status ${r.status}`,
      (e: NodeJS.ErrnoException) => e.code ?? e.message,
    );
    expect(outcome).toMatch(/^(ECONNRESET|EPROTO|ERR_SSL_TLSV1_UNRECOGNIZED_NAME|ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR)$/);
  });
});

describe('failing closed', () => {
  it('answers 5xx, not the page, while Redis does not answer', async () => {
    const unknownSession = `gatehouse_session=${randomBytes(32).toString('base64url')}`;
    const logged = gatewayLog.length;
    const started = performance.now();
    redis!.freeze();
    try {
      const { response, seen } = await throughNginx({ path: '/private', headers: [['cookie', unknownSession]] });
      const account = () => `after ${Math.round(performance.now() - started)} ms; the gateway logged meanwhile:\n${gatewayLog.slice(logged).join('\n')}`;
      expect(response.status, account()).toBeGreaterThanOrEqual(500);
      expect(seen).toBeUndefined();
    } finally {
      redis!.thaw();
    }
  });

  it('answers 5xx, never the page, once the gateway is down', async () => {
    const cookie = await signIn('alice');
    expect((await throughNginx({ path: '/private', headers: [['cookie', cookie]] })).response.status).toBe(200);
    gatewayStopped = true;
    await gateway!.close();
    for (const o of [{ path: '/private', headers: [['cookie', cookie]] as [string, string][] }, { path: '/public/page' }, { path: '/' }]) {
      const { response, seen } = await throughNginx(o);
      expect(response.status, o.path).toBeGreaterThanOrEqual(500);
      expect(response.status, o.path).toBeLessThan(600);
      expect(seen, o.path).toBeUndefined();
    }
  });
});
