import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_HASH_POLICY } from '../directory/password-hash.js';
import { APP, PORTAL, USERS, signInThrough, writeUsersFile } from '../testing/gateway-harness.js';
import { builtGatehouseMain } from '../testing/gatehouse-tree.js';
import { startGatewayProcess, writeGatewayConfig, type GatewayProcess } from '../testing/gateway-process.js';
import { startRedisServer, type TestRedisServer } from '../testing/redis-server.js';
import { TEST_ENCRYPTION_KEY } from '../testing/test-storage.js';

const PROMTOOL = '/usr/bin/promtool';

/**
 * /metrics of `gatehouse serve` with `server.workers: 2`: whichever worker a scrape lands on,
 * it counts every worker's requests. Each worker is made to serve a known share on its own by
 * stopping the other (SIGSTOP: a stopped process does not accept, so the kernel hands every new
 * connection to the one still running), so a scrape that counted one worker only would show
 * that worker's share, never the total.
 */
let redis: TestRedisServer;
let dir: string;
let upstream: Server;
let g: GatewayProcess;
let cookie: string;
let workers: [number, number];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-workers-metrics-'));
  const usersFile = join(dir, 'users.yml');
  upstream = createServer((req, res) => res.end(`answered ${req.url}`));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const [started, main] = await Promise.all([startRedisServer(), builtGatehouseMain(), writeUsersFile(usersFile, { alice: USERS.alice }, DEFAULT_HASH_POLICY)]);
  redis = started;
  const { path, port } = await writeGatewayConfig({
    dir,
    usersFile,
    upstreamPort: (upstream.address() as AddressInfo).port,
    redis: { url: redis.url, timeout: '5s' },
    storage: { path: join(dir, 'gatehouse.db'), encryption_keys: [{ id: 'k1', key: TEST_ENCRYPTION_KEY }] },
    change: (c) => Object.assign(c.server, { workers: 2 }),
  });
  // Run as the image runs it: node on the built tree (gatehouse-tree.ts).
  g = await startGatewayProcess(path, port, /(worker listening[\s\S]*){2}/, { main });
  workers = [...g.stdout().matchAll(/"pid":(\d+)[^\n]*"msg":"worker listening"/g)].map((m) => Number(m[1])) as [number, number];
  cookie = await signInThrough(g.request, 'alice', USERS.alice.password);
}, 120_000);

afterAll(async () => {
  // Never leave a worker stopped: it would not drain, and the primary would wait for it.
  for (const pid of workers ?? []) signal(pid, 'SIGCONT');
  if (g) {
    g.kill('SIGTERM');
    await g.exited;
  }
  upstream?.closeAllConnections();
  await new Promise((resolve) => upstream?.close(resolve));
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

const scrape = () => g.request({ path: '/metrics', host: PORTAL });

/** A sample's value in an exposition, 0 when the series is absent (no request of the kind yet). */
function sampleOf(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}
const ALLOWED = 'gatehouse_access_decisions_total{route="proxy",decision="allow"}';
const TIMED = 'gatehouse_request_duration_seconds_count{route="proxy"}';
const LOGIN = 'gatehouse_access_decisions_total{route="proxy",decision="login"}';

/** `count` proxied requests, each on a new connection, while `stopped` cannot accept: all served by the other worker. */
async function sendWhileStopped(stopped: number, count: number, headers: Record<string, string>): Promise<number[]> {
  signal(stopped, 'SIGSTOP');
  try {
    const statuses: number[] = [];
    for (let i = 0; i < count; i++) statuses.push((await g.request({ path: `/page/${i}`, host: APP, headers })).status);
    return statuses;
  } finally {
    signal(stopped, 'SIGCONT');
  }
}

describe('/metrics with server.workers: 2', () => {
  let body: string;

  it('counts the requests of both workers, whichever worker answers the scrape', async () => {
    expect(workers).toHaveLength(2);
    const before = await scrape();
    expect(before.status).toBe(200);
    const [first, second] = workers;
    // 7 served by the second worker alone, 12 by the first alone, 5 anonymous ones by the second.
    expect(await sendWhileStopped(first, 7, { cookie })).toEqual(Array(7).fill(200));
    expect(await sendWhileStopped(second, 12, { cookie })).toEqual(Array(12).fill(200));
    expect(await sendWhileStopped(first, 5, {})).toEqual(Array(5).fill(302));

    // Several scrapes, each on a new connection, so both workers answer some of them.
    for (let i = 0; i < 8; i++) {
      const after = await scrape();
      expect(after.status).toBe(200);
      expect(after.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(sampleOf(after.body, ALLOWED) - sampleOf(before.body, ALLOWED), `scrape ${i}`).toBe(19);
      expect(sampleOf(after.body, TIMED) - sampleOf(before.body, TIMED), `scrape ${i}`).toBe(24);
      expect(sampleOf(after.body, LOGIN) - sampleOf(before.body, LOGIN), `scrape ${i}`).toBe(5);
      body = after.body;
    }
  }, 120_000);

  it('merges into one series per name and labels, passing promtool check metrics', () => {
    expect(body).toBeDefined();
    const series = body
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => l.slice(0, l.lastIndexOf(' ')));
    expect(series.length).toBeGreaterThan(50);
    expect(series.filter((s, i) => series.indexOf(s) !== i)).toEqual([]);
    const types = body.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(types.filter((t, i) => types.indexOf(t) !== i)).toEqual([]);
    // Both workers' process figures are in the sum; a version stays one sample.
    expect(sampleOf(body, 'gatehouse_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(body.match(/^gatehouse_nodejs_version_info\{/gm)).toHaveLength(1);
    if (!existsSync(PROMTOOL)) throw new Error(`${PROMTOOL} not found: this test needs the Debian package prometheus (apt-get install prometheus)`);
    const lint = spawnSync(PROMTOOL, ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
  });

  it('a worker that cannot answer fails the scrape (503) instead of a partial sum, and the next scrape is whole again', async () => {
    const [first, second] = workers;
    const whole = await scrape();
    signal(second, 'SIGSTOP');
    let during;
    try {
      // Lands on the first worker (the second accepts nothing); the primary waits for the second in vain.
      during = await scrape();
    } finally {
      signal(second, 'SIGCONT');
    }
    expect(during.status).toBe(503);
    expect(during.body).not.toMatch(/gatehouse_/);
    // The primary's log line reaches this process through a pipe, maybe after the answer did.
    await g.waitForOutput(/1 worker\(s\) did not answer within 5000 ms/);
    const after = await scrape();
    expect(after.status).toBe(200);
    expect(sampleOf(after.body, ALLOWED)).toBe(sampleOf(whole.body, ALLOWED));
    expect([first, second].every((pid) => pid > 0)).toBe(true);
  }, 120_000);
});
