import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_HASH_POLICY } from '../directory/password-hash.js';
import { APP, PORTAL, USERS, postSignInForm, signInThrough, writeUsersFile } from '../testing/gateway-harness.js';
import { startGatewayProcess, writeGatewayConfig, type GatewayProcess } from '../testing/gateway-process.js';
import { describeLoad, startLoad, type Probe } from '../testing/load-client.js';
import { startPostgresServer, type TestPostgresServer } from '../testing/postgres-server.js';
import { startRedisServer, type TestRedisServer } from '../testing/redis-server.js';
import { TEST_ENCRYPTION_KEY } from '../testing/test-storage.js';
import { startEchoUpstream } from '../testing/upstream-echo.js';

/**
 * Fault suite: PostgreSQL stopped for 20 s while people sign in, behind two gateway processes.
 * Expected: sign-ins (which read the account's state and devices) fail closed with the clear
 * "temporarily unavailable" page, 503; signed-in users' proxied requests go on (they need only
 * Redis); no 2xx that should not be one; once PostgreSQL is back, everything works again
 * without restarting a gateway. Figures printed and recorded in RELIABILITY.md.
 */
const OUTAGE_MS = 20_000;
const RECOVERY_CEILING_MS = 30_000;
const QUIET_MS = 3_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let postgres: TestPostgresServer;
let redis: TestRedisServer;
let dir: string;
let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-fault-pg-'));
  const usersFile = join(dir, 'users.yml');
  [postgres, redis, upstream] = await Promise.all([startPostgresServer(), startRedisServer(), startEchoUpstream(), writeUsersFile(usersFile, USERS, DEFAULT_HASH_POLICY)]);
  const storage = { postgres: { url: await postgres.createDatabase(), statement_timeout: '2s' }, encryption_keys: [{ id: 'k1', key: TEST_ENCRYPTION_KEY }] };
  // Both at once, each its own process: the migrations take a lock, so one waits for the other.
  await Promise.all(
    [0, 1].map(async () => {
      const { path, port } = await writeGatewayConfig({ dir, usersFile, upstreamPort: upstream.port, redis: { url: redis.url, timeout: '5s' }, storage });
      gateways.push(await startGatewayProcess(path, port, undefined, { untilReady: true }));
    }),
  );
}, 120_000);

afterAll(async () => {
  for (const gateway of gateways) gateway.kill('SIGTERM');
  await Promise.all(gateways.map((g) => g.exited));
  await upstream?.close();
  await redis?.stop();
  await postgres?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('fault: PostgreSQL stopped during sign-ins', () => {
  it('sign-ins fail closed with a clear 503 page, signed-in users go on, and it recovers without a restart', async () => {
    const [a, b] = gateways as [GatewayProcess, GatewayProcess];
    const bob = await signInThrough(a.request, 'bob', USERS.bob.password);
    const outagePages = new Set<string>();
    const signIn = (g: GatewayProcess) => async () => {
      const res = await postSignInForm(g.request, { username: 'alice', password: USERS.alice.password });
      if (res.status === 503) outagePages.add(textOf(res.body));
      return res.status;
    };
    const get = (g: GatewayProcess, host: string, path: string, cookie?: string) => async () => (await g.request({ path, host, headers: cookie ? { cookie } : {} })).status;
    const probes: Probe[] = [
      { name: 'bob proxied on A', send: get(a, APP, '/', bob), expect: [200] },
      { name: 'bob proxied on B', send: get(b, APP, '/docs/page', bob), expect: [200] },
      { name: 'anonymous on B', send: get(b, APP, '/'), expect: [302] },
      { name: 'bob on /admin via A (not his)', send: get(a, APP, '/admin/', bob), expect: [403] },
      // Sign-ins cost a real password hash each: their own loops, at a modest pace.
      { name: 'alice signs in on A', send: signIn(a), expect: [303], pauseMs: 250 },
      { name: 'alice signs in on B', send: signIn(b), expect: [303], pauseMs: 250 },
      // Reads bob's devices from storage.
      { name: "bob's second-factor page on B", send: get(b, PORTAL, `/second-factor?rd=${encodeURIComponent(`http://${APP}/secure/x`)}`, bob), expect: [200], pauseMs: 100 },
    ];
    // A gateway that dies says so, with its output, rather than as refused connections.
    const died: string[] = [];
    for (const [i, g] of gateways.entries())
      void g.exited.then((exit) => died.push(`gateway ${'AB'[i]} exited (${exit.code ?? exit.signal}):\n${exit.stderr.slice(-4000)}\n${exit.stdout.slice(-4000)}`));
    const load = startLoad(probes, { concurrency: 2, pauseMs: 10 });
    await sleep(2000);
    expect(load.report.errors, 'errors before the fault').toBe(0);

    const stoppedAt = Date.now();
    await postgres.pause();
    await sleep(OUTAGE_MS);
    const duringOutage = structuredClone(load.report.byProbe);
    await postgres.resume();
    const resumedAt = Date.now();
    while (Date.now() - Math.max(load.report.lastErrorAt ?? 0, resumedAt) < QUIET_MS && Date.now() - resumedAt < RECOVERY_CEILING_MS + QUIET_MS) await sleep(100);
    const report = await load.stop();
    const recoveredMs = Math.max(0, (report.lastErrorAt ?? resumedAt) - resumedAt);
    console.log(describeLoad('postgresql stopped', report, { outage_ms: resumedAt - stoppedAt, recovered_ms_after_restart: recoveredMs }));
    for (const [name, counts] of Object.entries(report.byProbe)) console.log(`[fault]   ${name}: ${JSON.stringify(counts)}`);

    expect(died).toEqual([]);
    expect(report.wrongSamples).toEqual([]);
    expect(report.wrong).toBe(0);
    // Signed-in users never noticed.
    for (const name of ['bob proxied on A', 'bob proxied on B', 'anonymous on B', 'bob on /admin via A (not his)']) {
      expect(report.byProbe[name]?.errors, name).toBe(0);
      expect(report.byProbe[name]?.ok, name).toBeGreaterThan(0);
    }
    // Sign-ins and device pages did fail during the outage, closed, with the clear page only.
    expect(duringOutage['alice signs in on A']!.errors + duringOutage['alice signs in on B']!.errors).toBeGreaterThan(0);
    expect(duringOutage["bob's second-factor page on B"]!.errors).toBeGreaterThan(0);
    expect(Object.keys(report.errorKinds)).toEqual(['503']);
    expect([...outagePages]).toEqual([expect.stringContaining('Sign-in is temporarily unavailable. Try again in a few minutes.')]);
    // And they work again, on both gateways, neither restarted.
    expect(Date.now() - (report.lastErrorAt ?? 0)).toBeGreaterThanOrEqual(QUIET_MS);
    expect(recoveredMs).toBeLessThan(RECOVERY_CEILING_MS);
    for (const g of gateways) {
      expect(await signIn(g)()).toBe(303);
      expect(g.stdout()).not.toMatch(/gatehouse could not start/);
    }
  }, 180_000);
});

function textOf(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
