import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeKey } from '../config/schema.js';
import { createSilentLogger } from '../core/logger.js';
import { DEFAULT_HASH_POLICY } from '../directory/password-hash.js';
import { openSqliteStorage } from '../storage/sqlite-storage.js';
import { getFreePort } from '../testing/free-port.js';
import { USERS, writeUsersFile } from '../testing/gateway-harness.js';
import { builtGatehouseMain } from '../testing/gatehouse-tree.js';
import { send } from '../testing/http-client.js';
import { startRedisServer, type TestRedisServer } from '../testing/redis-server.js';
import { spawnGatehouse, type GatehouseExit } from '../testing/spawn-gatehouse.js';
import { TEST_ENCRYPTION_KEY } from '../testing/test-storage.js';

/**
 * `gatehouse serve` as a container runs it. A start that cannot succeed must end the process
 * by itself, non-zero and with the reason: a supervisor (Docker, Kubernetes, systemd) restarts
 * a process that exits, never one that idles with its Redis connections open and no port bound.
 */
let redis: TestRedisServer;
let dir: string;
let goodUsers: string;
/** Nothing listens here: Redis "unreachable at start". */
let deadRedisUrl: string;
/** The built gatehouse (gatehouse-tree.ts): node on a tree laid out as dist/, as the image runs it. */
let main: string;

