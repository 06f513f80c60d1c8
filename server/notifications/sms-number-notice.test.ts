import { describe, expect, it } from 'vitest';
import { notificationOf } from './notification-of.js';
import { renderNotification } from './notification-templates.js';

describe('a mobile number for SMS codes added or removed', () => {
  it('mails "factor added" and "factor removed", naming the number kind (never the number) in both languages', () => {
    const details = { kind: 'sms_otp', destination: '•••• 678' };
    expect(notificationOf({ kind: 'factor.enrolled', subject: 'nina', details })).toEqual({ kind: 'factor_added', factor: 'sms_otp' });
    expect(notificationOf({ kind: 'factor.removed', subject: 'nina', details })).toEqual({ kind: 'factor_removed', factor: 'sms_otp' });
    // A refused attempt mails nothing.
    expect(notificationOf({ kind: 'factor.enroll_refused', subject: 'nina', details, reason: 'invalid-code' })).toBeUndefined();
    const facts = { displayName: 'Nina', at: Date.UTC(2026, 11, 5), factor: 'sms_otp', methodsUrl: 'https://auth.example/methods' };
    const en = renderNotification('factor_added', 'en', facts);
    expect(en.text).toContain('a mobile number for text-message codes');
    expect(en.text).not.toContain('all your sign-in methods');
    expect(renderNotification('factor_removed', 'zh-TW', facts).text).toContain('接收簡訊驗證碼的手機號碼');
  });
});
