import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import webpush from 'web-push';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../config/load-config.js';
import { createSilentLogger } from '../core/logger.js';
import { DEFAULT_HASH_POLICY } from '../directory/password-hash.js';
import { askAgain, SECURE } from '../factors/push/testing/push-harness.js';
import { createSoftCompanion, type SoftCompanion } from '../factors/push/testing/soft-companion.js';
import { createGateway } from '../gateway.js';
import { APP, PORTAL, USERS, browser, signInThrough, writeUsersFile } from '../testing/gateway-harness.js';
import { startGatewayProcess, writeGatewayConfig, type GatewayProcess } from '../testing/gateway-process.js';
import { send } from '../testing/http-client.js';
import { startPostgresServer, type TestPostgresServer } from '../testing/postgres-server.js';
import { startRedisServer, type TestRedisServer } from '../testing/redis-server.js';
import { TEST_ENCRYPTION_KEY } from '../testing/test-storage.js';
import { startEchoUpstream } from '../testing/upstream-echo.js';

/**
 * Fault suite: the gateway that started a push sign-in is killed (SIGKILL, no drain) between
 * the push and the phone's answer. Two `gatehouse serve` processes share Redis (pending
 * approvals, sessions) and PostgreSQL (the phone). Expected: the phone, its event stream
 * gone with the dead gateway, reconnects to the other one and is shown the pending approval;
 * its answer and the browser's completion go through the other gateway; the sign-in completes
 * once, and only once.
 */
const EVENTS = '/api/push/v1/events';

let postgres: TestPostgresServer;
let redis: TestRedisServer;
let dir: string;
let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-fault-push-'));
  const usersFile = join(dir, 'users.yml');
  [postgres, redis, upstream] = await Promise.all([
    startPostgresServer(),
    startRedisServer(),
    startEchoUpstream(),
    writeUsersFile(usersFile, { alice: USERS.alice }, DEFAULT_HASH_POLICY),
  ]);
  const vapid = webpush.generateVAPIDKeys();
  const storage = { postgres: { url: await postgres.createDatabase() }, encryption_keys: [{ id: 'k1', key: TEST_ENCRYPTION_KEY }] };
  for (let i = 0; i < 2; i++) {
    const { path, port } = await writeGatewayConfig({
      dir,
      usersFile,
      upstreamPort: upstream.port,
      redis: { url: redis.url, timeout: '5s' },
      storage,
      change: (c) =>
        (c.second_factors = { push: { enabled: true, ttl: '5m', vapid: { public_key: vapid.publicKey, private_key: vapid.privateKey, subject: 'mailto:security@corp.example' } } }),
    });
    gateways.push(await startGatewayProcess(path, port, undefined, { untilReady: true }));
  }
}, 120_000);

afterAll(async () => {
  for (const gateway of gateways) gateway.kill('SIGTERM');
  await Promise.all(gateways.map((g) => g.exited));
  await upstream?.close();
  await redis?.stop();
  await postgres?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * An "Add phone" link is made for a signed-in user on the methods page; here a gateway of the
 * test's own, on the same Redis and database, makes one directly. The phone enrolls over HTTP.
 */
async function enrollPhone(through: GatewayProcess, username: string): Promise<SoftCompanion> {
  const loaded = parseConfigText(readFileSync(through.configPath, 'utf8'), { env: {}, baseDir: dir });
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const helper = await createGateway(loaded.config, { logger: createSilentLogger() });
  try {
    const { token } = await helper.ctx.push!.startEnrollment(username);
    const phone = createSoftCompanion();
    const res = await through.request({
      method: 'POST',
      path: '/api/push/v1/enroll',
      host: PORTAL,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, publicKey: phone.publicKey, name: 'Phone', subscription: phone.subscription }),
    });
    if (res.status !== 201) throw new Error(`enrollment failed: ${res.status} ${res.body}`);
    phone.deviceId = JSON.parse(res.body).deviceId;
    return phone;
  } finally {
    await helper.close();
  }
}

