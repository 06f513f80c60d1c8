import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { z } from 'zod';
import { describeConfig, isSecretPath, MASK, maskUrlCredentials } from './describe-config.js';
import { parseConfigText } from './load-config.js';
import { configSchema, SECRET_KEYS } from './schema.js';
import { createEverySecret, type SecretVariant } from './testing/every-secret.js';

/** Every leaf key path of the schema, arrays as `[0]`: `storage.encryption_keys[0].key`. */
function leafPaths(schema: z.ZodType, prefix: string): string[] {
  const def = (schema as { _zod: { def: Record<string, any> } })._zod.def;
  switch (def.type) {
    case 'object':
      return Object.entries(def.shape as Record<string, z.ZodType>).flatMap(([key, child]) => {
        const path = prefix ? `${prefix}.${key}` : key;
        const below = leafPaths(child, path);
        return below.length > 0 ? below : [path];
      });
    case 'array':
      return leafPaths(def.element, `${prefix}[0]`);
    case 'union':
      return [...new Set((def.options as z.ZodType[]).flatMap((o) => leafPaths(o, prefix)))];
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
      return leafPaths(def.innerType, prefix);
    case 'pipe':
      return leafPaths(def.in, prefix);
    default:
      return [];
  }
}

/**
 * Names that smell of a credential. A new key with such a name fails the table below until it
 * is either masked (a SECRET_KEYS name, or SECRET_BEARING_PATHS) or listed here as reviewed.
 */
const SUSPICIOUS = /pass|secret|token|key|private|cred|auth|sid|cert|cookie|salt|sign|body|header|value|url|dn$/i;
const REVIEWED_NOT_SECRET: Record<string, string> = {
  'server.portal_url': 'a public URL; httpUrl refuses credentials in it',
  'session.cookie_name': 'a name',
  'redis.url': 'shown with its password masked (maskUrlCredentials)',
  'redis.key_prefix': 'a name',
  'redis.tls.client_cert_file': 'a path; the certificate is public',
  'redis.tls.client_key_file': 'a path; the key stays in its file, never read into the config',
  'redis.tls.ca_file': 'a path',
  'storage.postgres.url': 'shown with its password and credential parameters masked',
  'storage.encryption_keys[0].id': 'the key id, not the key',
  'authentication.ldap.bind_dn': 'the service account name, not its password',
  'second_factors.webauthn.max_sign_in_challenges': 'a count',
  'authentication.ldap.base_dn': 'a DN',
  'authentication.ldap.users.base_dn': 'a DN',
  'authentication.ldap.groups.base_dn': 'a DN',
  'authentication.ldap.password_change_url': 'a public page',
  'second_factors.webauthn.authenticator_attachment': 'a choice of authenticators',
  'second_factors.push.vapid.public_key': 'public by definition',
  'second_factors.sms_otp.sender.account_sid': 'the Twilio account id; the auth_token is the secret',
  'second_factors.sms_otp.sender.api_url': 'the provider API base; httpUrl refuses credentials',
  'second_factors.sms_otp.sender.headers[0].name': 'a header name; its value is masked',
  'audit.webhook.url': 'only its origin is shown: a hook path is often the token',
  'second_factors.sms_otp.sender.url': 'only its origin is shown: a hook path is often the token',
  'sites[0].url': 'a public URL; httpUrl refuses credentials',
  'sites[0].upstream': 'an internal URL; httpUrl refuses credentials',
  'identity_jwt.keys[0].id': 'the key id (kid), public in the JWKS',
  'identity_jwt.header': 'a header name',
  'server.strip_headers': 'header names',
  'server.body_limit': 'a size',
  'authentication.ldap.url': 'ldapUrl refuses credentials',
  'second_factors.webauthn.origins': 'public origins',
  'second_factors.webauthn.resident_key': 'a WebAuthn option',
  'second_factors.webauthn.passwordless': 'a switch',
  'access_control.rules[0].max_auth_age': 'a duration',
  'access_control.rules[0].passwordless': 'a switch',
};

const paths = leafPaths(configSchema, '');

describe('which settings are secrets, decided from the schema', () => {
  it('walks the whole schema (guards the walker)', () => {
    expect(paths).toContain('redis.password');
    expect(paths).toContain('second_factors.sms_otp.sender.auth_token');
    expect(paths).toContain('second_factors.sms_otp.sender.headers[0].value');
    expect(paths.length).toBeGreaterThan(150);
  });

  it('masks exactly these paths by key (a new secret key shows up here)', () => {
    expect(paths.filter(isSecretPath).sort()).toEqual(
      [
        'authentication.ldap.password',
        'identity_jwt.keys[0].private_key',
        'redis.password',
        'redis.sentinel.password',
        'second_factors.push.vapid.private_key',
        'second_factors.sms_otp.sender.auth_token',
        'second_factors.sms_otp.sender.body',
        'second_factors.sms_otp.sender.headers[0].value',
        'smtp.password',
        'storage.encryption_keys[0].key',
        'storage.postgres.password',
      ].sort(),
    );
  });

  it('masks every key the loader reads from a *_file, wherever it is', () => {
    for (const key of SECRET_KEYS) {
      expect(isSecretPath(key)).toBe(true);
      expect(isSecretPath(`some.section[3].${key}`)).toBe(true);
    }
    expect(isSecretPath('redis.key_prefix')).toBe(false);
    expect(isSecretPath('second_factors.push.vapid.public_key')).toBe(false);
  });

  it.each(paths.filter((p) => SUSPICIOUS.test(p.split('.').at(-1)!)))('%s: masked, or reviewed as not secret', (path) => {
    expect(isSecretPath(path) || path in REVIEWED_NOT_SECRET).toBe(true);
  });
});

