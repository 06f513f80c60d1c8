import { readFileSync } from 'node:fs';
import type { RedisConfig } from '../config/schema.js';
import type { RedisTlsOptions } from './redis-tls.js';
import type { RedisKvOptions } from './redis-kv.js';

/**
 * The Kv options a loaded config asks for: one url, or the sentinels that name the master.
 * Reads the TLS files named in `redis.tls`; throws an Error naming the key and the file when one
 * cannot be read, so that a start fails with that message rather than a TLS error later.
 */
export function redisOptionsFromConfig(r: RedisConfig): RedisKvOptions {
  return {
    url: r.url,
    ...(r.tls ? { tls: readTlsFiles(r.tls) } : {}),
    ...(r.sentinel
      ? {
          sentinel: {
            masterName: r.sentinel.master_name,
            nodes: r.sentinel.nodes,
            username: r.sentinel.username,
            password: r.sentinel.password,
            minReplicasAcknowledged: r.sentinel.min_replicas_acknowledged,
            waitTimeoutMs: Math.max(1, Math.round(r.sentinel.wait_timeout * 1000)),
          },
        }
      : {}),
    username: r.username,
    password: r.password,
    database: r.database,
    timeoutSeconds: r.timeout,
    keyPrefix: r.key_prefix,
  };
}

/** Where Redis is, for messages: never a password. */
export function describeRedisTarget(r: RedisConfig): string {
  const tls = r.tls ? `, TLS${r.tls.server_name ? ` (certificates for ${r.tls.server_name})` : ''}` : '';
  if (!r.sentinel) return `${r.url}${tls}`;
  return `master "${r.sentinel.master_name}" of sentinels ${r.sentinel.nodes.map((n) => (n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`)).join(', ')}${tls}`;
}

function readTlsFiles(tls: NonNullable<RedisConfig['tls']>): RedisTlsOptions {
  const read = (key: 'ca_file' | 'client_cert_file' | 'client_key_file') => {
    const file = tls[key];
    if (file === undefined) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(`redis.tls.${key}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  };
  const [ca, cert, key] = [read('ca_file'), read('client_cert_file'), read('client_key_file')];
  return {
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined && key !== undefined ? { cert, key } : {}),
    ...(tls.server_name !== undefined ? { serverName: tls.server_name } : {}),
  };
}
