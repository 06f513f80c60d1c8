import { describe, expect, it } from 'vitest';
import type { OtpAlgorithm } from '../../storage/storage.js';
import { generateHotp, totpStep, type OtpDigits } from './generate-otp.js';
import { verifyTotp, type TotpCheck } from './verify-totp.js';

const SECRET = Buffer.from('12345678901234567890', 'ascii');
const SECRET_256 = Buffer.from('12345678901234567890123456789012', 'ascii');
const SECRET_512 = Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'ascii');
// 2026-01-01T00:00:10Z: 10 s into a 30 s step and into a 60 s step.
const NOW = Date.UTC(2026, 0, 1, 0, 0, 10);
const STEP = totpStep(NOW, 30);

function check(overrides: Partial<TotpCheck> & { offset?: number } = {}): TotpCheck {
  const { offset = 0, ...rest } = overrides;
  const base = {
    secret: SECRET,
    now: NOW,
    period: 30,
    digits: 6 as OtpDigits,
    algorithm: 'SHA1' as OtpAlgorithm,
    window: 1,
    driftSteps: 0,
    maxDriftSteps: 20,
    lastStep: null,
    ...rest,
  };
  const code = rest.code ?? generateHotp(base.secret, totpStep(base.now, base.period) + offset, base);
  return { ...base, code };
}

