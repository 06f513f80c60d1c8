import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../testing/capture-io.js';
import { APP, USERS, baseConfig, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';
import { LOOKUP_ONLY_HASH, TEST_HASH_POLICY } from '../testing/test-password-hash.js';
import type { Config } from '../config/schema.js';
import { openAdminDeps } from './open-admin-deps.js';
import { runSessionsCommand, runUsersCommand } from './users.js';

/**
 * The admin commands against a running gateway's own Redis and database, each opening them as a
 * separate process would: what they change is seen by the gateway at once.
 */
let h: GatewayHarness;
let configPath: string;
beforeAll(async () => {
  h = await startGatewayHarness();
  configPath = join(h.dir, 'cli.yml');
  writeFileSync(configPath, stringify(baseConfig({ redisUrl: h.redis.url, usersFile: h.usersFile, upstreamPort: h.upstream.port })));
});
afterAll(() => h?.close());

async function run(command: 'users' | 'sessions', args: string[], withConfig = true) {
  const { io, out, err } = captureIo();
  const runCommand = command === 'users' ? runUsersCommand : runSessionsCommand;
  // Opened as the command opens them, but reading the harness's cheap test hashes.
  const open = (config: Config, path: string) => openAdminDeps(config, path, { hashPolicy: TEST_HASH_POLICY });
  const code = await runCommand(withConfig ? [...args, '--config', configPath] : args, {}, io, { actor: 'cli:tester', open });
  return { code, out: out(), err: err() };
}

const lastEventId = async () => (await h.gateway.ctx.storage.auditEvents.query({ limit: 1 }))[0]?.id ?? 0;
const adminEventsAfter = async (id: number) => (await h.gateway.ctx.storage.auditEvents.after(id, 1000)).filter((e) => e.kind.startsWith('admin.'));
const reachesApp = async (cookie: string) => (await h.request({ path: '/', host: APP, headers: { cookie } })).status === 200;

describe('gatehouse users / sessions: bad input', () => {
  it.each([
    ['users', []],
    ['users', ['frobnicate', 'bob']],
    ['users', ['show']],
    ['users', ['show', 'bob', 'alice']],
    ['users', ['list', 'bob']],
    ['users', ['unlock', 'bob', '--reason', 'x']],
    ['users', ['show', 'bob', '--search', 'x']],
    ['users', ['disable', 'bob', '--all']],
    ['users', ['list', '--bogus']],
    ['sessions', []],
    ['sessions', ['list']],
    ['sessions', ['revoke', 'bob']],
    ['sessions', ['revoke', 'bob', 'AAAAAAAAAAAAAAAA', '--all']],
    ['sessions', ['revoke', '--all']],
    ['sessions', ['kill', 'bob']],
  ] as const)('%s %j → exit 2 with the usage', async (command, args) => {
    const result = await run(command, [...args]);
    expect(result.code).toBe(2);
    expect(result.err).toContain('Usage:');
    expect(result.out).toBe('');
  });

  it('needs a config file', async () => {
    const result = await run('users', ['list'], false);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/--config FILE/);
  });

  it.each([
    ['users', ['show', 'nobody'], /no such user/],
    ['users', ['unlock', 'nobody'], /no such user/],
    ['users', ['disable', 'NOBODY', '--reason', 'x'], /no such user/],
    ['sessions', ['list', 'nobody'], /no such user/],
    ['sessions', ['revoke', 'bob', 'AAAAAAAAAAAAAAAA'], /no live session/],
    ['sessions', ['revoke', 'bob', '../../etc'], /no live session/],
  ] as const)('%s %j → exit 2: %s, nothing recorded', async (command, args, message) => {
    const before = await lastEventId();
    const result = await run(command, [...args]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(await adminEventsAfter(before)).toEqual([]);
  });

  it('refuses a config whose sessions live in memory (exit 1)', async () => {
    const memoryConfig = join(h.dir, 'memory.yml');
    const config = baseConfig({ redisUrl: h.redis.url, usersFile: h.usersFile, upstreamPort: h.upstream.port });
    config.session.store = 'memory';
    writeFileSync(memoryConfig, stringify(config));
    const { io, err } = captureIo();
    expect(await runUsersCommand(['list', '--config', memoryConfig], {}, io)).toBe(1);
    expect(err()).toMatch(/session\.store is "memory"/);
  });
});

describe('gatehouse users / sessions: actions on the running gateway', () => {
  it('users list and show print the status as tables', async () => {
    const list = await run('users', ['list']);
    expect(list.code).toBe(0);
    const lines = list.out.trim().split('\n');
    expect(lines[0]).toMatch(/^USER\s+NAME\s+STATUS\s+FACTORS\s+LAST SIGN-IN$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['alice', 'bob', 'carol']);
    expect(lines[3]).toContain('disabled (users file)');
    expect((await run('users', ['list', '--search', 'corp.example'])).out.trim().split('\n')).toHaveLength(4);
    expect((await run('users', ['list', '--search', 'zzz'])).out).toMatch(/No user matches/);

    const show = await run('users', ['show', 'ALICE']);
    expect(show.code).toBe(0);
    expect(show.out).toMatch(/^user:\s+alice$/m);
    expect(show.out).toMatch(/^groups:\s+admins, dev$/m);
    expect(show.out).toMatch(/^status:\s+active$/m);
  });

  it('users unlock ends a lock set by the gateway, and is audited as the CLI user', async () => {
    await h.gateway.ctx.regulator.lock('bob', { reason: 'admin', actor: 'test' });
    expect((await run('users', ['show', 'bob'])).out).toMatch(/^status:\s+locked/m);
    const before = await lastEventId();
    const result = await run('users', ['unlock', 'bob']);
    expect([result.code, result.out]).toEqual([0, 'bob unlocked.\n']);
    expect(await h.gateway.ctx.regulator.isLocked('bob')).toBe(false);
    expect((await adminEventsAfter(before)).map((e) => [e.kind, e.actor, e.subject])).toEqual([['admin.unlock', 'cli:tester', 'bob']]);
    expect((await run('users', ['unlock', 'bob'])).out).toBe('bob was not locked.\n');
  });

  it('users disable ends the sessions the gateway serves (over Redis), users enable lifts it', async () => {
    const cookie = await h.signIn('bob');
    expect(await reachesApp(cookie)).toBe(true);
    const before = await lastEventId();
    const result = await run('users', ['disable', 'bob', '--reason', 'laptop stolen']);
    expect([result.code, result.out]).toEqual([0, 'bob disabled, 1 session ended.\n']);
    await expect.poll(() => reachesApp(cookie), { timeout: 2000, interval: 20 }).toBe(false);
    expect(await h.gateway.ctx.storage.accountStates.get('bob')).toMatchObject({ disabledBy: 'cli:tester', reason: 'laptop stolen' });
    expect((await run('users', ['list', '--search', 'bob'])).out).toMatch(/bob\s+.*\s+disabled\s/);
    expect((await run('users', ['enable', 'bob'])).out).toBe('bob enabled.\n');
    expect(await h.gateway.ctx.storage.accountStates.get('bob')).toBeUndefined();
    expect((await adminEventsAfter(before)).map((e) => e.kind)).toEqual(['admin.disable', 'admin.enable']);
  });

  it('sessions list shows ids without tokens; revoke ID ends that one; revoke --all the rest', async () => {
    const first = await h.signIn('bob');
    const second = await h.signIn('bob');
    const list = await run('sessions', ['list', 'bob']);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^ID\s+SIGNED IN\s+LAST ACTIVE\s+EXPIRES\s+FACTORS\s+REMEMBER$/m);
    for (const cookie of [first, second]) expect(list.out).not.toContain(cookie.split('=')[1]);
    const id = h.gateway.ctx.sessions.idOf(first.split('=')[1]!)!;
    expect(list.out).toContain(id);

    const before = await lastEventId();
    expect((await run('sessions', ['revoke', 'bob', id])).out).toBe(`Session ${id} of bob ended.\n`);
    await expect.poll(() => reachesApp(first), { timeout: 2000, interval: 20 }).toBe(false);
    expect(await reachesApp(second)).toBe(true);
    const all = await run('sessions', ['revoke', 'bob', '--all']);
    expect(all.code).toBe(0);
    expect(all.out).toMatch(/^\d+ sessions? of bob ended\.\n$/);
    await expect.poll(() => reachesApp(second), { timeout: 2000, interval: 20 }).toBe(false);
    expect((await run('sessions', ['list', 'bob'])).out).toBe('bob has no live session.\n');
    expect((await adminEventsAfter(before)).map((e) => [e.kind, e.details.scope])).toEqual([
      ['admin.session_revoke', 'one'],
      ['admin.session_revoke', 'all'],
    ]);
  });

  it('users reset-factors removes the factors and ends the sessions', async () => {
    const { storage } = h.gateway.ctx;
    await storage.otpDevices.create(
      { username: 'bob', kind: 'totp', name: 'phone', secret: Buffer.alloc(20, 1), algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
      Date.now(),
    );
    expect((await run('users', ['show', 'bob'])).out).toMatch(/^factors:\s+totp:1$/m);
    const cookie = await h.signIn('bob');
    const result = await run('users', ['reset-factors', 'bob']);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/every second factor removed, 1 session ended/);
    expect(await storage.otpDevices.listForUser('bob')).toEqual([]);
    await expect.poll(() => reachesApp(cookie), { timeout: 2000, interval: 20 }).toBe(false);
  });

  it('the gatehouse binary runs the command (spawned with tsx)', async () => {
    // The binary reads the users file as the product does, which refuses the harness's cheap
    // hashes: it gets the same users with a hash of the product's parameters.
    const usersFile = join(h.dir, 'cli-users.yml');
    writeFileSync(
      usersFile,
      stringify({
        users: Object.fromEntries(
          Object.entries(USERS).map(([name, u]) => [name, { displayname: u.displayname, email: u.email, groups: [...u.groups], disabled: u.disabled, password: LOOKUP_ONLY_HASH }]),
        ),
      }),
    );
    const spawnedConfig = join(h.dir, 'cli-spawned.yml');
    writeFileSync(spawnedConfig, stringify(baseConfig({ redisUrl: h.redis.url, usersFile, upstreamPort: h.upstream.port })));
    const main = fileURLToPath(new URL('../main.ts', import.meta.url));
    const tsx = createRequire(import.meta.url).resolve('tsx');
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', tsx, main, 'users', 'list', '--search', 'alice', '--config', spawnedConfig], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk));
      child.on('error', reject);
      child.on('close', (exit) => resolve({ code: exit, out: text }));
    });
    expect(code).toBe(0);
    expect(out).toMatch(/^alice\s+Alice Liu\s+active/m);
  }, 120_000); // a ceiling: starting Node with tsx takes half a minute on a busy machine
});
