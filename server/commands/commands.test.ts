import { captureIo } from '../testing/capture-io.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { testStorage } from '../testing/test-storage.js';
import { runCheckConfig } from './check-config.js';
import { runPolicyExplain } from './policy-explain.js';
import { LOOKUP_ONLY_HASH as HASH } from '../testing/test-password-hash.js';
import { tempDirForFile } from '../testing/temp-dir.js';

const dir = tempDirForFile('gatehouse-cli-');

const io = captureIo;

function writeConfig(name: string, config: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof config === 'string' ? config : stringify(config));
  return path;
}

writeFileSync(join(dir, 'users.yml'), stringify({ users: { alice: { displayname: 'Alice', email: 'a@corp.example', groups: ['dev'], password: HASH } } }));

const GOOD = {
  server: { portal_url: 'https://auth.corp.example/' },
  session: { store: 'memory', domain: 'corp.example' },
  authentication: { users_file: 'users.yml' },
  storage: testStorage(),
  sites: [{ name: 'wiki', url: 'https://wiki.corp.example/' }],
  access_control: {
    rules: [
      { domain: 'wiki.corp.example', resources: ['/admin/.*'], subject: ['group:admins'], policy: 'one_factor' },
      { domain: 'wiki.corp.example', resources: ['/admin/.*'], policy: 'deny' },
      { domain: 'wiki.corp.example', policy: 'one_factor' },
    ],
  },
};

describe('gatehouse check-config', () => {
  it('exits 0 and says OK for a valid config and users file', async () => {
    const t = io();
    expect(await runCheckConfig(writeConfig('good.yml', GOOD), {}, t.io)).toBe(0);
    expect(t.out()).toMatch(/OK \(1 sites, 3 rules\)/);
  });

  it('exits 1 and lists every error with its path', async () => {
    const t = io();
    const path = writeConfig('bad.yml', {
      ...GOOD,
      server: { portal_url: 'https://auth.corp.example/', trusted_proxies: ['10.0.0/8'], extra: 1 },
      access_control: { default_policy: 'maybe' },
    });
    expect(await runCheckConfig(path, {}, t.io)).toBe(1);
    expect(t.err()).toContain('3 errors');
    expect(t.err()).toContain('server.trusted_proxies[0]: "10.0.0/8" is not a CIDR');
    expect(t.err()).toContain('server.extra: unknown key');
    expect(t.err()).toContain('access_control.default_policy:');
  });

  it('warns, naming each rule, where email or SMS codes count as the second factor; other factors pass silently', async () => {
    const rules = [
      { domain: 'wiki.corp.example', policy: 'two_factor', factors: ['totp', 'email_otp'] },
      { domain: 'kiosk.corp.example', policy: 'two_factor', factors: ['sms_otp'] },
      { domain: 'vault.corp.example', policy: 'two_factor', factors: ['webauthn'] },
    ];
    const t = io();
    expect(await runCheckConfig(writeConfig('sent-codes.yml', { ...GOOD, access_control: { default_policy: 'deny', rules } }), {}, t.io)).toBe(0);
    expect(t.err()).toContain('warning: access_control.rules[0] (wiki.corp.example) accepts email_otp: email codes are not an authenticator at AAL2');
    expect(t.err()).toContain('warning: access_control.rules[1] (kiosk.corp.example) accepts sms_otp: SMS codes are a restricted authenticator');
    expect(t.err()).toContain('(second_factors.sms_otp is not enabled yet)');
    expect(t.err()).not.toContain('rules[2]');
    // Every factor is accepted by a rule, and none of these warns.
    const built = io();
    const all = [{ domain: 'wiki.corp.example', policy: 'two_factor', factors: ['totp', 'hotp', 'webauthn', 'push', 'recovery_code'] }];
    expect(await runCheckConfig(writeConfig('built.yml', { ...GOOD, access_control: { default_policy: 'deny', rules: all } }), {}, built.io)).toBe(0);
    expect(built.err()).not.toContain('warning');
  });

  it('exits 1 when the users file is invalid, naming the problem and never a hash', async () => {
    writeFileSync(join(dir, 'bad-users.yml'), stringify({ users: { bob: { displayname: 'Bob', password: 'plaintext-oops' } } }));
    const t = io();
    const path = writeConfig('bad-users-config.yml', { ...GOOD, authentication: { users_file: 'bad-users.yml' } });
    expect(await runCheckConfig(path, {}, t.io)).toBe(1);
    expect(t.err()).toMatch(/users\.bob\.password/);
    expect(t.err()).not.toContain('plaintext-oops');
  });
});

describe('gatehouse check-config with redis.sentinel', () => {
  const sentinel = { master_name: 'gatehouse', nodes: ['10.0.0.11:26379', '[fd00::12]:26379'], password: 'sentinel-secret' };

  it('says which master through which sentinels, never a password', async () => {
    const t = io();
    const path = writeConfig('sentinel.yml', { ...GOOD, session: { ...GOOD.session, store: 'redis' }, redis: { sentinel, password: 'data-secret' } });
    expect(await runCheckConfig(path, {}, t.io)).toBe(0);
    expect(t.out()).toContain('redis: master "gatehouse" of sentinels 10.0.0.11:26379, [fd00::12]:26379');
    expect(t.out() + t.err()).not.toMatch(/secret/);
  });

  it('exits 1 naming a sentinel that is not host:port, and a url given besides', async () => {
    const t = io();
    const path = writeConfig('bad-sentinel.yml', {
      ...GOOD,
      session: { ...GOOD.session, store: 'redis' },
      redis: { url: 'redis://10.0.0.5:6379', sentinel: { ...sentinel, nodes: ['10.0.0.11'] } },
    });
    expect(await runCheckConfig(path, {}, t.io)).toBe(1);
    expect(t.err()).toContain('redis.sentinel.nodes[0]: "10.0.0.11" is not host:port');
    expect(t.err()).toContain('redis.url: set either redis.url or redis.sentinel');
  });
});

