import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import type { FactorUse } from '../session/session.js';
import { compilePolicy } from './compile-policy.js';
import { evaluateAccess } from './evaluate-access.js';

const NOW = Date.UTC(2026, 10, 26, 12);
const access = configSchema.shape.access_control.parse({
  rules: [
    { domain: 'open.corp.example', policy: 'two_factor', passwordless: true },
    { domain: 'strict.corp.example', policy: 'two_factor', passwordless: false },
    { domain: 'default.corp.example', policy: 'two_factor' },
    { domain: 'keys.corp.example', policy: 'two_factor', factors: ['webauthn'] },
  ],
});
const target = (domain: string) => ({ domain, path: '/', method: 'GET', ip: '10.0.0.1', caseInsensitivePaths: true });
const who = (...factors: FactorUse[]) => ({ username: 'alice', groups: [], factors });
const password: FactorUse = { kind: 'password', at: NOW };
const passkeyUv: FactorUse = { kind: 'webauthn', at: NOW, device: 'c1', userVerified: true };
const passkeyNoUv: FactorUse = { kind: 'webauthn', at: NOW, device: 'c1', userVerified: false };
const totp: FactorUse = { kind: 'totp', at: NOW, device: 'd1' };

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
