import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestStorage } from '../storage/testing/test-storage.js';
import type { Storage } from '../storage/storage.js';
import { issueEnrollmentCode, redeemEnrollmentCode } from './enrollment-codes.js';

const NOW = Date.UTC(2026, 10, 26);
let storage: Storage;
beforeEach(() => {
  storage = openTestStorage();
});
afterEach(() => storage.close());

describe('enrollment codes', () => {
  it('work once, for their user, before they expire', async () => {
    const { code, expiresAt } = await issueEnrollmentCode(storage, { username: 'alice', method: 'admin', ttlSeconds: 3600, issuedBy: 'admin', now: NOW });
    expect(code).toMatch(/^[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    expect(expiresAt).toBe(NOW + 3_600_000);
    expect(await redeemEnrollmentCode(storage, { username: 'bob', code, now: NOW })).toEqual({ ok: false, reason: 'invalid' });
    expect(await redeemEnrollmentCode(storage, { username: 'alice', code: code.toLowerCase().replace('-', ' '), now: NOW })).toEqual({ ok: true });
    expect(await redeemEnrollmentCode(storage, { username: 'alice', code, now: NOW })).toEqual({ ok: false, reason: 'expired_or_used' });
  });

  it('expire', async () => {
    const { code } = await issueEnrollmentCode(storage, { username: 'alice', method: 'email', ttlSeconds: 3600, issuedBy: 'self', now: NOW });
    expect(await redeemEnrollmentCode(storage, { username: 'alice', code, now: NOW + 3_600_000 })).toEqual({ ok: false, reason: 'expired_or_used' });
  });

  it('20 parallel redemptions of one code: one success', async () => {
    const { code } = await issueEnrollmentCode(storage, { username: 'alice', method: 'admin', ttlSeconds: 60, issuedBy: 'admin', now: NOW });
    const results = await Promise.all(Array.from({ length: 20 }, () => redeemEnrollmentCode(storage, { username: 'alice', code, now: NOW })));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });

  it.each([undefined, '', 'ABCDE', 'ABCDE-12345-X', 'ＡＢＣＤＥ-12345', 'UUUUU-UUUUU', 42, 'x'.repeat(100_000)])('refuses the malformed code %j as invalid', async (code) => {
    await issueEnrollmentCode(storage, { username: 'alice', method: 'admin', ttlSeconds: 60, issuedBy: 'admin', now: NOW });
    expect(await redeemEnrollmentCode(storage, { username: 'alice', code, now: NOW })).toEqual({ ok: false, reason: 'invalid' });
  });
});
