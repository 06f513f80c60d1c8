import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from './core/clock.js';
import { createResourceStack, type ResourceStack } from './core/resource-stack.js';
import type { Logger } from './core/logger.js';
import type { Config } from './config/schema.js';
import type { Directory } from './directory/directory.js';
import { hashConcurrencyOf, type HashQueue } from './directory/hash-queue.js';
import { createHashWorkerPool } from './directory/hash-workers.js';
import { openDirectory } from './directory/open-directory.js';
import type { HashPolicy, PasswordHasher } from './directory/password-hash.js';
import type { Kv } from './kv/kv.js';
import { createMemoryKv } from './kv/memory-kv.js';
import { redisOptionsFromConfig } from './kv/redis-options.js';
import { createRedisKv, RedisEvictionPolicyError } from './kv/redis-kv.js';
import { compilePolicy } from './policy/compile-policy.js';
import { compileNetworks } from './policy/networks.js';
import { createClientAddressResolver } from './proxy/client-address.js';
import { createReverseProxy } from './proxy/reverse-proxy.js';
import { createSessionStore } from './session/session-store.js';
import { createRedirectPolicy } from './sites/redirect-target.js';
import { createSiteTable } from './sites/site-table.js';
import { decodeKey } from './config/schema.js';
import { createEnrollmentMailer } from './enrollment/enrollment-email.js';
import { createOtpFactor } from './factors/otp/otp-factor.js';
import { createRecoveryCodeFactor } from './factors/recovery/recovery-codes.js';
import { createWebAuthnFactor } from './factors/webauthn/webauthn-factor.js';
import { createWebAuthnService } from './factors/webauthn/webauthn-service.js';
import { createPushService } from './factors/push/push-service.js';
import { createAttemptLimiter } from './regulation/attempt-limiter.js';
import { createRegulator } from './regulation/create-regulator.js';
import { openSqliteStorage } from './storage/sqlite-storage.js';
import { postgresOptionsFromConfig } from './storage/storage-options.js';
import type { Storage } from './storage/storage.js';
import { createAuditLog } from './audit/create-audit-log.js';
import { createKnownBrowsers } from './notifications/known-browsers.js';
import { createSecurityNotifier, type SecurityNotifier } from './notifications/security-notifier.js';
import type { GatewayContext } from './http/context.js';
import { createGatewayHandler } from './http/gateway-handler.js';
import { createInFlight } from './http/in-flight.js';
import { createMetrics } from './http/metrics.js';
import { scrapeRegistry, type ScrapeMetrics } from './http/scrape-metrics.js';
import { createPortalApp } from './http/create-portal-app.js';
import { loadPortalAssets } from './http/portal-assets.js';
import { createPageHeaders } from './http/security-headers.js';
import { createSentCodeChannels } from './http/sent-code-services.js';

export interface Gateway {
  ctx: GatewayContext;
  server: Server;
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /**
   * Stops accepting connections and closes everything. With `drainMs`, requests in flight
   * first get up to that long to finish (SIGTERM); without, they are cut at once.
   */
  close(options?: { drainMs?: number }): Promise<void>;
}

/**
 * Builds one gateway instance from a validated config. Dependencies a test wants to pin
 * (clock, kv, directory, storage, the hash queue to watch its order) can be passed in; everything else is made here. If building fails,
 * whatever was opened so far is closed before the error is thrown on.
 */
export async function createGateway(config: Config, deps: GatewayDeps): Promise<Gateway> {
  const resources = createResourceStack({ onError: (error) => deps.logger.error({ err: error }, 'closing the gateway: a part failed to close') });
  try {
    return await assembleGateway(config, deps, resources);
  } catch (error) {
    // A start that fails half-way (invalid users file, database refused) must not leave a Redis
    // connection or a file watcher behind to keep the process alive.
    await resources.closeAll();
    throw error;
  }
}

type GatewayDeps = {
  logger: Logger;
  clock?: Clock;
  kv?: Kv;
  directory?: Directory;
  storage?: Storage;
  hashQueue?: HashQueue;
  /** Tests only: cheap password hashes (server/testing/test-password-hash.ts). main never passes it. */
  hashPolicy?: HashPolicy;
  /** Tests only: retry pauses and the like for security notifications. */
  notifierOptions?: { backoffMs?: number };
  /** Where argon2 runs; absent: a pool of low-priority worker threads (directory/hash-workers.ts). The bench compares others. */
  passwordHasher?: PasswordHasher;
  /** What /metrics answers; absent: this process's registry (a worker of `server.workers` passes the merge over all). */
  scrapeMetrics?: ScrapeMetrics;
};

