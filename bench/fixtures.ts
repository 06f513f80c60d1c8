import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { systemClock } from '../server/core/clock.js';
import { createSilentLogger } from '../server/core/logger.js';
import { DEFAULT_HASH_POLICY, hashPassword, type HashPolicy, type PasswordHashSettings } from '../server/directory/password-hash.js';
import { createRedisKv } from '../server/kv/redis-kv.js';
import { createSessionStore } from '../server/session/session-store.js';
import type { SessionUser } from '../server/session/session.js';

/** Hosts of the bench config; every request goes to 127.0.0.1 with one of these Host headers. */
export const PORTAL_HOST = 'auth.localhost';
export const APP_HOST = 'app.localhost';
export const WIKI_HOST = 'wiki.localhost';

/** Users whose sessions the proxied traffic carries, and the one the login storm signs in. */
const USERS = {
  alice: { displayname: 'Alice Liu', email: 'alice@corp.example', groups: ['admins', 'dev'], password: 'alice-bench-password' },
  bob: { displayname: '陳柏宇 Bob Chen', email: 'bob@corp.example', groups: ['dev'], password: 'bob-bench-password' },
  storm: { displayname: 'Storm Trooper', email: 'storm@corp.example', groups: ['dev'], password: 'storm-bench-password' },
} as const;

export const STORM_USER = { username: 'storm', password: USERS.storm.password };

/** The users file, hashed with the gateway's profile (the default, or storm.ts's --profile). */
export async function writeUsersFile(path: string, policy: HashPolicy = DEFAULT_HASH_POLICY): Promise<void> {
  const users: Record<string, unknown> = {};
  for (const [name, u] of Object.entries(USERS)) {
    users[name] = { displayname: u.displayname, email: u.email, groups: [...u.groups], disabled: false, password: await hashPassword(u.password, policy) };
  }
  writeFileSync(path, stringify({ users }));
}

/**
 * The gateway's config (bench/gateway-process.ts adds a storage section where the schema
 * needs one): defaults wherever the product has one (cache_ttl 10 s, idle 1 h,
 * Redis timeout 2 s), Redis sessions, and a policy shaped like a real one, so that a proxied
 * request passes a bypass and an admin rule before its one_factor rule matches.
 */
export function writeGatewayConfig(
  path: string,
  options: { port: number; redisUrl: string; usersFile?: string; ldap?: Record<string, unknown>; upstreamPort: number; passwordHash?: PasswordHashSettings },
): void {
  const config = {
    server: { host: '127.0.0.1', port: options.port, portal_url: `http://${PORTAL_HOST}/`, trusted_proxies: ['127.0.0.1/32'] },
    log: { level: 'info' },
    session: { store: 'redis', domain: 'localhost' },
    redis: { url: options.redisUrl },
    // The users file, or an LDAP directory instead (bench/ldap.ts).
    authentication: options.ldap ? { ldap: options.ldap } : { users_file: options.usersFile, ...(options.passwordHash ? { password_hash: options.passwordHash } : {}) },
    // The sign-in page in its heaviest form, with the passkey button and its script: what
    // login_page_js_gz_bytes measures (bench/page-assets.ts). The sign-in POST is the same.
    second_factors: { webauthn: { passwordless: true } },
    sites: [
      { name: 'app', url: `http://${APP_HOST}/`, upstream: `http://127.0.0.1:${options.upstreamPort}` },
      { name: 'wiki', url: `http://${WIKI_HOST}/` },
    ],
    access_control: {
      default_policy: 'deny',
      rules: [
        { domain: [APP_HOST, WIKI_HOST], resources: ['/public/.*'], policy: 'bypass' },
        { domain: [APP_HOST, WIKI_HOST], resources: ['/admin(/.*)?'], subject: ['group:admins'], policy: 'one_factor' },
        { domain: [APP_HOST, WIKI_HOST], resources: ['/admin(/.*)?'], policy: 'deny' },
        { domain: [APP_HOST, WIKI_HOST], policy: 'one_factor' },
      ],
    },
  };
  writeFileSync(path, stringify(config));
}

/**
 * Signed-in sessions made through the product's own session store, in the Redis the gateway
 * uses, spread over the users (alice and bob of the users file, or `people`): the Cookie
 * header value of each, one per line, after `cookies` already made another way.
 */
export async function createSessions(options: { redisUrl: string; count: number; cookieFile: string; people?: SessionUser[]; cookies?: string[] }): Promise<void> {
  const logger = createSilentLogger();
  const kv = createRedisKv({ logger }, { url: options.redisUrl, database: 0, timeoutSeconds: 2, keyPrefix: 'gatehouse:' });
  await kv.connect();
  const store = createSessionStore({ kv, clock: systemClock, logger }, { idleTimeout: 3600, absoluteTimeout: 12 * 3600, rememberMe: 0, cacheTtl: 10 });
  const people =
    options.people ??
    (['alice', 'bob'] as const).map((username) => ({
      username,
      displayName: USERS[username].displayname,
      email: USERS[username].email,
      groups: [...USERS[username].groups],
    }));
  const lines: string[] = [...(options.cookies ?? [])];
  for (let i = lines.length; i < options.count; i++) {
    const { token } = await store.create({ user: people[i % people.length]!, factor: { kind: 'password', at: Date.now() }, rememberMe: false });
    lines.push(`other=1; gatehouse_session=${token}; theme=dark`);
  }
  writeFileSync(options.cookieFile, lines.join('\n') + '\n');
  await store.close();
  await kv.close();
}
