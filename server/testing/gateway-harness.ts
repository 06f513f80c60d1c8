import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseConfigText } from '../config/load-config.js';
import type { Clock } from '../core/clock.js';
import { createSilentLogger, type Logger } from '../core/logger.js';
import type { HashQueue } from '../directory/hash-queue.js';
import { hashPassword, type HashPolicy } from '../directory/password-hash.js';
import { createGateway, type Gateway } from '../gateway.js';
import { cookieFrom, csrfFieldOf, send, type TestResponse } from './http-client.js';
import { startRedisServer, type TestRedisServer } from './redis-server.js';
import { startEchoUpstream } from './upstream-echo.js';
import { testStorage } from './test-storage.js';
import { TEST_HASH_POLICY } from './test-password-hash.js';

export const USERS = {
  alice: { password: 'alice-correct-horse', displayname: 'Alice Liu', email: 'alice@corp.example', groups: ['admins', 'dev'], disabled: false },
  bob: { password: 'bob-battery-staple', displayname: '陳柏宇 Bob Chen', email: 'bob@corp.example', groups: ['dev'], disabled: false },
  carol: { password: 'carol-disabled-pass', displayname: 'Carol', email: 'carol@corp.example', groups: ['dev'], disabled: true },
} as const;

/** Hosts used by the tests; requests go to 127.0.0.1 with these Host headers. */
export const PORTAL = 'auth.localhost';
export const APP = 'app.localhost';
export const WIKI = 'wiki.localhost';
/** Requests from this loopback address come from a registered proxy. */
export const TRUSTED_PROXY = '127.0.0.2';

export function baseConfig(options: { redisUrl: string; usersFile: string; upstreamPort: number }) {
  return {
    server: { host: '127.0.0.1', port: 0, portal_url: `http://${PORTAL}/`, trusted_proxies: [`${TRUSTED_PROXY}/32`] },
    session: { store: 'redis', domain: 'localhost', idle_timeout: '1h', absolute_timeout: '12h', remember_me: '7d', cache_ttl: '10s' },
    // Generous: a busy test machine misses a short deadline and the request fails closed. Tests
    // of the deadline itself set a short one.
    redis: { url: options.redisUrl, timeout: '10s' },
    authentication: { users_file: options.usersFile, watch: true } as {
      users_file: string | undefined;
      watch: boolean;
      ldap?: Record<string, unknown>;
      password_checks?: { concurrency?: number; per_address?: number; max_waiting?: number };
    },
    storage: testStorage(),
    // Lenient, so tests that fail on purpose do not ban each other; regulation tests tighten it.
    regulation: {
      account: { max_retries: 1000, find_time: '10m', ban_time: '15m' },
      address: { max_retries: 1000, find_time: '10m', ban_time: '15m' },
      lockout: { max_failures: 100, find_time: '24h', duration: '1h' as string | number },
    },
    sites: [
      { name: 'app', url: `http://${APP}/`, upstream: `http://127.0.0.1:${options.upstreamPort}` },
      { name: 'docs', url: `http://${APP}/docs/`, upstream: `http://127.0.0.1:${options.upstreamPort}/v2/` },
      { name: 'wiki', url: `http://${WIKI}/` },
    ],
    access_control: {
      default_policy: 'deny',
      networks: { office: ['10.0.0.0/8'] },
      rules: [
        { domain: APP, resources: ['/public/.*'], policy: 'bypass' },
        { domain: APP, resources: ['/admin(/.*)?'], subject: ['group:admins'], policy: 'one_factor' },
        { domain: APP, resources: ['/admin(/.*)?'], policy: 'deny' },
        { domain: APP, resources: ['/secure/.*'], policy: 'two_factor' },
        { domain: [APP, WIKI], policy: 'one_factor' },
      ],
    },
  };
}

export type HarnessConfig = ReturnType<typeof baseConfig>;

/**
 * Writes a users file with cheap test hashes: the directory reading it must be given the same
 * `policy` (startGatewayHarness does). A file for a spawned `gatehouse` needs DEFAULT_HASH_POLICY.
 */
export async function writeUsersFile(
  path: string,
  users: Record<string, { password: string; displayname: string; email: string; groups: readonly string[]; disabled: boolean }>,
  policy: HashPolicy = TEST_HASH_POLICY,
) {
  const out: Record<string, unknown> = {};
  for (const [name, u] of Object.entries(users)) {
    out[name] = { displayname: u.displayname, email: u.email, groups: [...u.groups], disabled: u.disabled, password: await hashPassword(u.password, policy) };
  }
  writeFileSync(path, stringify({ users: out }));
}

/**
 * A gateway with a real Redis and an echo upstream, for HTTP tests of the whole path.
 * `configure` may change the config object before it is parsed; `clock` pins the gateway's time;
 * `hashQueue` replaces the password-hash queue (a test watching the order of checks).
 * Passwords are hashed with `hashPolicy`, cheap unless a test of sign-in timing needs real cost.
 * `redis` shares a Redis with another gateway (a second instance).
 */
