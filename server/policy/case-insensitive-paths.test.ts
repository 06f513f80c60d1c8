import { describe, expect, it } from 'vitest';
import { configSchema, SECOND_FACTORS } from '../config/schema.js';
import { compilePolicy } from './compile-policy.js';
import { evaluateAccess } from './evaluate-access.js';
import { explainAccess } from './explain-access.js';
import type { AccessSubject, Decision } from './types.js';

/**
 * sites[].case_insensitive_paths: for a site whose upstream ignores letter case, rules match its
 * paths ignoring case (patterns compiled case-insensitively, escaped letters folded), so a rule
 * about `/admin` covers every spelling the upstream serves as `/admin`.
 */

const NOW = Date.UTC(2026, 0, 1, 12);
const bob: AccessSubject = { username: 'bob', groups: ['dev'], factors: [{ kind: 'password', at: NOW - 1000 }] };
const users: Record<string, AccessSubject | null> = { anonymous: null, bob };

const policy = compilePolicy(
  configSchema.parse({
    server: { portal_url: 'https://auth.corp.example/' },
    authentication: { users_file: 'u.yml' },
    access_control: {
      default_policy: 'deny',
      rules: [
        { domain: 'app.example', resources: ['/admin(/.*)?'], policy: 'deny' }, // 0
        { domain: 'app.example', resources: ['^/Public/.*$'], policy: 'bypass' }, // 1: written with a capital
        { domain: 'app.example', resources: ['/api/[a-z]+'], policy: 'two_factor' }, // 2
        { domain: 'app.example', resources: ['/caf%C3%A9(/.*)?'], policy: 'deny' }, // 3: é
        { domain: 'app.example', resources: ['/%C3%84rger'], policy: 'deny' }, // 4: Ä, written upper case
        { domain: 'app.example', resources: ['/secret', '/key', '/info', '/strasse'], policy: 'deny' }, // 5
        { domain: 'app.example', policy: 'one_factor' }, // 6
      ],
    },
  }).access_control,
);

const deny = (rule: number): Decision => ({ kind: 'deny', rule });
const allow = (rule: number, p: string): Decision => ({ kind: 'allow', rule, policy: p as never });
const login = (rule: number): Decision => ({ kind: 'login', rule });
const stepUp = (rule: number): Decision => ({ kind: 'step_up', rule, factors: [...SECOND_FACTORS] });

type Case = { user: string; path: string; insensitive: Decision; exact: Decision };
const c = (user: string, path: string, insensitive: Decision, exact: Decision): Case => ({ user, path, insensitive, exact });

const cases: Record<string, Case[]> = {
  'a deny rule covers every ASCII spelling': [
    c('bob', '/admin', deny(0), deny(0)),
    c('bob', '/ADMIN', deny(0), allow(6, 'one_factor')),
    c('bob', '/Admin/x', deny(0), allow(6, 'one_factor')),
    c('bob', '/aDmIn/Users', deny(0), allow(6, 'one_factor')),
    c('anonymous', '/ADMIN/', deny(0), login(6)),
    c('bob', '/ADMINISTRATOR', allow(6, 'one_factor'), allow(6, 'one_factor')),
  ],
  'letters whose case partner is ASCII count as that letter': [
    c('bob', '/adm%C4%B1n', deny(0), allow(6, 'one_factor')), // ı
    c('bob', '/ADM%C4%B1N/x', deny(0), allow(6, 'one_factor')),
    c('bob', '/%C4%B0nfo', deny(5), allow(6, 'one_factor')), // İ
    c('bob', '/%C5%BFecret', deny(5), allow(6, 'one_factor')), // ſ
    c('bob', '/%E2%84%AAey', deny(5), allow(6, 'one_factor')), // K (Kelvin)
    // Multi-letter mappings are no case: ß is not "ss" to any case-insensitive server.
    c('bob', '/stra%C3%9Fe', allow(6, 'one_factor'), allow(6, 'one_factor')),
  ],
  'escaped letters beyond ASCII, in the path and in the pattern': [
    c('bob', '/caf%C3%A9', deny(3), deny(3)),
    c('bob', '/CAF%C3%89/menu', deny(3), allow(6, 'one_factor')),
    c('bob', '/Caf%C3%A9', deny(3), allow(6, 'one_factor')),
    c('bob', '/%C3%84rger', deny(4), deny(4)),
    c('bob', '/%C3%A4rger', deny(4), allow(6, 'one_factor')),
    c('bob', '/%C3%A4RGER', deny(4), allow(6, 'one_factor')),
    c('bob', '/caf%FF', allow(6, 'one_factor'), allow(6, 'one_factor')), // not UTF-8: no letter
  ],
  'a pattern written with capitals matches every spelling too': [
    c('anonymous', '/Public/x', allow(1, 'bypass'), allow(1, 'bypass')),
    c('anonymous', '/public/x', allow(1, 'bypass'), login(6)),
    c('anonymous', '/PUBLIC/x', allow(1, 'bypass'), login(6)),
  ],
  'character classes fold as well': [
    c('bob', '/api/users', stepUp(2), stepUp(2)),
    c('bob', '/API/Users', stepUp(2), allow(6, 'one_factor')),
    c('bob', '/api/USERS', stepUp(2), allow(6, 'one_factor')),
    c('bob', '/api/users2', allow(6, 'one_factor'), allow(6, 'one_factor')),
  ],
};

const table = Object.entries(cases).flatMap(([group, list]) => list.map((item) => ({ group, ...item })));
const target = (path: string, caseInsensitivePaths: boolean) => ({ domain: 'app.example', path, method: 'GET', ip: '10.0.0.1', caseInsensitivePaths });

describe('case_insensitive_paths', () => {
  it.each(table)('$group: $user $path, ignoring case → $insensitive.kind', (item) => {
    expect(evaluateAccess(policy, target(item.path, true), users[item.user]!, NOW)).toEqual(item.insensitive);
  });

  it.each(table)('$group: $user $path, with case → $exact.kind', (item) => {
    expect(evaluateAccess(policy, target(item.path, false), users[item.user]!, NOW)).toEqual(item.exact);
  });

  it.each(table)('explainAccess agrees: $user $path', (item) => {
    for (const insensitive of [true, false]) {
      const t = target(item.path, insensitive);
      expect(explainAccess(policy, t, users[item.user]!, NOW).decision).toBe(evaluateAccess(policy, t, users[item.user]!, NOW));
    }
  });

  it('explainAccess says that the path was matched ignoring case', () => {
    const explained = explainAccess(policy, target('/ADMIN', true), bob, NOW);
    expect(explained.steps[0]).toEqual({ rule: 0, matched: true, why: 'domain app.example matched app.example; path /ADMIN matched /admin(/.*)? (ignoring case); policy deny' });
    expect(explainAccess(policy, target('/ADMIN', false), bob, NOW).steps[0]!.why).toMatch(/path \/ADMIN matched none of \[\/admin\(\/\.\*\)\?\]$/);
  });

  it('returns the same frozen decisions ignoring case (nothing allocated but the folded path)', () => {
    const first = evaluateAccess(policy, target('/ADMIN', true), bob, NOW);
    expect(evaluateAccess(policy, target('/Admin', true), bob, NOW)).toBe(first);
  });
});
