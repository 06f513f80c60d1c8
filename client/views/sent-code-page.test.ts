import { describe, expect, it } from 'vitest';
import { TEST_ASSETS } from './testing/test-assets.js';
import { createTranslator, type Locale } from '../i18n.js';
import { renderSentCodePage, type SentCodePageModel } from './sent-code-page.js';

const render = (overrides: Partial<SentCodePageModel> = {}, locale: Locale = 'en') =>
  renderSentCodePage({
    t: createTranslator(locale),
    locale,
    basePath: '/auth/',
    assets: TEST_ASSETS,
    csrfToken: 'tok',
    redirectTarget: 'https://wiki.corp.example/a?b=1',
    channel: 'sms',
    masked: '•••• 678',
    secondsToResend: 0,
    digits: 6,
    ...overrides,
  });

describe('renderSentCodePage', () => {
  it('before a code: the send button leads, no code field', () => {
    const out = render();
    expect(out).toContain('Gatehouse will send a one-time code to •••• 678.');
    expect(out).toContain('action="/auth/second-factor/code/sms/send"');
    expect(out).not.toContain('name="code"');
    expect(out).toContain('Text me a code');
  });

  it('while sending: says so, takes the code already, and links to look again', () => {
    const out = render({ delivery: 'sending', secondsToResend: 42 });
    expect(out).toContain('Sending a code to •••• 678…');
    expect(out).toContain('name="code"');
    expect(out).toContain('pattern=');
    expect(out).toContain('You can ask for a new code in 42 seconds.');
    expect(out).toContain('action="/auth/second-factor/code/sms?rd&#61;https%3A%2F%2Fwiki.corp.example%2Fa%3Fb%3D1"');
    expect(out).toContain('name="rd" value="https://wiki.corp.example/a?b&#61;1"');
  });

  it('sent: the minutes left; a wrong code marks the field', () => {
    const out = render({ delivery: 'sent', minutesLeft: 4, problem: 'invalid_code' });
    expect(out).toContain('We sent a code to •••• 678. It works once, for 4 minutes.');
    expect(out).toContain('That code is not right');
    expect(out).toMatch(/<input id="code"[^>]*aria-invalid="true"/);
    expect(out).toMatch(/<title>Error:/);
  });

  it('failed: "could not send — use another method", no code field', () => {
    const out = render({ delivery: 'failed' });
    expect(out).toContain('Could not send a code to •••• 678 — use another method.');
    expect(out).not.toContain('name="code"');
    expect(out).toContain('href="/auth/second-factor?rd&#61;https%3A%2F%2Fwiki.corp.example%2Fa%3Fb%3D1"');
  });

  it('escapes what it shows and never renders an unknown problem', () => {
    const out = render({ masked: '<b>x</b>', problem: 'nope' as never, channel: 'email' });
    expect(out).not.toContain('<b>x</b>');
    expect(out).not.toContain('role="alert"');
  });

  it('in Traditional Chinese, with the cooldown', () => {
    const out = render({ delivery: 'sent', minutesLeft: 5, problem: 'cooldown', secondsToResend: 30, channel: 'email', masked: 'a••••@corp.example' }, 'zh-TW');
    expect(out).toContain('輸入寄到您信箱的驗證碼');
    expect(out).toContain('剛才已傳送驗證碼，30 秒後才能再要求新的驗證碼。');
    expect(out).toContain('驗證碼已傳送到 a••••@corp.example，僅能使用一次，5 分鐘內有效。');
  });
});
