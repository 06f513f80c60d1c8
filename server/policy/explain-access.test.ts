import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { compilePolicy } from './compile-policy.js';
import { explainAccess, formatExplanation } from './explain-access.js';
import type { AccessSubject } from './types.js';

const NOW = Date.UTC(2026, 0, 1, 12);

const policy = compilePolicy(
  configSchema.parse({
    server: { portal_url: 'https://auth.corp.example/' },
    authentication: { users_file: 'u.yml' },
    access_control: {
      networks: { office: ['10.1.0.0/16'] },
      rules: [
        { domain: '*.dev.example', policy: 'bypass' },
        { domain: 'wiki.corp.example', resources: ['^/admin/.*$'], subject: ['group:admins', ['user:bob', 'group:dev']], policy: 'two_factor' },
        { domain: 'wiki.corp.example', methods: ['GET', 'HEAD'], networks: ['office'], policy: 'one_factor' },
        { domain: 'vault.corp.example', policy: 'two_factor', factors: ['webauthn'], max_auth_age: '5m' },
        { domain: 'payroll.corp.example', policy: 'one_factor', max_auth_age: '10m' },
      ],
    },
  }).access_control,
);

const alice: AccessSubject = {
  username: 'alice',
  groups: ['admins'],
  factors: [
    { kind: 'password', at: NOW - 60_000 },
    { kind: 'totp', at: NOW - 30_000 },
  ],
};
const bob: AccessSubject = { username: 'bob', groups: ['dev'], factors: [{ kind: 'password', at: NOW - 1_200_000 }] };
const carol: AccessSubject = { username: 'carol', groups: [], factors: [{ kind: 'password', at: NOW }] };
const target = (domain: string, path = '/', method = 'GET', ip = '10.1.2.3', caseInsensitivePaths = false) => ({ domain, path, method, ip, caseInsensitivePaths });

describe('explainAccess', () => {
  it('says why each rule tried matched or not', () => {
    const result = explainAccess(policy, target('wiki.corp.example', '/admin/users'), alice, NOW);
    expect(result.decision).toEqual({ kind: 'allow', rule: 1, policy: 'two_factor' });
    expect(result.steps).toEqual([
      { rule: 0, matched: false, why: 'domain wiki.corp.example not in [*.dev.example]' },
      {
        rule: 1,
        matched: true,
        why:
          'domain wiki.corp.example matched wiki.corp.example; path /admin/users matched ^/admin/.*$; ' +
          'user alice (groups admins) is group:admins or (user:bob and group:dev); policy two_factor: alice used any second factor',
      },
    ]);
  });

  it('names the criterion that failed, after those that held', () => {
    const result = explainAccess(policy, target('wiki.corp.example', '/page', 'POST'), carol, NOW);
    expect(result.decision).toEqual({ kind: 'deny', rule: 'default' });
    expect(result.steps.map((s) => s.why)).toEqual([
      'domain wiki.corp.example not in [*.dev.example]',
      'domain wiki.corp.example matched wiki.corp.example; path /page matched none of [^/admin/.*$]',
      'domain wiki.corp.example matched wiki.corp.example; method POST not in [GET, HEAD]',
      'domain wiki.corp.example not in [vault.corp.example]',
      'domain wiki.corp.example not in [payroll.corp.example]',
    ]);
    expect(result.why).toBe('no rule matched; default_policy deny');
  });

  it('explains networks, subjects that do not match, and anonymous visitors', () => {
    const outside = explainAccess(policy, target('wiki.corp.example', '/page', 'GET', '8.8.8.8'), carol, NOW);
    expect(outside.steps[2]!.why).toBe('domain wiki.corp.example matched wiki.corp.example; method GET in [GET, HEAD]; ip 8.8.8.8 not in [office]');
    const stranger = explainAccess(policy, target('wiki.corp.example', '/admin/x'), carol, NOW);
    expect(stranger.steps[1]).toMatchObject({ matched: false, why: expect.stringContaining('user carol (groups none) is not group:admins or (user:bob and group:dev)') });
    const anonymous = explainAccess(policy, target('wiki.corp.example', '/admin/x'), null, NOW);
    expect(anonymous.decision).toEqual({ kind: 'login', rule: 1 });
    expect(anonymous.why).toBe('subject group:admins or (user:bob and group:dev) needs to know who it is, and nobody is signed in');
  });

  it('explains freshness: re-authentication and step-up', () => {
    const stale = explainAccess(policy, target('payroll.corp.example'), bob, NOW);
    expect(stale.decision).toEqual({ kind: 'login', rule: 4, reauthenticate: true, maxAuthAge: 600 });
    expect(stale.why).toBe('policy one_factor: last factor 1200s ago, not within max_auth_age 600s');
    const fresh = explainAccess(policy, target('payroll.corp.example'), alice, NOW);
    expect(fresh.why).toBe('policy one_factor: last factor 30s ago, which is within max_auth_age 600s');
    const stepUp = explainAccess(policy, target('vault.corp.example'), alice, NOW);
    expect(stepUp.why).toBe('policy two_factor: alice has not used a second factor of [webauthn] within max_auth_age 300s');
  });

  it('formats a readable report for the command line', () => {
    const text = formatExplanation(explainAccess(policy, target('vault.corp.example'), alice, NOW));
    expect(text).toBe(
      [
        'decision: step_up (rule 3; factors webauthn; max_auth_age 300s)',
        'because: policy two_factor: alice has not used a second factor of [webauthn] within max_auth_age 300s',
        'rules tried:',
        '  rule 0: skipped — domain vault.corp.example not in [*.dev.example]',
        '  rule 1: skipped — domain vault.corp.example not in [wiki.corp.example]',
        '  rule 2: skipped — domain vault.corp.example not in [wiki.corp.example]',
        '  rule 3: matched — domain vault.corp.example matched vault.corp.example; policy two_factor: alice has not used a second factor of [webauthn] within max_auth_age 300s',
      ].join('\n'),
    );
    expect(formatExplanation(explainAccess(policy, target('x.dev.example'), null, NOW))).toBe(
      ['decision: allow (rule 0, policy bypass)', 'because: policy bypass', 'rules tried:', '  rule 0: matched — domain x.dev.example matched *.dev.example; policy bypass'].join(
        '\n',
      ),
    );
    expect(formatExplanation(explainAccess(policy, target('payroll.corp.example'), bob, NOW))).toMatch(/^decision: login \(rule 4; sign in again, max_auth_age 600s\)$/m);
    expect(formatExplanation(explainAccess(compilePolicy({ default_policy: 'deny', networks: {}, rules: [] }), target('a.example'), null, NOW))).toBe(
      'decision: deny (default_policy)\nbecause: no rule matched; default_policy deny',
    );
  });
});
