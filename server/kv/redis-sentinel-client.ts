import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createSentinel } from 'redis';
import type { RedisClient, RedisConnectionOptions } from './redis-client.js';
import { tlsSocketOptions } from './redis-tls.js';

export interface SentinelOptions {
  /** The name the sentinels monitor the master under. */
  masterName: string;
  nodes: ReadonlyArray<{ host: string; port: number }>;
  /** The sentinels' own credentials; the data nodes' are the connection's username and password. */
  username?: string;
  password?: string;
  /** Replicas that must confirm a `replicated` claim (WAIT); 0: none asked for. */
  minReplicasAcknowledged?: number;
  /** How long WAIT waits for them, in ms. */
  waitTimeoutMs?: number;
}

/** A Sentinel connection that can also write and WAIT on one socket (see `writeThenWait`). */
export type SentinelClient = RedisClient & {
  /**
   * `SET key value PX ms NX` (with `value`) or `GETDEL key` (without), then `WAIT replicas
   * timeout`, as one pipeline on one master connection; resolves with the write's reply and the
   * number of replicas that confirmed it. WAIT counts the replicas that have every earlier write
   * of its own connection, so it must follow the write on the same socket: sent separately, it
   * could reach a new master on a fresh connection after a failover and count replicas that
   * never saw the write. When the connection breaks mid-pipeline the library sends both again
   * to the new master, which keeps the pair together.
   */
  writeThenWait(write: { key: string; value?: string; ttlMs?: number }, replicas: number, timeoutMs: number): Promise<[reply: string | null, acknowledged: number]>;
};

/** The commands the Kv sends; the Sentinel client routes each to the current master. */
const COMMANDS = ['get', 'set', 'getDel', 'del', 'eval', 'sRem', 'zRem', 'zCount', 'sMembers', 'publish', 'ping', 'info'] as const;
type CommandName = (typeof COMMANDS)[number];

/** How often a lost subscription is checked for being back (see `confirmSubscriptions`). */
const PROBE_INTERVAL_MS = 250;
/** A periodic look at the sentinels, in case a +switch-master message was missed. */
const SCAN_INTERVAL_MS = 10_000;

/**
 * A connection to whichever data node the sentinels call master, through node-redis's own
 * Sentinel client: it asks the sentinels, follows their +switch-master messages, re-asks
 * when a write meets a READONLY replica, and moves its subscriptions to the new master.
 * Commands sent during a failover wait for the new master inside the client; the caller's
 * deadline still bounds them, and the gateway fails closed meanwhile.
 *
 * Two gaps of the library are filled here, so the Kv sees the same events as from a plain
 * client: its first connect gives up after a number of tries (this one keeps trying, like
 * a plain client's reconnect strategy), and a subscription connection that drops and comes
 * back to the same master emits nothing (this one emits 'ready' once a message published
 * after the drop has come through, which is when caches fed by broadcasts must be cleared).
 */
export function openSentinelClient(
  options: RedisConnectionOptions & { sentinel: SentinelOptions; probeChannel: string },
  timing: { timeoutMs: number; reconnectDelay: (retries: number) => number },
  use: { subscriptions: boolean; masterPoolSize: number } = { subscriptions: true, masterPoolSize: 1 },
): SentinelClient {
  const { sentinel: s, timeoutMs } = { ...options, timeoutMs: timing.timeoutMs };
  const socket = { ...(options.tls ? tlsSocketOptions(options.tls) : {}), connectTimeout: timeoutMs, socketTimeout: Math.ceil(timeoutMs * 1.5) };
  const sentinel = createSentinel({
    name: s.masterName,
    sentinelRootNodes: s.nodes.map(({ host, port }) => ({ host, port })),
    nodeClientOptions: {
      username: options.username,
      password: options.password,
      database: options.database,
      disableOfflineQueue: true,
      pingInterval: Math.max(50, Math.floor(timeoutMs / 2)),
      socket: { ...socket, reconnectStrategy: timing.reconnectDelay },
    },
    sentinelClientOptions: { username: s.username, password: s.password, socket },
    scanInterval: SCAN_INTERVAL_MS,
    masterPoolSize: use.masterPoolSize,
  });
  const events = new EventEmitter();
  let closed = false;
  let probing: NodeJS.Timeout | undefined;
  let nonce = '';

  sentinel.on('error', (error: unknown) => {
    events.emit('error', error);
    if (use.subscriptions) confirmSubscriptions();
  });
  sentinel.on('ready', () => events.emit('ready'));

  const onProbe = (message: string) => {
    if (probing === undefined || message !== nonce) return;
    clearInterval(probing);
    probing = undefined;
    events.emit('ready');
  };

  /**
   * After any error the subscription connection may have dropped and come back without a
   * word, losing what was published meanwhile. Publish a fresh nonce on a channel of our own
   * until it arrives: from then on nothing published is missed, and 'ready' tells the
   * subscribers to drop what they cached.
   */
  function confirmSubscriptions(): void {
    if (closed || probing !== undefined) return;
    probing = setInterval(() => {
      if (!sentinel.isReady) return;
      nonce = randomBytes(8).toString('hex');
      sentinel.publish(options.probeChannel, nonce).catch(() => undefined);
    }, PROBE_INTERVAL_MS);
    probing.unref();
  }

  async function connect(): Promise<void> {
    for (let attempt = 0; !closed; attempt++) {
      try {
        await sentinel.connect();
        if (closed) return;
        if (use.subscriptions) await sentinel.subscribe(options.probeChannel, onProbe);
        return;
      } catch {
        // Reported through 'error'; the library closed what it had opened, so start over.
        if (sentinel.isOpen) await sentinel.destroy().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, timing.reconnectDelay(attempt)).unref());
      }
    }
  }

  const commands: Pick<RedisClient, CommandName> = sentinel;
  const bound = Object.fromEntries(COMMANDS.map((name) => [name, (commands[name] as (...args: unknown[]) => unknown).bind(sentinel)])) as Pick<RedisClient, CommandName>;
  return {
    ...bound,
    get isReady() {
      return sentinel.isReady;
    },
    subscribe: (channel, listener) => sentinel.subscribe(channel, listener),
    // The library types the listener as string-or-Buffer; ours was subscribed for strings.
    unsubscribe: (channel, listener) => sentinel.unsubscribe(channel, listener as (message: string | Buffer) => void),
    on: (event, listener) => events.on(event, listener),
    off: (event, listener) => events.off(event, listener),
    once: (event, listener) => events.once(event, listener),
    async writeThenWait(write, replicas, waitMs) {
      const pipeline = sentinel.multi();
      if (write.value === undefined) pipeline.getDel(write.key);
      else pipeline.set(write.key, write.value, { expiration: { type: 'PX', value: write.ttlMs ?? 1 }, condition: 'NX' });
      const [reply, acknowledged] = (await pipeline.wait(replicas, waitMs).execAsPipeline()) as unknown as [string | null, number];
      return [reply === null ? null : String(reply), Number(acknowledged)];
    },
    connect,
    destroy() {
      closed = true;
      if (probing !== undefined) clearInterval(probing);
      probing = undefined;
      // Not awaited: a destroy waits for a topology lookup under way, bounded by the connect timeout.
      void sentinel.destroy().catch(() => undefined);
    },
  };
}
