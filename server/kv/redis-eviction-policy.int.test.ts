import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../core/logger.js';
import { startRedisServer, type TestRedisServer } from '../testing/redis-server.js';
import { createRedisKv, RedisEvictionPolicyError } from './redis-kv.js';

let redis: TestRedisServer;
let admin: ReturnType<typeof createClient>;
beforeAll(async () => {
  redis = await startRedisServer();
  admin = createClient({ url: redis.url });
  await admin.connect();
});
afterAll(async () => {
  await admin?.quit();
  await redis?.stop();
});

async function connectWithPolicy(policy: string) {
  await admin.configSet('maxmemory-policy', policy);
  const kv = createRedisKv({ logger: createSilentLogger() }, { url: redis.url, database: 0, timeoutSeconds: 2, keyPrefix: 'policy:' });
  try {
    await kv.connect();
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await kv.close();
  }
}

describe('Redis maxmemory-policy check at start', () => {
  it.each(['allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl'])(
    'refuses %s, naming it and the fix',
    async (policy) => {
      const error = await connectWithPolicy(policy);
      expect(error).toBeInstanceOf(RedisEvictionPolicyError);
      expect((error as Error).message).toContain(`"${policy}"`);
      expect((error as Error).message).toContain('noeviction');
    },
  );

  it('accepts noeviction', async () => {
    expect(await connectWithPolicy('noeviction')).toBeUndefined();
  });
});
