import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfigText } from './load-config.js';
import { redisOptionsFromConfig } from '../kv/redis-options.js';
import { tempDirForFile } from '../testing/temp-dir.js';

const dir = tempDirForFile('gatehouse-config-');
const parse = (text: string, env: Record<string, string> = {}) => parseConfigText(text, { env, baseDir: dir });

const MINIMAL = `
server:
  portal_url: https://auth.corp.example/
session:
  store: memory
authentication:
  users_file: users.yml
storage:
  encryption_keys: [{ id: k1, key: "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0" }]
`;

describe('loading the config', () => {
  it('fills safe defaults', () => {
    const result = parse(MINIMAL);
    if (!result.ok) throw new Error(result.errors.join('\n'));
    const c = result.config;
    expect(c.access_control.default_policy).toBe('deny');
    expect(c.server.port).toBe(9091);
    expect(c.server.trusted_proxies).toEqual([]);
    expect(c.session.idle_timeout).toBe(3600);
    expect(c.session.absolute_timeout).toBe(43_200);
    expect(c.session.remember_me).toBe(0);
    expect(c.session.cookie_name).toBe('gatehouse_session');
    expect(c.metrics.networks).toEqual(['127.0.0.0/8', '::1/128']);
    expect(c.authentication.users_file).toBe(join(dir, 'users.yml'));
    expect(Object.isFrozen(c.session)).toBe(true);
  });

  it('reports every error at once, each with its path', () => {
    const result = parse(`
server:
  portal_url: http://auth.corp.example/
  trusted_proxies: [10.0.0/8, 192.168.1.0/24]
  colour: blue
session: { store: redis, idle_timeout: 2d, absolute_timeout: 1d }
authentication: {}
sites:
  - { name: Wiki, url: https://wiki.corp.example/, upstream: "ftp://10.0.0.5" }
  - { name: wiki2, url: https://wiki.corp.example/, timeout: soon }
access_control:
  default_policy: allow
  rules:
    - { domain: wiki.corp.example, policy: one_factor }
    - { domain: wiki.corp.example, resources: ["(unclosed"], policy: one_factor }
    - { domain: wiki.corp.example, resources: ["^/(?=lookahead)"], policy: one_factor }
    - { domain: wiki.corp.example, networks: [10.0.0/8, office], policy: bypass }
    - { domain: "Wiki.Corp.Example.", subject: [admin], policy: two_factor, factors: [sms] }
`);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual(
      expect.arrayContaining([
        'server.portal_url: "http://auth.corp.example/" must use https (plain http is allowed only for localhost)',
        'server.trusted_proxies[0]: "10.0.0/8" is not a CIDR',
        'server.colour: unknown key',
        'authentication: needs users_file, ldap, or both',
        'sites[0].name: must be lower-case letters, digits, "-" or "_"',
        'sites[0].upstream: "ftp://10.0.0.5" must be an http or https URL',
        'sites[1].timeout: "soon" is not a duration (use e.g. 90s, 10m, 1h, 30d)',
        'sites[1].url: duplicates sites[0].url',
        'redis: is required when session.store is "redis" (the default)',
        'session.idle_timeout: must not exceed session.absolute_timeout',
        'access_control.rules[3].networks[0]: "10.0.0/8" is not a CIDR',
        'access_control.rules[3].networks[1]: "office" is not a network named in access_control.networks',
      ]),
    );
    expect(result.errors.some((e) => e.startsWith('access_control.default_policy:'))).toBe(true);
    expect(result.errors.some((e) => e.startsWith('access_control.rules[1].resources[0]: "(unclosed" is not a valid pattern'))).toBe(true);
    expect(result.errors.some((e) => e.startsWith('access_control.rules[2].resources[0]:'))).toBe(true);
    expect(result.errors.some((e) => e.startsWith('access_control.rules[4].domain[0]:') || e.startsWith('access_control.rules[4].domain:'))).toBe(true);
    expect(result.errors.some((e) => e.startsWith('access_control.rules[4].subject'))).toBe(true);
    expect(result.errors.some((e) => e.startsWith('access_control.rules[4].factors[0]:'))).toBe(true);
    expect(result.errors.length).toBeGreaterThanOrEqual(18);
  });

  it('substitutes ${ENV} in values, and says which variable is missing', () => {
    const ok = parse(
      `${MINIMAL.replace('store: memory', 'store: memory\n  domain: corp.example')}sites:\n  - { name: app, url: "https://\${APP_HOST}/", upstream: "http://\${UPSTREAM}" }\n`,
      { APP_HOST: 'app.corp.example', UPSTREAM: '10.0.0.9:8080' },
    );
    if (!ok.ok) throw new Error(ok.errors.join('\n'));
    expect(ok.config.sites[0]!.url.href).toBe('https://app.corp.example/');
    expect(ok.config.sites[0]!.upstream!.href).toBe('http://10.0.0.9:8080/');
    const missing = parse(`${MINIMAL}sites:\n  - { name: app, url: "https://\${APP_HOST}/" }\n`);
    expect(missing.ok ? [] : missing.errors).toContain('sites[0].url: environment variable APP_HOST is not set');
  });

  it('keeps $${...} as a literal and never evaluates anything else', () => {
    const result = parse(`${MINIMAL}redis: { url: "redis://r:6379", password: "a$\${NOT_A_VAR}b" }\n`);
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(result.config.redis!.password).toBe('a${NOT_A_VAR}b');
  });

  it('reads a secret from a *_file key, trimmed of its final newline', () => {
    writeFileSync(join(dir, 'redis-pass'), 's3cret value\n');
    const result = parse(`${MINIMAL}redis: { url: "redis://r:6379", password_file: redis-pass }\n`);
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(result.config.redis!.password).toBe('s3cret value');
  });

  it('reads the SMS sender secrets from files: a webhook header value and the Twilio auth token', () => {
    writeFileSync(join(dir, 'sms-bearer'), 'Bearer hook-secret\n');
    writeFileSync(join(dir, 'twilio-token'), 'tw-secret\n');
    const hook = parse(
      `${MINIMAL}second_factors: { sms_otp: { sender: { type: webhook, url: "https://sms.example/send", body: "{to}", headers: [{ name: Authorization, value_file: sms-bearer }] } } }\n`,
    );
    if (!hook.ok) throw new Error(hook.errors.join('\n'));
    expect(hook.config.second_factors.sms_otp.sender).toMatchObject({ headers: [{ name: 'Authorization', value: 'Bearer hook-secret' }] });
    const twilio = parse(
      `${MINIMAL}second_factors: { sms_otp: { sender: { type: twilio, account_sid: AC${'0'.repeat(32)}, auth_token_file: twilio-token, from: "+15005550006" } } }\n`,
    );
    if (!twilio.ok) throw new Error(twilio.errors.join('\n'));
    expect(twilio.config.second_factors.sms_otp.sender).toMatchObject({ auth_token: 'tw-secret' });
    expect((twilio.config.second_factors.sms_otp.sender as { api_url: URL }).api_url.href).toBe('https://api.twilio.com/');
  });

  it('refuses a secret given both ways, a missing secret file and _file on a non-secret key', () => {
    const result = parse(`${MINIMAL}redis: { url: "redis://r:6379", password: x, password_file: y }\n`);
    expect(result.ok ? [] : result.errors).toContain('redis.password_file: set either password or password_file, not both');
    const missing = parse(`${MINIMAL}redis: { url: "redis://r:6379", password_file: nope }\n`);
    expect(missing.ok ? [] : missing.errors).toContain('redis.password_file: cannot read "nope" (ENOENT)');
    const notSecret = parse(`${MINIMAL}redis: { url_file: x }\n`);
    expect(notSecret.ok ? [] : notSecret.errors).toContain('redis.url_file: unknown key');
  });

  it.each([
    ['bad YAML', 'server: [unclosed'],
    ['duplicate keys', 'server: {}\nserver: {}'],
    ['a scalar document', '42'],
    ['an empty document', ''],
  ])('reports %s without throwing', (_name, text) => {
    const result = parse(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.length).toBeGreaterThan(0);
  });

  it('refuses a billion-laughs alias bomb', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...Array.from(
        { length: 9 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`,
      ),
    ].join('\n');
    expect(() => parse(bomb)).not.toThrow();
    expect(parse(bomb).ok).toBe(false);
  });

  it('says so when the file cannot be read', () => {
    const result = loadConfigFile(join(dir, 'absent.yml'), {});
    expect(result.ok ? [] : result.errors).toEqual([`${join(dir, 'absent.yml')}: cannot be read (ENOENT)`]);
  });

  it('accepts plain http only for localhost', () => {
    for (const host of ['localhost', 'auth.localhost', '127.0.0.1']) {
      const r = parse(MINIMAL.replace('https://auth.corp.example/', `http://${host}:9091/`));
      expect(r.ok).toBe(true);
    }
  });
});

