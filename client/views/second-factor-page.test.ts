import { describe, expect, it } from 'vitest';
import { createTranslator, type Locale } from '../i18n.js';
import { OTP_CODE_PATTERN } from './otp-code-field.js';
import { renderSecondFactorPage, type SecondFactorDeviceChoice, type SecondFactorPageModel } from './second-factor-page.js';

const AT = Date.UTC(2026, 0, 2, 9, 5);
const PHONE: SecondFactorDeviceChoice = { id: 'dev-phone', kind: 'totp', name: 'iPhone', lastUsedAt: AT - 86_400_000 };
const TABLET: SecondFactorDeviceChoice = { id: 'dev-tablet', kind: 'totp', name: 'iPad', lastUsedAt: AT };
const TOKEN: SecondFactorDeviceChoice = { id: 'dev-token', kind: 'hotp', name: 'Token 0042', lastUsedAt: null };

const render = (overrides: Partial<SecondFactorPageModel> = {}, locale: Locale = 'en') =>
  renderSecondFactorPage({
    t: createTranslator(locale),
    locale,
    basePath: '/auth/',
    csrfToken: 'tok',
    devices: [PHONE],
    recoveryCodesAllowed: false,
    reason: 'sign_in',
    timeZone: 'UTC',
    ...overrides,
  });

const inputTag = (out: string, id: string) => new RegExp(`<input id="${id}"[^>]*>`).exec(out)?.[0] ?? '';
const forms = (out: string) => [...out.matchAll(/<form class="form" method="post" action="([^"]*)">([\s\S]*?)<\/form>/g)].map((m) => ({ action: m[1]!, body: m[2]! }));
const checked = (out: string) => [...out.matchAll(/<input id="device-\d+" type="radio" name="device" value="([^"]*)" required checked>/g)].map((m) => m[1]);

