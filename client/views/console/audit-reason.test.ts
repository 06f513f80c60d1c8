import { describe, expect, it } from 'vitest';
import { AUDIT_REASONS } from '../../../server/http/console/audit-reasons.js';
import { createTranslator, isMessageKey } from '../../i18n.js';
import { renderReason } from './audit-reason.js';

const en = createTranslator('en');
const zh = createTranslator('zh-TW');

describe('audit reason codes in the console', () => {
  it('lists the reasons of every reason type (guards the list)', () => {
    expect(AUDIT_REASONS).toEqual(expect.arrayContaining(['invalid-code', 'counter-regression', 'invalid-credentials', 'wrong_numbers', 'not_me', 'expired_or_used']));
  });

  it.each([...AUDIT_REASONS])('%s has words in English and Traditional Chinese', (code) => {
    const key = `console.reason.${code}`;
    expect(isMessageKey(key)).toBe(true);
    expect(zh(key as never)).not.toBe(en(key as never));
  });
});

describe('renderReason', () => {
  it('shows the words, with the raw code in the title and beside them', () => {
    expect(String(renderReason(en, 'second_factor.failure', 'invalid-code'))).toBe(' <span class="meta" title="invalid-code">Wrong code <code>invalid-code</code></span>');
    expect(String(renderReason(zh, 'second_factor.failure', 'invalid-code'))).toContain('代碼錯誤 <code>invalid-code</code>');
  });

  it.each([
    ['admin.disable', 'locked', 'locked'],
    ['admin.disable', 'left the company', 'left the company'],
    ['lockout', '<b>not markup</b>', '&lt;b&gt;not markup&lt;/b&gt;'],
    ['sign_in.failure', 'constructor', 'constructor'],
    ['sign_in.failure', '__proto__', '__proto__'],
  ])('%s with %j: shown as recorded, escaped', (kind, reason, shown) => {
    expect(String(renderReason(en, kind, reason))).toBe(` <span class="meta">${shown}</span>`);
  });

  it('shows nothing without a reason', () => {
    expect(renderReason(en, 'sign_out', null)).toBe('');
    expect(renderReason(en, 'sign_out', '')).toBe('');
  });
});
