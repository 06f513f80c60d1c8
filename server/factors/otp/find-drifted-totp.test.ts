import { describe, expect, it } from 'vitest';
import { generateHotp, totpStep } from './generate-otp.js';
import { findDriftedTotp, type DriftedTotpSearch } from './find-drifted-totp.js';
import { learnDrift } from './totp-drift.js';
import { verifyTotp } from './verify-totp.js';

const SECRET = Buffer.from('12345678901234567890', 'ascii');
const NOW = Date.UTC(2026, 0, 1, 0, 0, 10);
const STEP = totpStep(NOW, 30);
const at = (step: number, digits: 6 | 8 = 6) => generateHotp(SECRET, step, { digits, algorithm: 'SHA1' });

function search(overrides: Partial<DriftedTotpSearch> = {}): DriftedTotpSearch {
  return { secret: SECRET, code1: '', code2: '', now: NOW, period: 30, digits: 6, algorithm: 'SHA1', searchSteps: 20, lastStep: null, ...overrides };
}

describe('findDriftedTotp', () => {
  it.each([-20, -19, -12, -6, -1, 0, 1, 6, 10, 20])('two consecutive codes from a phone %i steps off are found', (offset) => {
    const result = findDriftedTotp(search({ code1: at(STEP + offset - 1), code2: at(STEP + offset) }));
    expect(result).toEqual({ ok: true, step: STEP + offset, offsetSteps: offset });
  });

  it.each([
    { name: 'code2 one step beyond the search', c1: STEP + 20, c2: STEP + 21 },
    { name: 'code2 one step behind the search', c1: STEP - 22, c2: STEP - 21 },
    { name: 'far away', c1: STEP + 200, c2: STEP + 201 },
    { name: 'the same code twice', c1: STEP + 8, c2: STEP + 8 },
    { name: 'in the wrong order', c1: STEP + 9, c2: STEP + 8 },
    { name: 'a step apart', c1: STEP + 6, c2: STEP + 8 },
    { name: 'only the first right', c1: STEP + 6, c2: -1 },
    { name: 'only the second right', c1: -1, c2: STEP + 6 },
  ])('refuses $name', ({ c1, c2 }) => {
    const code1 = c1 < 0 ? '000000' : at(c1);
    const code2 = c2 < 0 ? (at(STEP + 7) === '999999' ? '999998' : '999999') : at(c2);
    expect(findDriftedTotp(search({ code1, code2 }))).toEqual({ ok: false, reason: 'invalid-code' });
  });

  it('a single far code is never accepted by verifyTotp, while the pair is: then the drift is followed', () => {
    const offset = 14; // 7 minutes ahead
    expect(
      verifyTotp({ secret: SECRET, code: at(STEP + offset), now: NOW, period: 30, digits: 6, algorithm: 'SHA1', window: 1, driftSteps: 0, maxDriftSteps: 20, lastStep: null }),
    ).toEqual({
      ok: false,
      reason: 'invalid-code',
    });
    const found = findDriftedTotp(search({ code1: at(STEP + offset - 1), code2: at(STEP + offset) }));
    expect(found).toEqual({ ok: true, step: STEP + offset, offsetSteps: offset });
    if (!found.ok) return;
    // The factor stores drift = offsetSteps and lastStep = step; the next sign-in, an hour later, matches.
    const later = NOW + 3_600_000;
    const next = verifyTotp({
      secret: SECRET,
      code: at(totpStep(later, 30) + offset),
      now: later,
      period: 30,
      digits: 6,
      algorithm: 'SHA1',
      window: 1,
      driftSteps: found.offsetSteps,
      maxDriftSteps: 20,
      lastStep: found.step,
    });
    expect(next).toMatchObject({ ok: true, offsetSteps: offset });
    if (next.ok) expect(learnDrift({ driftSteps: found.offsetSteps, offsetSteps: next.offsetSteps, maxDriftSteps: 20 })).toBe(offset);
  });

  it.each([
    { lastStep: STEP + 4, expected: { ok: true, step: STEP + 6, offsetSteps: 6 } },
    { lastStep: STEP + 5, expected: { ok: false, reason: 'replayed' } },
    { lastStep: STEP + 6, expected: { ok: false, reason: 'replayed' } },
    { lastStep: STEP + 30, expected: { ok: false, reason: 'replayed' } },
  ])('both steps must lie above lastStep $lastStep', ({ lastStep, expected }) => {
    expect(findDriftedTotp(search({ code1: at(STEP + 5), code2: at(STEP + 6), lastStep }))).toEqual(expected);
  });

  it('works with 8 digits and a 60 s period', () => {
    const step60 = totpStep(NOW, 60);
    const code = (s: number) => generateHotp(SECRET, s, { digits: 8, algorithm: 'SHA1' });
    expect(findDriftedTotp(search({ period: 60, digits: 8, searchSteps: 10, code1: code(step60 - 8), code2: code(step60 - 7) }))).toEqual({
      ok: true,
      step: step60 - 7,
      offsetSteps: -7,
    });
    expect(findDriftedTotp(search({ period: 60, digits: 8, searchSteps: 10, code1: code(step60 - 12), code2: code(step60 - 11) }))).toEqual({ ok: false, reason: 'invalid-code' });
  });

  it.each(['', '12345', 'abcdef', '١٢٣٤٥٦'])('malformed codes (%j) match nothing', (bad) => {
    expect(findDriftedTotp(search({ code1: bad, code2: at(STEP) }))).toEqual({ ok: false, reason: 'invalid-code' });
    expect(findDriftedTotp(search({ code1: at(STEP - 1), code2: bad }))).toEqual({ ok: false, reason: 'invalid-code' });
  });

  it.each([0, -1, 1.5, 1441, Number.NaN])('throws on searchSteps %s (a configuration bug)', (searchSteps) => {
    expect(() => findDriftedTotp(search({ searchSteps, code1: at(STEP), code2: at(STEP + 1) }))).toThrow(RangeError);
  });
});