describe('timeouts', () => {
  it.each(['session: { store: memory, idle_timeout: 0 }', 'session: { store: memory, absolute_timeout: 0s }', 'session: { store: memory, cache_ttl: 0 }'])(
    'refuses a zero timeout: %s',
    (line) => {
      const result = parseConfigText(MINIMAL.replace('session:\n  store: memory', line), { env: {}, baseDir: dir });
      expect(result.ok ? [] : result.errors.join('\n')).toMatch(/must be longer than 0/);
    },
  );
});

describe('storage and second factors', () => {
  const withoutKeys = MINIMAL.replace(/storage:\n {2}encryption_keys: .*\n/, '');

  it('needs an encryption key while second factors are enabled, and says how to make one', () => {
    const result = parse(withoutKeys);
    expect(result.ok ? [] : result.errors).toContain('storage.encryption_keys: needs at least one key while second factors are enabled (openssl rand -base64 32)');
    expect(parse(`${withoutKeys}second_factors: { totp: { enabled: false } }\n`).ok).toBe(true);
  });

  it.each(['too-short', 'Zm9v', '0'.repeat(63), `${'0'.repeat(64)}00`, 'not base64 at all but 44 characters long!!'])('refuses the key %j', (key) => {
    const result = parse(`${withoutKeys}storage: { encryption_keys: [{ id: k1, key: "${key}" }] }\n`);
    expect(result.ok ? [] : result.errors).toContain('storage.encryption_keys[0].key: must be 32 bytes, as 64 hex digits or base64 (openssl rand -base64 32)');
  });

  it('refuses duplicate key ids', () => {
    const key = '1'.repeat(64);
    const result = parse(`${withoutKeys}storage: { encryption_keys: [{ id: k1, key: "${key}" }, { id: k1, key: "${key}" }] }\n`);
    expect(result.ok ? [] : result.errors).toContain('storage.encryption_keys[1].id: duplicates encryption_keys[0].id');
  });

  it('needs smtp for email codes, and a sender and countries for SMS codes', () => {
    const result = parse(`${MINIMAL}second_factors: { email_otp: { enabled: true }, sms_otp: { enabled: true } }\n`);
    const errors = result.ok ? [] : result.errors;
    expect(errors).toContain('smtp: is required when second_factors.email_otp is enabled');
    expect(errors).toContain('second_factors.sms_otp.sender: is required when sms_otp is enabled');
    expect(errors).toContain('second_factors.sms_otp.allowed_countries: must name at least one country when sms_otp is enabled (e.g. [TW])');
  });

  it.each([
    ['ttl: 11m', 'second_factors.sms_otp.ttl: must be at most 10m'],
    ['digits: 7', 'second_factors.sms_otp.digits'],
    ['allowed_countries: [tw]', 'second_factors.sms_otp.allowed_countries[0]: must be an ISO 3166 alpha-2 country code in capitals (TW)'],
    ['sender: { type: twilio, account_sid: AC1, auth_token: x, from: "+15005550006" }', 'second_factors.sms_otp.sender.account_sid'],
    ['sender: { type: webhook, url: "https://sms.example/send?key=1", body: "{to}" }', 'must not contain credentials, a query or a fragment'],
    ['sender: { type: webhook, url: "https://sms.example/", body: "x", headers: [{ name: "X-A", value: "a\\r\\nB: c" }] }', 'must not contain line breaks'],
  ])('refuses sms_otp.%s', (field, message) => {
    const result = parse(`${MINIMAL}second_factors: { sms_otp: { ${field} } }\n`);
    expect((result.ok ? [] : result.errors).join('\n')).toContain(message);
  });

  it('needs smtp for email enrollment codes', () => {
    const result = parse(`${MINIMAL}enrollment: { email_code: { enabled: true } }\n`);
    expect(result.ok ? [] : result.errors).toContain('smtp: is required when enrollment.email_code is enabled');
  });

  it('fills second-factor defaults', () => {
    const result = parse(MINIMAL);
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(result.config.second_factors.totp).toEqual({
      enabled: true,
      issuer: 'Gatehouse',
      digits: 6,
      period: 30,
      algorithm: 'SHA1',
      window: 1,
      drift_warning: 180,
      max_drift: 600,
    });
    expect(result.config.second_factors.hotp.look_ahead).toBe(10);
    expect(result.config.enrollment.email_code).toEqual({ enabled: false, ttl: 3600 });
    expect(result.config.enrollment.fresh_factor_age).toBe(600);
  });
});