describe('maskUrlCredentials', () => {
  it.each([
    ['redis://:s3cr3t@redis.corp:6379', `redis://:${MASK}@redis.corp:6379`],
    ['redis://gatehouse:s3cr3t@redis.corp:6379/2', `redis://gatehouse:${MASK}@redis.corp:6379/2`],
    ['rediss://:p%40ss%3Aw0rd@10.0.0.5:6380', `rediss://:${MASK}@10.0.0.5:6380`],
    ['redis://:p@ss@redis.corp', `redis://:${MASK}@redis.corp`],
    ['postgres://gh:pw@db/gatehouse?sslmode=require', `postgres://gh:${MASK}@db/gatehouse?sslmode=require`],
    ['postgres://db/gatehouse?password=pw&sslmode=require', `postgres://db/gatehouse?password=${MASK}&sslmode=require`],
    ['postgres://db/g?sslpassword=pw&PASSWORD=pw2&auth_token=x', `postgres://db/g?sslpassword=${MASK}&PASSWORD=${MASK}&auth_token=${MASK}`],
    ['https://user:pw@example.com/x', `https://user:${MASK}@example.com/x`],
  ])('%s → %s', (input, shown) => {
    expect(maskUrlCredentials(input)).toEqual({ text: shown, masked: true });
  });

  it.each(['redis://127.0.0.1:6379', 'redis://user@host:1', 'postgres://db/gatehouse?sslmode=require', 'https://auth.corp.example/', 'plain text', 'a://b'])(
    '%s: nothing to mask',
    (input) => {
      expect(maskUrlCredentials(input)).toEqual({ text: input, masked: false });
    },
  );

  it.each(['redis://:secret@[bad', 'redis://:secret@ho st', 'xx://:secret@%zz'])('%s: does not parse, masked whole', (input) => {
    const out = maskUrlCredentials(input);
    if (out.masked) expect(out.text).not.toContain('secret');
    else expect(() => new URL(input)).not.toThrow();
    expect(out.text).not.toContain('secret');
  });
});

describe('describeConfig', () => {
  const variants: Array<[string, SecretVariant]> = [
    ['redis url, SMS webhook, LDAP, PostgreSQL', { redis: { url: 'redis://127.0.0.1:6379' }, sms: 'webhook', ldap: true, postgres: true }],
    ['Redis Sentinel, Twilio', { redis: 'sentinel', sms: 'twilio', ldap: false, postgres: false }],
  ];

  it.each(variants)('shows no secret value of a config with every secret set (%s)', (_name, variant) => {
    const secrets = createEverySecret();
    const raw: Record<string, any> = {
      server: { portal_url: 'https://auth.corp.example/' },
      session: { domain: 'corp.example' },
      authentication: { users_file: 'users.yml' },
    };
    secrets.apply(raw, variant);
    const loaded = parseConfigText(stringify(raw), { env: {}, baseDir: '/etc/gatehouse' });
    expect(loaded.ok ? [] : loaded.errors).toEqual([]);
    if (!loaded.ok) return;
    const shown = JSON.stringify(describeConfig(loaded.config));
    const expected = Object.entries(secrets.markers).filter(([name]) => applies(name, variant));
    expect(expected.length).toBeGreaterThan(6);
    for (const [name, value] of expected) expect(shown, name).not.toContain(value);
    expect(shown).toContain(MASK);
    // What is not secret is still there to read.
    expect(shown).toContain('https://auth.corp.example/');
    expect(shown).toContain('shown-id');
  });

  it('reads as sections of rows, in the file order, lists on one line', () => {
    const loaded = parseConfigText(
      stringify({
        server: { portal_url: 'https://auth.corp.example/', trusted_proxies: ['10.0.0.1', '10.0.0.2'] },
        authentication: { users_file: 'u.yml' },
        session: { store: 'memory' },
        second_factors: { totp: { enabled: false } },
      }),
      {
        env: {},
        baseDir: '/etc/gatehouse',
      },
    );
    if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
    const sections = describeConfig(loaded.config);
    expect(sections[0]!.name).toBe('server');
    expect(sections[0]!.rows).toContainEqual({ path: 'server.trusted_proxies', value: '10.0.0.1, 10.0.0.2', masked: false });
    expect(sections.find((s) => s.name === 'authentication')!.rows).toContainEqual({ path: 'authentication.users_file', value: '/etc/gatehouse/u.yml', masked: false });
    expect(sections.find((s) => s.name === 'sites')!.rows).toEqual([{ path: 'sites', value: null, masked: false }]);
  });
});

function applies(name: string, variant: SecretVariant): boolean {
  if (name.startsWith('redisUrl')) return typeof variant.redis === 'object';
  if (name.startsWith('sentinel')) return variant.redis === 'sentinel';
  if (name.startsWith('postgres')) return variant.postgres;
  if (name.startsWith('ldap')) return variant.ldap;
  if (name.startsWith('twilio')) return variant.sms === 'twilio';
  if (name.startsWith('webhook')) return variant.sms === 'webhook';
  return true;
}
