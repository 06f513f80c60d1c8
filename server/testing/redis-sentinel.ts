import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { getFreePort } from './free-port.js';
import { freezeProcess } from './freeze-process.js';
import { readFileSync } from 'node:fs';
import { spawnRedisProcess } from './redis-server.js';
import type { TestCertificates } from './test-certificates.js';

export const MASTER_NAME = 'gatehouse-test';

/** How long the sentinels wait before they call a silent master down: short, so a failover fits in a test. */
const DOWN_AFTER_MS = 1000;

/** How long syncReplica waits for the replica at most (a stuck replica, not a slow one). */
const SYNC_CEILING_MS = 45_000;

export interface SentinelNode {
  host: string;
  port: number;
}

export interface TestSentinelSet {
  masterName: string;
  /** The data nodes' password (`requirepass` and `masterauth`), when asked for one. */
  password?: string;
  /** The sentinels' own password, when asked for one. */
  sentinelPassword?: string;
  sentinels: SentinelNode[];
  /** Ports of the two data nodes, the first master at start. */
  dataPorts: number[];
  /** The port of the data node the sentinels name as master now. */
  masterPort(): Promise<number>;
  /** Waits until the master's writes so far have reached the replica (WAIT 1). */
  syncReplica(): Promise<void>;
  /** SIGKILLs the current master (no goodbye, no final sync); resolves with its port. */
  killMaster(): Promise<number>;
  /** Resolves with the new master's port once the sentinels name one other than `oldPort` and it takes writes. */
  waitForNewMaster(oldPort: number, timeoutMs?: number): Promise<number>;
  /** Freezes a data node (SIGSTOP): it holds its connections but answers nothing, acknowledges nothing. */
  pauseNode(port: number): void;
  /** Lets a frozen data node go on (SIGCONT). */
  resumeNode(port: number): void;
  /** Starts a killed data node again, empty; the sentinels turn it into a replica of the master. */
  restartNode(port: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A Redis master, one replica and three sentinels (quorum 2) on free loopback ports, in a
 * temporary folder: the smallest set in which killing the master leads to a real failover.
 * Nothing is persisted; a restarted node comes back empty and syncs from the master.
 */
export async function startSentinelSet(options: { password?: string; sentinelPassword?: string; tls?: TestCertificates } = {}): Promise<TestSentinelSet> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-sentinel-'));
  const processes = new Map<number, ChildProcess>();
  const killAll = () => processes.forEach((child) => child.kill('SIGKILL'));
  process.once('exit', killAll);

  const authArgs = options.password ? ['--requirepass', options.password, '--masterauth', options.password] : [];
  // With `tls`: TLS only (no plain port), client certificates required (Redis's default), and
  // TLS between the nodes and from the sentinels too.
  const t = options.tls;
  const tlsSettings: Array<[string, string]> = t
    ? [
        ['tls-cert-file', t.certFile],
        ['tls-key-file', t.keyFile],
        ['tls-client-cert-file', t.clientCertFile],
        ['tls-client-key-file', t.clientKeyFile],
        ['tls-ca-cert-file', t.caFile],
        ['tls-auth-clients', 'yes'],
        ['tls-replication', 'yes'],
      ]
    : [];
  const listenArgs = (port: number) => (t ? ['--port', '0', '--tls-port', String(port), ...tlsSettings.flatMap(([k, v]) => [`--${k}`, v])] : ['--port', String(port)]);
  const listenLines = (port: number) => (t ? ['port 0', `tls-port ${port}`, ...tlsSettings.map(([k, v]) => `${k} ${v}`)] : [`port ${port}`]);
  const clientTls = t
    ? { tls: true as const, ca: readFileSync(t.caFile, 'utf8'), cert: readFileSync(t.clientCertFile, 'utf8'), key: readFileSync(t.clientKeyFile, 'utf8'), servername: t.serverName }
    : {};
  async function startData(port: number, replicaOf?: number): Promise<void> {
    const nodeDir = join(dir, `data-${port}`);
    await mkdir(nodeDir, { recursive: true });
    const args = [...listenArgs(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', nodeDir, ...authArgs];
    if (replicaOf !== undefined) args.push('--replicaof', '127.0.0.1', String(replicaOf));
    processes.set(port, await spawnRedisProcess(args, port));
  }

  const dataPorts = [await getFreePort(), await getFreePort()];
  const sentinels: SentinelNode[] = [];
  try {
    await startData(dataPorts[0]!);
    await startData(dataPorts[1]!, dataPorts[0]);
    for (let i = 0; i < 3; i++) {
      const port = await getFreePort();
      const file = join(dir, `sentinel-${port}.conf`);
      const lines = [
        ...listenLines(port),
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${dataPorts[0]} 2`,
        `sentinel down-after-milliseconds ${MASTER_NAME} ${DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${MASTER_NAME} 10000`,
        `sentinel parallel-syncs ${MASTER_NAME} 1`,
      ];
      if (options.password) lines.push(`sentinel auth-pass ${MASTER_NAME} ${options.password}`);
      // A sentinel with a password must also give it to its peers (Redis 6.2+).
      if (options.sentinelPassword) lines.push(`requirepass ${options.sentinelPassword}`, `sentinel sentinel-pass ${options.sentinelPassword}`);
      writeFileSync(file, lines.join('\n') + '\n');
      processes.set(port, await spawnRedisProcess([file, '--sentinel'], port, '+monitor master'));
      sentinels.push({ host: '127.0.0.1', port });
    }
  } catch (error) {
    killAll();
    process.off('exit', killAll);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  async function withClient<T>(port: number, password: string | undefined, use: (client: { sendCommand(args: string[]): Promise<unknown> }) => Promise<T>): Promise<T> {
    const client = createClient({ socket: { ...clientTls, host: '127.0.0.1', port, reconnectStrategy: false, connectTimeout: 2000 }, password });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await use(client);
    } finally {
      client.destroy();
    }
  }

  /** What the first answering sentinel calls the master. */
  async function masterPort(): Promise<number> {
    for (const sentinel of sentinels) {
      try {
        const reply = await withClient(sentinel.port, options.sentinelPassword, (c) => c.sendCommand(['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME]));
        if (Array.isArray(reply) && reply.length === 2) return Number(reply[1]);
      } catch {
        // Try the next sentinel.
      }
    }
    throw new Error('no sentinel answered');
  }

  async function isWritableMaster(port: number): Promise<boolean> {
    try {
      return await withClient(port, options.password, async (c) => {
        const role = (await c.sendCommand(['ROLE'])) as unknown[];
        return role[0] === 'master';
      });
    } catch {
      return false;
    }
  }

  async function stopProcess(port: number, signal: NodeJS.Signals): Promise<void> {
    const child = processes.get(port);
    processes.delete(port);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    // A paused node handles SIGTERM only once it runs again.
    child.kill('SIGCONT');
    await exited;
  }

  return {
    masterName: MASTER_NAME,
    ...(options.password ? { password: options.password } : {}),
    ...(options.sentinelPassword ? { sentinelPassword: options.sentinelPassword } : {}),
    sentinels,
    dataPorts,
    masterPort,
    async syncReplica() {
      const port = await masterPort();
      // A ceiling, not a budget: WAIT answers as soon as the replica has the writes. A replica still
      // in its first full sync took more than 5 s once, with the suite's first files starting
      // beside it; each WAIT is short, so the client's own command timeout never cuts one off.
      for (let waited = 0; waited < SYNC_CEILING_MS; waited += 5000) {
        const acked = await withClient(port, options.password, (c) => c.sendCommand(['WAIT', '1', '5000']));
        if (Number(acked) >= 1) return;
      }
      throw new Error(`the replica did not acknowledge the master’s writes within ${SYNC_CEILING_MS / 1000} s`);
    },
    async killMaster() {
      const port = await masterPort();
      await stopProcess(port, 'SIGKILL');
      return port;
    },
    async waitForNewMaster(oldPort, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const port = await masterPort().catch(() => oldPort);
        if (port !== oldPort && (await isWritableMaster(port))) return port;
        if (Date.now() > deadline) throw new Error(`no new master within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    pauseNode(port) {
      const child = processes.get(port);
      if (child) freezeProcess(child);
    },
    resumeNode(port) {
      processes.get(port)?.kill('SIGCONT');
    },
    async restartNode(port) {
      if (processes.has(port)) throw new Error(`data node ${port} is still running`);
      await startData(port, await masterPort());
    },
    async stop() {
      // Sentinels first: they would otherwise start a failover while the data nodes go.
      for (const sentinel of sentinels) await stopProcess(sentinel.port, 'SIGTERM');
      for (const port of [...processes.keys()]) await stopProcess(port, 'SIGTERM');
      process.off('exit', killAll);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
