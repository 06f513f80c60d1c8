import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../config/load-config.js';
import { configSchema, SECOND_FACTORS, type SecondFactorKind } from '../config/schema.js';
import { compilePolicy } from './compile-policy.js';
import { evaluateAccess } from './evaluate-access.js';
import { explainAccess } from './explain-access.js';
import type { AccessSubject, AccessTarget, CompiledPolicy, Decision } from './types.js';

const NOW = Date.UTC(2026, 0, 1, 12);
const S = 1000;

/** Named fixture users; `at` is relative to NOW. */
const users: Record<string, AccessSubject | null> = {
  anonymous: null,
  alice: {
    username: 'alice',
    groups: ['admins'],
    factors: [
      { kind: 'password', at: NOW - 900 * S },
      { kind: 'totp', at: NOW - 60 * S },
    ],
  },
  bob: { username: 'bob', groups: ['dev'], factors: [{ kind: 'password', at: NOW - 30 * S }] },
  carol: {
    username: 'carol',
    groups: ['hr'],
    factors: [
      { kind: 'password', at: NOW - 7200 * S },
      { kind: 'webauthn', at: NOW - 7200 * S },
    ],
  },
  frank: { username: 'frank', groups: ['hr', 'managers'], factors: [{ kind: 'password', at: NOW - 10 * S }] },
  gina: { username: 'gina', groups: ['hr'], factors: [{ kind: 'password', at: NOW - 10 * S }] },
  henry: { username: 'henry', groups: ['managers'], factors: [{ kind: 'password', at: NOW - 10 * S }] },
  ivan: {
    username: 'ivan',
    groups: [],
    factors: [
      { kind: 'password', at: NOW - 60 * S },
      { kind: 'webauthn', at: NOW - 60 * S },
    ],
  },
  jack: {
    username: 'jack',
    groups: [],
    factors: [
      { kind: 'password', at: NOW - 10 * S },
      { kind: 'hotp', at: NOW - 10 * S },
    ],
  },
  nobody: { username: 'nobody', groups: [], factors: [] },
  // A group named like a user, and a user named like a group: terms must not mix them up.
  mallory: { username: 'admins', groups: ['user:carol', 'carol'], factors: [{ kind: 'password', at: NOW }] },
};

const CONFIG = `
server: { portal_url: "https://auth.corp.example/" }
session: { store: memory }
authentication: { users_file: users.yml }
storage: { encryption_keys: [{ id: k1, key: "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0" }] }
access_control:
  default_policy: deny
  networks:
    office: [10.1.0.0/16]
    vpn: [192.168.50.0/24, "fd00:50::/32"]
  rules:
    - domain: public.corp.example                      # 0
      policy: bypass
    - domain: "*.dev.example"                           # 1
      subject: [group:dev, group:admins]
      policy: one_factor
    - domain: wiki.corp.example                        # 2
      resources: ["/admin(/.*)?"]
      subject: group:admins
      policy: two_factor
    - domain: wiki.corp.example                        # 3
      resources: ["/admin(/.*)?"]
      policy: deny
    - domain: wiki.corp.example                        # 4
      methods: [GET, HEAD]
      networks: [office, vpn]
      policy: one_factor
    - domain: wiki.corp.example                        # 5
      policy: two_factor
    - domain: vault.corp.example                       # 6
      policy: two_factor
      factors: [webauthn]
      max_auth_age: 5m
    - domain: hr.corp.example                          # 7
      subject: [[group:hr, group:managers], user:carol]
      policy: one_factor
    - domain: hr.corp.example                          # 8
      policy: deny
    - domain: payroll.corp.example                     # 9
      policy: one_factor
      max_auth_age: 10m
    - domain: [api.corp.example, "*.api.corp.example"] # 10
      resources: [/health, "^/v1/public/.*$"]
      policy: bypass
    - domain: api.corp.example                         # 11
      methods: DELETE
      policy: deny
    - domain: api.corp.example                         # 12
      networks: [10.0.0.0/8, "2001:db8::/32"]
      policy: one_factor
    - domain: ops.corp.example                         # 13
      policy: two_factor
      factors: [totp, hotp]
      max_auth_age: 90s
    - domain: "*.corp.example"                         # 14
      policy: one_factor
`;