describe('session.domain', () => {
  const withDomain = (domain: string, portal = 'https://auth.corp.example/') =>
    parse(MINIMAL.replace('https://auth.corp.example/', portal).replace('session:\n  store: memory', `session:\n  store: memory\n  domain: ${JSON.stringify(domain)}`));
  const errorsOf = (result: ReturnType<typeof parse>) => (result.ok ? [] : result.errors);
  const sessionDomainErrors = (result: ReturnType<typeof parse>) => errorsOf(result).filter((e) => e.startsWith('session.domain:'));

  // Each with the portal one level below it, so only the suffix is wrong; one level down is fine.
  it.each(['com', 'org', 'io', 'co.uk', 'com.au', 'co.jp', 'anything.ck', 'github.io', 'blogspot.com', 'herokuapp.com', 's3.amazonaws.com', 'pages.dev', 'lan', 'internal'])(
    'refuses the public suffix %s, and accepts the domain under it',
    (suffix) => {
      expect(sessionDomainErrors(withDomain(suffix, `https://auth.corp.${suffix}/`))).toEqual([
        `session.domain: "${suffix}" is a public suffix: the session cookie would go to every site registered under it; use your own domain`,
      ]);
      expect(errorsOf(withDomain(`corp.${suffix}`, `https://auth.corp.${suffix}/`))).toEqual([]);
    },
  );

  it.each(['.com', 'COM', 'com.', '.corp.example', 'Corp.Example', 'corp.example.', 'corp..example', 'corp.example:443', 'corp example', '', '*.', '-corp.example'])(
    'refuses the spelling %j with the field’s own message',
    (domain) => {
      const errors = sessionDomainErrors(withDomain(domain));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^session\.domain: .* is not a domain or "\*\.domain" wildcard/);
    },
  );

  it('refuses a wildcard', () => {
    expect(sessionDomainErrors(withDomain('*.corp.example'))).toEqual(['session.domain: takes no wildcard: "corp.example" already covers every host under it']);
  });

  it.each([
    ['127.0.0.1', 'http://127.0.0.1:9091/'],
    ['10.0.0.1', 'https://10.0.0.1/'],
    ['0.0.1', 'https://10.0.0.1/'],
    ['0.1', 'https://10.0.0.1/'],
    ['1', 'https://10.0.0.1/'],
    ['1.2.3.4', 'https://auth.corp.example/'],
  ])('refuses the address %s (portal %s)', (domain, portal) => {
    expect(sessionDomainErrors(withDomain(domain, portal))).toEqual([
      `session.domain: "${domain}" is an IP address; a cookie domain is a DNS name (leave session.domain out to keep the cookie on the portal's host)`,
    ]);
  });

  it.each([
    ['localhost', 'http://auth.localhost/'],
    ['localhost', 'http://localhost:9091/'],
    ['demo.localhost', 'http://auth.demo.localhost:8080/'],
    ['corp.example', 'https://auth.corp.example/'],
    ['auth.corp.example', 'https://auth.corp.example/'],
    ['example.com', 'https://sso.intranet.example.com/auth/'],
    ['corp.github.io', 'https://auth.corp.github.io/'],
  ])('accepts %s for the portal %s', (domain, portal) => {
    expect(errorsOf(withDomain(domain, portal))).toEqual([]);
  });

  it.each(['other.example', 'wiki.corp.example', 'orp.example', 'rp.example', 'corp.example.com', 'example.com', 'xauth.corp.example', 'auth.corp.example.evil.com', 'localhost'])(
    'refuses %s, which does not cover the portal auth.corp.example',
    (domain) => {
      expect(sessionDomainErrors(withDomain(domain))).toEqual([`session.domain: must be the portal's host "auth.corp.example" or a parent of it`]);
    },
  );

  it('is reported together with the other errors', () => {
    const result = parse(
      MINIMAL.replace('session:\n  store: memory', 'session:\n  store: memory\n  domain: co.uk\n  idle_timeout: soon').replace(
        'users_file: users.yml',
        'users_file: users.yml\n  colour: blue',
      ),
    );
    expect(errorsOf(result)).toEqual(
      expect.arrayContaining([
        'session.domain: "co.uk" is a public suffix: the session cookie would go to every site registered under it; use your own domain',
        'session.idle_timeout: "soon" is not a duration (use e.g. 90s, 10m, 1h, 30d)',
        'authentication.colour: unknown key',
      ]),
    );
  });
});

