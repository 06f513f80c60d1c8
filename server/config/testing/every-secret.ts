import { generateKeyPairSync, randomBytes } from 'node:crypto';

/**
 * A known, unique value for every secret the config schema has, for tests that must find none
 * of them in what is shown. Values are letters and digits only (hex, or base64url cut to its
 * letters), so an HTML-escaped leak reads the same as a raw one.
 */
export interface EverySecret {
  /** Every value that must never be shown, by a name saying where it was put. */
  markers: Record<string, string>;
  /** Sections to merge into a config object before it is parsed; see withEverySecret. */
  apply(config: Record<string, any>, options: SecretVariant): void;
}

/** The schema has alternatives that exclude each other: one config cannot hold every secret at once. */
export interface SecretVariant {
  /** redis.url with a password (the Redis must then ask for it) or redis.sentinel with its own. */
  redis: { url: string } | 'sentinel' | 'keep';
  sms: 'webhook' | 'twilio';
  /** LDAP's bind password and PostgreSQL's: only where nothing connects to them. */
  ldap: boolean;
  postgres: boolean;
}

const word = (label: string) => `${label}${randomBytes(12).toString('hex')}`;
const letters = (bytes: number, length: number) => randomBytes(bytes).toString('base64url').replace(/[-_]/g, 'x').slice(0, length);

export function createEverySecret(): EverySecret {
  const pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const markers: Record<string, string> = {
    redisPassword: word('redisPw'),
    redisUrlPassword: word('redisUrlPw'),
    sentinelPassword: word('sentinelPw'),
    postgresPassword: word('pgPw'),
    postgresUrlPassword: word('pgUrlPw'),
    postgresQueryPassword: word('pgQueryPw'),
    encryptionKey: randomBytes(32).toString('hex'),
    smtpPassword: word('smtpPw'),
    ldapPassword: word('ldapPw'),
    twilioToken: word('twilioTok'),
    webhookHeader: word('hookHeader'),
    webhookUrlToken: word('hookPath'),
    webhookBodyKey: word('hookBody'),
    auditWebhookToken: word('auditHook'),
    vapidPrivateKey: letters(40, 43),
    // Each line of the PEM's body is key material; the middle ones are the private scalar's.
    jwtPrivateKey: pem.split('\n')[2]!,
  };

  function apply(config: Record<string, any>, variant: SecretVariant): void {
    const m = markers;
    if (variant.redis === 'sentinel') {
      config.redis = { sentinel: { master_name: 'gatehouse', nodes: ['127.0.0.1:26379'], username: 'watcher', password: m.sentinelPassword }, password: m.redisPassword };
    } else if (variant.redis !== 'keep') {
      const url = new URL(variant.redis.url);
      config.redis = { ...config.redis, url: `redis://:${m.redisUrlPassword}@${url.host}`, password: m.redisPassword };
    }
    config.storage = { ...config.storage, encryption_keys: [...(config.storage?.encryption_keys ?? []), { id: 'shown-id', key: m.encryptionKey }] };
    if (variant.postgres) {
      config.storage.postgres = {
        url: `postgres://gatehouse:${m.postgresUrlPassword}@db.corp.example/gatehouse?sslmode=require&password=${m.postgresQueryPassword}`,
        password: m.postgresPassword,
      };
    }
    config.smtp = { host: 'smtp.corp.example', username: 'gatehouse', password: m.smtpPassword, from: 'gatehouse@corp.example' };
    config.identity_jwt = { keys: [{ id: 'jwt-2026', private_key: pem }] };
    config.audit = { webhook: { url: `http://127.0.0.1:9/hooks/${m.auditWebhookToken}`, kinds: ['webauthn.clone_warning'], retries: 0 } };
    const sender =
      variant.sms === 'webhook'
        ? {
            type: 'webhook',
            url: `https://sms.corp.example/send/${m.webhookUrlToken}`,
            headers: [{ name: 'Authorization', value: `Bearer ${m.webhookHeader}` }],
            body: `{"api_key":"${m.webhookBodyKey}","to":"{to}","text":"{code}"}`,
          }
        : { type: 'twilio', account_sid: `AC${'0'.repeat(32)}`, auth_token: m.twilioToken, from: '+886912345678' };
    config.second_factors = {
      ...config.second_factors,
      push: { ...config.second_factors?.push, vapid: { public_key: letters(80, 87), private_key: m.vapidPrivateKey, subject: 'mailto:it@corp.example' } },
      sms_otp: { ...config.second_factors?.sms_otp, sender },
    };
    if (variant.ldap) {
      config.authentication = {
        ...config.authentication,
        ldap: { implementation: 'openldap', url: 'ldaps://ldap.corp.example', bind_dn: 'cn=gatehouse,dc=corp,dc=example', password: m.ldapPassword, base_dn: 'dc=corp,dc=example' },
      };
    }
  }

  return { markers, apply };
}
