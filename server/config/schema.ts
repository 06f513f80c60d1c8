import { z } from 'zod';
import { createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';
import { RE2JS } from 're2js';
import { profileProblem } from '../core/argon2-profile.js';
import { parseDuration } from '../core/duration.js';
import { ldapSchema } from './ldap-schema.js';
import { isPublicSuffix } from './public-suffix.js';

/**
 * The configuration file's schema. Keys are snake_case as written in YAML, so a key in the
 * docs, in an error message and in code read the same. Every object is strict: an unknown
 * key is an error, not a silently ignored typo.
 */

export const POLICIES = ['bypass', 'one_factor', 'two_factor', 'deny'] as const;
export type PolicyLevel = (typeof POLICIES)[number];

/** Second-factor kinds a rule may accept. */
export const SECOND_FACTORS = ['totp', 'hotp', 'webauthn', 'push', 'email_otp', 'sms_otp', 'recovery_code'] as const;
export type SecondFactorKind = (typeof SECOND_FACTORS)[number];

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE'] as const;

/** Keys whose value may come from a file instead: `password_file: /run/secrets/x`. */
export const SECRET_KEYS = new Set(['password', 'key', 'private_key', 'auth_token', 'value']);

const duration = (fallback?: string | number, options: { positive?: boolean } = {}) => {
  const schema = z.union([z.number(), z.string()]).transform((value, ctx) => {
    const seconds = parseDuration(value);
    if (seconds === undefined) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a duration (use e.g. 90s, 10m, 1h, 30d)` });
      return z.NEVER;
    }
    if (options.positive && seconds <= 0) {
      ctx.addIssue({ code: 'custom', message: 'must be longer than 0' });
      return z.NEVER;
    }
    return seconds;
  });
  // prefault, not default: zod 4 returns a default as is, skipping the transform to seconds.
  return fallback === undefined ? schema : schema.prefault(fallback);
};

/** A CIDR ("10.0.0.0/8", "fd00::/8") or a single address, strictly: no "10.0.0" shorthand. */
export function isCidr(value: string): boolean {
  const [address, prefix, ...rest] = value.split('/');
  if (rest.length > 0 || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

const cidr = z.string().refine(isCidr, { error: (issue) => `${JSON.stringify(issue.input)} is not a CIDR` });

const httpUrl = z.string().transform((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a URL` });
    return z.NEVER;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} must be an http or https URL` });
    return z.NEVER;
  }
  if (url.username || url.password || url.search || url.hash) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} must not contain credentials, a query or a fragment` });
    return z.NEVER;
  }
  return url;
});

/** Plain http is allowed only where browsers treat it as a secure context. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost') || hostname === '127.0.0.1' || hostname === '[::1]';
}

const publicUrl = httpUrl.superRefine((url, ctx) => {
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    ctx.addIssue({ code: 'custom', message: `"${url.href}" must use https (plain http is allowed only for localhost)` });
  }
  if (!url.pathname.endsWith('/')) {
    ctx.addIssue({ code: 'custom', message: `"${url.href}" must end with "/"` });
  }
});

/**
 * Path patterns run through RE2 (linear time): an administrator's pattern cannot hang the
 * gateway by backtracking. RE2 has no look-around or back-references; say so at boot.
 */
function checkPathPattern(pattern: string, ctx: z.RefinementCtx): void {
  try {
    RE2JS.compile(pattern);
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^error parsing regexp: /, '') : 'invalid';
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(pattern)} is not a valid pattern (${reason})` });
  }
}

const oneOrMany = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);

const DOMAIN_PATTERN = /^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

const domainPattern = z.string().regex(DOMAIN_PATTERN, {
  error: (issue) => `${JSON.stringify(issue.input)} is not a domain or "*.domain" wildcard (lower case, no port, no trailing dot)`,
});

const subjectTerm = z.string().regex(/^(user|group):.+$/, {
  error: (issue) => `${JSON.stringify(issue.input)} must start with "user:" or "group:"`,
});

/**
 * Second factors a rule may not name yet: their kind is reserved (the regulation counter, the
 * Factor contract) but no verifier exists, so a rule asking for one would ask for something
 * nobody can present. Refused with a clear message instead, until the factor is built.
 */
export const UNBUILT_SECOND_FACTORS: ReadonlySet<SecondFactorKind> = new Set([]);
const ruleFactor = z.enum(SECOND_FACTORS).superRefine((kind, ctx) => {
  if (!UNBUILT_SECOND_FACTORS.has(kind)) return;
  const usable = SECOND_FACTORS.filter((k) => !UNBUILT_SECOND_FACTORS.has(k)).join(', ');
  ctx.addIssue({ code: 'custom', message: `"${kind}" is not available yet: no one could meet this rule (use ${usable})` });
});

const rule = z.strictObject({
  domain: oneOrMany(domainPattern),
  /** Path regexes, anchored at both ends, matched against the normalized path. */
  resources: oneOrMany(z.string().superRefine(checkPathPattern)).optional(),
  methods: oneOrMany(z.enum(METHODS)).optional(),
  /** OR of ANDs: each item is a term or a list of terms that must all hold. */
  subject: oneOrMany(z.union([subjectTerm, z.array(subjectTerm).min(1)])).optional(),
  /** CIDRs or names from access_control.networks. */
  networks: oneOrMany(z.string()).optional(),
  policy: z.enum(POLICIES),
  factors: z.array(ruleFactor).min(1).optional(),
  max_auth_age: duration().optional(),
  /** Overrides second_factors.webauthn.passwordless for this rule. */
  passwordless: z.boolean().optional(),
});
export type RuleConfig = z.output<typeof rule>;

const site = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, { error: 'must be lower-case letters, digits, "-" or "_"' }),
  /** Public URL of the site: scheme, host, port and optional path prefix. */
  url: publicUrl,
  /** Where to proxy. Absent: the site sits behind another proxy that asks us by forward-auth. */
  upstream: httpUrl.optional(),
  /** Send the browser's Host header upstream (true) or the upstream's own (false). */
  preserve_host: z.boolean().default(true),
  /** How long the upstream may take to send response headers. */
  timeout: duration('30s', { positive: true }),
  /** Send the upstream a signed identity JWT (identity_jwt) besides the identity headers. Absent: false. */
  identity_jwt: z.boolean().optional(),
  /**
   * The upstream ignores letter case in paths (IIS, ASP.NET, Express, macOS and Windows file
   * systems): rules match this site's paths ignoring case. On by default: off, a rule about
   * `/admin` is dodged with `/ADMIN` wherever the upstream ignores case.
   */
  case_insensitive_paths: z.boolean().default(true),
});
export type SiteConfig = z.output<typeof site>;

/** `host:port`, `[v6 address]:port` for IPv6: where a Redis Sentinel listens. */
const hostPort = z.string().transform((value, ctx) => {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65535) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not host:port (e.g. 10.0.0.5:26379 or [fd00::5]:26379)` });
    return z.NEVER;
  }
  return { host: match[1] ?? match[2]!, port };
});

