import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestStorage } from '../../storage/testing/test-storage.js';
import type { Storage } from '../../storage/storage.js';
import { canonicalRecoveryCode, createRecoveryCodeFactor, generateRecoveryCodes, regenerateRecoveryCodes } from './recovery-codes.js';

const NOW = Date.UTC(2026, 10, 26);
let storage: Storage;
beforeEach(() => {
  storage = openTestStorage();
});
afterEach(() => storage.close());

describe('recovery codes', () => {
  it('are distinct, 60-bit, and read back in forgiving forms', () => {
    const codes = generateRecoveryCodes(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(canonicalRecoveryCode('abcd efgh jk01')).toBe('ABCDEFGHJK01');
    expect(canonicalRecoveryCode('oooo-iiii-llll')).toBe('000011111111');
    for (const bad of ['', 'ABCD-EFGH', 'ABCD-EFGH-JKMN-P', 'ABCD-EFGH-JKU1', 'ＡＢＣＤ-EFGH-JK01', 42, null, 'x'.repeat(10_000)])
      expect(canonicalRecoveryCode(bad)).toBeUndefined();
  });

  it('are stored hashed, each works once, and a new set ends the old one', async () => {
    const codes = await regenerateRecoveryCodes(storage, 'alice', 10, NOW);
    const stored = await storage.recoveryCodes.listForUser('alice');
    expect(stored).toHaveLength(10);
    for (const code of codes) expect(JSON.stringify(stored)).not.toContain(code.replaceAll('-', ''));
    const factor = createRecoveryCodeFactor({ storage });
    expect(await factor.verify({ username: 'alice', response: codes[0]!.toLowerCase(), now: NOW })).toMatchObject({ ok: true, device: { kind: 'recovery_code' } });
    expect(await factor.verify({ username: 'alice', response: codes[0], now: NOW })).toEqual({ ok: false, reason: 'replayed' });
    expect(await factor.verify({ username: 'bob', response: codes[1], now: NOW })).toEqual({ ok: false, reason: 'invalid-code' });
    const fresh = await regenerateRecoveryCodes(storage, 'alice', 10, NOW);
    expect(await factor.verify({ username: 'alice', response: codes[1], now: NOW })).toEqual({ ok: false, reason: 'invalid-code' });
    expect((await factor.verify({ username: 'alice', response: fresh[1], now: NOW })).ok).toBe(true);
  });

  it('parallel use of one code succeeds once', async () => {
    const [code] = await regenerateRecoveryCodes(storage, 'alice', 10, NOW);
    const factor = createRecoveryCodeFactor({ storage });
    const results = await Promise.all(Array.from({ length: 20 }, () => factor.verify({ username: 'alice', response: code, now: NOW })));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });

  it('lists as one device while unused codes remain', async () => {
    const factor = createRecoveryCodeFactor({ storage });
    expect(await factor.listDevices('alice')).toEqual([]);
    const codes = await regenerateRecoveryCodes(storage, 'alice', 5, NOW);
    expect(await factor.listDevices('alice')).toHaveLength(1);
    for (const code of codes) await factor.verify({ username: 'alice', response: code, now: NOW });
    expect(await factor.listDevices('alice')).toEqual([]);
  });
});