beforeAll(async () => {
  [redis, main] = await Promise.all([startRedisServer(), builtGatehouseMain()]);
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-serve-'));
  goodUsers = join(dir, 'users.yml');
  // Read by a spawned gatehouse, which accepts only hashes of the product's own cost.
  await writeUsersFile(goodUsers, { alice: USERS.alice }, DEFAULT_HASH_POLICY);
  deadRedisUrl = `redis://127.0.0.1:${await getFreePort()}`;
  // The first file to need the built tree builds it.
}, 120_000);
afterAll(async () => {
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

let configs = 0;
/** Writes a config of its own (own database, own port) and returns its path. */
async function writeConfig(change: (config: Record<string, any>) => void = () => {}): Promise<{ path: string; port: number }> {
  const port = await getFreePort();
  const config: Record<string, any> = {
    server: { host: '127.0.0.1', port, portal_url: 'http://auth.localhost/' },
    session: { store: 'redis', domain: 'localhost' },
    redis: { url: redis.url, timeout: '1s' },
    authentication: { users_file: goodUsers },
    storage: { path: join(dir, `gatehouse-${++configs}.db`), encryption_keys: [{ id: 'k1', key: TEST_ENCRYPTION_KEY }] },
    sites: [{ name: 'app', url: 'http://app.localhost/', upstream: 'http://127.0.0.1:9' }],
    access_control: { default_policy: 'deny', rules: [{ domain: 'app.localhost', policy: 'one_factor' }] },
  };
  change(config);
  const path = join(dir, `gatehouse-${configs}.yml`);
  writeFileSync(path, stringify(config));
  return { path, port };
}

function expectFailedStart(exit: GatehouseExit, reason: RegExp) {
  // Killed by the safety net means it did not end by itself: the bug this file is about.
  expect(exit.signal, `gatehouse did not exit by itself\nstdout:\n${exit.stdout}\nstderr:\n${exit.stderr}`).toBeNull();
  expect(exit.code).toBe(1);
  expect(exit.stderr).toMatch(reason);
  // It ended because everything it opened was closed, not because main.ts's last resort fired.
  expect(exit.stderr).not.toMatch(/still running/);
  expect(exit.stdout).not.toMatch(/gatehouse is listening/);
}

describe('gatehouse serve: a start that cannot succeed ends the process', () => {
  const cases: Array<[string, () => Promise<(config: Record<string, any>) => void>, RegExp]> = [
    [
      'invalid users file (Redis up)',
      async () => {
        const users = join(dir, 'broken-users.yml');
        writeFileSync(users, 'users: [alice\n');
        return (c) => (c.authentication.users_file = users);
      },
      /cannot start: users file .*broken-users\.yml is invalid/,
    ],
    [
      'invalid users file with Redis unreachable (connections still retrying)',
      async () => {
        const users = join(dir, 'broken-users-2.yml');
        writeFileSync(users, 'users: [alice\n');
        return (c) => {
          c.authentication.users_file = users;
          c.redis.url = deadRedisUrl;
        };
      },
      /cannot start: users file .*broken-users-2\.yml is invalid/,
    ],
    [
      'database written by a newer Gatehouse (migration refused)',
      async () => {
        const path = join(dir, 'newer.db');
        const db = new BetterSqlite3(path);
        db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
        db.exec("INSERT INTO schema_migrations VALUES (999, 'from-the-future', 0)");
        db.close();
        return (c) => (c.storage.path = path);
      },
      /cannot start: the database is at schema version 999/,
    ],
    [
      'database file that is not a database',
      async () => {
        const path = join(dir, 'garbage.db');
        writeFileSync(path, 'this is not an SQLite database, it is a text file long enough to have a header\n'.repeat(20), { mode: 0o600 });
        return (c) => (c.storage.path = path);
      },
      /cannot start: .*not a database/,
    ],
    [
      'secrets sealed under a key the config no longer lists',
      async () => {
        const path = join(dir, 'sealed.db');
        await sealDeviceUnder('old', path);
        return (c) => {
          c.storage.path = path;
          c.storage.encryption_keys = [{ id: 'new', key: TEST_ENCRYPTION_KEY }];
        };
      },
      /cannot start: storage: secrets in .*sealed under key id "old"/,
    ],
  ];

  it.each(cases)(
    '%s → exit 1 with the reason',
    async (_name, prepare, reason) => {
      const { path } = await writeConfig(await prepare());
      const exit = await spawnGatehouse(['serve', '--config', path], { main }).exited;
      expectFailedStart(exit, reason);
    },
    90_000,
  );

  it.each([
    ['unknown config key', (c: Record<string, any>) => (c.server.colour = 'blue'), /server\.colour: unknown key/],
    [
      'unreadable key file',
      (c: Record<string, any>) => (c.storage.encryption_keys = [{ id: 'k1', key_file: join(dir, 'missing-key') }]),
      /encryption_keys\[0\]\.key_file: cannot read ".*missing-key" \(ENOENT\)/,
    ],
  ])(
    'config error: %s → exit 1 with the path of the problem',
    async (_name, change, reason) => {
      const { path } = await writeConfig(change);
      const exit = await spawnGatehouse(['serve', '--config', path], { main }).exited;
      expect(exit.signal).toBeNull();
      expect(exit.code).toBe(1);
      expect(exit.stderr).toMatch(reason);
    },
    90_000,
  );

  it('port already in use → exit 1 naming the address, nothing left running', async () => {
    const { path, port } = await writeConfig();
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
    try {
      const exit = await spawnGatehouse(['serve', '--config', path], { main }).exited;
      expectFailedStart(exit, new RegExp(`cannot start: listen EADDRINUSE.*127\\.0\\.0\\.1:${port}`));
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  }, 90_000);
});

describe('gatehouse serve: starts that succeed', () => {
  it('a good config listens, answers /healthz and /readyz, and exits 0 on SIGTERM', async () => {
    const { path, port } = await writeConfig();
    const gatehouse = spawnGatehouse(['serve', '--config', path], { main });
    try {
      await gatehouse.waitForOutput(/gatehouse is listening/);
      expect((await send({ port, path: '/healthz', host: `127.0.0.1:${port}` })).status).toBe(200);
      expect((await send({ port, path: '/readyz', host: `127.0.0.1:${port}` })).status).toBe(200);
    } finally {
      gatehouse.kill('SIGTERM');
    }
    const exit = await gatehouse.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.stderr).not.toMatch(/still running/);
  }, 90_000);

  // By design: Redis away at start is an outage like any other, not a configuration error.
  // The gateway starts, says it is not ready, and recovers once Redis answers.
  it('Redis unreachable at start is not fatal: it listens, /readyz says 503, SIGTERM still exits 0', async () => {
    const { path, port } = await writeConfig((c) => (c.redis.url = deadRedisUrl));
    const gatehouse = spawnGatehouse(['serve', '--config', path], { main });
    try {
      await gatehouse.waitForOutput(/gatehouse is listening/);
      expect(gatehouse.stdout()).toMatch(/Redis is not reachable yet/);
      expect((await send({ port, path: '/healthz', host: `127.0.0.1:${port}` })).status).toBe(200);
      expect((await send({ port, path: '/readyz', host: `127.0.0.1:${port}` })).status).toBe(503);
    } finally {
      gatehouse.kill('SIGTERM');
    }
    const exit = await gatehouse.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.stderr).not.toMatch(/still running/);
  }, 90_000);
});

/** A database from before a key was dropped: the schema, and one TOTP seed sealed under `keyId`. */
async function sealDeviceUnder(keyId: string, path: string): Promise<void> {
  const storage = openSqliteStorage({ path, keys: [{ id: keyId, key: decodeKey(TEST_ENCRYPTION_KEY)! }] }, { logger: createSilentLogger() });
  const device = { username: 'alice', kind: 'totp', name: 'phone', secret: Buffer.alloc(20, 7), algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true } as const;
  await storage.otpDevices.create(device, Date.now());
  storage.close();
}
