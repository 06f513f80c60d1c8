import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_HASH_POLICY } from '../directory/password-hash.js';
import { APP, USERS, signInThrough, writeUsersFile } from '../testing/gateway-harness.js';
import { builtGatehouseMain } from '../testing/gatehouse-tree.js';
import { startGatewayProcess, writeGatewayConfig, type GatewayProcess } from '../testing/gateway-process.js';
import { send } from '../testing/http-client.js';
import { startRedisServer, type TestRedisServer } from '../testing/redis-server.js';
import { TEST_ENCRYPTION_KEY } from '../testing/test-storage.js';

/**
 * `gatehouse serve` with `server.workers: 2`, as an operator runs it: a primary process and two
 * workers on one port. A worker killed is replaced while the port keeps answering; SIGTERM lets
 * a slow request in flight finish before the processes exit 0; sessions outlive a restart;
 * workers that cannot start make the primary give up instead of restarting them forever.
 */
let redis: TestRedisServer;
let dir: string;
let usersFile: string;
let upstream: Server;
let upstreamPort: number;
/** Requests to /slow wait here until the test lets them go. */
const held: Array<() => void> = [];
const arrived: string[] = [];
/** The built gatehouse the processes run (gatehouse-tree.ts). */
let main: string;
/** Every gateway started, stopped at the end should a test fail before it stops its own. */
const started: GatewayProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-workers-'));
  usersFile = join(dir, 'users.yml');
  upstream = createServer((req: IncomingMessage, res: ServerResponse) => {
    arrived.push(req.url ?? '');
    const answer = () => res.end(`answered ${req.url}`);
    if (req.url?.startsWith('/slow')) held.push(answer);
    else answer();
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamPort = (upstream.address() as AddressInfo).port;
  [redis, main] = await Promise.all([startRedisServer(), builtGatehouseMain(), writeUsersFile(usersFile, { alice: USERS.alice }, DEFAULT_HASH_POLICY)]);
}, 120_000);