describe('renderSecondFactorPage', () => {
  it('posts the code, the device, the csrf token and rd to second-factor', () => {
    const out = render({ redirectTarget: 'https://wiki.example.com/a?b=1' });
    const [form] = forms(out);
    expect(form?.action).toBe('/auth/second-factor');
    expect(form?.body).toContain('<input type="hidden" name="csrf" value="tok">');
    expect(form?.body).toContain('<input type="hidden" name="rd" value="https://wiki.example.com/a?b&#61;1">');
    expect(form?.body).toContain('<input type="hidden" name="device" value="dev-phone">');
    expect(form?.body).toContain('<label for="code">Verification code</label>');
  });

  it('leaves rd out when there is no redirect target', () => {
    expect(render()).not.toContain('name="rd"');
  });

  it('asks for the code with a phone-friendly, one-time-code field that the server validates', () => {
    const code = inputTag(render(), 'code');
    for (const attribute of ['name="code"', 'type="text"', 'inputmode="numeric"', 'autocomplete="one-time-code"', 'maxlength="12"', 'required', 'autofocus', 'aria-describedby="code-hint"']) {
      expect(code).toContain(attribute);
    }
    expect(code).toContain(`pattern="${OTP_CODE_PATTERN}"`);
    expect(code).not.toContain('value=');
  });

  // Browsers compile `pattern` as ^(?:…)$ with the v flag (older ones with u): both must accept what the server may.
  it.each(['u', 'v'])('has a loose pattern under the %s flag: digits of any script, spaces and dashes', (flag) => {
    const pattern = new RegExp(`^(?:${OTP_CODE_PATTERN})$`, flag);
    for (const ok of ['123456', '123 456', '123-456', ' 12345678 ', '１２３４５６', '١٢٣٤٥٦', '']) expect(pattern.test(ok), ok).toBe(true);
    for (const bad of ['12345a', 'abcdef', '123.456', '12+34']) expect(pattern.test(bad), bad).toBe(false);
  });

  it('with one device names it and sends it hidden, without a radio group', () => {
    const out = render({ devices: [TOKEN] });
    expect(out).toContain('<p>Using Token 0042 (Hardware token).</p>');
    expect(out).not.toContain('<fieldset');
    expect(out).not.toContain('type="radio"');
  });

  it('with several devices asks "Choose your device" in a fieldset, one radio each, labelled', () => {
    const out = render({ devices: [PHONE, TABLET, TOKEN], selectedDeviceId: 'dev-phone' });
    expect(out).toContain('<fieldset class="options">\n<legend>Choose your device</legend>');
    expect(out.match(/type="radio" name="device"/g)).toHaveLength(3);
    expect(out).toContain('<label for="device-2"><span class="option-name">Token 0042</span> <span class="meta">Hardware token · not used yet</span></label>');
    expect(out).toContain('<span class="option-name">iPad</span> <span class="meta">Authenticator app · last used <time datetime="2026-01-02T09:05:00.000Z">Jan 2, 2026, 9:05 AM UTC</time></span>');
    expect(out).not.toMatch(/<input type="hidden" name="device" value="dev-/);
  });

  it.each([
    ['the selected device', 'dev-phone', 'dev-phone'],
    ['another selected device', 'dev-token', 'dev-token'],
    ['the most recently used one when none is selected', undefined, 'dev-tablet'],
    ['the most recently used one when the selected id is unknown', 'dev-gone', 'dev-tablet'],
    ['the most recently used one when the selected id is hostile', '__proto__', 'dev-tablet'],
  ])('preselects %s', (_name, selectedDeviceId, expected) => {
    expect(checked(render({ devices: [PHONE, TABLET, TOKEN], selectedDeviceId }))).toEqual([expected]);
  });

  it('preselects the first device when none was ever used', () => {
    const devices = [{ ...TOKEN, id: 'a' }, { ...TOKEN, id: 'b' }];
    expect(checked(render({ devices }))).toEqual(['a']);
  });

  it('offers a recovery code only when the rule allows it, as its own form with device=recovery', () => {
    expect(render({ recoveryCodesAllowed: false })).not.toContain('recovery');
    const out = render({ recoveryCodesAllowed: true, redirectTarget: 'https://wiki.example.com/' });
    expect(out).toContain('<details class="alternative">\n<summary>Use a recovery code instead</summary>');
    const recovery = forms(out)[1]!;
    expect(recovery.action).toBe('/auth/second-factor');
    expect(recovery.body).toContain('<input type="hidden" name="device" value="recovery">');
    expect(recovery.body).toContain('<input type="hidden" name="csrf" value="tok">');
    expect(recovery.body).toContain('<input type="hidden" name="rd" value="https://wiki.example.com/">');
    expect(recovery.body).toContain('<label for="recovery-code">Recovery code</label>');
    const field = inputTag(out, 'recovery-code');
    expect(field).toContain('name="code"');
    expect(field).not.toContain('inputmode="numeric"');
    expect(field).not.toContain('autofocus');
  });

  it.each([
    ['sign_in', undefined, 'Enter your verification code', 'Your password was accepted. To finish signing in'],
    ['sign_in', 'Payroll', 'Enter your verification code', 'To continue to Payroll, enter the code'],
    ['step_up', undefined, 'Confirm it&#39;s you', 'This page asks you to confirm it&#39;s you again.'],
    ['step_up', 'Payroll', 'Confirm it&#39;s you', 'Payroll asks you to confirm it&#39;s you again.'],
    ['stale', undefined, 'Confirm it&#39;s you', 'It has been a while since you last confirmed it&#39;s you. Enter a new code to continue.'],
    ['stale', 'Payroll', 'Confirm it&#39;s you', 'Enter a new code to continue to Payroll.'],
  ] as const)('for %s (site %s) says what is asked and why', (reason, siteName, heading, lead) => {
    const out = render({ reason, siteName });
    expect(out).toContain(`<h1 id="page-heading">${heading}</h1>`);
    expect(out).toContain(lead);
  });

  it('after the password explains the second step and offers another account; a step-up goes back instead', () => {
    const signIn = render({ reason: 'sign_in' });
    expect(signIn).toContain('a stolen password alone is not enough');
    expect(signIn).toContain('<a href="/auth/logout">Sign in as someone else</a>');
    const stepUp = render({ reason: 'step_up' });
    expect(stepUp).not.toContain('/auth/logout');
    expect(stepUp).toContain('<a href="/auth/">Back to Gatehouse</a>');
  });

  it.each([
    ['invalid_code', 'That code is not right. Check your device and try again.', true],
    ['replayed', 'That code was already used. Wait for the next one.', true],
    ['malformed', 'That does not look like a code. Enter the digits your device shows.', true],
    ['throttled', 'Too many attempts — try again later or contact your IT desk.', false],
    ['csrf', 'This page had expired. Enter a new code.', false],
    ['store_unavailable', 'Sign-in is temporarily unavailable. Try again in a few minutes.', false],
  ] as const)('shows %s in the alert region', (error, text, marksField) => {
    const out = render({ error });
    expect(out).toContain(`<div id="form-error" class="alert" role="alert"><p>${text}</p></div>`);
    expect(inputTag(out, 'code').includes('aria-invalid="true" ')).toBe(marksField);
    expect(inputTag(out, 'code').includes('aria-describedby="code-hint form-error"')).toBe(marksField);
    expect(out).toMatch(/<title>Error: /);
  });

  it.each([
    ['zh-TW', 'invalid_code', '驗證碼不正確。請檢查您的裝置後再試一次。'],
    ['zh-TW', 'replayed', '此驗證碼已經使用過。請等待下一組驗證碼。'],
    ['zh-TW', 'throttled', '嘗試次數過多，請稍後再試，或聯絡資訊服務台。'],
  ] as const)('in %s says %s in Chinese', (locale, error, text) => {
    expect(render({ error }, locale)).toContain(`role="alert"><p>${text}</p>`);
  });

  it('shows an unexpected error value at run time as the generic message', () => {
    for (const error of ['db_locked', '__proto__', 'constructor']) {
      const out = render({ error: error as never });
      expect(out).toContain('<p>That code is not right. Check your device and try again.</p>');
      expect(out).not.toContain(error === 'db_locked' ? 'db_locked' : '[object');
    }
  });

  it('ties an error about a recovery code to the recovery field, opened and focused', () => {
    const out = render({ recoveryCodesAllowed: true, submittedWith: 'recovery', error: 'invalid_code' });
    expect(out).toContain('<p>That recovery code is not right, or it was already used.</p>');
    expect(out).toContain('<details class="alternative" open>');
    const field = inputTag(out, 'recovery-code');
    expect(field).toContain('aria-describedby="recovery-code-hint form-error" aria-invalid="true" autofocus');
    expect(inputTag(out, 'code')).not.toContain('aria-invalid');
    expect(inputTag(out, 'code')).not.toContain('autofocus');
  });

  it('without a device says so and links to set-up when the server gives a place', () => {
    const out = render({ devices: [], setUpUrl: '/auth/enroll' });
    expect(out).toContain('<p>No second factor is set up for your account yet.</p>');
    expect(out).toContain('<a class="button button-primary" href="/auth/enroll">Set up a second factor</a>');
    expect(out).not.toContain('action="/auth/second-factor"');
  });

  it.each([undefined, '', 'javascript:alert(1)', '//evil.example/enroll', '/\\evil.example', 'data:text/html,x'])('without a device and set-up URL %j tells them to contact the IT desk', (setUpUrl) => {
    const out = render({ devices: [], setUpUrl });
    expect(out).toContain('Contact your IT desk to set one up.');
    expect(out).not.toContain('Set up a second factor');
    expect(out).not.toMatch(/evil|javascript|data:/);
  });

  it('without a device but with recovery codes allowed, opens the recovery form', () => {
    const out = render({ devices: [], recoveryCodesAllowed: true });
    expect(out).toContain('<details class="alternative" open>');
    expect(forms(out)).toHaveLength(1);
  });

  it('is translated, with the Taiwan terms', () => {
    const out = render({ devices: [PHONE, TOKEN], recoveryCodesAllowed: true, reason: 'step_up', siteName: '薪資' }, 'zh-TW');
    expect(out).toContain('<h1 id="page-heading">確認是您本人</h1>');
    expect(out).toContain('「薪資」需要再次確認是您本人');
    expect(out).toContain('<legend>選擇您的裝置</legend>');
    expect(out).toContain('<label for="code">驗證碼</label>');
    expect(out).toContain('驗證器應用程式，上次使用：<time datetime="2026-01-01T');
    expect(out).toContain('硬體權杖，尚未使用');
    expect(out).toContain('<summary>改用復原碼</summary>');
    expect(out).toContain('<label for="recovery-code">復原碼</label>');
  });

  describe('with a security key or passkey', () => {
    const block = (out: string) => /<div class="webauthn"[^>]*>[\s\S]*?<\/div>/.exec(out)?.[0] ?? '';

    it('offers nothing of WebAuthn when the user has none', () => {
      for (const out of [render(), render({ webauthnAvailable: false, devices: [] })]) {
        expect(out).not.toContain('<script');
        expect(out).not.toContain('data-webauthn');
        expect(out).not.toContain('webauthn-fallback');
      }
    });

    it.each([
      ['en', 'Use your security key or passkey', 'or enter a code'],
      ['zh-TW', '使用安全金鑰或通行密鑰', '或輸入驗證碼'],
    ] as const)('in %s offers it first, hidden until the script shows it, with the code form after it', (locale, label, or) => {
      const out = render({ webauthnAvailable: true, redirectTarget: 'https://wiki.example.com/a?b=1' }, locale);
      const html = block(out);
      expect(html).toMatch(/^<div class="webauthn" data-webauthn="second-factor" data-base-path="\/auth\/" data-csrf="tok" data-rd="https:\/\/wiki.example.com\/a\?b&#61;1" data-messages="\{[^"]*\}" hidden>/);
      expect(html).toContain(`<button id="webauthn-start" type="button" class="button button-primary button-block">${label}</button>`);
      expect(html).toContain(`<p class="divider">${or}</p>`);
      expect(out.indexOf('<div class="webauthn"')).toBeLessThan(out.indexOf('<form'));
      expect(forms(out)[0]?.body).toContain('<input type="hidden" name="device" value="dev-phone">');
      expect(out).not.toContain('webauthn-fallback');
    });

    it('loads the script as a module from static/ and nothing inline', () => {
      const out = render({ webauthnAvailable: true });
      expect(out.match(/<script[^>]*>[^<]*<\/script>/g)).toEqual(['<script type="module" src="/auth/static/webauthn.js"></script>']);
    });

    it('keeps an empty alert slot after the server\'s alert', () => {
      const out = render({ webauthnAvailable: true, error: 'invalid_code' });
      expect(out).toContain('</p></div>\n<div id="webauthn-alert" class="alert-slot"></div>');
      expect(out.match(/role="alert"/g)).toHaveLength(1);
    });

    it('as the only method: no "no devices" message, no code form, and a note for browsers without it', () => {
      const out = render({ webauthnAvailable: true, devices: [] });
      expect(out).not.toContain('No second factor is set up');
      expect(out).not.toContain('Set up a second factor');
      expect(forms(out)).toHaveLength(0);
      expect(block(out)).not.toContain('divider');
      expect(out).toContain('<p id="webauthn-fallback">Your security key or passkey needs JavaScript');
    });

    it('as the only method keeps the recovery form closed: it is not the only way in', () => {
      const out = render({ webauthnAvailable: true, devices: [], recoveryCodesAllowed: true });
      expect(out).toContain('<details class="alternative">');
      expect(forms(out)).toHaveLength(1);
    });

    it.each([
      ['sign_in', undefined, 'Finish signing in', 'To finish signing in, confirm it&#39;s you with one of your sign-in methods.'],
      ['sign_in', 'Payroll', 'Finish signing in', 'To continue to Payroll, confirm it&#39;s you with one of your sign-in methods.'],
      ['step_up', 'Payroll', 'Confirm it&#39;s you', 'Payroll asks you to confirm it&#39;s you again.</p>'],
      ['stale', undefined, 'Confirm it&#39;s you', 'Confirm it again to continue.</p>'],
    ] as const)('for %s (site %s) does not ask only for a code', (reason, siteName, heading, lead) => {
      const out = render({ webauthnAvailable: true, reason, siteName });
      expect(out).toContain(`<h1 id="page-heading">${heading}</h1>`);
      expect(out).toContain(lead);
      expect(out).not.toMatch(/<p class="lead">[^<]*code/);
    });

    it('escapes a hostile redirect target in its data', () => {
      const out = render({ webauthnAvailable: true, redirectTarget: '"><script>alert(1)</script>' });
      expect(block(out)).toContain('data-rd="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
      expect(out).not.toContain('<script>alert');
    });
  });
});
