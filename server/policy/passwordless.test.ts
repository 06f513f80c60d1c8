import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import type { FactorUse } from '../session/session.js';
import { compilePolicy } from './compile-policy.js';
import { evaluateAccess } from './evaluate-access.js';
import { explainAccess } from './explain-access.js';
import { allowsPasswordless, mayOfferPasswordless } from './passwordless-sign-in.js';

const NOW = Date.UTC(2026, 10, 26, 12);
const MINUTE = 60_000;
const access = configSchema.shape.access_control.parse({
  rules: [
    { domain: 'open.corp.example', policy: 'two_factor', passwordless: true },
    { domain: 'strict.corp.example', policy: 'two_factor', passwordless: false },
    { domain: 'default.corp.example', policy: 'two_factor' },
    { domain: 'keys.corp.example', policy: 'two_factor', factors: ['webauthn'] },
  ],
});
const target = (domain: string, path = '/') => ({ domain, path, method: 'GET', ip: '10.0.0.1', caseInsensitivePaths: true });
const who = (...factors: FactorUse[]) => ({ username: 'alice', groups: [], factors });
const password: FactorUse = { kind: 'password', at: NOW };
const passkeyUv: FactorUse = { kind: 'webauthn', at: NOW, device: 'c1', userVerified: true };
const passkeyNoUv: FactorUse = { kind: 'webauthn', at: NOW, device: 'c1', userVerified: false };
const passkeyUnknownUv: FactorUse = { kind: 'webauthn', at: NOW, device: 'c1' };
const totp: FactorUse = { kind: 'totp', at: NOW, device: 'd1' };
const hotp: FactorUse = { kind: 'hotp', at: NOW, device: 'd2' };
const push: FactorUse = { kind: 'push', at: NOW, device: 'p1' };
const recovery: FactorUse = { kind: 'recovery_code', at: NOW };

describe('passwordless passkeys and two_factor', () => {
  it.each([
    ['a UV passkey alone, rule allows passwordless', 'open.corp.example', [passkeyUv], false, 'allow'],
    ['a passkey without UV alone, rule allows passwordless', 'open.corp.example', [passkeyNoUv], false, 'login'],
    ['a UV passkey alone, rule forbids passwordless', 'strict.corp.example', [passkeyUv], true, 'login'],
    ['a UV passkey alone, default off', 'default.corp.example', [passkeyUv], false, 'login'],
    ['a UV passkey alone, default on', 'default.corp.example', [passkeyUv], true, 'allow'],
    ['password + passkey', 'strict.corp.example', [password, passkeyNoUv], false, 'allow'],
    ['password + TOTP where only WebAuthn counts (phishing-resistant)', 'keys.corp.example', [password, totp], false, 'step_up'],
    ['password + passkey where only WebAuthn counts', 'keys.corp.example', [password, passkeyNoUv], false, 'allow'],
    ['password only', 'open.corp.example', [password], true, 'step_up'],
  ] as const)('%s → %s', (_name, domain, factors, globalPasswordless, expected) => {
    const policy = compilePolicy(access, { passwordless: globalPasswordless });
    expect(evaluateAccess(policy, target(domain), who(...factors), NOW).kind).toBe(expected);
  });
});

/**
 * one_factor means "a password, or a passkey alone where passwordless is allowed": a session
 * that holds neither never meets it, whatever else it holds.
 */