describe('sites the session cookie reaches', () => {
  const withSites = (domain: string | undefined, portal: string, urls: string[]) =>
    parse(
      MINIMAL.replace('https://auth.corp.example/', portal).replace(
        'session:\n  store: memory',
        `session:\n  store: memory${domain === undefined ? '' : `\n  domain: ${JSON.stringify(domain)}`}`,
      ) + `sites:\n${urls.map((url, i) => `  - { name: s${i}, url: ${JSON.stringify(url)} }`).join('\n')}\n`,
    );
  const siteErrors = (result: ReturnType<typeof parse>) => (result.ok ? [] : result.errors.filter((e) => e.startsWith('sites[')));

  it.each([
    ['corp.example', 'https://auth.corp.example/', ['https://wiki.corp.example/', 'https://corp.example/', 'https://a.b.corp.example/x/']],
    ['localhost', 'http://auth.localhost:9091/', ['http://app.localhost:8080/', 'http://localhost:3000/']],
    [undefined, 'https://auth.corp.example/', ['https://auth.corp.example/wiki/']],
  ] as const)('accepts sites under session.domain %s (portal %s)', (domain, portal, urls) => {
    const result = withSites(domain, portal, [...urls]);
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it.each([
    ['https://wiki.other.example/', 'wiki.other.example'],
    ['https://wikicorp.example/', 'wikicorp.example'],
    ['https://corp.example.evil.com/', 'corp.example.evil.com'],
    ['https://example/', 'example'],
    ['https://10.0.0.5/', '10.0.0.5'],
  ])('refuses %s, outside session.domain corp.example: the visitor would loop through sign-in', (url, host) => {
    expect(siteErrors(withSites('corp.example', 'https://auth.corp.example/', ['https://wiki.corp.example/', url]))).toEqual([
      `sites[1].url: host "${host}" is not under session.domain "corp.example", so the session cookie never reaches it and visitors would be sent to sign in again and again`,
    ]);
  });

  it('without session.domain, refuses a site on another host than the portal, and says what to set', () => {
    expect(siteErrors(withSites(undefined, 'https://auth.corp.example/', ['https://wiki.corp.example/']))).toEqual([
      'sites[0].url: host "wiki.corp.example" is not the portal\'s host "auth.corp.example", so the session cookie never reaches it and visitors would be sent to sign in again and again: set session.domain to a parent of both',
    ]);
  });

  it('a session.domain that is wrong on its own is reported once, not again for every site', () => {
    const result = withSites('*.corp.example', 'https://auth.corp.example/', ['https://wiki.other.example/']);
    expect(siteErrors(result)).toEqual([]);
    expect(result.ok ? [] : result.errors).toContain('session.domain: takes no wildcard: "corp.example" already covers every host under it');
  });
});

describe('server.strip_headers', () => {
  const withStrip = (names: string) => MINIMAL.replace('  portal_url: https://auth.corp.example/', `  portal_url: https://auth.corp.example/\n  strip_headers: ${names}`);

  it('is empty by default and keeps the names as written', () => {
    const none = parse(MINIMAL);
    expect(none.ok && none.config.server.strip_headers).toEqual([]);
    const some = parse(withStrip('[X-Internal-Role, x_tenant, Authorization]'));
    expect(some.ok ? some.config.server.strip_headers : some.errors).toEqual(['X-Internal-Role', 'x_tenant', 'Authorization']);
  });

  it.each(['"X Role"', '"X-Role:"', '""', '"Réle"', '"X-Role\\r\\nX-Evil"', '"(x)"', `"${'a'.repeat(129)}"`])('refuses %s, which is not a header name', (name) => {
    const result = parse(withStrip(`[${name}]`));
    expect(result.ok ? [] : result.errors).toEqual([expect.stringMatching(/^server\.strip_headers\[0\]: .*is not a header name$/)]);
  });

  it.each(['Host', 'content-length', 'Transfer_Encoding'])('refuses %s, which the request cannot be forwarded without', (name) => {
    const result = parse(withStrip(`[${name}]`));
    expect(result.ok ? [] : result.errors).toEqual([expect.stringMatching(/^server\.strip_headers\[0\]: .*cannot be stripped/)]);
  });
});

describe('redis.sentinel', () => {
  const withRedis = (redis: string) => MINIMAL.replace('session:\n  store: memory', `session:\n  store: redis\nredis:\n${redis}`);

  it('reads the master name, the sentinels as host:port (IPv6 in brackets) and both passwords, each from a file if wanted', () => {
    writeFileSync(join(dir, 'sentinel-password'), 'sentinel-secret\n');
    writeFileSync(join(dir, 'redis-password'), 'data-secret\n');
    const result = parse(
      withRedis(`  sentinel:
    master_name: gatehouse
    nodes: [10.0.0.11:26379, "sentinel-2.corp.example:26380", "[fd00::13]:26379"]
    username: watcher
    password_file: sentinel-password
  password_file: redis-password
`),
    );
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(result.config.redis?.sentinel).toEqual({
      master_name: 'gatehouse',
      nodes: [
        { host: '10.0.0.11', port: 26379 },
        { host: 'sentinel-2.corp.example', port: 26380 },
        { host: 'fd00::13', port: 26379 },
      ],
      username: 'watcher',
      password: 'sentinel-secret',
      min_replicas_acknowledged: 0,
      wait_timeout: 0.5,
    });
    expect(result.config.redis?.password).toBe('data-secret');
  });

  it('reads how many replicas must confirm a claim and how long a claim waits, into the Kv options', () => {
    const result = parse(withRedis('  sentinel: { master_name: g, nodes: ["10.0.0.11:26379"], min_replicas_acknowledged: 2, wait_timeout: 300ms }\n  timeout: 1s\n'));
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(result.config.redis?.sentinel).toMatchObject({ min_replicas_acknowledged: 2, wait_timeout: 0.3 });
    expect(redisOptionsFromConfig(result.config.redis!).sentinel).toMatchObject({ minReplicasAcknowledged: 2, waitTimeoutMs: 300 });
  });

  it.each([
    '10.0.0.11',
    '10.0.0.11:',
    ':26379',
    '10.0.0.11:0',
    '10.0.0.11:65536',
    '10.0.0.11:263790',
    'fd00::13:26379',
    '[fd00::13]',
    '[fd00::13]:',
    'host name:26379',
    'redis://10.0.0.11:26379',
    '10.0.0.11:26379/0',
    '10.0.0.11:port',
    '',
  ])('refuses the sentinel node %j, naming it', (node) => {
    const result = parse(withRedis(`  sentinel: { master_name: gatehouse, nodes: [${JSON.stringify(node)}] }\n`));
    expect(result.ok ? [] : result.errors).toEqual([`redis.sentinel.nodes[0]: ${JSON.stringify(node)} is not host:port (e.g. 10.0.0.5:26379 or [fd00::5]:26379)`]);
  });

  it.each([
    ['no nodes', '  sentinel: { master_name: gatehouse, nodes: [] }\n', /redis\.sentinel\.nodes: must list at least one sentinel/],
    ['no master name', '  sentinel: { nodes: ["10.0.0.11:26379"] }\n', /redis\.sentinel\.master_name: is required/],
    ['an unknown key', '  sentinel: { master_name: g, nodes: ["10.0.0.11:26379"], quorum: 2 }\n', /redis\.sentinel\.quorum: unknown key/],
    ['a url besides', '  url: redis://10.0.0.5:6379\n  sentinel: { master_name: g, nodes: ["10.0.0.11:26379"] }\n', /redis\.url: set either redis\.url or redis\.sentinel/],
    [
      'password and password_file both',
      '  sentinel: { master_name: g, nodes: ["10.0.0.11:26379"], password: a, password_file: b }\n',
      /redis\.sentinel\.password_file: set either password or password_file, not both/,
    ],
    ['a negative replica count', '  sentinel: { master_name: g, nodes: ["10.0.0.11:26379"], min_replicas_acknowledged: -1 }\n', /redis\.sentinel\.min_replicas_acknowledged: /],
    ['a fractional replica count', '  sentinel: { master_name: g, nodes: ["10.0.0.11:26379"], min_replicas_acknowledged: 1.5 }\n', /redis\.sentinel\.min_replicas_acknowledged: /],
    ['a replica count as text', '  sentinel: { master_name: g, nodes: ["10.0.0.11:26379"], min_replicas_acknowledged: "1" }\n', /redis\.sentinel\.min_replicas_acknowledged: /],
    ['a zero wait', '  sentinel: { master_name: g, nodes: ["10.0.0.11:26379"], wait_timeout: 0ms }\n', /redis\.sentinel\.wait_timeout: must be longer than 0/],
    [
      'a wait that is not a duration',
      '  sentinel: { master_name: g, nodes: ["10.0.0.11:26379"], wait_timeout: soon }\n',
      /redis\.sentinel\.wait_timeout: "soon" is not a duration/,
    ],
    [
      'a wait as long as redis.timeout',
      '  sentinel: { master_name: g, nodes: ["10.0.0.11:26379"], wait_timeout: 2s }\n',
      /redis\.sentinel\.wait_timeout: must be shorter than redis\.timeout/,
    ],
    [
      'a wait longer than a shortened redis.timeout',
      '  sentinel: { master_name: g, nodes: ["10.0.0.11:26379"], wait_timeout: 800ms }\n  timeout: 500ms\n',
      /redis\.sentinel\.wait_timeout: must be shorter than redis\.timeout/,
    ],
  ])('refuses %s', (_name, redis, expected) => {
    const result = parse(withRedis(redis));
    expect(result.ok ? '' : result.errors.join('\n')).toMatch(expected);
  });
});

describe('redis.tls', () => {
  const withRedis = (redis: string) => MINIMAL.replace('session:\n  store: memory', `session:\n  store: redis\nredis:\n${redis}`);

  it('resolves its files beside the config file, and the options carry what they hold', () => {
    writeFileSync(join(dir, 'redis-ca.pem'), 'CA PEM');
    writeFileSync(join(dir, 'redis-client.pem'), 'CLIENT PEM');
    writeFileSync(join(dir, 'redis-client.key'), 'CLIENT KEY');
    const result = parse(
      withRedis(
        '  url: rediss://redis.corp.example:6380\n  tls: { ca_file: redis-ca.pem, client_cert_file: redis-client.pem, client_key_file: redis-client.key, server_name: redis.corp.example }\n',
      ),
    );
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(result.config.redis?.tls).toEqual({
      ca_file: join(dir, 'redis-ca.pem'),
      client_cert_file: join(dir, 'redis-client.pem'),
      client_key_file: join(dir, 'redis-client.key'),
      server_name: 'redis.corp.example',
    });
    expect(redisOptionsFromConfig(result.config.redis!).tls).toEqual({ ca: 'CA PEM', cert: 'CLIENT PEM', key: 'CLIENT KEY', serverName: 'redis.corp.example' });
  });

  it('names the key and the file when a file cannot be read (at start, not at the first TLS handshake)', () => {
    const result = parse(withRedis('  url: rediss://redis.corp.example:6380\n  tls: { ca_file: missing-ca.pem }\n'));
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(() => redisOptionsFromConfig(result.config.redis!)).toThrow(`redis.tls.ca_file: cannot read ${join(dir, 'missing-ca.pem')} (ENOENT)`);
  });

  it('goes with sentinel mode, where it covers the sentinels and the data nodes', () => {
    const result = parse(withRedis('  sentinel: { master_name: g, nodes: ["10.0.0.11:26379"] }\n  tls: { server_name: redis.corp.example }\n'));
    expect(result.ok ? result.config.redis?.tls : result.errors).toEqual({ server_name: 'redis.corp.example' });
  });

  it.each([
    ['a redis:// url, which would send everything in the clear', '  url: redis://10.0.0.5:6379\n  tls: {}\n', /redis\.tls: needs a rediss:\/\/ url/],
    ['no url at all (the default is redis://)', '  tls: { server_name: r.corp.example }\n', /redis\.tls: needs a rediss:\/\/ url/],
    ['a client certificate without its key', '  url: rediss://r:6380\n  tls: { client_cert_file: c.pem }\n', /redis\.tls: client_cert_file and client_key_file go together/],
    ['a key without its certificate', '  url: rediss://r:6380\n  tls: { client_key_file: c.key }\n', /redis\.tls: client_cert_file and client_key_file go together/],
    ['a way to skip the certificate check', '  url: rediss://r:6380\n  tls: { insecure_skip_verify: true }\n', /redis\.tls\.insecure_skip_verify: unknown key/],
    ['an empty file name', '  url: rediss://r:6380\n  tls: { ca_file: "" }\n', /redis\.tls\.ca_file/],
  ])('refuses %s', (_name, redis, expected) => {
    const result = parse(withRedis(redis));
    expect(result.ok ? '' : result.errors.join('\n')).toMatch(expected);
  });
});
