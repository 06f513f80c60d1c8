import { createClient, type RedisClientType } from 'redis';
import { StoreUnavailableError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { openSentinelClient, type SentinelClient, type SentinelOptions } from './redis-sentinel-client.js';
import { type RedisTlsOptions, tlsSocketOptions } from './redis-tls.js';

export interface RedisConnectionOptions {
  /** One fixed node; ignored when `sentinel` is given. */
  url: string;
  /** TLS: with `url`, for a `rediss://` url; with `sentinel`, to the sentinels and the data nodes. */
  tls?: RedisTlsOptions;
  /** Find the master through these sentinels instead. */
  sentinel?: SentinelOptions;
  username?: string;
  password?: string;
  database: number;
  timeoutSeconds: number;
}

type PlainClient = RedisClientType<{}, {}, {}, 3, {}>;

/** What Gatehouse uses of a Redis connection. */
export type RedisClient = Pick<PlainClient, 'get' | 'set' | 'getDel' | 'del' | 'eval' | 'sRem' | 'zRem' | 'zCount' | 'sMembers' | 'publish' | 'ping' | 'info' | 'isReady'> & {
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  unsubscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
  connect(): Promise<unknown>;
  destroy(): unknown;
};

/**
 * One node-redis connection set up to fail fast (through Sentinel when configured, see
 * redis-sentinel-client.ts): no offline queue (commands refuse at once
 * while disconnected), a bounded connect, and reconnection forever with capped backoff.
 * node-redis drops its own per-command timeout once a command is written, so a hung server
 * is caught by an idle limit: PING every half timeout keeps a healthy socket busy, and a
 * socket silent for 1.5 timeouts (a stopped server, a handshake that never answers) is
 * destroyed and reconnected. The caller still races each command against its own deadline.
 */
export function openRedisClient(deps: { logger: Logger }, options: RedisConnectionOptions & { probeChannel: string }, role: string): RedisClient {
  const timeoutMs = Math.max(1, Math.round(options.timeoutSeconds * 1000));
  const logger = deps.logger.child({ component: 'redis', role, ...(options.sentinel ? { sentinel: options.sentinel.masterName } : {}) });
  if (options.sentinel) {
    const client = openSentinelClient({ ...options, sentinel: options.sentinel }, { timeoutMs, reconnectDelay });
    watchConnection(client, logger);
    return client;
  }
  const client: PlainClient = createClient({
    url: options.url,
    username: options.username,
    password: options.password,
    database: options.database,
    disableOfflineQueue: true,
    pingInterval: Math.max(50, Math.floor(timeoutMs / 2)),
    socket: {
      ...(options.tls ? tlsSocketOptions(options.tls) : {}),
      connectTimeout: timeoutMs,
      socketTimeout: Math.ceil(timeoutMs * 1.5),
      reconnectStrategy: (retries: number) => reconnectDelay(retries),
    },
  });
  watchConnection(client, logger);
  return client;
}

/** Connections of the claims client: claims waiting on a slow replica do not all queue behind one. */
const CLAIM_CONNECTIONS = 4;

/**
 * The Sentinel connections for `replicated` claims (see Replicated in kv.ts), apart from the
 * main one: WAIT blocks the connection it is sent on for up to its timeout, and the session
 * reads of the proxied hot path must not wait behind it. No subscriptions on these.
 */
export function openClaimsClient(deps: { logger: Logger }, options: RedisConnectionOptions & { sentinel: SentinelOptions; probeChannel: string }): SentinelClient {
  const timeoutMs = Math.max(1, Math.round(options.timeoutSeconds * 1000));
  const logger = deps.logger.child({ component: 'redis', role: 'claims', sentinel: options.sentinel.masterName });
  const client = openSentinelClient(options, { timeoutMs, reconnectDelay }, { subscriptions: false, masterPoolSize: CLAIM_CONNECTIONS });
  watchConnection(client, logger);
  return client;
}

/** 100 ms, doubling, capped at 2 s, with jitter so instances do not reconnect in step. */
export function reconnectDelay(retries: number): number {
  return Math.min(100 * 2 ** Math.min(retries, 5), 2000) + Math.floor(Math.random() * 100);
}

/**
 * Without an 'error' listener node-redis errors would crash the process. Log the change of
 * state once (lost, restored), not every failed reconnection attempt.
 */
function watchConnection(client: Pick<RedisClient, 'on'>, logger: Logger): void {
  let down = false;
  let everReady = false;
  client.on('error', (error: unknown) => {
    if (down) {
      logger.debug({ err: describeError(error) }, 'redis still unavailable');
      return;
    }
    down = true;
    logger.warn({ err: describeError(error) }, everReady ? 'redis connection lost; reconnecting' : 'redis connection failed; retrying');
  });
  client.on('ready', () => {
    if (down) logger.info('redis connection restored');
    down = false;
    everReady = true;
  });
}

/** Name, code and message only: never the options, which hold the password. */
export function describeError(error: unknown): { name: string; message: string; code?: string } {
  if (!(error instanceof Error)) return { name: 'unknown', message: String(error) };
  const code = (error as NodeJS.ErrnoException).code;
  return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
}

export class DeadlineError extends StoreUnavailableError {}

/** Settles with the promise, or rejects with DeadlineError after `ms`. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`redis ${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Resolves once the client is ready; rejects with StoreUnavailableError after `ms`. */
export function whenReady(client: RedisClient, ms: number): Promise<void> {
  if (client.isReady) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new StoreUnavailableError(`redis: not connected within ${ms} ms`));
    }, ms);
    client.once('ready', onReady);
  });
}