const redisSentinel = z.strictObject({
  /** The name the sentinels monitor the master under (`sentinel monitor NAME …`). */
  master_name: z.string().min(1),
  /** Sentinels to ask for the master; any one that answers is enough. */
  nodes: z.array(hostPort).min(1, { error: 'must list at least one sentinel' }),
  /** The sentinels' own credentials (their `requirepass` or ACL user), not the data nodes'. */
  username: z.string().optional(),
  password: z.string().optional(),
  /**
   * Replicas that must confirm (WAIT) a single-use claim before it lets a code, challenge or
   * approval through; fewer in time and the step fails closed. 0: claims are not waited for.
   */
  min_replicas_acknowledged: z.number().int().min(0).max(16).default(0),
  /** How long a claim waits for those confirmations; shorter than redis.timeout. */
  wait_timeout: duration('500ms', { positive: true }),
});

/**
 * TLS to Redis: with `url`, for a `rediss://` url; with `sentinel`, to the sentinels and to every
 * data node they name. Files are PEM, relative to the config file.
 */
const redisTls = z.strictObject({
  /** The CA that signed the servers' certificates; absent: the system's CAs. */
  ca_file: z.string().min(1).optional(),
  /** A client certificate and its key, for servers with `tls-auth-clients yes` (Redis's default). */
  client_cert_file: z.string().min(1).optional(),
  client_key_file: z.string().min(1).optional(),
  /**
   * The name checked in every server's certificate instead of the address connected to: the
   * sentinels name data nodes by IP address, which certificates seldom list.
   */
  server_name: z.string().min(1).optional(),
});

const redis = z.strictObject({
  url: z
    .string()
    .regex(/^rediss?:\/\//, { error: 'must start with redis:// or rediss://' })
    .default('redis://127.0.0.1:6379'),
  /** Find the master through Redis Sentinel instead of one fixed url. */
  sentinel: redisSentinel.optional(),
  tls: redisTls.optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  database: z.number().int().min(0).max(15).default(0),
  /** Upper bound for one command or a connection attempt; the auth path fails closed after it. */
  timeout: duration('2s', { positive: true }),
  key_prefix: z.string().default('gatehouse:'),
});
export type RedisConfig = z.output<typeof redis>;

/** A 256-bit key, written as 64 hex digits or 44 base64 characters. */
const aesKey = z.string().refine((v) => decodeKey(v) !== undefined, { error: 'must be 32 bytes, as 64 hex digits or base64 (openssl rand -base64 32)' });

export function decodeKey(value: string): Buffer | undefined {
  const text = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(text)) {
    const key = Buffer.from(text, 'base64');
    return key.length === 32 ? key : undefined;
  }
  return undefined;
}

/**
 * A PEM private key for ES256: parsed at load so that a wrong key stops the boot with its
 * path, not the first signed request. The message never repeats the key.
 */
export function checkEs256PrivateKey(pem: string, ctx: z.RefinementCtx): void {
  let key;
  try {
    key = createPrivateKey(pem);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'is not a PEM private key (openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt)' });
    return;
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
    const got = key.asymmetricKeyType === 'ec' ? `EC ${curve ?? 'unknown curve'}` : (key.asymmetricKeyType ?? 'unknown').toUpperCase();
    ctx.addIssue({ code: 'custom', message: `must be an EC P-256 key for ES256 (got ${got})` });
  }
}

const identityJwt = z.strictObject({
  /** The first key signs; all are published in the JWKS, so a new key goes first and the old one stays a while. */
  keys: z
    .array(
      z.strictObject({
        id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'must be 1-64 letters, digits, ".", "-" or "_"' }),
        private_key: z.string().superRefine(checkEs256PrivateKey),
      }),
    )
    .min(1, { error: 'needs at least one key' }),
  /** Request header that carries the token to the upstream (and in forward-auth answers). */
  header: z
    .string()
    .regex(/^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$/, { error: 'must be a header name of letters, digits and "-"' })
    .refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), { error: 'must not be a header Gatehouse already writes or strips' })
    .default('Remote-Jwt'),
  ttl: duration('30s', { positive: true }).refine((seconds) => seconds <= 60, { error: 'must be at most 60s' }),
  /** The token's iss; default: server.portal_url. */
  issuer: z.string().min(1).optional(),
});
export type IdentityJwtConfig = z.output<typeof identityJwt>;

/**
 * A request header name (an RFC 9110 token) a site owner may have stripped from what clients
 * send. Not the ones that frame or route the request: without them it cannot be forwarded.
 */
