import { rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import webpush from 'web-push';
import type { Clock } from '../../server/core/clock.js';
import { createGateway, type Gateway } from '../../server/gateway.js';
import { getFreePort } from '../../server/testing/free-port.js';
import { TEST_HASH_POLICY } from '../../server/testing/test-password-hash.js';
import { captureLogs, parseStackConfig, prepareDemoLayout } from './stack.js';

/**
 * The demo layout for push-approval browser tests: the sample app behind the gateway at
 * http://localhost:PORT/, the portal at /auth/, push enabled with fresh VAPID keys, and one or two
 * gateway instances sharing one Redis and one storage file. With two, a small front proxy (a load
 * balancer) listens at the origin and `route` picks the instance for each request; every request
 * is recorded in `hits` so a test can show which instance answered what.
 */
export type Hit = { instance: number; method: string; path: string };

export async function startPushStack(
  options: {
    instances?: 1 | 2;
    configure?: (config: Record<string, any>) => void;
    /** With two instances: which one takes a request (default: the phone's API and app → 1, the rest → 0). */
    route?: (req: IncomingMessage) => number;
    /** Every instance's time (say a `createMovableClock()`), so a test can move it on instead of waiting. */
    clock?: Clock;
  } = {},
) {
  const count = options.instances ?? 1;
  const { dir, port, origin, config, services } = await prepareDemoLayout('gatehouse-e2e-push-');
  const vapid = webpush.generateVAPIDKeys();
  Object.assign(config, {
    enrollment: { trusted_networks: ['127.0.0.0/8'] },
    // A long ttl: on a loaded machine a test's several phone answers must not outlive the request;
    // the expiry test sets its own short one.
    second_factors: { push: { enabled: true, ttl: '2m', vapid: { public_key: vapid.publicKey, private_key: vapid.privateKey, subject: 'mailto:security@corp.example' } } },
    access_control: {
      default_policy: 'deny',
      rules: [
        { domain: 'localhost', resources: ['/secure/.*'], policy: 'two_factor' },
        { domain: 'localhost', policy: 'one_factor' },
      ],
    },
  });
  options.configure?.(config);
  const parsed = parseStackConfig(config, dir);

  const logs: Record<string, unknown>[] = [];
  const gateways: Gateway[] = [];
  const closers: (() => Promise<unknown>)[] = [...services];
  const hits: Hit[] = [];
  const ports: number[] = [];
  let front: Server | undefined;
  try {
    for (let i = 0; i < count; i++) {
      // One after the other: both open the same storage file, and the first runs its migrations.
      const gateway = await createGateway(parsed, {
        logger: captureLogs(logs, { instance: i }),
        hashPolicy: TEST_HASH_POLICY,
        ...(options.clock ? { clock: options.clock } : {}),
      });
      gateways.push(gateway);
      closers.unshift(() => gateway.close());
      ports.push((await gateway.listen(count === 1 ? port : await getFreePort(), '127.0.0.1')).port);
    }
    if (count > 1) {
      const route = options.route ?? ((req: IncomingMessage) => (/^\/auth\/(api\/push\/|companion\/)/.test(req.url ?? '') ? 1 : 0));
      const proxy = createFrontProxy(ports, route, hits);
      front = proxy;
      await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
      closers.unshift(
        () =>
          new Promise<void>((resolve) => {
            proxy.close(() => resolve());
            proxy.closeAllConnections();
          }),
      );
    }
  } catch (error) {
    await closeAll(closers);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    origin,
    /** The first instance (the only one, or the one the sign-in browser talks to). */
    gateway: gateways[0]!,
    gateways,
    hits,
    logs,
    vapid,
    /** With two instances: cuts every open connection at the front proxy (a network drop); it keeps listening. */
    dropConnections() {
      front?.closeAllConnections();
    },
    async close() {
      await closeAll(closers);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function closeAll(closers: (() => Promise<unknown>)[]) {
  for (const step of closers)
    await Promise.resolve()
      .then(step)
      .catch(() => undefined);
}

/** A plain HTTP load balancer: streams both ways (the companion's EventSource included). */
function createFrontProxy(ports: number[], route: (req: IncomingMessage) => number, hits: Hit[]): Server {
  return createServer((req, res) => {
    const instance = route(req);
    hits.push({ instance, method: req.method ?? 'GET', path: req.url ?? '/' });
    const upstream = request({ host: '127.0.0.1', port: ports[instance], method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      res.flushHeaders();
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
}

export type PushStack = Awaited<ReturnType<typeof startPushStack>>;