describe('one_factor needs the password or an allowed passwordless passkey', () => {
  const oneFactor = configSchema.shape.access_control.parse({
    default_policy: 'one_factor',
    rules: [
      { domain: 'a.corp.example', policy: 'one_factor', passwordless: true },
      { domain: 'b.corp.example', policy: 'one_factor' },
      { domain: 'c.corp.example', policy: 'one_factor', passwordless: false },
      { domain: 'fresh.corp.example', policy: 'one_factor', passwordless: true, max_auth_age: 300 },
      { domain: 'open.corp.example', policy: 'bypass' },
      { domain: 'closed.corp.example', policy: 'deny', passwordless: true },
    ],
  });
  const reauth = { kind: 'login', reauthenticate: true };
  const cases: [string, string, FactorUse[], boolean, object][] = [
    // passwordless off everywhere but rule a
    ['a UV passkey alone, rule a allows passwordless', 'a.corp.example', [passkeyUv], false, { kind: 'allow', rule: 0 }],
    ['a UV passkey alone, rule b (global off)', 'b.corp.example', [passkeyUv], false, { ...reauth, rule: 1 }],
    ['a UV passkey alone, rule c forbids', 'c.corp.example', [passkeyUv], false, { ...reauth, rule: 2 }],
    ['a UV passkey alone, no rule (default, global off)', 'other.corp.example', [passkeyUv], false, { ...reauth, rule: 'default' }],
    ['a passkey without UV, rule a', 'a.corp.example', [passkeyNoUv], false, { ...reauth, rule: 0 }],
    ['a passkey with UV unrecorded, rule a', 'a.corp.example', [passkeyUnknownUv], false, { ...reauth, rule: 0 }],
    ['a passkey without UV, rule b', 'b.corp.example', [passkeyNoUv], false, { ...reauth, rule: 1 }],
    ['UV passkey + TOTP, no password, rule b', 'b.corp.example', [passkeyUv, totp], false, { ...reauth, rule: 1 }],
    ['TOTP alone, rule b', 'b.corp.example', [totp], false, { ...reauth, rule: 1 }],
    ['HOTP alone, rule a', 'a.corp.example', [hotp], false, { ...reauth, rule: 0 }],
    ['a push approval alone, rule a', 'a.corp.example', [push], false, { ...reauth, rule: 0 }],
    ['a recovery code alone, default', 'other.corp.example', [recovery], true, { ...reauth, rule: 'default' }],
    ['no factor at all, rule a', 'a.corp.example', [], true, { ...reauth, rule: 0 }],
    ['the password, rule b', 'b.corp.example', [password], false, { kind: 'allow', rule: 1 }],
    ['the password, rule c', 'c.corp.example', [password], true, { kind: 'allow', rule: 2 }],
    ['password + passkey without UV, rule c', 'c.corp.example', [password, passkeyNoUv], false, { kind: 'allow', rule: 2 }],
    // passwordless on globally
    ['a UV passkey alone, rule b (global on)', 'b.corp.example', [passkeyUv], true, { kind: 'allow', rule: 1 }],
    ['a UV passkey alone, default (global on)', 'other.corp.example', [passkeyUv], true, { kind: 'allow', rule: 'default' }],
    ['a UV passkey alone, rule c forbids (global on)', 'c.corp.example', [passkeyUv], true, { ...reauth, rule: 2 }],
    ['a passkey without UV, default (global on)', 'other.corp.example', [passkeyNoUv], true, { ...reauth, rule: 'default' }],
    // bypass and deny do not look at factors
    ['a passkey without UV on a bypass rule', 'open.corp.example', [passkeyNoUv], false, { kind: 'allow', rule: 4 }],
    ['a UV passkey on a deny rule that names passwordless', 'closed.corp.example', [passkeyUv], true, { kind: 'deny', rule: 5 }],
  ];
  it.each(cases)('%s → %o', (_name, domain, factors, globalPasswordless, expected) => {
    const policy = compilePolicy(oneFactor, { passwordless: globalPasswordless });
    const decision = evaluateAccess(policy, target(domain), who(...factors), NOW);
    expect(decision).toMatchObject(expected);
    expect(explainAccess(policy, target(domain), who(...factors), NOW).decision).toBe(decision);
  });

  it('max_auth_age counts the passkey that signed in, not an older one', () => {
    const policy = compilePolicy(oneFactor, { passwordless: false });
    const old = { ...passkeyUv, at: NOW - 6 * MINUTE };
    expect(evaluateAccess(policy, target('fresh.corp.example'), who(old), NOW)).toMatchObject({ kind: 'login', reauthenticate: true });
    expect(evaluateAccess(policy, target('fresh.corp.example'), who({ ...passkeyUv, at: NOW - 4 * MINUTE }), NOW)).toMatchObject({ kind: 'allow' });
  });

  it('explains why a passkey alone is not enough', () => {
    const policy = compilePolicy(oneFactor, { passwordless: false });
    expect(explainAccess(policy, target('b.corp.example'), who(passkeyUv), NOW).why).toMatch(/passwordless/);
  });
});

/**
 * A session signed in with a passkey alone for site A (passwordless only there) is worth nothing
 * on site B: the policy looks at the factors on every request, whatever the session was made for.
 */