function loadPolicy(text: string): CompiledPolicy {
  const loaded = parseConfigText(text, { env: {}, baseDir: '/tmp' });
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  return compilePolicy(loaded.config.access_control);
}

/** A policy from just an access_control object, through the real schema. */
function compileAccess(access: unknown): CompiledPolicy {
  const config = configSchema.parse({ server: { portal_url: 'https://auth.corp.example/' }, authentication: { users_file: 'u.yml' }, access_control: access });
  return compilePolicy(config.access_control);
}

const policy = loadPolicy(CONFIG);

const allow = (rule: number | 'default', p: string): Decision => ({ kind: 'allow', rule, policy: p as never });
const deny = (rule: number | 'default'): Decision => ({ kind: 'deny', rule });
const login = (rule: number | 'default'): Decision => ({ kind: 'login', rule });
const reauth = (rule: number, maxAuthAge?: number): Decision =>
  maxAuthAge === undefined ? { kind: 'login', rule, reauthenticate: true } : { kind: 'login', rule, reauthenticate: true, maxAuthAge };
const stepUp = (rule: number | 'default', factors: readonly SecondFactorKind[] = SECOND_FACTORS, maxAuthAge?: number): Decision =>
  maxAuthAge === undefined ? { kind: 'step_up', rule, factors } : { kind: 'step_up', rule, factors, maxAuthAge };

interface Case {
  user: string;
  domain: string;
  path?: string;
  method?: string;
  ip?: string;
  /** ms after NOW */
  later?: number;
  expected: Decision;
}

const c = (user: string, domain: string, expected: Decision, more: Partial<Case> = {}): Case => ({ user, domain, expected, ...more });