/** The companion's event stream: events as they arrive, and whether the stream has ended. */
function openEvents(port: number, phone: SoftCompanion) {
  const events: Array<{ event: string; data: Record<string, unknown> }> = [];
  let ended = false;
  let response: IncomingMessage | undefined;
  const req = httpRequest({ host: '127.0.0.1', port, path: `${EVENTS}?${phone.query(EVENTS)}`, headers: { host: PORTAL, accept: 'text/event-stream' }, agent: false }, (res) => {
    response = res;
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    });
    res.on('close', () => (ended = true));
    res.on('error', () => (ended = true));
  });
  req.on('error', () => (ended = true));
  req.end();
  return {
    events,
    ended: () => ended,
    close: () => response?.destroy(),
  };
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('fault: a gateway killed in the middle of a push approval', () => {
  it('the approval is shown, answered and completed through the other gateway, once', async () => {
    const [a, b] = gateways as [GatewayProcess, GatewayProcess];
    const phone = await enrollPhone(b, 'alice');
    const streamOnA = openEvents(a.port, phone);
    await waitFor(() => streamOnA.events.some((e) => e.event === 'time'), 'the event stream on A');

    // The sign-in starts on A: password, then "send a push to my phone".
    const userOnA = browser({ request: a.request }, await signInThrough(a.request, 'alice', USERS.alice.password));
    const { approvalId, number, csrf } = await askAgain(userOnA, phone);
    expect(approvalId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    await waitFor(() => streamOnA.events.some((e) => e.event === 'approval' && e.data.approvalId === approvalId), 'the approval on A’s stream');

    const killedAt = Date.now();
    a.kill('SIGKILL');
    expect((await a.exited).signal).toBe('SIGKILL');
    await waitFor(streamOnA.ended, 'A’s stream to end');

    // The phone reconnects, to B, and is shown what is still waiting for it (without the number).
    const streamOnB = openEvents(b.port, phone);
    try {
      await waitFor(() => streamOnB.events.some((e) => e.event === 'approval' && e.data.approvalId === approvalId), 'the approval on B’s stream');
      expect(streamOnB.events.find((e) => e.event === 'approval')!.data).not.toHaveProperty('number');

      const answer = JSON.stringify(phone.answer(approvalId, 'approve', number));
      const answered = await send({
        port: b.port,
        method: 'POST',
        path: `/api/push/v1/approvals/${approvalId}`,
        host: PORTAL,
        headers: { 'content-type': 'application/json' },
        body: answer,
      });
      expect([answered.status, JSON.parse(answered.body).result]).toEqual([200, 'approved']);

      // The browser, whose page was served by A, completes through B (the load balancer's choice now).
      const userOnB = browser({ request: b.request }, userOnA.cookie);
      const done = await userOnB.post(`/second-factor/push/${approvalId}/complete`, { csrf, rd: SECURE });
      expect([done.status, done.headers.location]).toEqual([303, SECURE]);
      const completedMs = Date.now() - killedAt;
      expect((await userOnB.get('/secure/vault', APP)).status).toBe(200);
      console.log(`[fault] gateway killed mid-push: approval shown on the other gateway, answered and completed through it, ${completedMs} ms after the kill`);

      // Once only: the same answer, and the same completion, do not count twice.
      const replayedAnswer = await send({
        port: b.port,
        method: 'POST',
        path: `/api/push/v1/approvals/${approvalId}`,
        host: PORTAL,
        headers: { 'content-type': 'application/json' },
        body: answer,
      });
      expect(replayedAnswer.status).not.toBe(200);
      const stranger = browser({ request: b.request }, await signInThrough(b.request, 'alice', USERS.alice.password));
      const replayedCompletion = await stranger.post(`/second-factor/push/${approvalId}/complete`, { csrf, rd: SECURE });
      expect(replayedCompletion.headers.location).not.toBe(SECURE);
      expect((await stranger.get('/secure/vault', APP)).status).toBe(302);
    } finally {
      streamOnB.close();
    }
  }, 180_000);
});
