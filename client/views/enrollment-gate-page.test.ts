import { describe, expect, it } from 'vitest';
import { TEST_ASSETS } from './testing/test-assets.js';
import { createTranslator, type Locale } from '../i18n.js';
import { renderEnrollmentGatePage, type EnrollmentGatePageModel } from './enrollment-gate-page.js';

type EmailOption = EnrollmentGatePageModel['emailOption'];
const EMAIL: EmailOption = { enabled: true, maskedAddress: 'a***@example.com', sent: false };
const NO_EMAIL: EmailOption = { enabled: false, maskedAddress: null, sent: false };

const render = (overrides: Partial<EnrollmentGatePageModel> = {}, locale: Locale = 'en') =>
  renderEnrollmentGatePage({ t: createTranslator(locale), locale, basePath: '/auth/', assets: TEST_ASSETS, csrfToken: 'tok', emailOption: EMAIL, codeOption: true, ...overrides });

const form = (out: string, action: string) => new RegExp(`<form[^>]* method="post" action="/auth/${action}">([\\s\\S]*?)</form>`).exec(out)?.[1];
const inputTag = (out: string) => /<input id="enroll-code"[^>]*>/.exec(out)?.[0] ?? '';
const alert = (out: string) => /<div id="form-error" class="alert" role="alert">([\s\S]*?)<\/div>/.exec(out)?.[1];

describe('renderEnrollmentGatePage', () => {
  it('explains why a code is needed before a second factor can be added', () => {
    const out = render();
    expect(out).toContain('<h1 id="page-heading">Set up your second factor</h1>');
    expect(out).toContain('so that a stolen password alone is not enough');
  });

  it('offers to email a code to the masked address, by POST with the csrf token and rd', () => {
    const out = render({ redirectTarget: 'https://wiki.example.com/' });
    expect(out).toContain('We will send a one-time code to a***@example.com.');
    const email = form(out, 'enroll/email');
    expect(email).toContain('<input type="hidden" name="csrf" value="tok">');
    expect(email).toContain('<input type="hidden" name="rd" value="https://wiki.example.com/">');
    expect(email).toContain('>Email me a code</button>');
  });

  it('after sending, says where it went and offers a new one', () => {
    const out = render({ emailOption: { ...EMAIL, sent: true } });
    expect(out).toContain('<div class="notice notice-success" role="status"><p>We sent a code to a***@example.com. It works once.');
    expect(form(out, 'enroll/email')).toContain('>Send a new code</button>');
    expect(inputTag(out)).toContain('autofocus');
  });

  it('without an address on file cannot email, and says so', () => {
    const out = render({ emailOption: { enabled: true, maskedAddress: null, sent: false } });
    expect(out).toContain('There is no email address on file for your account');
    expect(form(out, 'enroll/email')).toBeUndefined();
  });

  it('leaves email out when it is turned off', () => {
    const out = render({ emailOption: NO_EMAIL });
    expect(out).not.toContain('email-heading');
    expect(form(out, 'enroll/email')).toBeUndefined();
  });

  it('takes the code by POST to enroll/code with the csrf token and rd', () => {
    const out = render({ redirectTarget: 'https://wiki.example.com/' });
    const code = form(out, 'enroll/code');
    expect(code).toContain('<input type="hidden" name="csrf" value="tok">');
    expect(code).toContain('<input type="hidden" name="rd" value="https://wiki.example.com/">');
    expect(code).toContain('<label for="enroll-code">Registration code</label>');
    for (const attribute of ['name="code"', 'type="text"', 'autocomplete="one-time-code"', 'maxlength="64"', 'required', 'aria-describedby="enroll-code-hint"']) {
      expect(inputTag(out)).toContain(attribute);
    }
  });

  it.each([
    ['both ways', EMAIL, true, 'The code from the email, or the one your IT desk gave you.'],
    ['email only', EMAIL, false, 'The code from the email.'],
    ['IT desk only', NO_EMAIL, true, 'The code your IT desk gave you.'],
    ['IT desk, email on but no address', { enabled: true, maskedAddress: null, sent: false }, true, 'The code your IT desk gave you.'],
  ] as const)('with %s, says where the code comes from', (_name, emailOption, codeOption, hint) => {
    expect(render({ emailOption, codeOption })).toContain(`<p id="enroll-code-hint" class="hint">${hint}</p>`);
  });

  it.each([
    ['email off', NO_EMAIL],
    ['email on without an address', { enabled: true, maskedAddress: null, sent: false }],
  ] as const)('with no way to get a code (%s), sends the user to the IT desk and shows no code form', (_name, emailOption) => {
    const out = render({ emailOption, codeOption: false });
    expect(out).toContain('Contact your IT desk to get started.');
    expect(out).not.toContain('<form');
  });

  it('says an expired or used registration plainly, and how to start again both ways', () => {
    const out = render({ error: 'expired_or_used' });
    expect(alert(out)).toBe(
      '<p>This registration has expired or was already used. Start again:</p>\n<ul>\n' +
        '<li>Send yourself a new code by email with the button below.</li>\n' +
        '<li>Ask your IT desk for a new code or link.</li>\n</ul>\n',
    );
    expect(inputTag(out)).toContain('aria-describedby="enroll-code-hint form-error" aria-invalid="true" autofocus');
    expect(out).toMatch(/<title>Error: /);
  });

  it.each([
    ['email only', EMAIL, false, ['Send yourself a new code by email with the button below.']],
    ['IT desk only', NO_EMAIL, true, ['Ask your IT desk for a new code or link.']],
    ['no way at all', NO_EMAIL, false, ['Ask your IT desk for a new code or link.']],
  ] as const)('after an expired registration with %s, offers only what works', (_name, emailOption, codeOption, items) => {
    const out = render({ emailOption, codeOption, error: 'expired_or_used' });
    expect([...(alert(out) ?? '').matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1])).toEqual(items);
  });

  it('in zh-TW says an expired or used registration plainly', () => {
    const out = render({ error: 'expired_or_used' }, 'zh-TW');
    expect(alert(out)).toContain('<p>此註冊已逾期或已經使用過。請重新開始：</p>');
    expect(alert(out)).toContain('<li>請資訊服務台提供新的註冊碼或連結。</li>');
  });

  it.each([
    ['invalid', 'That code is not right. Check it and try again.', true],
    ['email_failed', 'The email could not be sent. Try again in a few minutes, or contact your IT desk.', false],
    ['csrf', 'This page had expired. Try again.', false],
  ] as const)('shows %s in the alert region', (error, text, marksField) => {
    const out = render({ error });
    expect(alert(out)).toBe(`<p>${text}</p>\n\n`);
    expect(inputTag(out).includes('aria-invalid="true"')).toBe(marksField);
  });

  it.each(['__proto__', 'constructor', 'smtp: 550 mailbox unavailable'])('shows the unexpected error %j as the generic text', (error) => {
    const out = render({ error: error as never });
    expect(alert(out)).toBe('<p>That code is not right. Check it and try again.</p>\n\n');
    expect(out).not.toContain('smtp');
  });

  it('is translated', () => {
    const out = render({ emailOption: { ...EMAIL, sent: true } }, 'zh-TW');
    expect(out).toContain('<h1 id="page-heading">設定第二道驗證方式</h1>');
    expect(out).toContain('註冊碼已寄到 a***@example.com');
    expect(out).toContain('<label for="enroll-code">註冊碼</label>');
    expect(out).toContain('>重新寄送註冊碼</button>');
  });
});