afterAll(async () => {
  held.splice(0).forEach((answer) => answer());
  for (const g of started) g.kill('SIGKILL');
  upstream?.closeAllConnections();
  await new Promise((resolve) => upstream?.close(resolve));
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

let databases = 0;
async function startWorkers(change: (c: Record<string, any>) => void = () => {}): Promise<GatewayProcess & { configPath: string }> {
  const { path, port } = await writeGatewayConfig({
    dir,
    usersFile,
    upstreamPort,
    redis: { url: redis.url, timeout: '5s' },
    storage: { path: join(dir, `gatehouse-${++databases}.db`), encryption_keys: [{ id: 'k1', key: TEST_ENCRYPTION_KEY }] },
    change: (c) => {
      Object.assign(c.server, { workers: 2, drain_timeout: '30s' });
      change(c);
    },
  });
  return startGateway(path, port, /(worker listening[\s\S]*){2}/);
}

async function startGateway(configPath: string, port: number, ready: RegExp): Promise<GatewayProcess> {
  const g = await startGatewayProcess(configPath, port, ready, { main });
  started.push(g);
  return g;
}

/** Pids of the workers the primary reports listening, in order. */
function listeningPids(g: GatewayProcess): number[] {
  return [...g.stdout().matchAll(/"pid":(\d+)[^\n]*"msg":"worker listening"/g)].map((m) => Number(m[1]));
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The status, or why there is none: a refused or reset connection, or no answer within 10 s. */
function answerOf(response: Promise<{ status: number }>): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('no answer'), 10_000)));
  return Promise.race([
    response.then(
      (r) => r.status,
      (error: NodeJS.ErrnoException) => error.code ?? 'error',
    ),
    hang,
  ]).finally(() => clearTimeout(timer));
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('gatehouse serve with server.workers: 2', () => {
  // One gateway's life, told in order: a worker killed and replaced, the whole gateway stopped
  // and started again (the session outlives it), then stopped during a slow request. Each
  // start is three processes (the primary and two workers), so the tests share them.
  let first: Awaited<ReturnType<typeof startWorkers>>;
  let second: GatewayProcess;
  let cookie: string;

  it('a worker killed with SIGKILL: the port keeps answering, and the worker is replaced', async () => {
    const g = (first = await startWorkers());
    try {
      cookie = await signInThrough(g.request, 'alice', USERS.alice.password);
      const [victim, survivor] = listeningPids(g) as [number, number];
      expect(victim).not.toBe(survivor);
      expect(victim).not.toBe(g.pid);

      process.kill(victim, 'SIGKILL');
      // Straight after the kill, before any replacement: every request answered (by the
      // survivor), none left hanging on the dead worker.
      const statuses: Array<number | string> = [];
      for (let i = 0; i < 20; i++) statuses.push(await answerOf(g.request({ path: '/', host: APP, headers: { cookie } })));
      expect(statuses).toEqual(Array(20).fill(200));

      await waitFor(() => listeningPids(g).length === 3, 'a replacement worker');
      const replacement = listeningPids(g)[2]!;
      expect([victim, survivor, g.pid]).not.toContain(replacement);
      expect(isAlive(replacement)).toBe(true);
      expect(g.stdout()).toMatch(/"msg":"worker exited; starting another"/);
      expect((await g.request({ path: '/', host: APP, headers: { cookie } })).status).toBe(200);
    } finally {
      g.kill('SIGTERM');
    }
    const exit = await g.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
  }, 180_000);

  it('a gateway restarted: the session signed in before still works', async () => {
    expect(cookie, 'the previous test signed in').toBeDefined();
    second = await startGateway(first.configPath, first.port, /(worker listening[\s\S]*){2}/);
    expect((await second.request({ path: '/', host: APP, headers: { cookie } })).status).toBe(200);
    // And an unknown cookie still is not a session.
    expect((await second.request({ path: '/', host: APP, headers: { cookie: 'gatehouse_session=' + 'B'.repeat(43) } })).status).toBe(302);
  }, 180_000);

  it('SIGTERM during a slow request: no new connections, the request completes, then every process exits 0', async () => {
    const g = second;
    expect(g, 'the previous test started the gateway again').toBeDefined();
    const pids = listeningPids(g);
    expect(pids).toHaveLength(2);
    const slow = g.request({ path: '/slow/report', host: APP, headers: { cookie } });
    await waitFor(() => arrived.includes('/slow/report'), 'the slow request upstream');

    g.kill('SIGTERM');
    await waitFor(() => /draining: letting requests in flight finish/.test(g.stdout()), 'the worker to drain');
    // Stopped accepting: a new connection is refused while the slow request is still in flight.
    await waitFor(
      () =>
        send({ port: g.port, path: '/healthz', host: `127.0.0.1:${g.port}` }).then(
          () => false,
          (error: NodeJS.ErrnoException) => error.code === 'ECONNREFUSED',
        ),
      'new connections to be refused',
    );
    expect(held).toHaveLength(1);
    held.shift()!();

    const answer = await slow;
    expect([answer.status, answer.body]).toEqual([200, 'answered /slow/report']);
    expect(answer.headers.connection).toBe('close');
    const exit = await g.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.stdout).not.toMatch(/cut off|killing it/);
    expect(exit.stderr).not.toMatch(/still running/);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  }, 180_000);

  it('workers that fail at start: the primary gives up after three in a row, exit 1 with the reason', async () => {
    const path = join(dir, 'newer.db');
    const db = new BetterSqlite3(path);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    db.exec("INSERT INTO schema_migrations VALUES (999, 'from-the-future', 0)");
    db.close();
    const { path: configPath, port } = await writeGatewayConfig({
      dir,
      usersFile,
      upstreamPort,
      redis: { url: redis.url },
      storage: { path, encryption_keys: [{ id: 'k1', key: TEST_ENCRYPTION_KEY }] },
      change: (c) => Object.assign(c.server, { workers: 2 }),
    });
    const g = await startGateway(configPath, port, /starting worker processes/);
    const exit = await g.exited;
    expect(exit.signal).toBeNull();
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/cannot start: the database is at schema version 999/);
    expect(exit.stderr).toMatch(/3 worker processes in a row exited before they listened \(last: exit code 1\); giving up/);
    expect(exit.stdout).not.toMatch(/gatehouse is listening/);
  }, 180_000);
});
