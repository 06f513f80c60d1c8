import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { generateEs256Pem } from '../identity/testing/test-keys.js';
import { UNTRUSTED_REQUEST_HEADERS } from '../proxy/untrusted-request-headers.js';
import { startCaddy, type CaddyServer } from '../testing/caddy-server.js';
import { PORTAL, USERS, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';
import { send as sendHttp, type TestResponse } from '../testing/http-client.js';
import { checkNginxConfig, startNginx, type NginxServer } from '../testing/nginx-server.js';
import type { SeenRequest } from '../testing/upstream-echo.js';

/**
 * The forward-auth configs README.md tells users to copy, run as printed in front of an app
 * that records what it receives: the ```nginx and ```caddyfile blocks of its "Behind nginx,
 * Traefik or Caddy" section, with the files they name (deploy/nginx/gatehouse-strip-headers.conf,
 * deploy/caddy/gatehouse-forward-auth.caddy), and the complete nginx file the README points to
 * (e2e/nginx/gatehouse-auth-request.conf). Debian's nginx 1.22 and Caddy 2.6.2, a real gateway
 * and Redis behind them.
 *
 * What the test changes in them, and nothing else (each swap fails if its text is gone):
 * - where Gatehouse and the app listen (127.0.0.1:9091 / gatehouse:9091, 127.0.0.1:8080 /
 *   10.0.1.5:8080), and the path of the file they include or import;
 * - nginx: `listen 443 ssl` becomes a free loopback port, still TLS, with a certificate of the
 *   test's own, and the app's `server_name app.example.com` becomes `app.localhost`: the
 *   harness's session cookie is for `localhost`, and Gatehouse refuses a site it never reaches
 *   (the client connects to 127.0.0.1 with SNI and Host app.localhost);
 * - Caddy: the site address `wiki.corp.example` becomes `http://wiki.localhost:<free port>`.
 *   Caddy's automatic HTTPS would need a CA the client trusts, and TLS changes nothing in the
 *   headers under test; Gatehouse accepts a plain-http site only on localhost, hence the name.
 *   The global options (no automatic HTTPS, no admin endpoint, loopback only) are the test's
 *   own (server/testing/caddy-server.ts).
 *
 * Caddy 2.6's forward_auth copy_headers sets a header the auth answer lacks to the literal text
 * "{http.reverse_proxy.header.Remote-User}". We fix that in the snippet, not in Gatehouse: an answer
 * with the identity headers present but empty would still reach the app as empty headers, and
 * later Caddy versions have the opposite flaw (the client's copy passes when the answer lacks
 * the header). The import file removes each identity header the answer did not carry, after
 * forward_auth, which covers both; the tests below see every path with and without each header.
 *
 * Traefik is not installed here: its files are checked as YAML only (last describe).
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = join(ROOT, 'README.md');
const NGINX_COMPLETE = join(ROOT, 'e2e/nginx/gatehouse-auth-request.conf');

/** The README's nginx site, and the name the test serves it under (under the harness's session.domain). */
const NGINX_README_HOST = 'app.example.com';
const NGINX_HOST = 'app.localhost';
/** The README's Caddy site, and the name the test serves it under. */
const CADDY_README_HOST = 'wiki.corp.example';
const CADDY_HOST = 'wiki.localhost';
const COOKIE = 'gatehouse_session';
const FORGED_JWT = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJtYWxsb3J5IiwiZ3JvdXBzIjpbImFkbWlucyJdfQ.';

/** The fenced blocks of one README section, by language. */
function readmeBlocks(section: string): Map<string, string[]> {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf(`\n## ${section}`);
  if (start === -1) throw new Error(`README.md has no section "${section}"`);
  const end = text.indexOf('\n## ', start + 1);
  const blocks = new Map<string, string[]>();
  for (const match of text.slice(start, end === -1 ? undefined : end).matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)) {
    blocks.set(match[1]!, [...(blocks.get(match[1]!) ?? []), match[2]!]);
  }
  return blocks;
}

const FORWARD_AUTH = readmeBlocks('Behind nginx, Traefik or Caddy (forward-auth)');
function onlyBlock(language: string): string {
  const blocks = FORWARD_AUTH.get(language) ?? [];
  if (blocks.length !== 1) throw new Error(`expected one \`\`\`${language} block in the forward-auth section, found ${blocks.length}`);
  return blocks[0]!;
}