const strippableHeader = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/, { error: (issue) => `${JSON.stringify(issue.input)} is not a header name` })
  .refine((name) => !FRAMING_HEADERS.has(name.toLowerCase().replaceAll('_', '-')), {
    error: (issue) => `"${String(issue.input)}" cannot be stripped: the request is forwarded with it`,
  });

const FRAMING_HEADERS = new Set(['host', 'content-length', 'transfer-encoding']);

const RESERVED_HEADERS = new Set([
  'remote-user',
  'remote-groups',
  'remote-name',
  'remote-email',
  'cookie',
  'host',
  'authorization',
  'connection',
  'forwarded',
  'x-forwarded-for',
  'x-real-ip',
  'x-request-id',
]);

/**
 * PostgreSQL instead of the embedded SQLite file, for several gateway instances sharing one
 * database. The password may come from a file (`password_file`); TLS verifies the server's
 * certificate, against `ca_file` when given.
 */
const postgres = z.strictObject({
  url: z.string().regex(/^postgres(ql)?:\/\//, { error: 'must start with postgres:// or postgresql://' }),
  password: z.string().optional(),
  tls: z
    .strictObject({
      /** PEM bundle of the CA that signed the server's certificate (relative to the config file); absent: the system's CAs. */
      ca_file: z.string().min(1).optional(),
    })
    .optional(),
  pool_size: z.number().int().min(1).max(200).default(10),
  /** The server cancels a statement running longer; the request then fails closed (503). */
  statement_timeout: duration('5s', { positive: true }),
});
export type PostgresConfig = z.output<typeof postgres>;

const storage = z.strictObject({
  /** SQLite database file (relative to the config file). */
  path: z.string().min(1).default('gatehouse.db'),
  postgres: postgres.optional(),
  /**
   * Keys that encrypt every secret at rest (AES-256-GCM). The first one encrypts; all of them
   * decrypt, so a new key goes first and the old ones stay until `gatehouse storage rotate-key`.
   */
  encryption_keys: z.array(z.strictObject({ id: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, { error: 'must be 1-32 letters, digits, "-" or "_"' }), key: aesKey })).default([]),
});
export type StorageConfig = z.output<typeof storage>;

const push = z.strictObject({
  enabled: z.boolean().default(false),
  /** How long a push request waits for an answer (NIST SP 800-63B: out-of-band at most 10 min). */
  ttl: duration('30s', { positive: true }).refine((seconds) => seconds <= 600, { error: 'must be at most 10m' }),
  /** Pushes per account within request_window (push bombing). */
  max_requests: z.number().int().min(1).max(100).default(3),
  request_window: duration('5m', { positive: true }),
  /** What "This wasn't me" does to the account: suspend push for suspend_time, or lock it. */
  on_not_me: z.enum(['suspend_push', 'lock']).default('suspend_push'),
  suspend_time: duration('24h', { positive: true }),
  /** How long an "Add phone" QR link is valid. */
  enrollment_ttl: duration('10m', { positive: true }),
  /**
   * The phone app lock: the companion asks the phone's fingerprint, face or screen lock (a WebAuthn
   * credential with user verification, made at enrollment) before it approves, and the gateway checks it.
   */
  require_user_verification: z.boolean().default(false),
  /** Hosts a phone's Web Push endpoint may name ("*.example" for subdomains, "*" for any): the gateway posts there. */
  push_services: z
    .array(z.string().regex(/^(\*|(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+)$/, { error: 'must be a host name, "*.domain" or "*"' }))
    .min(1)
    .default(['fcm.googleapis.com', 'updates.push.services.mozilla.com', 'web.push.apple.com', '*.push.apple.com', '*.notify.windows.com']),
  /** Web Push (VAPID, RFC 8292) keys; absent: only the live channel delivers. */
  vapid: z
    .strictObject({
      /** Base64url P-256 public key (npx web-push generate-vapid-keys). */
      public_key: z.string().regex(/^[A-Za-z0-9_-]{87}$/, { error: 'must be a base64url P-256 public key (87 characters)' }),
      /** Base64url P-256 private key. */
      private_key: z.string().regex(/^[A-Za-z0-9_-]{43}$/, { error: 'must be a base64url P-256 private key (43 characters)' }),
      /** Contact for push services: mailto: or https: URL. */
      subject: z.string().regex(/^(mailto:|https:\/\/)/, { error: 'must start with mailto: or https://' }),
    })
    .optional(),
});
export type PushConfig = z.output<typeof push>;

/**
 * What email and SMS codes share: a code sent for one sign-in, valid `ttl`, single use, with
 * caps on how often one is sent.
 */
const sentCodeFields = {
  enabled: z.boolean().default(false),
  digits: z.union([z.literal(6), z.literal(8)]).default(6),
  /** How long a sent code is valid (NIST SP 800-63B: out-of-band at most 10 min). */
  ttl: duration('5m', { positive: true }).refine((seconds) => seconds <= 600, { error: 'must be at most 10m' }),
  /** Codes sent per account within send_window. */
  max_sends: z.number().int().min(1).max(50).default(5),
  send_window: duration('1h', { positive: true }),
  /** The wait between two codes for one sign-in (shown on the page). */
  resend_cooldown: duration('60s', { positive: true }).refine((seconds) => seconds <= 600, { error: 'must be at most 10m' }),
};

/** A header of the SMS webhook; `value_file` reads a secret (a bearer token) from a file. */
const webhookHeader = z.strictObject({
  name: z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/, { error: (issue) => `${JSON.stringify(issue.input)} is not a header name` }),
  value: z.string().regex(/^[^\r\n\0]*$/, { error: 'must not contain line breaks' }),
});