describe('a passwordless session made for one site', () => {
  const sites = configSchema.shape.access_control.parse({
    default_policy: 'deny',
    rules: [
      { domain: 'a.corp.example', policy: 'one_factor', passwordless: true },
      { domain: 'a2.corp.example', policy: 'two_factor', passwordless: true },
      { domain: 'b.corp.example', policy: 'one_factor' },
      { domain: 'b2.corp.example', policy: 'two_factor' },
      { domain: 'b3.corp.example', resources: ['/pl(/.*)?'], policy: 'one_factor', passwordless: true },
      { domain: 'b3.corp.example', policy: 'one_factor' },
    ],
  });
  const policy = compilePolicy(sites, { passwordless: false });
  it.each([
    ['a.corp.example', '/', 'allow'],
    ['a2.corp.example', '/', 'allow'],
    ['b.corp.example', '/', 'login'],
    ['b2.corp.example', '/', 'login'],
    ['b3.corp.example', '/pl/x', 'allow'],
    ['b3.corp.example', '/other', 'login'],
    ['b3.corp.example', '/plx', 'login'],
    ['c.corp.example', '/', 'deny'],
  ])('%s%s → %s', (domain, path, expected) => {
    expect(evaluateAccess(policy, target(domain, path), who(passkeyUv), NOW).kind).toBe(expected);
  });
});

/**
 * Where the passkey sign-in endpoint may run, decided on the server from the config and the
 * target (`rd`) alone: before the passkey is used (who it is is unknown yet) and after.
 */
describe('mayOfferPasswordless and allowsPasswordless', () => {
  const rules = configSchema.shape.access_control.parse({
    default_policy: 'one_factor',
    rules: [
      { domain: 'a.corp.example', policy: 'one_factor', passwordless: true },
      { domain: 'b.corp.example', policy: 'one_factor' },
      { domain: 'c.corp.example', policy: 'two_factor', passwordless: false },
      { domain: 'team.corp.example', subject: 'group:dev', policy: 'one_factor', passwordless: true },
      { domain: 'team.corp.example', policy: 'one_factor' },
      { domain: 'exec.corp.example', subject: 'group:execs', policy: 'two_factor', passwordless: false },
      { domain: 'exec.corp.example', policy: 'one_factor' },
      { domain: 'open.corp.example', policy: 'bypass' },
      { domain: 'mixed.corp.example', resources: ['/pl(/.*)?'], policy: 'one_factor', passwordless: true },
      { domain: 'mixed.corp.example', policy: 'one_factor' },
    ],
  });
  const dev = { username: 'dana', groups: ['dev'] };
  const exec = { username: 'eve', groups: ['execs'] };
  const plain = { username: 'paul', groups: [] };

  it.each([
    // [target, global off, global on]
    [null, false, true],
    ['a.corp.example', true, true],
    ['b.corp.example', false, true],
    ['c.corp.example', false, false],
    ['team.corp.example', true, true],
    ['exec.corp.example', false, true],
    ['open.corp.example', false, true],
    ['unknown.corp.example', false, true],
    ['mixed.corp.example/pl/page', true, true],
    ['mixed.corp.example/other', false, true],
  ] as const)('offered for %s: %s (global off), %s (global on)', (where, off, on) => {
    const at = where === null ? null : target(where.split('/')[0]!, where.includes('/') ? where.slice(where.indexOf('/')) : '/');
    expect(mayOfferPasswordless(compilePolicy(rules, { passwordless: false }), at)).toBe(off);
    expect(mayOfferPasswordless(compilePolicy(rules, { passwordless: true }), at)).toBe(on);
  });

  it.each([
    // [target, user, passkey, global, allowed]
    [null, plain, passkeyUv, false, false],
    [null, plain, passkeyUv, true, true],
    [null, plain, passkeyNoUv, true, false],
    ['a.corp.example', plain, passkeyUv, false, true],
    ['a.corp.example', plain, passkeyNoUv, false, false],
    ['a.corp.example', plain, passkeyUnknownUv, false, false],
    ['b.corp.example', plain, passkeyUv, false, false],
    ['b.corp.example', plain, passkeyUv, true, true],
    ['c.corp.example', plain, passkeyUv, true, false],
    ['team.corp.example', dev, passkeyUv, false, true],
    ['team.corp.example', plain, passkeyUv, false, false],
    ['exec.corp.example', exec, passkeyUv, true, false],
    ['exec.corp.example', plain, passkeyUv, true, true],
    ['open.corp.example', plain, passkeyUv, false, false],
    ['unknown.corp.example', plain, passkeyUv, false, false],
    // Not a passkey at all.
    ['a.corp.example', plain, totp, false, false],
    ['a.corp.example', plain, password, true, false],
  ] as const)('allowed for %s, %o with %o, global %s: %s', (domain, user, passkey, global, expected) => {
    const policy = compilePolicy(rules, { passwordless: global });
    expect(allowsPasswordless(policy, domain === null ? null : target(domain), user, passkey, NOW)).toBe(expected);
  });
});