/** The README's path of a shipped file, and where that file is in this repository. */
const INCLUDED: Record<string, string> = {
  '/etc/nginx/gatehouse-strip-headers.conf': join(ROOT, 'deploy/nginx/gatehouse-strip-headers.conf'),
  '/etc/caddy/gatehouse-forward-auth.caddy': join(ROOT, 'deploy/caddy/gatehouse-forward-auth.caddy'),
};

/** Replaces each text of the config, failing if the config no longer has it. */
function swapped(text: string, swaps: [string, string][]): string {
  for (const [from, to] of swaps) {
    if (!text.includes(from)) throw new Error(`the config no longer contains "${from}"`);
    text = text.replaceAll(from, to);
  }
  return text;
}

/** How the app may read a header name: letter case and `_` for `-` do not matter (CGI, PHP, Rack). */
const canonical = (name: string) => name.toLowerCase().replaceAll('_', '-');
const title = (name: string) => name.replace(/(^|-)([a-z])/g, (_m, sep: string, c: string) => sep + c.toUpperCase());

const IDENTITY = ['remote-user', 'remote-groups', 'remote-name', 'remote-email'] as const;
const LISTED: readonly string[] = [...UNTRUSTED_REQUEST_HEADERS];
const LISTED_SET = new Set(LISTED);
/** Headers the proxy in front sets itself (or removes): a client's copy must not reach the app either. */
const PROXY_SET = ['x-real-ip', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port'];

/** Spellings an app may read as the same header, plus a duplicate of the usual one. */
function spellings(name: string): string[] {
  const under = name.replaceAll('-', '_');
  const all = [title(name), name.toUpperCase(), name, under, title(name).replaceAll('-', '_'), under.toUpperCase(), name.replace('-', '_'), title(name)];
  return name.includes('-', name.indexOf('-') + 1) ? all : all.filter((_s, i) => i !== 6);
}

/**
 * A client that forges every name in every spelling, each value marked "forged", in requests of
 * at most 6 KB of headers each: nginx and Caddy pass them all on to Gatehouse, whose limit for
 * a request's headers is 16 KB, and the lists may grow.
 */
function forgedHeaderSets(): [string, string][][] {
  const sets: [string, string][][] = [[]];
  let bytes = 0;
  for (const name of [...IDENTITY, ...LISTED, ...PROXY_SET]) {
    const headers = spellings(name).map((spelling, i): [string, string] => [spelling, name === 'remote-jwt' ? FORGED_JWT : `forged-${i}`]);
    const size = headers.reduce((sum, [n, v]) => sum + n.length + v.length + 4, 0);
    if (bytes + size > 6_000) {
      sets.push([]);
      bytes = 0;
    }
    sets.at(-1)!.push(...headers);
    bytes += size;
  }
  return sets;
}

interface ThroughProxy {
  response: TestResponse;
  seen: SeenRequest | undefined;
}

interface Proxy {
  /** The gateway's site for this proxy (identity_jwt on); `${site}plain/` is one without it. */
  site: string;
  /** nginx joins duplicates of our cookie into no cookies at all; Caddy removes each. */
  duplicateCookie: 'no cookies' | 'others kept';
  send(o: { path: string; method?: string; headers: [string, string][] }): Promise<ThroughProxy>;
}

let h: GatewayHarness;
let dir: string;
let cert: Buffer;
let alice: string;
let bob: string;
const servers: { stop(): Promise<void> }[] = [];
const proxies = new Map<string, Proxy>();

function nginxSwaps(port: number): [string, string][] {
  return [
    ['listen 443 ssl', `listen 127.0.0.1:${port} ssl`],
    [`server_name ${NGINX_README_HOST};`, `server_name ${NGINX_HOST};`],
    ['127.0.0.1:9091', `127.0.0.1:${h.port}`],
    ['127.0.0.1:8080', `127.0.0.1:${h.upstream.port}`],
    ['/etc/ssl/example.com.crt', join(dir, 'cert.pem')],
    ['/etc/ssl/example.com.key', join(dir, 'key.pem')],
    ['/etc/nginx/gatehouse-strip-headers.conf', INCLUDED['/etc/nginx/gatehouse-strip-headers.conf']!],
  ];
}

const nginxConfigs = () =>
  [
    ['README', () => onlyBlock('nginx')],
    ['complete file', () => readFileSync(NGINX_COMPLETE, 'utf8')],
  ] as const;

function caddySite(port: number): string {
  return swapped(onlyBlock('caddyfile'), [
    [`${CADDY_README_HOST} {`, `http://${CADDY_HOST}:${port} {`],
    ['gatehouse:9091', `127.0.0.1:${h.port}`],
    ['10.0.1.5:8080', `127.0.0.1:${h.upstream.port}`],
    ['/etc/caddy/gatehouse-forward-auth.caddy', INCLUDED['/etc/caddy/gatehouse-forward-auth.caddy']!],
  ]);
}

/** Sends a request and returns what the app received (undefined: it received nothing). */
async function recorded(sendIt: () => Promise<TestResponse>): Promise<ThroughProxy> {
  const before = h.upstream.seen.length;
  const response = await sendIt();
  expect(h.upstream.seen.length - before).toBeLessThanOrEqual(1);
  return { response, seen: h.upstream.seen[before] };
}

function httpsSend(port: number, o: { path: string; method?: string; headers: [string, string][] }): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        servername: NGINX_HOST,
        ca: cert,
        method: o.method ?? 'GET',
        path: o.path,
        headers: [['host', NGINX_HOST], ...o.headers].flat(),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-snippets-test-'));
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
      `subjectAltName=DNS:${NGINX_HOST},DNS:auth.example.com`,
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  cert = readFileSync(join(dir, 'cert.pem'));

  h = await startGatewayHarness({
    configure: (config) => {
      // nginx and Caddy ask from 127.0.0.1.
      config.server.trusted_proxies = ['127.0.0.1/32'];
      Object.assign(config, { identity_jwt: { keys: [{ id: 'snippets-1', private_key: generateEs256Pem() }] } });
      // Forward-auth sites (no upstream); under /plain/ one without identity_jwt.
      Object.assign(config, {
        sites: [
          { name: 'nginx-app', url: `https://${NGINX_HOST}/`, identity_jwt: true },
          { name: 'nginx-app-plain', url: `https://${NGINX_HOST}/plain/` },
          { name: 'caddy-wiki', url: `http://${CADDY_HOST}/`, identity_jwt: true },
          { name: 'caddy-wiki-plain', url: `http://${CADDY_HOST}/plain/` },
        ],
      });
      Object.assign(config.access_control, {
        rules: [
          { domain: [NGINX_HOST, CADDY_HOST], resources: ['/public/.*', '/plain/public/.*'], policy: 'bypass' },
          { domain: [NGINX_HOST, CADDY_HOST], policy: 'one_factor' },
        ],
      });
    },
  });
  alice = await h.signIn('alice');
  bob = await h.signIn('bob');

  for (const [name, config] of nginxConfigs()) {
    const text = config();
    const nginx: NginxServer = await startNginx(({ port }) => swapped(text, nginxSwaps(port)));
    servers.push(nginx);
    proxies.set(`nginx, ${name}`, {
      site: `https://${NGINX_HOST}/`,
      duplicateCookie: 'no cookies',
      send: (o) => recorded(() => httpsSend(nginx.port, o)),
    });
  }
  const caddy: CaddyServer = await startCaddy(({ port }) => caddySite(port));
  servers.push(caddy);
  proxies.set('Caddy, README', {
    site: `http://${CADDY_HOST}/`,
    duplicateCookie: 'others kept',
    send: (o) => recorded(() => sendHttp({ port: caddy.port, method: o.method, path: o.path, host: CADDY_HOST, headers: o.headers })),
  });
});