const smsSender = z.discriminatedUnion('type', [
  z.strictObject({
    /** Any HTTP API: the gateway sends `body` with {to}, {code}, {site}, {expires} filled in. */
    type: z.literal('webhook'),
    url: httpUrl,
    method: z.enum(['POST', 'PUT']).default('POST'),
    headers: z.array(webhookHeader).default([]),
    /** How the values are escaped in the body: JSON strings, or form-urlencoded. */
    content_type: z.enum(['application/json', 'application/x-www-form-urlencoded']).default('application/json'),
    body: z.string().min(1).max(4096),
  }),
  z.strictObject({
    /** Twilio Programmable Messaging: POST {api_url}2010-04-01/Accounts/{account_sid}/Messages.json */
    type: z.literal('twilio'),
    account_sid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, { error: 'must be a Twilio Account SID (AC and 32 hex digits)' }),
    auth_token: z.string().min(1),
    /** The sending number (E.164) or a Messaging Service SID (MG…). */
    from: z.string().regex(/^(\+[1-9][0-9]{6,14}|MG[0-9a-fA-F]{32})$/, { error: 'must be an E.164 number (+886…) or a Messaging Service SID (MG…)' }),
    api_url: httpUrl.prefault('https://api.twilio.com/'),
  }),
]);

const emailOtp = z.strictObject({ ...sentCodeFields });

const smsOtp = z.strictObject({
  ...sentCodeFields,
  /** Where numbers written without a country code are (ISO 3166 alpha-2, e.g. TW). */
  default_region: z
    .string()
    .regex(/^[A-Z]{2}$/, { error: 'must be an ISO 3166 alpha-2 country code in capitals (TW)' })
    .optional(),
  /** Only numbers of these countries get codes (SMS pumping fraud targets expensive destinations). */
  allowed_countries: z.array(z.string().regex(/^[A-Z]{2}$/, { error: 'must be an ISO 3166 alpha-2 country code in capitals (TW)' })).default([]),
  /** Codes sent to one number per 24 h, whoever asks. */
  max_per_number_per_day: z.number().int().min(1).max(100).default(10),
  /** Codes sent to all numbers together per 24 h: a ceiling on the bill. */
  max_per_day: z.number().int().min(1).max(1_000_000).default(1000),
  /** Users without a directory number may add their own on "My sign-in methods", confirmed with a code sent to it. */
  user_numbers: z.boolean().default(false),
  /** Connect and answer deadline of the SMS provider; the page never waits for it. */
  timeout: duration('10s', { positive: true }).refine((seconds) => seconds <= 60, { error: 'must be at most 60s' }),
  /** Text of the message; {code}, {site}, {expires} (minutes) are filled in. */
  message: z.string().min(1).max(320).default('{code} is your {site} sign-in code. It expires in {expires} minutes. Never share it.'),
  sender: smsSender.optional(),
});
export type SmsOtpConfig = z.output<typeof smsOtp>;
export type SentCodeConfig = z.output<typeof emailOtp>;

const secondFactors = z.strictObject({
  totp: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Shown in authenticator apps next to the account name. */
      issuer: z
        .string()
        .min(1)
        .max(64)
        .regex(/^[^:]+$/, { error: 'must not contain ":" (it separates issuer and account in authenticator apps)' })
        .default('Gatehouse'),
      digits: z.union([z.literal(6), z.literal(8)]).default(6),
      period: z.union([z.literal(30), z.literal(60)]).default(30),
      algorithm: z.enum(['SHA1', 'SHA256', 'SHA512']).default('SHA1'),
      /** Steps accepted either side of the server's current step (ASVS 6.5.5: keep it small). */
      window: z.number().int().min(0).max(3).default(1),
      /** A learned phone clock offset larger than this is shown as a warning. */
      drift_warning: duration('3m'),
      /** The largest phone clock offset Gatehouse learns and follows. */
      max_drift: duration('10m').refine((seconds) => seconds <= 3600, { error: 'must be at most 1h' }),
    })
    .prefault({} as never),
  hotp: z
    .strictObject({
      /** How many counter values ahead a hardware token's code is looked for. */
      look_ahead: z.number().int().min(1).max(100).default(10),
    })
    .prefault({} as never),
  webauthn: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Relying party id: the portal's host or a parent domain of it. Never taken from a request. */
      rp_id: z
        .string()
        .regex(/^[a-z0-9.-]+$/, { error: 'must be a lower-case host name' })
        .optional(),
      /** Shown by the authenticator when creating a credential. */
      rp_name: z.string().min(1).max(64).default('Gatehouse'),
      /** Origins allowed in clientDataJSON; default: the portal's origin only. */
      origins: z.array(httpUrl.transform((u) => u.origin)).default([]),
      user_verification: z.enum(['required', 'preferred', 'discouraged']).default('preferred'),
      attestation: z.enum(['none', 'indirect', 'direct', 'enterprise']).default('none'),
      /** Restrict to built-in (platform) or roaming (cross-platform) authenticators. */
      authenticator_attachment: z.enum(['platform', 'cross-platform']).optional(),
      resident_key: z.enum(['required', 'preferred', 'discouraged']).default('preferred'),
      /** Only authenticators of these models (AAGUIDs) may register; empty: any. */
      aaguid_allowlist: z
        .array(
          z.strictObject({
            aaguid: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, { error: 'must be a lower-case UUID' }),
            name: z.string().min(1).max(64),
          }),
        )
        .default([]),
      /** Allow backup-eligible (synced) passkeys, e.g. iCloud Keychain or Google Password Manager. */
      allow_synced: z.boolean().default(true),
      /** A passkey verified with user verification counts as both factors (per rule: passwordless). */
      passwordless: z.boolean().default(false),
      /** How long a registration or sign-in challenge stays valid. */
      challenge_ttl: duration('2m', { positive: true }),
      /** Passkey sign-in challenges (before the password) per client address within challenge_ttl. */
      max_sign_in_challenges: z.number().int().min(1).max(100_000).default(100),
    })
    .prefault({} as never),
  recovery_codes: z
    .strictObject({
      enabled: z.boolean().default(true),
      count: z.number().int().min(5).max(20).default(10),
    })
    .prefault({} as never),
  push: push.prefault({} as never),
  /** Codes by email to the directory's address: not an authenticator at AAL2 (NIST SP 800-63B). */
  email_otp: emailOtp.prefault({} as never),
  /** Codes by SMS to the directory's mobile number: a restricted authenticator (NIST SP 800-63B). */
  sms_otp: smsOtp.prefault({} as never),
});

