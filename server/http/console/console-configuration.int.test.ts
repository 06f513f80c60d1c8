import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEverySecret } from '../../config/testing/every-secret.js';
import { startGatewayHarness, type GatewayHarness } from '../../testing/gateway-harness.js';
import { startRedisServer, type TestRedisServer } from '../../testing/redis-server.js';
import { addConsoleUsers, consoleRequest, MINUTE, sessionFor } from './testing/console-harness.js';

/**
 * The configuration page through the whole gateway. The gateway runs with a known value in every
 * secret the schema has room for at once (the Redis asks for the password in its URL), and the
 * page, in both languages, must contain none of them.
 */
const secrets = createEverySecret();
let redis: TestRedisServer;
let h: GatewayHarness;

beforeAll(async () => {
  redis = await startRedisServer();
  execFileSync('redis-cli', ['-p', String(redis.port), 'CONFIG', 'SET', 'requirepass', secrets.markers.redisUrlPassword!]);
  h = await startGatewayHarness({
    redis,
    configure: (c) => {
      secrets.apply(c as never, { redis: { url: redis.url }, sms: 'webhook', ldap: false, postgres: false });
      // redis.password and the URL's password both exist; the URL's is the one Redis knows.
      (c as { redis: Record<string, unknown> }).redis.password = secrets.markers.redisUrlPassword;
      Object.assign(c, { admin: { auditor_group: 'auditors' } });
    },
  });
  await addConsoleUsers(h);
});
afterAll(async () => {
  await h?.close();
  await redis?.stop();
});

describe('the configuration page', () => {
  it('shows every section, with no secret value, in English and Traditional Chinese', async () => {
    const alice = await sessionFor(h, 'alice', { kind: 'totp', ageMs: MINUTE });
    for (const lang of ['en', 'zh-TW']) {
      const res = await consoleRequest(h, 'GET', '/configuration', alice, { headers: { cookie: `${alice.cookie}; gatehouse_lang=${lang}` } });
      expect(res.status).toBe(200);
      for (const [name, value] of Object.entries(secrets.markers)) {
        if (name.startsWith('twilio') || name.startsWith('ldap') || name.startsWith('postgres') || name.startsWith('sentinel')) continue;
        expect(res.body, name).not.toContain(value);
      }
      for (const section of ['server', 'session', 'redis', 'authentication', 'storage', 'second_factors', 'smtp', 'audit', 'identity_jwt', 'access_control']) {
        expect(res.body).toContain(`id="config-${section}"`);
      }
    }
  });

  it('shows what is not secret, and where a secret was', async () => {
    const alice = await sessionFor(h, 'alice', { kind: 'totp', ageMs: MINUTE });
    const { body } = await consoleRequest(h, 'GET', '/configuration', alice);
    expect(body).toContain(`<code>redis://:••••@127.0.0.1:${redis.port}</code>`);
    expect(body).toContain('<code>http://auth.localhost/</code>');
    expect(body).toContain('<code>keys[0].private_key</code></th><td data-label="Value"><code>••••</code> <span class="meta">(secret hidden)</span>');
    expect(body).toContain('<code>http://127.0.0.1:9/••••</code>');
    expect(body).toContain('<code>encryption_keys[1].id</code></th><td data-label="Value"><code>shown-id</code>');
    expect(body).toContain('Gatehouse does not reload its configuration');
    expect(body).toContain('href="/console/configuration" aria-current="page"');
  });

  it('shows when the users file was read, and how its last re-read ended', async () => {
    const alice = await sessionFor(h, 'alice', { kind: 'totp', ageMs: MINUTE });
    // addConsoleUsers rewrote the file: reloaded, with its users counted — or, when the watcher
    // heard that one write twice (seen at load 30), read again and found unchanged.
    let { body } = await consoleRequest(h, 'GET', '/configuration', alice);
    expect(body).toContain(`<code>${h.usersFile}</code>`);
    expect(body).toMatch(/Last re-read: (reloaded, 6 users|read again, nothing had changed) — <time datetime="/);

    writeFileSync(h.usersFile, 'users:\n  zed:\n    displayname: ""\n    password: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g"\n');
    for (let i = 0; i < 200; i++) {
      ({ body } = await consoleRequest(h, 'GET', '/configuration', alice));
      if (body.includes('invalid; the last good users are kept')) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(body).toContain('invalid; the last good users are kept');
    expect(body).toContain('users.zed.displayname');
    expect(body).not.toContain('aGFzaGhhc2hoYXNoaGFzaGhhc2g');
    // The last good users still sign in.
    expect(h.gateway.ctx.directory.findUser('erin')).toBeDefined();
    await addConsoleUsers(h);
  });

  it('an auditor may read it; a user outside the admin groups and an anonymous visitor may not', async () => {
    const dave = await sessionFor(h, 'dave', { kind: 'webauthn', ageMs: MINUTE });
    const read = await consoleRequest(h, 'GET', '/configuration', dave);
    expect(read.status).toBe(200);
    expect(read.body).toContain('Auditor (read only)');
    const bob = await sessionFor(h, 'bob', { kind: 'totp', ageMs: 0 });
    const refused = await consoleRequest(h, 'GET', '/configuration', bob);
    expect(refused.status).toBe(403);
    expect(refused.body).not.toContain('redis://');
    const anonymous = await consoleRequest(h, 'GET', '/configuration');
    expect(anonymous.status).toBe(303);
    expect(anonymous.body).not.toContain('redis://');
  });
});