describe('gatehouse check-config with redis.tls', () => {
  it('says TLS and the certificate name, and exits 1 naming a CA file it cannot read', async () => {
    const good = io();
    writeConfig('redis-ca.pem', {});
    const tls = { server_name: 'redis.corp.example', ca_file: 'redis-ca.pem' };
    const path = writeConfig('tls.yml', { ...GOOD, session: { ...GOOD.session, store: 'redis' }, redis: { url: 'rediss://redis.corp.example:6380', tls } });
    expect(await runCheckConfig(path, {}, good.io)).toBe(0);
    expect(good.out()).toContain('redis: rediss://redis.corp.example:6380, TLS (certificates for redis.corp.example)');
    const bad = io();
    const missing = writeConfig('tls-missing.yml', { ...GOOD, session: { ...GOOD.session, store: 'redis' }, redis: { url: 'rediss://r:6380', tls: { ca_file: 'nowhere.pem' } } });
    expect(await runCheckConfig(missing, {}, bad.io)).toBe(1);
    expect(bad.err()).toMatch(/redis\.tls\.ca_file: cannot read \S*nowhere\.pem \(ENOENT\)/);
  });
});

describe('gatehouse policy explain', () => {
  const path = writeConfig('explain.yml', GOOD);

  it.each([
    [['--user', 'bob', '--groups', 'dev', '--url', 'https://wiki.corp.example/admin/x'], /^decision: deny \(rule 1\)/],
    [['--user', 'alice', '--groups', 'admins', '--url', 'https://wiki.corp.example/admin/x'], /^decision: allow \(rule 0, policy one_factor\)/],
    [['--url', 'https://wiki.corp.example/admin/x'], /^decision: login \(rule 0\)/],
    [['--url', 'https://other.corp.example/'], /^decision: deny \(default_policy\)/],
    [['--user', 'bob', '--url', 'https://wiki.corp.example/public/../admin/x'], /^decision: deny \(rule 1\)/],
  ])('%j', async (args, expected) => {
    const t = io();
    expect(await runPolicyExplain(['--config', path, ...args], {}, t.io)).toBe(0);
    expect(t.out()).toMatch(expected);
    expect(t.out()).toMatch(/because: /);
  });

  describe('letter case in paths follows the site', () => {
    const cased = writeConfig('explain-case.yml', {
      ...GOOD,
      sites: [
        { name: 'wiki', url: 'https://wiki.corp.example/' },
        { name: 'legacy', url: 'https://wiki.corp.example/legacy/', case_insensitive_paths: false },
      ],
      access_control: {
        rules: [
          { domain: 'wiki.corp.example', resources: ['(/legacy)?/admin(/.*)?'], policy: 'deny' },
          { domain: 'wiki.corp.example', policy: 'one_factor' },
        ],
      },
    });

    it.each([
      [
        'https://wiki.corp.example/ADMIN/x',
        /^decision: deny \(rule 0\)/,
        /path \/ADMIN\/x matched \(\/legacy\)\?\/admin\(\/\.\*\)\? \(ignoring case\)/,
        /site: wiki \(paths matched ignoring letter case: case_insensitive_paths true\)/,
      ],
      [
        'https://wiki.corp.example/legacy/ADMIN/x',
        /^decision: allow \(rule 1, policy one_factor\)/,
        /path \/legacy\/ADMIN\/x matched none of/,
        /site: legacy \(paths matched with their letter case: case_insensitive_paths false\)/,
      ],
      ['https://other.corp.example/ADMIN', /^decision: deny \(default_policy\)/, /because: no rule matched/, /site: none serves this URL/],
    ])('%s', async (url, decision, rule, site) => {
      const t = io();
      expect(await runPolicyExplain(['--config', cased, '--user', 'alice', '--url', url], {}, t.io)).toBe(0);
      expect(t.out()).toMatch(decision);
      expect(t.out()).toMatch(rule);
      expect(t.out()).toMatch(site);
    });
  });

  it('lists the rules it passed over and why', async () => {
    const t = io();
    await runPolicyExplain(['--config', path, '--user', 'bob', '--groups', 'dev', '--url', 'https://wiki.corp.example/admin/x'], {}, t.io);
    expect(t.out()).toMatch(/rule 0: skipped — .*bob/);
    expect(t.out()).toMatch(/rule 1: matched/);
  });

  it.each([
    [[], 2],
    [['--url', 'not a url'], 2],
    [['--url', 'https://wiki.corp.example/a%2fb'], 1],
    [['--url', 'https://wiki.corp.example/', '--factors', 'sms'], 2],
  ])('refuses bad arguments %j with exit %i', async (args, code) => {
    const t = io();
    expect(await runPolicyExplain(['--config', path, ...args], {}, t.io)).toBe(code);
    expect(t.err().length).toBeGreaterThan(0);
  });
});