describe('verifyTotp', () => {
  it.each([
    { window: 0, offset: 0, ok: true },
    { window: 0, offset: -1, ok: false },
    { window: 0, offset: 1, ok: false },
    { window: 1, offset: -1, ok: true },
    { window: 1, offset: 1, ok: true },
    { window: 1, offset: -2, ok: false },
    { window: 1, offset: 2, ok: false },
    { window: 2, offset: -2, ok: true },
    { window: 2, offset: 3, ok: false },
    { window: 3, offset: -3, ok: true },
    { window: 3, offset: 3, ok: true },
    { window: 3, offset: -4, ok: false },
    { window: 3, offset: 4, ok: false },
    { window: 1, offset: 100, ok: false },
    { window: 1, offset: -2880, ok: false },
  ])('window $window, code from offset $offset → ok $ok', ({ window, offset, ok }) => {
    const result = verifyTotp(check({ window, offset }));
    expect(result).toEqual(ok ? { ok: true, step: STEP + offset, offsetSteps: offset } : { ok: false, reason: 'invalid-code' });
  });

  it.each([
    { name: 'first ms of a step, previous code', now: STEP * 30_000, codeStep: STEP - 1, ok: true },
    { name: 'first ms of a step, code two steps back', now: STEP * 30_000, codeStep: STEP - 2, ok: false },
    { name: 'last ms of a step, next code', now: STEP * 30_000 + 29_999, codeStep: STEP + 1, ok: true },
    { name: 'last ms of a step, code two steps ahead', now: STEP * 30_000 + 29_999, codeStep: STEP + 2, ok: false },
    { name: 'last ms of a step, previous code', now: STEP * 30_000 + 29_999, codeStep: STEP - 1, ok: true },
    { name: 'one ms after the last ms, the same code (now two back)', now: STEP * 30_000 + 30_000, codeStep: STEP - 1, ok: false },
    { name: 'first ms of a step, next code', now: STEP * 30_000, codeStep: STEP + 1, ok: true },
  ])('window edges: $name → ok $ok', ({ now, codeStep, ok }) => {
    const code = generateHotp(SECRET, codeStep, { digits: 6, algorithm: 'SHA1' });
    expect(verifyTotp(check({ now, code })).ok).toBe(ok);
  });

  it.each([
    { algorithm: 'SHA1', secret: SECRET, digits: 8, period: 30 },
    { algorithm: 'SHA256', secret: SECRET_256, digits: 8, period: 30 },
    { algorithm: 'SHA512', secret: SECRET_512, digits: 8, period: 30 },
    { algorithm: 'SHA256', secret: SECRET_256, digits: 6, period: 60 },
    { algorithm: 'SHA512', secret: SECRET_512, digits: 8, period: 60 },
  ] as const)('$algorithm, $digits digits, $period s: accepts its own code, refuses the neighbours beyond the window', (params) => {
    const at = (offset: number) => generateHotp(params.secret, totpStep(NOW, params.period) + offset, params);
    expect(verifyTotp(check({ ...params, code: at(0) }))).toMatchObject({ ok: true, offsetSteps: 0 });
    expect(verifyTotp(check({ ...params, code: at(1) }))).toMatchObject({ ok: true, offsetSteps: 1 });
    expect(verifyTotp(check({ ...params, code: at(2) }))).toEqual({ ok: false, reason: 'invalid-code' });
    expect(verifyTotp(check({ ...params, code: at(-2) }))).toEqual({ ok: false, reason: 'invalid-code' });
  });

  it('60 s period: the code of 30 s ago is the current one, of 90 s ago the previous one', () => {
    const codeAt = (ms: number) => generateHotp(SECRET, totpStep(ms, 60), { digits: 6, algorithm: 'SHA1' });
    const now = Date.UTC(2026, 0, 1, 0, 0, 45);
    expect(verifyTotp(check({ period: 60, now, window: 0, code: codeAt(now - 30_000) }))).toMatchObject({ ok: true, offsetSteps: 0 });
    expect(verifyTotp(check({ period: 60, now, window: 0, code: codeAt(now - 90_000) }))).toEqual({ ok: false, reason: 'invalid-code' });
    expect(verifyTotp(check({ period: 60, now, window: 1, code: codeAt(now - 90_000) }))).toMatchObject({ ok: true, offsetSteps: -1 });
  });

  it('a code for another algorithm, digit count or secret does not match', () => {
    const at0 = (secret: Buffer, algorithm: OtpAlgorithm, digits: OtpDigits) => generateHotp(secret, STEP, { digits, algorithm });
    expect(verifyTotp(check({ code: at0(SECRET, 'SHA256', 6) })).ok).toBe(false);
    expect(verifyTotp(check({ code: at0(Buffer.from('another user secret!!', 'ascii'), 'SHA1', 6) })).ok).toBe(false);
    expect(verifyTotp(check({ digits: 8, code: at0(SECRET, 'SHA1', 6) })).ok).toBe(false);
    expect(verifyTotp(check({ code: at0(SECRET, 'SHA1', 8) })).ok).toBe(false);
  });

  it.each(['', '12345', '1234567', '12345a', '١٢٣٤٥٦', ' 123456', '123 456', '-12345'])('a code that was not normalized (%j) never matches', (code) => {
    expect(verifyTotp(check({ code }))).toEqual({ ok: false, reason: 'invalid-code' });
  });

  it('still refuses a malformed code whose digits would be right', () => {
    const good = generateHotp(SECRET, STEP, { digits: 6, algorithm: 'SHA1' });
    expect(verifyTotp(check({ code: good.slice(0, 3) + ' ' + good.slice(3) })).ok).toBe(false);
    expect(verifyTotp(check({ code: good + '0' })).ok).toBe(false);
  });

  describe('replay floor (lastStep)', () => {
    it.each([
      { lastStep: STEP - 2, offset: -1, expected: { ok: true, step: STEP - 1, offsetSteps: -1 } },
      { lastStep: STEP - 1, offset: -1, expected: { ok: false, reason: 'replayed' } },
      { lastStep: STEP - 1, offset: 0, expected: { ok: true, step: STEP, offsetSteps: 0 } },
      { lastStep: STEP, offset: 0, expected: { ok: false, reason: 'replayed' } },
      { lastStep: STEP, offset: -1, expected: { ok: false, reason: 'replayed' } },
      { lastStep: STEP, offset: 1, expected: { ok: true, step: STEP + 1, offsetSteps: 1 } },
      { lastStep: STEP + 1, offset: 0, expected: { ok: false, reason: 'replayed' } },
      { lastStep: STEP + 1, offset: 1, expected: { ok: false, reason: 'replayed' } },
      { lastStep: STEP + 5, offset: 1, expected: { ok: false, reason: 'replayed' } },
      { lastStep: 0, offset: 0, expected: { ok: true, step: STEP, offsetSteps: 0 } },
    ])('lastStep $lastStep, code at offset $offset → $expected.reason', ({ lastStep, offset, expected }) => {
      expect(verifyTotp(check({ lastStep, offset }))).toEqual(expected);
    });

    it('a wrong code is invalid, not replayed, whatever the floor', () => {
      const inWindow = [-1, 0, 1].map((o) => generateHotp(SECRET, STEP + o, { digits: 6, algorithm: 'SHA1' }));
      const wrong = ['000000', '000001', '000002', '000003'].find((c) => !inWindow.includes(c))!;
      expect(verifyTotp(check({ lastStep: STEP + 1, code: wrong }))).toEqual({ ok: false, reason: 'invalid-code' });
    });

    it('the same code twice: accepted, then replayed once its step is stored', () => {
      const first = verifyTotp(check());
      expect(first).toMatchObject({ ok: true });
      const lastStep = first.ok ? first.step : null;
      expect(verifyTotp(check({ lastStep }))).toEqual({ ok: false, reason: 'replayed' });
      // A minute later its step has left the window: plainly invalid.
      expect(verifyTotp(check({ lastStep, now: NOW + 60_000, offset: -2 }))).toEqual({ ok: false, reason: 'invalid-code' });
    });
  });

  describe('drift', () => {
    it.each([
      { drift: 5, offset: 5, ok: true },
      { drift: 5, offset: 4, ok: true },
      { drift: 5, offset: 6, ok: true },
      { drift: 5, offset: 7, ok: false },
      { drift: 5, offset: 3, ok: false },
      { drift: 5, offset: 0, ok: true }, // the clock was set right: server time always counts
      { drift: 5, offset: -1, ok: true },
      { drift: 5, offset: 2, ok: false },
      { drift: -8, offset: -9, ok: true },
      { drift: -8, offset: -10, ok: false },
      { drift: -8, offset: 1, ok: true },
      { drift: -8, offset: 2, ok: false },
    ])('drift $drift, code at offset $offset → ok $ok', ({ drift, offset, ok }) => {
      const result = verifyTotp(check({ driftSteps: drift, offset }));
      expect(result).toEqual(ok ? { ok: true, step: STEP + offset, offsetSteps: offset } : { ok: false, reason: 'invalid-code' });
    });

    it.each([
      { drift: 50, max: 20, offset: 20, ok: true },
      { drift: 50, max: 20, offset: 21, ok: true },
      { drift: 50, max: 20, offset: 22, ok: false },
      { drift: 50, max: 20, offset: 50, ok: false },
      { drift: -50, max: 20, offset: -21, ok: true },
      { drift: -50, max: 20, offset: -22, ok: false },
      { drift: 3, max: 0, offset: 3, ok: false },
      { drift: 3, max: 0, offset: 1, ok: true },
      { drift: 3, max: 2, offset: 3, ok: true },
      { drift: 3, max: 2, offset: 4, ok: false },
    ])('drift $drift clamped to ±$max: offset $offset → ok $ok', ({ drift, max, offset, ok }) => {
      expect(verifyTotp(check({ driftSteps: drift, maxDriftSteps: max, offset })).ok).toBe(ok);
    });

    it('never matches one code further than maxDriftSteps + window from server time', () => {
      for (let offset = -40; offset <= 40; offset++) {
        for (const drift of [-30, -20, -5, 0, 5, 20, 30]) {
          const result = verifyTotp(check({ driftSteps: drift, maxDriftSteps: 20, window: 1, offset }));
          if (result.ok) expect(Math.abs(result.offsetSteps)).toBeLessThanOrEqual(21);
        }
      }
    });

    it('window 0 with drift checks exactly the drifted step and the server step', () => {
      const accepted = [];
      for (let offset = -10; offset <= 10; offset++) if (verifyTotp(check({ driftSteps: 4, window: 0, offset })).ok) accepted.push(offset);
      expect(accepted).toEqual([0, 4]);
    });

    it('the replay floor holds across drift: an older step is replayed even inside the drifted window', () => {
      expect(verifyTotp(check({ driftSteps: 5, lastStep: STEP + 5, offset: 4 }))).toEqual({ ok: false, reason: 'replayed' });
      expect(verifyTotp(check({ driftSteps: 5, lastStep: STEP + 5, offset: 0 }))).toEqual({ ok: false, reason: 'replayed' });
      expect(verifyTotp(check({ driftSteps: 5, lastStep: STEP + 5, offset: 6 }))).toMatchObject({ ok: true, offsetSteps: 6 });
    });
  });

  it.each([
    { name: 'window −1', window: -1 },
    { name: 'window 11', window: 11 },
    { name: 'window 1.5', window: 1.5 },
    { name: 'fractional lastStep', lastStep: 1.5 },
    { name: 'fractional drift', driftSteps: 0.5 },
    { name: 'negative maxDriftSteps', maxDriftSteps: -1 },
    { name: 'negative time', now: -1 },
  ])('throws on $name (configuration or caller bug)', (bad) => {
    expect(() => verifyTotp(check({ code: '123456', ...bad }))).toThrow(RangeError);
  });
});
