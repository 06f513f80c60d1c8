import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from 'redis';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../config/schema.js';
import { openAdminDeps } from '../commands/open-admin-deps.js';
import { runSessionsCommand } from '../commands/users.js';
import { captureIo } from '../testing/capture-io.js';
import { APP, baseConfig, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';
import { startSentinelSet, type TestSentinelSet } from '../testing/redis-sentinel.js';
import { TEST_HASH_POLICY } from '../testing/test-password-hash.js';

/**
 * A gateway whose Redis is found through Sentinel, and an admin command opened from a config
 * file the same way: sessions, their revocation broadcast and the CLI all go through it.
 */
const DATA_PASSWORD = 'data-node-secret';
const SENTINEL_PASSWORD = 'sentinel-secret';

let set: TestSentinelSet;
let h: GatewayHarness;
let configPath: string;

function sentinelRedis() {
  return {
    sentinel: { master_name: set.masterName, nodes: set.sentinels.map((n) => `${n.host}:${n.port}`), password: SENTINEL_PASSWORD },
    password: DATA_PASSWORD,
    timeout: '10s',
  };
}

beforeAll(async () => {
  set = await startSentinelSet({ password: DATA_PASSWORD, sentinelPassword: SENTINEL_PASSWORD });
  h = await startGatewayHarness({ configure: (c) => Object.assign(c, { redis: sentinelRedis() }) });
  configPath = join(h.dir, 'cli.yml');
  writeFileSync(
    configPath,
    stringify({ ...baseConfig({ redisUrl: 'unused', usersFile: h.usersFile, upstreamPort: h.upstream.port }), redis: sentinelRedis(), storage: h.gateway.ctx.config.storage }),
  );
});
afterAll(async () => {
  await h?.close();
  await set?.stop();
});

describe('the gateway with redis.sentinel', () => {
  it('signs in, proxies, and ends the session at once when the CLI (through the sentinels too) revokes it', async () => {
    const cookie = await h.signIn('alice');
    // Twice: the second answer comes from the gateway's session cache, which only a broadcast clears.
    for (let i = 0; i < 2; i++) expect((await h.request({ path: '/', host: APP, headers: { cookie } })).status).toBe(200);
    // Nothing in the single Redis the harness also started: everything lives behind the sentinels.
    const plain = createClient({ url: h.redis.url });
    await plain.connect();
    expect(await plain.dbSize()).toBe(0);
    plain.destroy();

    const { io, out, err } = captureIo();
    const open = (config: Config, path: string) => openAdminDeps(config, path, { hashPolicy: TEST_HASH_POLICY });
    const code = await runSessionsCommand(['revoke', 'alice', '--all', '--config', configPath], {}, io, { actor: 'cli:tester', open });
    expect([code, err()]).toEqual([0, '']);
    expect(out()).toMatch(/1 session of alice ended/);

    let status = 0;
    for (let i = 0; i < 100 && status !== 302; i++) {
      status = (await h.request({ path: '/', host: APP, headers: { cookie } })).status;
      if (status !== 302) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toBe(302);
  });
});
