import type { RedisConfig } from '../config/schema.js';
import type { RedisKvOptions } from './redis-kv.js';

/** The Kv options a loaded config asks for: one url, or the sentinels that name the master. */
export function redisOptionsFromConfig(r: RedisConfig): RedisKvOptions {
  return {
    url: r.url,
    ...(r.sentinel ? { sentinel: { masterName: r.sentinel.master_name, nodes: r.sentinel.nodes, username: r.sentinel.username, password: r.sentinel.password } } : {}),
    username: r.username,
    password: r.password,
    database: r.database,
    timeoutSeconds: r.timeout,
    keyPrefix: r.key_prefix,
  };
}

/** Where Redis is, for messages: never a password. */
export function describeRedisTarget(r: RedisConfig): string {
  if (!r.sentinel) return r.url;
  return `master "${r.sentinel.master_name}" of sentinels ${r.sentinel.nodes.map((n) => (n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`)).join(', ')}`;
}