afterAll(async () => {
  // Each step on its own: one failing must not leave the others running.
  for (const server of servers) await server.stop().catch(() => undefined);
  await h?.close().catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const PROXY_NAMES = ['nginx, README', 'nginx, complete file', 'Caddy, README'];
const proxy = (name: string) => proxies.get(name)!;

/** The values the app received under any spelling of `name`, as UTF-8 text. */
function valuesOf(seen: SeenRequest, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < seen.rawHeaders.length; i += 2) {
    if (canonical(seen.rawHeaders[i]!) === name) out.push(Buffer.from(seen.rawHeaders[i + 1]!, 'latin1').toString('utf8'));
  }
  return out;
}

/** Our cookie as Gatehouse (and most cookie parsers) would read it: a name of its own, blanks around it. */
const OUR_COOKIE = new RegExp(`(^|;)[ \\t]*${COOKIE}[ \\t]*=`);

/** Everything the app received that it must never see, whatever the path. */
function neverSeen(seen: SeenRequest): string[] {
  const problems: string[] = [];
  for (let i = 0; i < seen.rawHeaders.length; i += 2) {
    const [name, value] = [seen.rawHeaders[i]!, seen.rawHeaders[i + 1]!];
    const line = `${name}: ${value}`;
    if (LISTED_SET.has(canonical(name)) && canonical(name) !== 'remote-jwt') problems.push(`listed header ${line}`);
    if (/forged/i.test(value) || value.includes(FORGED_JWT)) problems.push(`forged value ${line}`);
    if (line.includes('{http.')) problems.push(`placeholder ${line}`);
    if (canonical(name) === 'cookie' && OUR_COOKIE.test(value)) problems.push(`our cookie ${line}`);
    if ([alice, bob].some((cookie) => value.includes(cookie.slice(COOKIE.length + 1)))) problems.push(`a session token ${line}`);
  }
  return problems;
}

type User = keyof typeof USERS;
const cookieOf = (user: User | undefined) => (user === 'alice' ? alice : user === 'bob' ? bob : `${COOKIE}=${randomBytes(32).toString('base64url')}`);

/** What Gatehouse says about a user, as the app reads it. */
function identityOf(user: User): Record<(typeof IDENTITY)[number], string> {
  const u = USERS[user];
  return { 'remote-user': user, 'remote-groups': u.groups.join(','), 'remote-name': u.displayname, 'remote-email': u.email };
}

describe.each(PROXY_NAMES)('%s in front of an app', (proxyName) => {
  const cases: { title: string; user?: User; path: string; jwt: boolean }[] = [
    { title: 'alice on a protected page of a site with identity_jwt', user: 'alice', path: '/reports/q3?year=2025', jwt: true },
    { title: 'bob on a protected page of a site without identity_jwt', user: 'bob', path: '/plain/doc', jwt: false },
    { title: 'alice on a public (bypass) page of a site with identity_jwt', user: 'alice', path: '/public/page', jwt: true },
    { title: 'bob on a public (bypass) page of a site without identity_jwt', user: 'bob', path: '/plain/public/page', jwt: false },
    { title: 'an anonymous visitor on a public (bypass) page', path: '/public/page', jwt: false },
    { title: 'an anonymous visitor on a public (bypass) page of a site without identity_jwt', path: '/plain/public/page', jwt: false },
  ];

  it.each(cases)('$title, forging every header: the app gets Gatehouse’s identity or none, and nothing forged', async (c) => {
    for (const forged of forgedHeaderSets()) await expectGatehouseIdentityOnly(proxy(proxyName), c, forged);
  });

  async function expectGatehouseIdentityOnly(p: Proxy, c: (typeof cases)[number], forged: [string, string][]) {
    const { response, seen } = await p.send({ path: c.path, headers: [...forged, ['cookie', `theme=dark; ${cookieOf(c.user)}; lang=zh-TW`]] });
    expect(response.status, response.body).toBe(200);
    expect(seen).toBeDefined();
    expect(neverSeen(seen!)).toEqual([]);
    expect(seen!.url).toBe(c.path);

    const expected = c.user ? identityOf(c.user) : undefined;
    for (const name of IDENTITY) expect(valuesOf(seen!, name), name).toEqual(expected ? [expected[name]] : []);

    const jwts = valuesOf(seen!, 'remote-jwt');
    if (!c.jwt) {
      expect(jwts).toEqual([]);
    } else {
      expect(jwts).toHaveLength(1);
      const jwks = createRemoteJWKSet(new URL(`http://127.0.0.1:${h.port}/.well-known/jwks.json`));
      const { payload } = await jwtVerify(jwts[0]!, jwks, { issuer: `http://${PORTAL}/`, audience: p.site, algorithms: ['ES256'] });
      expect(payload.sub).toBe(c.user);
    }
    expect(valuesOf(seen!, 'cookie')).toEqual(['theme=dark; lang=zh-TW']);
  }

  it('sends an anonymous visitor on a protected page to the portal; the app sees nothing', async () => {
    for (const forged of forgedHeaderSets()) {
      const { response, seen } = await proxy(proxyName).send({ path: '/private/x', headers: forged });
      expect(response.status).toBe(302);
      expect(new URL(response.headers.location ?? '').host).toBe(PORTAL);
      expect(seen).toBeUndefined();
    }
  });

  it.each([
    ['Remote-User', 'alice'],
    ['remote_user', 'alice'],
    ['Remote-Groups', 'admins'],
    ['X-Forwarded-User', 'alice'],
    ['X-Original-URL', '/public/x'],
    ['X-Forwarded-Uri', '/public/x'],
    ['X-Forwarded-Method', 'GET'],
  ])('an anonymous visitor sending %s: %s is still sent to the portal', async (name, value) => {
    const { response, seen } = await proxy(proxyName).send({ path: '/private/x', headers: [[name, value]] });
    expect(response.status).toBe(302);
    expect(seen).toBeUndefined();
  });

  // The Cookie header lines sent, and the cookies the app reads (its lines joined with "; ", as
  // Node and most servers do). `duplicate`: two of ours, where nginx passes no cookies at all.
  const T = 'TOKEN';
  const cookieCases: { sent: string[]; expected: string | undefined; duplicate?: true }[] = [
    { sent: [`a=1; ${COOKIE}=${T}; b=2`], expected: 'a=1; b=2' },
    { sent: [`${COOKIE}=${T}; a=1`], expected: 'a=1' },
    { sent: [`a=1; ${COOKIE}=${T}`], expected: 'a=1' },
    { sent: [`${COOKIE}=${T}`], expected: undefined },
    { sent: [`${COOKIE}=${T};`], expected: undefined },
    { sent: [`a=1;${COOKIE}=${T};b=2`], expected: 'a=1;b=2' },
    { sent: [`a=1; ${COOKIE} =${T}; b=2`], expected: 'a=1; b=2' },
    { sent: [`a=1;\t${COOKIE}\t=\t${T};\tb=2`], expected: 'a=1;\tb=2' },
    {
      sent: [`theme=dark; ${COOKIE}_old=1; x${COOKIE}=2; sid="a b"; ${COOKIE}=${T}; q=x=y; empty=`],
      expected: `theme=dark; ${COOKIE}_old=1; x${COOKIE}=2; sid="a b"; q=x=y; empty=`,
    },
    { sent: ['a=1; b=2'], expected: 'a=1; b=2' },
    { sent: [`a=1; ${COOKIE}=${T}`, `b=2; ${COOKIE}=${T}`], expected: 'a=1; b=2', duplicate: true },
    { sent: [`a=1`, `${COOKIE}=${T}; b=2`], expected: 'a=1; b=2' },
    { sent: [`a=1; ${COOKIE}=${T}; b=2; ${COOKIE}=other`], expected: 'a=1; b=2', duplicate: true },
    { sent: [`${COOKIE}=${T}; ${COOKIE}=other; a=1`], expected: 'a=1', duplicate: true },
    { sent: [`${COOKIE}=${T}; ${COOKIE}=other`], expected: undefined, duplicate: true },
  ];

  it.each(cookieCases)('Cookie $sent on a public page: the app gets $expected', async (c) => {
    const p = proxy(proxyName);
    const { response, seen } = await p.send({ path: '/public/cookies', headers: c.sent.map((v) => ['cookie', v] as [string, string]) });
    expect(response.status).toBe(200);
    const expected = c.duplicate && p.duplicateCookie === 'no cookies' ? undefined : c.expected;
    expect(valuesOf(seen!, 'cookie').join('; ') || undefined).toBe(expected);
    expect(neverSeen(seen!)).toEqual([]);
  });

  it('passes the other cookies byte for byte beside a signed-in session, and the app still learns who it is', async () => {
    const others = 'sid="quoted value"; b64=YWJj+/8=; utf=%E9%99%B3; n=';
    const { response, seen } = await proxy(proxyName).send({ path: '/x', headers: [['cookie', `${others}; ${bob}`]] });
    expect(response.status).toBe(200);
    expect(valuesOf(seen!, 'cookie')).toEqual([others]);
    expect(valuesOf(seen!, 'remote-name')).toEqual(['陳柏宇 Bob Chen']);
  });
});

describe.each(nginxConfigs().map(([name, config]) => [name, config] as const))('nginx -t on the %s', (_name, config) => {
  it('accepts the config as printed, without a warning', async () => {
    const text = config();
    const checked = await checkNginxConfig(({ port }) =>
      swapped(text, [
        ['listen 443 ssl', `listen 127.0.0.1:${port} ssl`],
        ['/etc/ssl/example.com.crt', join(dir, 'cert.pem')],
        ['/etc/ssl/example.com.key', join(dir, 'key.pem')],
        ['/etc/nginx/gatehouse-strip-headers.conf', INCLUDED['/etc/nginx/gatehouse-strip-headers.conf']!],
      ]),
    );
    expect(checked.output).toMatch(/test is successful/);
    expect(checked.output).not.toMatch(/\[(warn|emerg|alert|crit|error)\]/);
    expect(checked.ok).toBe(true);
  });
});

describe('the shipped files clear every listed name', () => {
  const strip = readFileSync(INCLUDED['/etc/nginx/gatehouse-strip-headers.conf']!, 'utf8');
  const caddy = readFileSync(INCLUDED['/etc/caddy/gatehouse-forward-auth.caddy']!, 'utf8');

  it('nginx: one proxy_set_header … "" per name (Remote-Jwt is set from the answer instead)', () => {
    const cleared = [...strip.matchAll(/^proxy_set_header\s+(\S+)\s+"";$/gm)].map((m) => m[1]!.toLowerCase());
    expect(cleared.sort()).toEqual(LISTED.filter((n) => n !== 'remote-jwt').sort());
  });

  it('Caddy: one request_header -Name per name, plus every name with "_"', () => {
    const deleted = [...caddy.matchAll(/^request_header\s+-(\S+)$/gm)].map((m) => m[1]!.toLowerCase());
    // Plus the two address headers reverse_proxy leaves as the client sent them.
    expect(deleted.filter((n) => n !== '*_*').sort()).toEqual([...LISTED.filter((n) => n !== 'remote-jwt'), 'x-real-ip', 'x-forwarded-port'].sort());
    expect(deleted).toContain('*_*');
    for (const name of [...IDENTITY, 'remote-jwt']) expect(caddy.toLowerCase()).toContain(`request_header @gatehouse_no_${name.slice('remote-'.length)} -${name}`);
  });
});

/**
 * Traefik is not installed here, so its config is only checked as files: the README's router and
 * deploy/traefik/gatehouse-middlewares.yml parse, the router uses both middlewares in order, and
 * they clear every name the nginx and Caddy configs clear.
 */
describe('Traefik (files only: not run here)', () => {
  const middlewaresFile = join(ROOT, 'deploy/traefik/gatehouse-middlewares.yml');
  const readme = parseYaml(onlyBlock('yaml')) as { http: { routers: Record<string, { middlewares: string[] }> } };
  const file = parseYaml(readFileSync(middlewaresFile, 'utf8')) as {
    http: { middlewares: Record<string, { headers?: { customRequestHeaders: Record<string, string> }; forwardAuth?: Record<string, unknown> }> };
  };

  it('the README names the file and its router asks Gatehouse after clearing the headers', () => {
    expect(readFileSync(README, 'utf8')).toContain('deploy/traefik/gatehouse-middlewares.yml');
    for (const router of Object.values(readme.http.routers)) expect(router.middlewares).toEqual(['gatehouse-strip-headers', 'gatehouse']);
  });

  it('forwardAuth asks /api/authz/forward-auth, copies the identity and Remote-Jwt, and trusts no client X-Forwarded-*', () => {
    const auth = file.http.middlewares.gatehouse!.forwardAuth!;
    expect(String(auth.address)).toMatch(/\/api\/authz\/forward-auth$/);
    expect(auth.authResponseHeaders).toEqual(['Remote-User', 'Remote-Groups', 'Remote-Name', 'Remote-Email', 'Remote-Jwt']);
    expect(auth.trustForwardHeader).not.toBe(true);
  });

  it('the headers middleware removes every listed and identity name, with "-" and with "_"', () => {
    const custom = file.http.middlewares['gatehouse-strip-headers']!.headers!.customRequestHeaders;
    const removed = new Set(
      Object.entries(custom)
        .filter(([, v]) => v === '')
        .map(([k]) => k.toLowerCase()),
    );
    expect(Object.values(custom).every((v) => v === '')).toBe(true);
    const missing = [...IDENTITY, ...LISTED].flatMap((n) => [n, n.replaceAll('-', '_')]).filter((n) => !removed.has(n));
    expect(missing).toEqual([]);
  });
});