const enrollment = z.strictObject({
  /** (a) A code sent by email to the address in the users file. */
  email_code: z.strictObject({ enabled: z.boolean().default(false), ttl: duration('1h', { positive: true }) }).prefault({} as never),
  /** (b) A one-time link or code issued by an administrator. */
  admin_link: z.strictObject({ enabled: z.boolean().default(true), ttl: duration('24h', { positive: true }) }).prefault({} as never),
  /** (c) Right after the password, only from these networks and only for users with no factor yet. Empty: off. */
  trusted_networks: z.array(z.string()).default([]),
  /** Adding or removing a factor later needs a second factor no older than this. */
  fresh_factor_age: duration('10m', { positive: true }),
});

const smtp = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(587),
  /** "tls": TLS from the start (port 465); "starttls": upgrade, required; "none": only for a local relay. */
  security: z.enum(['tls', 'starttls', 'none']).default('starttls'),
  username: z.string().optional(),
  password: z.string().optional(),
  from: z.string().min(3),
  timeout: duration('10s', { positive: true }),
});

const audit = z.strictObject({
  /** Posts chosen audit events as JSON to a SIEM or chat hook; absent: no alerts. */
  webhook: z
    .strictObject({
      url: httpUrl,
      /** Event kinds to send, e.g. webauthn.clone_warning, lockout. */
      kinds: z.array(z.string().regex(/^[a-z_]+(\.[a-z_]+)*$/, { error: 'must be an event kind such as sign_in.failure' })).min(1),
      timeout: duration('5s', { positive: true }),
      /** Further attempts after a failed delivery, with growing pauses between them. */
      retries: z.number().int().min(0).max(10).default(3),
    })
    .optional(),
});
export type AuditConfig = z.output<typeof audit>;

/** Security notifications: a mail to the user when something changed on their account (server/notifications/). */
export const NOTIFICATION_KINDS = [
  'factor_added',
  'factor_removed',
  'recovery_codes_used',
  'recovery_codes_created',
  'account_locked',
  'new_browser',
  'not_me',
  'phone_enrolled',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];
const notifications = z.strictObject({
  enabled: z.boolean().default(false),
  /** Language of a mail when the user's own is not known (they have not signed in from a browser that said). */
  default_locale: z.enum(['en', 'zh-TW']).default('en'),
  /** Each kind can be turned off on its own; all are on when notifications are enabled. */
  kinds: z
    .strictObject({
      factor_added: z.boolean().default(true),
      factor_removed: z.boolean().default(true),
      recovery_codes_used: z.boolean().default(true),
      recovery_codes_created: z.boolean().default(true),
      account_locked: z.boolean().default(true),
      new_browser: z.boolean().default(true),
      not_me: z.boolean().default(true),
      phone_enrolled: z.boolean().default(true),
    } satisfies Record<NotificationKind, unknown>)
    .prefault({} as never),
  /** Further attempts after a failed send, with doubling pauses between them. */
  retries: z.number().int().min(0).max(10).default(3),
  /** Mails waiting to be sent at most; more are dropped (and logged) rather than held in memory. */
  queue_size: z.number().int().min(1).max(100_000).default(1000),
  /** Browsers remembered per user for new_browser (the oldest is forgotten first). */
  remember_browsers: z.number().int().min(1).max(50).default(10),
  /** How long a browser is remembered after its last sign-in (and the browser cookie's lifetime). */
  browser_ttl: duration('180d', { positive: true }).refine((seconds) => seconds <= 400 * 86400, { error: 'must be at most 400d (browsers cap cookie lifetimes there)' }),
});
export type NotificationsConfig = z.output<typeof notifications>;

/** A sliding window of failures and what reaching it does. */
const window = (maxRetries: number, findTime: string, banTime: string) =>
  z
    .strictObject({
      /** Failures counted within find_time before the ban starts. */
      max_retries: z.number().int().min(1).max(1000).default(maxRetries),
      find_time: duration(findTime, { positive: true }),
      ban_time: duration(banTime, { positive: true }),
    })
    .prefault({} as never);

const regulation = z.strictObject({
  /** Per account and factor kind (password, otp — TOTP, HOTP, email and SMS codes alike —, push, webauthn, recovery_code, enrollment_code). */
  account: window(5, '10m', '15m'),
  /** Per client address, across accounts and kinds. */
  address: window(30, '10m', '15m'),
  lockout: z
    .strictObject({
      /** Failures of all kinds on one account within find_time that lock it (NIST SP 800-63B: at most 100). */
      max_failures: z.number().int().min(1).max(100).default(20),
      find_time: duration('24h', { positive: true }),
      /** How long a lock lasts; 0: until an administrator unlocks it. */
      duration: duration('1h'),
    })
    .prefault({} as never),
});
export type RegulationConfig = z.output<typeof regulation>;

const admin = z.strictObject({
  /** Members of this group (users file) may use the admin API. */
  group: z.string().min(1).default('admins'),
  /** Members of this group may read every admin console page and change nothing (the admin API stays admin.group's). Absent: nobody. */
  auditor_group: z.string().min(1).optional(),
  /** Admin calls need a second factor at most this old. */
  fresh_factor_age: duration('10m', { positive: true }),
});

