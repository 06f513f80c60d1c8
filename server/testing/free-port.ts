import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Lowest port drawn: above the well-known and most registered service ports. */
const LOWEST = 10_000;

/** Where the kernel's ephemeral ports start (Linux: ip_local_port_range; 32768 elsewhere). */
function ephemeralStart(): number {
  try {
    const start = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(start) && start > LOWEST + 1000 ? start : 32_768;
  } catch {
    return 32_768;
  }
}

const handedOut = new Set<number>();

/**
 * A TCP port on `host` that was free a moment ago, for a server that another process (or a later
 * step) binds. It is drawn at random below the kernel's ephemeral range, and checked by binding
 * it. Not port 0: the kernel picks that from the ephemeral range, where every outgoing connection
 * also takes its local port, and with four test files connecting to their servers at once a port
 * freed here was taken by some client socket before its server bound it (redis-server and the
 * demo: "Address already in use", twice in one full run). Below that range only another draw can
 * take it; this process never hands the same port out twice. A server started with it should
 * still fail loudly if it lost the race.
 */
export async function getFreePort(host = '127.0.0.1'): Promise<number> {
  const span = ephemeralStart() - LOWEST;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * span);
    if (handedOut.has(port)) continue;
    if (await canListen(port, host)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port found on ${host} between ${LOWEST} and ${LOWEST + span}`);
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}
