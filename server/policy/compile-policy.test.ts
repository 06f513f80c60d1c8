import { describe, expect, it } from 'vitest';
import { configSchema, type Config } from '../config/schema.js';
import { compilePolicy } from './compile-policy.js';
import { findResource } from './match-rule.js';

function accessOf(access: unknown): Config['access_control'] {
  return configSchema.parse({ server: { portal_url: 'https://auth.corp.example/' }, authentication: { users_file: 'u.yml' }, access_control: access }).access_control;
}

/** Skips the schema on purpose, to reach the bug guards. */
function unchecked(access: Partial<Config['access_control']>): Config['access_control'] {
  return { default_policy: 'deny', networks: {}, rules: [], ...access } as Config['access_control'];
}

describe('compilePolicy', () => {
  it('compiles domains into exact names and suffixes', () => {
    const policy = compilePolicy(accessOf({ rules: [{ domain: ['a.example', '*.b.example', 'c.example'], policy: 'bypass' }] }));
    expect([...policy.rules[0]!.domains!.exact]).toEqual(['a.example', 'c.example']);
    expect(policy.rules[0]!.domains!.suffixes).toEqual(['.b.example']);
  });

  it.each([
    ['/admin', '/admin', true],
    ['/admin', '/admin/', false],
    ['/admin', '/admin/x', false],
    ['/admin', '/x/admin', false],
    ['/admin.*', '/administrator', true],
    ['/a|/b', '/a', true],
    ['/a|/b', '/b', true],
    ['/a|/b', '/a/x', false],
    ['/a|/b', '/x/b', false],
    ['^/a|/b', '/x/b', false],
    ['^/a|/b$', '/a/x', false],
    ['^/admin/.*$', '/admin/x', true],
    ['^/admin/.*$', '/x/admin/x', false],
    ['/api/v[12]/.*', '/api/v2/users', true],
    ['(?i)/admin(/.*)?', '/ADMIN/x', true],
    ['/admin(/.*)?', '/ADMIN/x', false],
    ['/a.b', '/a/b', true],
    ['/x$', '/x', true],
    ['/x', '/x\n', false],
  ])('anchors %s at both ends: %s → %s', (pattern, path, expected) => {
    const policy = compilePolicy(accessOf({ rules: [{ domain: 'a.example', resources: [pattern], policy: 'deny' }] }));
    expect(findResource(policy.rules[0]!, path, false) !== -1).toBe(expected);
  });

  it('warns about a pattern written as a prefix match', () => {
    const policy = compilePolicy(accessOf({ rules: [{ domain: 'a.example', resources: ['^/admin', '^/ok$', '/fine.*'], policy: 'deny' }] }));
    expect(policy.warnings).toEqual([expect.stringContaining('access_control.rules[0].resources[0]: "^/admin" is matched against the whole path')]);
  });

  it('freezes the compiled policy', () => {
    const policy = compilePolicy(accessOf({ rules: [{ domain: 'a.example', policy: 'bypass' }] }));
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.rules)).toBe(true);
    expect(Object.isFrozen(policy.rules[0])).toBe(true);
    expect(Object.isFrozen(policy.defaultRule.decisions.deny)).toBe(true);
  });

  it('compiles a config read and frozen by the loader', () => {
    const access = Object.freeze(accessOf({ networks: { lan: ['10.0.0.0/8'] }, rules: [{ domain: 'a.example', networks: 'lan', policy: 'deny' }] }));
    expect(compilePolicy(access).rules[0]!.networks!.matches('10.2.3.4')).toBe(true);
  });

  it.each([
    [{ rules: [{ domain: ['a.example'], resources: ['/(a'], policy: 'deny' }] }, 'access_control.rules[0].resources[0]: '],
    [{ rules: [{ domain: ['a.example'], resources: ['/ok', '(?<=x)y'], policy: 'deny' }] }, 'access_control.rules[0].resources[1]: '],
    [
      {
        rules: [
          { domain: ['a.example'], policy: 'bypass' },
          { domain: ['a.example'], networks: ['10.0.0/8'], policy: 'deny' },
        ],
      },
      'access_control.rules[1].networks[0]: "10.0.0/8"',
    ],
    [{ rules: [{ domain: ['a.example'], networks: ['10.0.0.0/8', 'nowhere'], policy: 'deny' }] }, 'access_control.rules[0].networks[1]: "nowhere"'],
    [{ networks: { lan: ['10.0.0/8'] } }, 'access_control.networks.lan[0]: "10.0.0/8"'],
    [{ rules: [{ domain: ['A.example'], policy: 'deny' }] }, 'access_control.rules[0].domain[0]: "A.example"'],
    [{ rules: [{ domain: ['a.*.example'], policy: 'deny' }] }, 'access_control.rules[0].domain[0]'],
    [{ rules: [{ domain: ['a.example.'], policy: 'deny' }] }, 'access_control.rules[0].domain[0]'],
    [{ rules: [{ domain: ['a.example'], subject: [['user:a', 'role:x']], policy: 'deny' }] }, 'access_control.rules[0].subject[0]: "role:x"'],
    [{ rules: [{ domain: ['a.example'], subject: ['group:'], policy: 'deny' }] }, 'access_control.rules[0].subject[0]: "group:"'],
  ])('throws naming the config path for %j', (access, message) => expect(() => compilePolicy(unchecked(access as Partial<Config['access_control']>))).toThrow(message));

  it('parses subjects as an OR of ANDs', () => {
    const policy = compilePolicy(accessOf({ rules: [{ domain: 'a.example', subject: [['group:hr', 'group:managers'], 'user:carol:x'], policy: 'deny' }] }));
    expect(policy.rules[0]!.subject).toEqual([
      [
        { kind: 'group', name: 'hr' },
        { kind: 'group', name: 'managers' },
      ],
      [{ kind: 'user', name: 'carol:x' }],
    ]);
  });
});