const cases: Record<string, Case[]> = {
  'bypass allows anyone, even anonymous': [
    c('anonymous', 'public.corp.example', allow(0, 'bypass')),
    c('bob', 'public.corp.example', allow(0, 'bypass')),
    c('anonymous', 'public.corp.example', allow(0, 'bypass'), { method: 'POST', path: '/x/y', ip: 'garbage' }),
  ],
  'wildcard domains match deeper subdomains only': [
    c('bob', 'app.dev.example', allow(1, 'one_factor')),
    c('bob', 'a.b.dev.example', allow(1, 'one_factor')),
    c('alice', 'x.dev.example', allow(1, 'one_factor')),
    c('anonymous', 'app.dev.example', login(1)),
    c('bob', 'dev.example', deny('default')),
    c('bob', 'evildev.example', deny('default')),
    c('bob', 'app.dev.example.evil', deny('default')),
    c('bob', 'dev.example.app', deny('default')),
  ],
  'trailing-dot and look-alike hosts match nothing': [
    c('anonymous', 'public.corp.example.', deny('default')),
    c('bob', 'mail.corp.example.', deny('default')),
    c('bob', 'app.dev.example.', deny('default')),
    c('bob', 'corp.example', deny('default')),
    c('bob', 'corp.example.', deny('default')),
    c('bob', 'evilcorp.example', deny('default')),
    c('bob', 'corp.example.evil', deny('default')),
    c('bob', 'mail.corp.example', allow(14, 'one_factor')),
  ],
  'subject rules: anonymous must sign in, others skip to the next rule': [
    c('alice', 'wiki.corp.example', allow(2, 'two_factor'), { path: '/admin' }),
    c('alice', 'wiki.corp.example', allow(2, 'two_factor'), { path: '/admin/users' }),
    c('anonymous', 'wiki.corp.example', login(2), { path: '/admin' }),
    c('bob', 'wiki.corp.example', deny(3), { path: '/admin' }),
    c('bob', 'wiki.corp.example', deny(3), { path: '/admin/' }),
    c('carol', 'app.dev.example', deny('default')),
    c('mallory', 'wiki.corp.example', deny(3), { path: '/admin' }),
    c('anonymous', 'wiki.corp.example', login(4), { path: '/administrator' }),
  ],
  'resources are anchored at both ends and case-sensitive': [
    c('bob', 'wiki.corp.example', allow(4, 'one_factor'), { path: '/administrator' }),
    c('bob', 'wiki.corp.example', allow(4, 'one_factor'), { path: '/x/admin' }),
    c('bob', 'wiki.corp.example', allow(4, 'one_factor'), { path: '/Admin' }),
    c('anonymous', 'api.corp.example', allow(10, 'bypass'), { path: '/health' }),
    c('anonymous', 'api.corp.example', login(12), { path: '/health/x' }),
    c('anonymous', 'api.corp.example', login(12), { path: '/healthz' }),
    c('anonymous', 'api.corp.example', login(12), { path: '/x/health' }),
    c('anonymous', 'eu.api.corp.example', allow(10, 'bypass'), { path: '/v1/public/x' }),
    c('anonymous', 'eu.api.corp.example', login(14), { path: '/v1/publicx' }),
    c('anonymous', 'eu.api.corp.example', login(14), { path: '/v1/public' }),
  ],
  methods: [
    c('bob', 'wiki.corp.example', allow(4, 'one_factor'), { method: 'HEAD' }),
    c('bob', 'wiki.corp.example', allow(4, 'one_factor'), { method: 'get' }),
    c('bob', 'wiki.corp.example', stepUp(5), { method: 'POST' }),
    c('bob', 'wiki.corp.example', stepUp(5), { method: 'OPTIONS' }),
    c('alice', 'wiki.corp.example', allow(5, 'two_factor'), { method: 'POST' }),
    c('bob', 'api.corp.example', deny(11), { method: 'DELETE', path: '/items' }),
    c('bob', 'api.corp.example', deny(11), { method: 'delete', path: '/items' }),
    c('bob', 'api.corp.example', deny(11), { method: 'Delete', path: '/items' }),
    c('anonymous', 'api.corp.example', allow(10, 'bypass'), { method: 'DELETE', path: '/health' }),
  ],
  'networks, aliases and IPv4-mapped IPv6': [
    c('bob', 'wiki.corp.example', allow(4, 'one_factor'), { ip: '10.1.2.3' }),
    c('bob', 'wiki.corp.example', allow(4, 'one_factor'), { ip: '::ffff:10.1.2.3' }),
    c('bob', 'wiki.corp.example', allow(4, 'one_factor'), { ip: '192.168.50.9' }),
    c('bob', 'wiki.corp.example', allow(4, 'one_factor'), { ip: '::ffff:192.168.50.9' }),
    c('bob', 'wiki.corp.example', allow(4, 'one_factor'), { ip: 'fd00:50::1' }),
    c('bob', 'wiki.corp.example', stepUp(5), { ip: 'fd00:51::1' }),
    c('bob', 'wiki.corp.example', stepUp(5), { ip: '10.2.0.1' }),
    c('bob', 'wiki.corp.example', stepUp(5), { ip: '203.0.113.5' }),
    c('bob', 'wiki.corp.example', stepUp(5), { ip: 'garbage' }),
    c('bob', 'wiki.corp.example', stepUp(5), { ip: '' }),
    c('bob', 'wiki.corp.example', stepUp(5), { ip: '010.1.2.3' }),
    c('anonymous', 'wiki.corp.example', login(4), { ip: '10.1.2.3' }),
    c('bob', 'api.corp.example', allow(12, 'one_factor'), { ip: '2001:db8::5', path: '/items' }),
    c('bob', 'api.corp.example', allow(12, 'one_factor'), { ip: '::ffff:10.200.0.1', path: '/items' }),
    c('bob', 'api.corp.example', allow(14, 'one_factor'), { ip: '8.8.8.8', path: '/items' }),
    c('anonymous', 'api.corp.example', login(14), { ip: '8.8.8.8', path: '/items' }),
  ],
  'subjects are an OR of ANDs': [
    c('carol', 'hr.corp.example', allow(7, 'one_factor')),
    c('frank', 'hr.corp.example', allow(7, 'one_factor')),
    c('gina', 'hr.corp.example', deny(8)),
    c('henry', 'hr.corp.example', deny(8)),
    c('mallory', 'hr.corp.example', deny(8)),
    c('anonymous', 'hr.corp.example', login(7)),
  ],
  'one_factor with max_auth_age': [
    c('bob', 'payroll.corp.example', allow(9, 'one_factor')),
    c('alice', 'payroll.corp.example', allow(9, 'one_factor')),
    c('carol', 'payroll.corp.example', reauth(9, 600)),
    c('nobody', 'payroll.corp.example', reauth(9, 600)),
    c('anonymous', 'payroll.corp.example', login(9)),
    c('bob', 'payroll.corp.example', allow(9, 'one_factor'), { later: 570 * S }),
    c('bob', 'payroll.corp.example', reauth(9, 600), { later: 570 * S + 1 }),
    c('carol', 'mail.corp.example', allow(14, 'one_factor')),
    // A session that lists no factor has not signed in: one_factor needs the password (or a passkey where passwordless is on).
    c('nobody', 'mail.corp.example', reauth(14)),
  ],
  'two_factor with factors lists and max_auth_age': [
    c('ivan', 'vault.corp.example', allow(6, 'two_factor')),
    c('ivan', 'vault.corp.example', allow(6, 'two_factor'), { later: 240 * S }),
    c('ivan', 'vault.corp.example', stepUp(6, ['webauthn'], 300), { later: 240 * S + 1 }),
    c('alice', 'vault.corp.example', stepUp(6, ['webauthn'], 300)),
    c('carol', 'vault.corp.example', stepUp(6, ['webauthn'], 300)),
    c('bob', 'vault.corp.example', stepUp(6, ['webauthn'], 300)),
    c('anonymous', 'vault.corp.example', login(6)),
    c('alice', 'ops.corp.example', allow(13, 'two_factor')),
    c('alice', 'ops.corp.example', allow(13, 'two_factor'), { later: 30 * S }),
    c('alice', 'ops.corp.example', stepUp(13, ['totp', 'hotp'], 90), { later: 31 * S }),
    c('jack', 'ops.corp.example', allow(13, 'two_factor')),
    c('ivan', 'ops.corp.example', stepUp(13, ['totp', 'hotp'], 90)),
    c('bob', 'ops.corp.example', stepUp(13, ['totp', 'hotp'], 90)),
    c('carol', 'wiki.corp.example', allow(5, 'two_factor'), { ip: '8.8.8.8' }),
    c('jack', 'wiki.corp.example', allow(5, 'two_factor'), { ip: '8.8.8.8' }),
    // No password in the session at all: sign in again, not the second step.
    c('nobody', 'wiki.corp.example', reauth(5), { ip: '8.8.8.8' }),
  ],
};