export async function startGatewayHarness(
  options: {
    configure?: (config: HarnessConfig) => void;
    logger?: Logger;
    clock?: Clock;
    redis?: TestRedisServer;
    hashQueue?: HashQueue;
    hashPolicy?: HashPolicy;
    notifierOptions?: { backoffMs?: number };
  } = {},
) {
  const hashPolicy = options.hashPolicy ?? TEST_HASH_POLICY;
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  // A Redis given by the caller is shared with another gateway (a second instance) and outlives this one.
  const redis = options.redis ?? (await startRedisServer());
  const upstream = await startEchoUpstream();
  const usersFile = join(dir, 'users.yml');
  await writeUsersFile(usersFile, USERS, hashPolicy);
  const config = baseConfig({ redisUrl: redis.url, usersFile, upstreamPort: upstream.port });
  options.configure?.(config);
  const loaded = parseConfigText(stringify(config), { env: {}, baseDir: dir });
  if (!loaded.ok) throw new Error(`test config invalid:\n${loaded.errors.join('\n')}`);
  const gateway: Gateway = await createGateway(loaded.config, {
    logger: options.logger ?? createSilentLogger(),
    hashPolicy,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.hashQueue ? { hashQueue: options.hashQueue } : {}),
    ...(options.notifierOptions ? { notifierOptions: options.notifierOptions } : {}),
  });
  const { port } = await gateway.listen(0, '127.0.0.1');

  const request = (o: Omit<Parameters<typeof send>[0], 'port'>) => send({ port, ...o });

  const signInForm = () => fetchSignInForm(request);
  const postSignIn = (fields: Record<string, string>, extra: { cookie?: string; origin?: string | null } = {}) => postSignInForm(request, fields, extra);

  /** Signs in and returns the session cookie pair ("gatehouse_session=…"). */
  async function signIn(username: keyof typeof USERS | string, password?: string): Promise<string> {
    const known = USERS[username as keyof typeof USERS];
    const response = await postSignIn({ username, password: password ?? known?.password ?? '' });
    const token = cookieFrom(response, 'gatehouse_session');
    if (response.status !== 303 || !token) {
      // The page's alert says why (busy, unavailable, wrong password): worth having in a failure.
      const alert = /role="alert"[^>]*>([\s\S]*?)<\//.exec(response.body)?.[1]?.replace(/\s+/g, ' ').trim();
      throw new Error(`sign-in of ${username} failed: ${response.status}${alert ? ` (${alert})` : ''}`);
    }
    return `gatehouse_session=${token}`;
  }

  return {
    gateway,
    port,
    redis,
    upstream,
    dir,
    usersFile,
    request,
    signInForm,
    postSignIn,
    signIn,
    async close() {
      await gateway.close();
      await upstream.close();
      if (!options.redis) await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type GatewayHarness = Awaited<ReturnType<typeof startGatewayHarness>>;

type Send = (o: Omit<Parameters<typeof send>[0], 'port'>) => Promise<TestResponse>;

/** Fetches the sign-in page: its CSRF cookie and token. */
export async function fetchSignInForm(request: Send): Promise<{ csrfCookie: string; csrfToken: string; page: TestResponse }> {
  const page = await request({ path: '/', host: PORTAL });
  const csrfCookie = cookieFrom(page, 'gatehouse_csrf');
  const csrfToken = csrfFieldOf(page.body);
  if (!csrfCookie || !csrfToken) throw new Error(`sign-in page without CSRF token (status ${page.status})`);
  return { csrfCookie, csrfToken, page };
}

/** Posts the sign-in form as a browser on the portal would. */
export async function postSignInForm(request: Send, fields: Record<string, string>, extra: { cookie?: string; origin?: string | null } = {}): Promise<TestResponse> {
  const { csrfCookie, csrfToken } = await fetchSignInForm(request);
  const body = new URLSearchParams({ csrf: csrfToken, ...fields }).toString();
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    cookie: [`gatehouse_csrf=${csrfCookie}`, extra.cookie].filter(Boolean).join('; '),
  };
  if (extra.origin !== null) headers.origin = extra.origin ?? `http://${PORTAL}`;
  return request({ method: 'POST', path: '/login', host: PORTAL, headers, body });
}

/** Signs in with a password through any gateway (`request` bound to its port); the session cookie pair. */
export async function signInThrough(request: Send, username: string, password: string): Promise<string> {
  const response = await postSignInForm(request, { username, password });
  const token = cookieFrom(response, 'gatehouse_session');
  if (response.status !== 303 || !token) {
    // The page's alert says why (busy, unavailable, wrong password): worth having in a failure.
    const alert = /role="alert"[^>]*>([\s\S]*?)<\//.exec(response.body)?.[1]?.replace(/\s+/g, ' ').trim();
    throw new Error(`sign-in of ${username} failed: ${response.status}${alert ? ` (${alert})` : ''}`);
  }
  return `gatehouse_session=${token}`;
}

/**
 * A browser on the portal: keeps the session cookie as the gateway rotates it, and posts forms
 * from the portal's origin. `onResponse` sees every answer (a test collecting what was shown).
 */
export function browser(h: Pick<GatewayHarness, 'request'>, cookie: string, onResponse?: (res: TestResponse) => void) {
  let jar = cookie;
  const take = (res: TestResponse) => {
    const token = cookieFrom(res, 'gatehouse_session');
    if (token) jar = `gatehouse_session=${token}`;
    onResponse?.(res);
    return res;
  };
  return {
    get cookie() {
      return jar;
    },
    get: async (path: string, host = PORTAL) => take(await h.request({ path, host, headers: { cookie: jar } })),
    post: async (path: string, fields: Record<string, string>) =>
      take(
        await h.request({
          method: 'POST',
          path,
          host: PORTAL,
          headers: { cookie: jar, origin: `http://${PORTAL}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(fields).toString(),
        }),
      ),
    /** A page script's JSON call (the WebAuthn routes), with the page's CSRF token. */
    json: async (path: string, body: unknown, csrf: string) =>
      take(
        await h.request({
          method: 'POST',
          path,
          host: PORTAL,
          headers: { cookie: jar, origin: `http://${PORTAL}`, 'content-type': 'application/json', 'x-csrf-token': csrf },
          body: JSON.stringify(body),
        }),
      ),
  };
}
export type Browser = ReturnType<typeof browser>;