export const configSchema = z.strictObject({
  server: z.strictObject({
    host: z.string().default('0.0.0.0'),
    port: z.number().int().min(0).max(65535).default(9091),
    /** Where the portal lives; the sign-in page is at this URL. */
    portal_url: publicUrl,
    /** Peers whose X-Forwarded-* headers are believed, and who may call /api/authz/*. */
    trusted_proxies: z.array(cidr).default([]),
    /** Largest request body the portal reads (proxied bodies are streamed, not limited). */
    body_limit: z
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024)
      .default(64 * 1024),
    /** More request headers no client may send to an upstream, on top of the built-in lists. */
    strip_headers: z.array(strippableHeader).default([]),
    /** Processes serving the one port (node:cluster): a number, or `auto` for one per core. */
    workers: z.union([z.literal('auto'), z.number().int().min(1).max(64)]).default(1),
    /** On SIGTERM, how long requests in flight may take to finish before they are cut off. */
    drain_timeout: duration('25s'),
  }),
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') }).prefault({} as never),
  metrics: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Who may read /metrics. */
      networks: z.array(cidr).default(['127.0.0.0/8', '::1/128']),
    })
    .prefault({} as never),
  session: z
    .strictObject({
      cookie_name: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,64}$/)
        .default('gatehouse_session'),
      /** Cookie domain, so one sign-in covers every site under it; absent: the portal's host only. */
      domain: domainPattern.optional(),
      idle_timeout: duration('1h', { positive: true }),
      absolute_timeout: duration('12h', { positive: true }),
      /** Lifetime of a "remember me" session; 0 turns the option off. */
      remember_me: duration(0),
      /** How long an instance may serve a session from memory before reading it again. */
      cache_ttl: duration('10s', { positive: true }),
      /** Where sessions live: redis for real use, memory only for a single-instance demo. */
      store: z.enum(['redis', 'memory']).default('redis'),
    })
    .prefault({} as never),
  redis: redis.optional(),
  authentication: z.strictObject({
    /** Local accounts (argon2id): everyone, or the break-glass administrators beside LDAP. It wins on a name clash. */
    users_file: z.string().min(1).optional(),
    /** Re-read the users file when it changes. */
    watch: z.boolean().default(true),
    /** A directory server for everyone not in the users file. */
    ldap: ldapSchema.optional(),
    /**
     * argon2id parameters of new hashes (gatehouse hash-password, the dummy hash of unknown
     * users): OWASP's profile by default. Stored hashes with other parameters still verify.
     */
    password_hash: z
      .strictObject({
        memory_kib: z.number().int().min(1).default(19456),
        iterations: z.number().int().min(1).default(2),
        parallelism: z.number().int().min(1).default(1),
      })
      .superRefine((value, ctx) => {
        const problem = profileProblem({ memoryCost: value.memory_kib, timeCost: value.iterations, parallelism: value.parallelism });
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .prefault({} as never),
    /** The queue in front of argon2 (directory/hash-queue.ts); LDAP checks keep lanes of their own, sized alike. */
    password_checks: z
      .strictObject({
        /** Checks running at once; 0: all cores but one. */
        concurrency: z.number().int().min(0).max(256).default(0),
        /** Checks one client address may have running or waiting; more are answered 429 "busy". */
        per_address: z.number().int().min(1).max(1000).default(10),
        /** Checks waiting from all addresses together; more are answered 503 "busy". */
        max_waiting: z.number().int().min(1).max(100_000).default(200),
        /** How long a check may wait for its turn; then "busy" (503) instead of a timeout in front. */
        max_wait: duration('10s', { positive: true }),
      })
      .prefault({} as never),
  }),
  storage: storage.prefault({} as never),
  second_factors: secondFactors.prefault({} as never),
  enrollment: enrollment.prefault({} as never),
  smtp: smtp.optional(),
  audit: audit.prefault({} as never),
  notifications: notifications.prefault({} as never),
  regulation: regulation.prefault({} as never),
  admin: admin.prefault({} as never),
  sites: z.array(site).default([]),
  identity_jwt: identityJwt.optional(),
  access_control: z
    .strictObject({
      default_policy: z.enum(POLICIES).default('deny'),
      networks: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/), z.array(cidr).min(1)).default({}),
      rules: z.array(rule).default([]),
    })
    .prefault({} as never),
});

export type Config = z.output<typeof configSchema>;

type Issue = { path: (string | number)[]; message: string };

/**
 * Checks that span several keys. They run on the raw document, not the parsed one, so that
 * they are reported together with field errors instead of after them are fixed.
 */