const table = Object.entries(cases).flatMap(([group, list]) => list.map((item) => ({ group, ...item })));

function targetOf(item: Case): AccessTarget {
  return { domain: item.domain, path: item.path ?? '/', method: item.method ?? 'GET', ip: item.ip ?? '10.1.2.3', caseInsensitivePaths: false };
}

describe('evaluateAccess', () => {
  it.each(table)('$group: $user $method $domain$path from $ip', (item) => {
    const decision = evaluateAccess(policy, targetOf(item), users[item.user]!, NOW + (item.later ?? 0));
    expect(decision).toEqual(item.expected);
  });

  it.each(['bypass', 'deny', 'one_factor', 'two_factor'] as const)('applies default_policy %s when no rule matches', (level) => {
    const compiled = compileAccess({ default_policy: level, rules: [{ domain: 'other.example', policy: 'deny' }] });
    const decide = (user: string) =>
      evaluateAccess(compiled, { domain: 'wiki.corp.example', path: '/', method: 'GET', ip: '10.1.2.3', caseInsensitivePaths: false }, users[user]!, NOW);
    const expected: Record<typeof level, Decision[]> = {
      bypass: [allow('default', 'bypass'), allow('default', 'bypass'), allow('default', 'bypass')],
      deny: [deny('default'), deny('default'), deny('default')],
      one_factor: [login('default'), allow('default', 'one_factor'), allow('default', 'one_factor')],
      two_factor: [login('default'), stepUp('default'), allow('default', 'two_factor')],
    };
    expect(['anonymous', 'bob', 'alice'].map(decide)).toEqual(expected[level]);
  });

  it('defaults to deny with no access_control at all', () => {
    const compiled = compileAccess(undefined);
    expect(evaluateAccess(compiled, { domain: 'a.example', path: '/', method: 'GET', ip: '10.1.2.3', caseInsensitivePaths: false }, users.alice!, NOW)).toEqual(deny('default'));
  });

  it('lets the first matching rule win', () => {
    const rules = [
      { domain: 'app.example', resources: ['/admin/.*'], policy: 'deny' },
      { domain: 'app.example', policy: 'bypass' },
    ];
    const target = { domain: 'app.example', path: '/admin/x', method: 'GET', ip: '10.1.2.3', caseInsensitivePaths: false };
    expect(evaluateAccess(compileAccess({ rules }), target, null, NOW)).toEqual(deny(0));
    expect(evaluateAccess(compileAccess({ rules: [...rules].reverse() }), target, null, NOW)).toEqual(allow(0, 'bypass'));
  });

  it('asks an anonymous visitor to sign in for a subject rule even when it would deny', () => {
    const compiled = compileAccess({ rules: [{ domain: 'app.example', subject: 'user:mallory', policy: 'deny' }], default_policy: 'bypass' });
    const target = { domain: 'app.example', path: '/', method: 'GET', ip: '10.1.2.3', caseInsensitivePaths: false };
    expect(evaluateAccess(compiled, target, null, NOW)).toEqual(login(0));
    expect(evaluateAccess(compiled, target, users.bob!, NOW)).toEqual(allow('default', 'bypass'));
    expect(evaluateAccess(compiled, target, { ...users.bob!, username: 'mallory' }, NOW)).toEqual(deny(0));
  });

  it('returns the same frozen decision object on every call (nothing allocated per request)', () => {
    const target = { domain: 'wiki.corp.example', path: '/admin', method: 'GET', ip: '10.1.2.3', caseInsensitivePaths: true };
    const first = evaluateAccess(policy, target, users.alice!, NOW);
    expect(evaluateAccess(policy, target, users.alice!, NOW)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('treats a factor time that is not a number as stale', () => {
    const odd = { username: 'odd', groups: [], factors: [{ kind: 'webauthn' as const, at: Number.NaN }] };
    expect(evaluateAccess(policy, { domain: 'vault.corp.example', path: '/', method: 'GET', ip: '10.1.2.3', caseInsensitivePaths: false }, odd, NOW)).toEqual(reauth(6, 300));
    expect(evaluateAccess(policy, { domain: 'payroll.corp.example', path: '/', method: 'GET', ip: '10.1.2.3', caseInsensitivePaths: false }, odd, NOW)).toEqual(reauth(9, 600));
  });
});

describe('explainAccess agrees with evaluateAccess', () => {
  it.each(table)('$group: $user $method $domain$path from $ip', (item) => {
    const now = NOW + (item.later ?? 0);
    const explained = explainAccess(policy, targetOf(item), users[item.user]!, now);
    expect(explained.decision).toEqual(evaluateAccess(policy, targetOf(item), users[item.user]!, now));
    const last = explained.steps[explained.steps.length - 1];
    if (item.expected.rule === 'default') expect(explained.steps.every((s) => !s.matched)).toBe(true);
    else expect(last).toMatchObject({ rule: item.expected.rule, matched: true });
  });

  it('on every combination of user, host, path, method, address and time', () => {
    const domains = [
      'public.corp.example',
      'app.dev.example',
      'wiki.corp.example',
      'vault.corp.example',
      'hr.corp.example',
      'payroll.corp.example',
      'api.corp.example',
      'eu.api.corp.example',
      'ops.corp.example',
      'mail.corp.example',
      'corp.example',
      'mail.corp.example.',
    ];
    const paths = ['/', '/admin', '/admin/x', '/health', '/v1/public/a'];
    const methods = ['GET', 'POST', 'DELETE', 'head'];
    const ips = ['10.1.2.3', '::ffff:192.168.50.1', '2001:db8::1', '8.8.8.8', 'junk'];
    const times = [0, 100 * S, 1000 * S];
    let checked = 0;
    // Compared here and asserted once: an expect() per case costs more than the case itself.
    const disagreements: unknown[] = [];
    for (const subject of Object.values(users))
      for (const domain of domains)
        for (const path of paths)
          for (const method of methods)
            for (const ip of ips)
              for (const later of times) {
                const target = { domain, path, method, ip, caseInsensitivePaths: false };
                const explained = explainAccess(policy, target, subject, NOW + later).decision;
                const evaluated = evaluateAccess(policy, target, subject, NOW + later);
                if (!Object.is(explained, evaluated) && disagreements.length < 10) disagreements.push({ user: subject?.username, target, later, explained, evaluated });
                checked++;
              }
    expect(disagreements).toEqual([]);
    expect(checked).toBe(Object.keys(users).length * domains.length * paths.length * methods.length * ips.length * times.length);
  });
});
