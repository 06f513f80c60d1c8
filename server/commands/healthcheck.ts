import { request } from 'node:http';
import { loadConfigFile } from '../config/load-config.js';
import type { CommandIo } from './check-config.js';

/** Docker gives a HEALTHCHECK its own timeout; this bounds the request when run by hand. */
const REQUEST_TIMEOUT_MS = 5000;

/** Hosts that mean "every address": the gateway is then reachable on loopback. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '0:0:0:0:0:0:0:0', '']);

/**
 * `gatehouse healthcheck`: GET /healthz on the address the config says the gateway listens on
 * (server.host, server.port, after the same ${VAR} substitution `serve` does), exit 0 on a 200
 * and 1 otherwise. For container HEALTHCHECKs: the image has no curl or wget, and the port is
 * whatever the config says rather than one written into the Dockerfile.
 */
export async function runHealthcheck(path: string, env: Record<string, string | undefined>, io: CommandIo): Promise<number> {
  const loaded = loadConfigFile(path, env);
  if (!loaded.ok) {
    io.stderr.write(`gatehouse healthcheck: ${path} is invalid:\n${loaded.errors.map((e) => `  ${e}\n`).join('')}`);
    return 1;
  }
  const { port } = loaded.config.server;
  if (port === 0) {
    io.stderr.write('gatehouse healthcheck: server.port is 0 (a port chosen at start), so there is no address to check\n');
    return 1;
  }
  const host = probeHost(loaded.config.server.host);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/healthz`;
  const outcome = await getStatus(host, port);
  if (outcome.ok && outcome.status === 200) {
    io.stdout.write(`${url}: 200\n`);
    return 0;
  }
  io.stderr.write(`gatehouse healthcheck: ${url}: ${outcome.ok ? `answered ${outcome.status}` : outcome.error}\n`);
  return 1;
}

/** Where to reach a gateway listening on `host`. */
export function probeHost(host: string): string {
  return WILDCARD_HOSTS.has(host) ? '127.0.0.1' : host.replace(/^\[(.*)\]$/, '$1');
}

function getStatus(host: string, port: number): Promise<{ ok: true; status: number } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/healthz', method: 'GET', agent: false, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      res.resume();
      resolve({ ok: true, status: res.statusCode ?? 0 });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, error: error.code ?? error.message }));
    req.end();
  });
}
