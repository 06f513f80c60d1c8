import type { PortalAssets } from '../../client/assets/asset-manifest.js';
import type { StaticFile } from './portal-assets.js';
import type { OutgoingHttpHeaders } from 'node:http';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Config } from '../config/schema.js';
import type { Directory } from '../directory/directory.js';
import type { EnrollmentMailer } from '../enrollment/enrollment-email.js';
import type { Factor } from '../factors/factor.js';
import type { WebAuthnService } from '../factors/webauthn/webauthn-service.js';
import type { PushService } from '../factors/push/push-service.js';
import type { AttemptLimiter } from '../regulation/attempt-limiter.js';
import type { Regulator } from '../regulation/regulator.js';
import type { Storage } from '../storage/storage.js';
import type { AuditLog } from '../audit/create-audit-log.js';
import type { IdentityTokenIssuer } from '../identity/identity-token-issuer.js';
import type { Kv } from '../kv/kv.js';
import type { CompiledPolicy } from '../policy/compile-policy.js';
import type { createClientAddressResolver } from '../proxy/client-address.js';
import type { createReverseProxy } from '../proxy/reverse-proxy.js';
import type { SessionStore } from '../session/session-store.js';
import type { createRedirectPolicy } from '../sites/redirect-target.js';
import type { createSiteTable } from '../sites/site-table.js';
import type { KnownBrowsers } from '../notifications/known-browsers.js';
import type { SecurityNotifier } from '../notifications/security-notifier.js';
import type { InFlight } from './in-flight.js';
import type { SentCodeChannels } from './sent-code-services.js';
import type { Metrics } from './metrics.js';
import type { ScrapeMetrics } from './scrape-metrics.js';

/** Everything the HTTP layer needs, built once by main.ts. */
export interface GatewayContext {
  /** Requests being answered, for the drain at shutdown; long-lived answers mark themselves. */
  inFlight: InFlight;
  config: Config;
  logger: Logger;
  clock: Clock;
  kv: Kv;
  sessions: SessionStore;
  directory: Directory;
  policy: CompiledPolicy;
  sites: ReturnType<typeof createSiteTable>;
  redirects: ReturnType<typeof createRedirectPolicy>;
  proxy: ReturnType<typeof createReverseProxy>;
  clientAddress: ReturnType<typeof createClientAddressResolver>;
  /** Whether a socket peer is a registered proxy (server.trusted_proxies). */
  isTrustedProxy: (ip: string) => boolean;
  metrics: Metrics;
  /** The text of /metrics: this process's registry, or with workers every worker's, merged. */
  scrapeMetrics: ScrapeMetrics;
  /** Signs the identity JWT for sites with identity_jwt; present when the identity_jwt section is. */
  identityTokens?: IdentityTokenIssuer;
  /** Durable data: second-factor devices, tokens, recovery and enrollment codes. */
  storage: Storage;
  /** Security events: stored, logged, and optionally alerted. */
  audit: AuditLog;
  /** Mails the user about security events; present when notifications are enabled. */
  notifier?: SecurityNotifier;
  /** Browsers each user signed in from; present when the new_browser notification is on. */
  browsers?: KnownBrowsers;
  /** The second factors, by kind. */
  factors: { totp: Factor; hotp: Factor; recovery_code: Factor; webauthn: Factor };
  /** Sign-in codes by email and SMS, the channels enabled (second_factors.email_otp, .sms_otp). */
  sentCodes: SentCodeChannels;
  /** Passkey and security-key ceremonies. */
  webauthn: WebAuthnService;
  /** Push approval on the companion app; present when second_factors.push.enabled. */
  push?: PushService;
  /** Brute-force regulation and lockout: every factor attempt asks it first and tells it after. */
  regulator: Regulator;
  /** Enrollment emails sent per user and hour. */
  enrollmentEmailLimiter: AttemptLimiter;
  /** Present when enrollment codes by email are enabled. */
  mailer?: EnrollmentMailer;
  /** Whether an address may enroll a first factor right after the password (enrollment.trusted_networks). */
  isEnrollmentNetwork: (ip: string) => boolean;
  /** Derived once from config. */
  portal: {
    url: URL;
    origin: string;
    /** Path prefix of the portal, always ending in "/". */
    basePath: string;
    https: boolean;
    pageHeaders: OutgoingHttpHeaders;
    /** Name of the cookie that carries the pre-sign-in CSRF token. */
    csrfCookieName: string;
    /** The built scripts and stylesheets the pages name (client/assets). */
    assets: PortalAssets;
    /** Everything served under static/, from memory. */
    staticFiles: ReadonlyMap<string, StaticFile>;
  };
}

/** Where to send someone who must sign in before reaching `target`. */
export function signInUrl(ctx: GatewayContext, target: string | undefined): string {
  const url = new URL(ctx.portal.url);
  if (target) url.searchParams.set('rd', target);
  return url.href;
}