export function crossFieldIssues(raw: unknown): Issue[] {
  const issues: Issue[] = [];
  const doc = asRecord(raw);
  const server = asRecord(doc.server);
  const session = asRecord(doc.session);
  const access = asRecord(doc.access_control);
  const sites = Array.isArray(doc.sites) ? doc.sites.map(asRecord) : [];

  if ((session.store ?? 'redis') === 'redis' && doc.redis === undefined) {
    issues.push({ path: ['redis'], message: 'is required when session.store is "redis" (the default)' });
  }
  const workers = server.workers;
  if (workers !== undefined && workers !== 1 && session.store === 'memory') {
    issues.push({ path: ['server', 'workers'], message: 'needs session.store "redis": with "memory" each worker process would keep sessions of its own' });
  }
  const redisDoc = asRecord(doc.redis);
  const redisTlsDoc = redisDoc.tls === undefined ? undefined : asRecord(redisDoc.tls);
  if (redisTlsDoc !== undefined && redisDoc.sentinel === undefined && !(typeof redisDoc.url === 'string' && redisDoc.url.startsWith('rediss://'))) {
    issues.push({ path: ['redis', 'tls'], message: 'needs a rediss:// url (or redis.sentinel): with redis:// nothing would be encrypted' });
  }
  if (redisTlsDoc !== undefined && (redisTlsDoc.client_cert_file === undefined) !== (redisTlsDoc.client_key_file === undefined)) {
    issues.push({ path: ['redis', 'tls'], message: 'client_cert_file and client_key_file go together' });
  }
  const sentinelDoc = asRecord(redisDoc.sentinel);
  const waitTimeout = parseDuration(asDuration(sentinelDoc.wait_timeout, '500ms'));
  const redisTimeout = parseDuration(asDuration(redisDoc.timeout, '2s'));
  if (redisDoc.sentinel !== undefined && waitTimeout !== undefined && redisTimeout !== undefined && waitTimeout >= redisTimeout) {
    issues.push({ path: ['redis', 'sentinel', 'wait_timeout'], message: 'must be shorter than redis.timeout, which bounds the claim and its wait together' });
  }
  if (redisDoc.sentinel !== undefined && redisDoc.url !== undefined) {
    issues.push({ path: ['redis', 'url'], message: 'set either redis.url or redis.sentinel: with sentinel the master is whichever node the sentinels name' });
  }
  const idle = parseDuration(asDuration(session.idle_timeout, '1h'));
  const absolute = parseDuration(asDuration(session.absolute_timeout, '12h'));
  if (idle !== undefined && absolute !== undefined && idle > absolute) {
    issues.push({ path: ['session', 'idle_timeout'], message: 'must not exceed session.absolute_timeout' });
  }
  const portalHost = typeof server.portal_url === 'string' ? safeHostname(server.portal_url) : undefined;
  const cookieDomainIssue = typeof session.domain === 'string' ? checkCookieDomain(session.domain, portalHost) : undefined;
  if (cookieDomainIssue) issues.push({ path: ['session', 'domain'], message: cookieDomainIssue });
  const authentication = asRecord(doc.authentication);
  if (authentication.users_file === undefined && authentication.ldap === undefined) {
    issues.push({ path: ['authentication'], message: 'needs users_file, ldap, or both' });
  }
  issues.push(...ldapIssues(asRecord(authentication.ldap), ['authentication', 'ldap']));
  const names = new Map<unknown, number>();
  const urls = new Map<string, number>();
  sites.forEach((site, i) => {
    if (names.has(site.name)) issues.push({ path: ['sites', i, 'name'], message: `duplicates sites[${names.get(site.name)}].name` });
    else names.set(site.name, i);
    const url = typeof site.url === 'string' ? safeUrl(site.url) : undefined;
    if (!url) return;
    const unreachable = cookieReachIssue(url.hostname, typeof session.domain === 'string' ? session.domain : undefined, portalHost);
    if (unreachable) issues.push({ path: ['sites', i, 'url'], message: unreachable });
    const key = url.origin + url.pathname;
    if (urls.has(key)) issues.push({ path: ['sites', i, 'url'], message: `duplicates sites[${urls.get(key)}].url` });
    else urls.set(key, i);
  });
  const storageDoc = asRecord(doc.storage);
  const factorsDoc = asRecord(doc.second_factors);
  const totpEnabled = asRecord(factorsDoc.totp).enabled !== false;
  const keys = Array.isArray(storageDoc.encryption_keys) ? storageDoc.encryption_keys.map(asRecord) : [];
  if (totpEnabled && keys.length === 0) {
    issues.push({ path: ['storage', 'encryption_keys'], message: 'needs at least one key while second factors are enabled (openssl rand -base64 32)' });
  }
  const keyIds = new Map<unknown, number>();
  keys.forEach((k, i) => {
    if (keyIds.has(k.id)) issues.push({ path: ['storage', 'encryption_keys', i, 'id'], message: `duplicates encryption_keys[${keyIds.get(k.id)}].id` });
    else keyIds.set(k.id, i);
  });
  const jwtKeys = Array.isArray(asRecord(doc.identity_jwt).keys) ? asRecord(doc.identity_jwt).keys.map(asRecord) : [];
  const jwtKeyIds = new Map<unknown, number>();
  jwtKeys.forEach((k: Record<string, any>, i: number) => {
    if (jwtKeyIds.has(k.id)) issues.push({ path: ['identity_jwt', 'keys', i, 'id'], message: `duplicates identity_jwt.keys[${jwtKeyIds.get(k.id)}].id` });
    else jwtKeyIds.set(k.id, i);
  });
  sites.forEach((site, i) => {
    if (site.identity_jwt === true && doc.identity_jwt === undefined) {
      issues.push({ path: ['sites', i, 'identity_jwt'], message: 'needs the identity_jwt section (its signing keys)' });
    }
  });
  const enrollmentDoc = asRecord(doc.enrollment);
  if (asRecord(enrollmentDoc.email_code).enabled === true && doc.smtp === undefined) {
    issues.push({ path: ['smtp'], message: 'is required when enrollment.email_code is enabled' });
  }
  if (asRecord(doc.notifications).enabled === true && doc.smtp === undefined) {
    issues.push({ path: ['smtp'], message: 'is required when notifications are enabled' });
  }
  if (asRecord(factorsDoc.email_otp).enabled === true && doc.smtp === undefined) {
    issues.push({ path: ['smtp'], message: 'is required when second_factors.email_otp is enabled' });
  }
  const smsDoc = asRecord(factorsDoc.sms_otp);
  if (smsDoc.enabled === true) {
    if (smsDoc.sender === undefined) issues.push({ path: ['second_factors', 'sms_otp', 'sender'], message: 'is required when sms_otp is enabled' });
    if (!Array.isArray(smsDoc.allowed_countries) || smsDoc.allowed_countries.length === 0) {
      issues.push({ path: ['second_factors', 'sms_otp', 'allowed_countries'], message: 'must name at least one country when sms_otp is enabled (e.g. [TW])' });
    }
  }
  const sentCodesEnabled = asRecord(factorsDoc.email_otp).enabled === true || smsDoc.enabled === true;
  if (!totpEnabled && sentCodesEnabled && keys.length === 0) {
    issues.push({ path: ['storage', 'encryption_keys'], message: 'needs at least one key while email or SMS codes are enabled (openssl rand -base64 32)' });
  }
  const aliases = asRecord(access.networks);
  const trusted = Array.isArray(enrollmentDoc.trusted_networks) ? enrollmentDoc.trusted_networks : [];
  trusted.forEach((n: unknown, j: number) => {
    if (typeof n === 'string' && !isCidr(n) && !Object.hasOwn(aliases, n)) {
      issues.push({ path: ['enrollment', 'trusted_networks', j], message: `"${n}" is not a CIDR or a network named in access_control.networks` });
    }
  });
  const rules = Array.isArray(access.rules) ? access.rules.map(asRecord) : [];
  rules.forEach((rule, i) => {
    const networks = typeof rule.networks === 'string' ? [rule.networks] : Array.isArray(rule.networks) ? rule.networks : [];
    networks.forEach((n: unknown, j: number) => {
      if (typeof n !== 'string' || isCidr(n) || Object.hasOwn(aliases, n)) return;
      const message = /^[a-z0-9_-]+$/.test(n) ? `"${n}" is not a network named in access_control.networks` : `"${n}" is not a CIDR`;
      const path = typeof rule.networks === 'string' ? ['access_control', 'rules', i, 'networks'] : ['access_control', 'rules', i, 'networks', j];
      issues.push({ path, message });
    });
    if (rule.factors !== undefined && rule.policy !== 'two_factor') {
      issues.push({ path: ['access_control', 'rules', i, 'factors'], message: 'applies only to policy two_factor' });
    }
  });
  return issues;
}