async function assembleGateway(config: Config, deps: GatewayDeps, resources: ResourceStack): Promise<Gateway> {
  const { logger } = deps;
  const clock = deps.clock ?? systemClock;
  const kv = deps.kv ?? (await createKv(config, logger, clock));
  if (!deps.kv) resources.add(() => kv.close());
  const sessions = createSessionStore(
    { kv, clock, logger },
    {
      idleTimeout: config.session.idle_timeout,
      absoluteTimeout: config.session.absolute_timeout,
      rememberMe: config.session.remember_me,
      cacheTtl: config.session.cache_ttl,
    },
  );
  resources.add(() => sessions.close());
  let hasher = deps.passwordHasher;
  if (!hasher && !deps.directory && config.authentication.users_file !== undefined) {
    // As many workers as checks may run at once; they start with the first sign-in.
    const pool = createHashWorkerPool({
      size: hashConcurrencyOf(config.authentication.password_checks.concurrency),
      onWorkerFailure: (error) => logger.error({ err: error }, 'password hashing worker failed; the check is refused and the worker replaced'),
    });
    resources.add(() => pool.close());
    hasher = pool;
  }
  const directory =
    deps.directory ??
    (await openDirectory(config, {
      logger,
      kv,
      now: clock.now,
      ...(deps.hashQueue ? { hashQueue: deps.hashQueue } : {}),
      ...(deps.hashPolicy ? { hashPolicy: deps.hashPolicy } : {}),
      ...(hasher ? { hasher } : {}),
      hasSessions: async (username) => (await sessions.listForUser(username)).length > 0,
    }));
  resources.add(() => directory.close());
  const policy = compilePolicy(config.access_control, { passwordless: config.second_factors.webauthn.passwordless });
  for (const warning of policy.warnings) logger.warn({ warning }, 'access_control');
  const postgres = postgresOptionsFromConfig(config.storage, config.storage.path);
  const storage =
    deps.storage ??
    (postgres
      ? // pg is loaded only when configured (like LDAP and the identity JWT's jose, below).
        await (await import('./storage/postgres-storage.js')).openPostgresStorage(postgres, { logger, clock })
      : openSqliteStorage({ path: config.storage.path, keys: config.storage.encryption_keys.map((k) => ({ id: k.id, key: decodeKey(k.key)! })) }, { logger, clock }));
  if (!deps.storage) resources.add(() => storage.close());
  // Notifications are driven off the audit events: each is recorded once, where it happens.
  let notifier: SecurityNotifier | undefined;
  const audit = createAuditLog({ storage, logger, clock }, { config: config.audit, onRecorded: (input) => notifier?.notice(input) });
  resources.add(() => audit.close());
  const notifications = config.notifications;
  const browsers =
    notifications.enabled && notifications.kinds.new_browser
      ? createKnownBrowsers({ kv, now: clock.now }, { remember: notifications.remember_browsers, ttlSeconds: notifications.browser_ttl })
      : undefined;
  if (notifications.enabled && config.smtp) {
    const created = createSecurityNotifier(
      { directory, browsers, logger, now: clock.now, audit: () => audit },
      { config: notifications, smtp: config.smtp, methodsUrl: new URL('methods', config.server.portal_url).href, ...deps.notifierOptions },
    );
    notifier = created;
    resources.add(() => created.close());
  }
  // A user disabled, removed or given a new password loses every session at once (ASVS 7.4.2).
  const stopWatchingUsers = directory.onChange?.((change) => {
    const source = change.source ?? 'users-file';
    const what = source === 'ldap' ? 'an LDAP refresh' : 'a users file change';
    void audit.record({
      kind: 'config.reload',
      actor: 'system',
      reason: source,
      details: { count: change.revoked.length + change.updated.length, sessions: change.revoked.length },
      message: source === 'ldap' ? 'LDAP users refreshed' : 'users file reloaded',
    });
    for (const username of change.revoked) {
      sessions
        .destroyAllForUser(username)
        .then((count) =>
          audit.record({
            kind: 'sessions.revoked',
            subject: username,
            actor: 'system',
            reason: 'directory-change',
            details: { sessions: count },
            message: `sessions ended after ${what}`,
          }),
        )
        .catch((error) => logger.error({ err: (error as Error).message, username }, `could not end sessions after ${what}`));
    }
  });
  if (stopWatchingUsers) resources.add(stopWatchingUsers);
  const factorDeps = { storage, kv };
  const webauthn = createWebAuthnService({ storage, kv, logger, audit }, { config: config.second_factors.webauthn, portalUrl: config.server.portal_url });
  const portalUrl = config.server.portal_url;
  const https = portalUrl.protocol === 'https:';
  const identityTokens = config.identity_jwt
    ? (await import('./identity/identity-token-issuer.js')).createIdentityTokenIssuer(
        { clock },
        { config: config.identity_jwt, issuer: config.identity_jwt.issuer ?? portalUrl.href },
      )
    : undefined;
  const metrics = createMetrics();
  const proxy = createReverseProxy(
    { logger },
    // A client's copy of the JWT header never passes, whether or not the site gets a real one.
    {
      sites: config.sites.filter((s) => s.upstream),
      cookieName: config.session.cookie_name,
      strippedHeaders: [config.identity_jwt?.header ?? 'Remote-Jwt', ...config.server.strip_headers],
    },
  );
  // Requests still streaming get a few seconds to finish, not forever.
  resources.add(() => Promise.race([proxy.close(), new Promise((resolve) => setTimeout(resolve, 5000).unref())]));
  const mailer = config.enrollment.email_code.enabled && config.smtp ? createEnrollmentMailer(config.smtp, clock.now) : undefined;
  if (mailer) resources.add(() => mailer.close());
  const sentCodes = createSentCodeChannels({ config, kv, directory, smsNumbers: storage.smsNumbers, now: clock.now });
  resources.add(() => sentCodes.close());
  const requests = createInFlight();
  const assets = await loadPortalAssets();
  const ctx: GatewayContext = {
    inFlight: requests,
    config,
    logger,
    clock,
    kv,
    sessions,
    directory,
    policy,
    sites: createSiteTable(config.sites, portalUrl),
    redirects: createRedirectPolicy(config.sites, portalUrl),
    proxy,
    clientAddress: createClientAddressResolver(config.server.trusted_proxies),
    isTrustedProxy: compileNetworks(config.server.trusted_proxies, {}),
    metrics,
    scrapeMetrics: deps.scrapeMetrics ?? scrapeRegistry(metrics.registry),
    ...(identityTokens ? { identityTokens } : {}),
    storage,
    audit,
    ...(notifier ? { notifier } : {}),
    ...(browsers ? { browsers } : {}),
    factors: {
      totp: createOtpFactor(factorDeps, { kind: 'totp', config: config.second_factors }),
      hotp: createOtpFactor(factorDeps, { kind: 'hotp', config: config.second_factors }),
      recovery_code: createRecoveryCodeFactor({ storage }),
      webauthn: createWebAuthnFactor(webauthn),
    },
    sentCodes: sentCodes.channels,
    webauthn,
    regulator: createRegulator(
      { kv, clock, audit, endSessions: (username) => sessions.destroyAllForUser(username), onEvent: (event, factor) => metrics.regulation.inc({ event, factor }) },
      config.regulation,
    ),
    enrollmentEmailLimiter: createAttemptLimiter(kv, { name: 'enrollment-email', maxFailures: 3, windowSeconds: 3600 }),
    mailer,
    isEnrollmentNetwork: config.enrollment.trusted_networks.length > 0 ? compileNetworks(config.enrollment.trusted_networks, config.access_control.networks) : () => false,
    portal: {
      url: portalUrl,
      origin: portalUrl.origin,
      basePath: portalUrl.pathname,
      https,
      pageHeaders: createPageHeaders({ https, formTargets: config.sites.map((s) => s.url.origin) }),
      csrfCookieName: https ? '__Host-gatehouse_csrf' : 'gatehouse_csrf',
      assets: assets.names,
      staticFiles: assets.files,
    },
  };

  if (config.second_factors.push.enabled) {
    const push = createPushService({ kv, storage, clock, logger, audit, regulator: ctx.regulator }, { config: config.second_factors, portalUrl });
    resources.add(() => push.close());
    ctx.push = push;
  }
  const portalApp = createPortalApp(ctx);
  const handler = createGatewayHandler(ctx, portalApp);
  const server = createServer({ headersTimeout: 15_000, requestTimeout: 300_000, keepAliveTimeout: 65_000, maxHeaderSize: 16 * 1024 }, handler.handleRequest);
  requests.attach(server);
  server.on('upgrade', handler.handleUpgrade);
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  return {
    ctx,
    server,
    listen: (port = config.server.port, host = config.server.host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    async close(options = {}) {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      if (options.drainMs) {
        const inFlight = requests.count();
        if (inFlight > 0) logger.info({ inFlight, deadlineMs: options.drainMs }, 'draining: letting requests in flight finish');
        const cut = await requests.drain(options.drainMs);
        if (cut > 0) logger.warn({ cut }, 'drain deadline reached: requests still in flight are cut off');
      }
      server.closeAllConnections();
      // Upgraded sockets are no longer the server's to close: the proxy (one of the resources)
      // ends its WebSocket tunnels, and only then does the server finish.
      await resources.closeAll();
      await stopped;
    },
  };
}

async function createKv(config: Config, logger: Logger, clock: Clock): Promise<Kv> {
  if (config.session.store === 'memory' || !config.redis) {
    logger.warn('sessions are kept in memory: fine for a single-instance demo, lost on restart and not shared between instances');
    return createMemoryKv({ clock }, { keyPrefix: 'gatehouse:' });
  }
  const r = config.redis;
  const kv = createRedisKv({ logger }, redisOptionsFromConfig(r));
  try {
    await kv.connect();
  } catch (error) {
    if (error instanceof RedisEvictionPolicyError) {
      await kv.close();
      throw error;
    }
    // Start anyway: sign-ins answer 503 and /readyz says not ready until Redis is back.
    logger.error({ err: (error as Error).message }, 'Redis is not reachable yet; retrying in the background');
  }
  return kv;
}
