import { describe, expect, it } from 'vitest';
import { AUDIT_KINDS } from '../../../server/audit/audit-event.js';
import { createTranslator, isMessageKey } from '../../i18n.js';

describe('audit event kinds in the console', () => {
  it.each([...AUDIT_KINDS])('%s has words in English and Traditional Chinese', (kind) => {
    const key = `console.event.${kind}`;
    expect(isMessageKey(key)).toBe(true);
    expect(createTranslator('zh-TW')(key as never)).not.toBe(createTranslator('en')(key as never));
  });
});