/** The LDAP keys a preset cannot fill: `custom` names its own filter and username attribute. */
function ldapIssues(ldap: Record<string, any>, path: (string | number)[]): Issue[] {
  if (Object.keys(ldap).length === 0) return [];
  const issues: Issue[] = [];
  const users = asRecord(ldap.users);
  const attributes = asRecord(ldap.attributes);
  const groups = asRecord(ldap.groups);
  const tls = asRecord(ldap.tls);
  if (ldap.implementation === 'custom') {
    if (users.filter === undefined) issues.push({ path: [...path, 'users', 'filter'], message: 'is required when implementation is "custom"' });
    if (attributes.username === undefined) issues.push({ path: [...path, 'attributes', 'username'], message: 'is required when implementation is "custom"' });
    if ((groups.lookup === 'search' || groups.nested === true) && groups.filter === undefined) {
      issues.push({ path: [...path, 'groups', 'filter'], message: 'is required when implementation is "custom" and groups are searched or nested' });
    }
  }
  if (tls.insecure_skip_verify === true) {
    for (const key of ['ca_file', 'server_name']) {
      if (tls[key] !== undefined) issues.push({ path: [...path, 'tls', key], message: 'has no effect with insecure_skip_verify: true (no certificate is checked)' });
    }
  }
  return issues;
}

/**
 * What is wrong with session.domain, if anything. The browser sends the session cookie to every
 * host under that domain, so it must be one the organisation owns: not a public suffix (every
 * site registered under `com` or `github.io` would receive the session), not an address (a
 * cookie domain is a DNS name), no wildcard. And the portal must be under it, or the cookie the
 * portal sets would never come back to it.
 */
function checkCookieDomain(domain: string, portalHost: string | undefined): string | undefined {
  // Upper case, a leading or trailing dot, a port…: the field's own pattern reports those.
  if (!DOMAIN_PATTERN.test(domain)) return undefined;
  if (domain.startsWith('*.')) return `takes no wildcard: "${domain.slice(2)}" already covers every host under it`;
  // A DNS top-level name is never all digits (RFC 3696 §2); an address is, in its last part.
  if (/^\d+$/.test(domain.slice(domain.lastIndexOf('.') + 1))) {
    return `"${domain}" is an IP address; a cookie domain is a DNS name (leave session.domain out to keep the cookie on the portal's host)`;
  }
  if (isPublicSuffix(domain)) return `"${domain}" is a public suffix: the session cookie would go to every site registered under it; use your own domain`;
  if (portalHost && portalHost !== domain && !portalHost.endsWith('.' + domain)) return `must be the portal's host "${portalHost}" or a parent of it`;
  return undefined;
}

/**
 * Why the session cookie would never reach a site's host, if it would not. The browser sends
 * it only to the portal's host, or to every host under session.domain when that is set; a site
 * elsewhere would send each visitor to sign in, get a session the site never sees, and be sent
 * back to sign in again, forever.
 */
function cookieReachIssue(siteHost: string, domain: string | undefined, portalHost: string | undefined): string | undefined {
  if (domain === undefined) {
    if (portalHost === undefined || siteHost === portalHost) return undefined;
    return `host "${siteHost}" is not the portal's host "${portalHost}", so the session cookie never reaches it and visitors would be sent to sign in again and again: set session.domain to a parent of both`;
  }
  if (!DOMAIN_PATTERN.test(domain) || domain.startsWith('*.')) return undefined; // session.domain's own error says why
  if (siteHost === domain || siteHost.endsWith('.' + domain)) return undefined;
  return `host "${siteHost}" is not under session.domain "${domain}", so the session cookie never reaches it and visitors would be sent to sign in again and again`;
}

function asRecord(value: unknown): Record<string, any> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, any>) : {};
}

function asDuration(value: unknown, fallback: string): string | number {
  return typeof value === 'string' || typeof value === 'number' ? value : fallback;
}

function safeUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

function safeHostname(value: string): string | undefined {
  return safeUrl(value)?.hostname;
}
