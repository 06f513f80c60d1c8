import { describe, expect, it } from 'vitest';
import { TEST_ASSETS, testScriptTag } from './testing/test-assets.js';
import { createTranslator, type Locale } from '../i18n.js';
import { escapeHtml } from './html.js';
import { otpCodePattern } from './otp-code-field.js';
import { renderSecondFactorPage, type SecondFactorDeviceChoice, type SecondFactorPageModel } from './second-factor-page.js';

const AT = Date.UTC(2026, 0, 2, 9, 5);
const PHONE: SecondFactorDeviceChoice = { id: 'dev-phone', kind: 'totp', name: 'iPhone', lastUsedAt: AT - 86_400_000, serial: null, digits: 6 };
const TABLET: SecondFactorDeviceChoice = { id: 'dev-tablet', kind: 'totp', name: 'iPad', lastUsedAt: AT };
const TOKEN: SecondFactorDeviceChoice = { id: 'dev-token', kind: 'hotp', name: 'Token 0042', lastUsedAt: null };
/** The offline codes of a phone enrolled for push (the Gatehouse app), named after the phone. */
const PHONE_APP: SecondFactorDeviceChoice = { id: 'dev-pixel-codes', kind: 'totp', name: 'Pixel 9', lastUsedAt: null, serial: null, digits: 6, phoneApp: true };
/** An imported TOTP hardware token: a serial, 8 digits. */
const TOTP_TOKEN: SecondFactorDeviceChoice = { id: 'dev-totp-token', kind: 'totp', name: 'Desk token', lastUsedAt: null, serial: 'TT-0042', digits: 8 };
const PIXEL = { id: 'push-pixel', name: 'Pixel 9' };

const render = (overrides: Partial<SecondFactorPageModel> = {}, locale: Locale = 'en') =>
  renderSecondFactorPage({
    t: createTranslator(locale),
    locale,
    basePath: '/auth/',
    assets: TEST_ASSETS,
    csrfToken: 'tok',
    devices: [PHONE],
    recoveryCodesAllowed: false,
    reason: 'sign_in',
    timeZone: 'UTC',
    ...overrides,
  });

const inputTag = (out: string, id: string) => new RegExp(`<input id="${id}"[^>]*>`).exec(out)?.[0] ?? '';
const forms = (out: string) => [...out.matchAll(/<form class="form[^"]*" method="post" action="([^"]*)">([\s\S]*?)<\/form>/g)].map((m) => ({ action: m[1]!, body: m[2]! }));
/** The part of the page that leads (one primary action), and the part under "Other ways". */
const leadPart = (out: string) => /<div class="lead-method">([\s\S]*?)<\/div>\s*(?:<details|<p>)/.exec(out)?.[1] ?? '';
const otherPart = (out: string) => /<details class="alternative other-methods"[^>]*>([\s\S]*?)<\/details>/.exec(out)?.[1] ?? '';
const autofocused = (out: string) => [...out.matchAll(/<(input|button) id="([^"]*)"[^>]*\sautofocus[\s>]/g)].map((m) => m[2]);
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
    for (const attribute of [
      'name="code"',
      'type="text"',
      'inputmode="numeric"',
      'autocomplete="one-time-code"',
      'maxlength="32"',
      'required',
      'autofocus',
      'aria-describedby="code-hint"',
    ]) {
      expect(code).toContain(attribute);
    }
    expect(code).not.toContain('value=');
  });

  // The pattern is the server's grammar (otp-code-field.test.ts compares their verdicts input by input).
  it.each([
    ['a 6-digit device', [PHONE], [6], 'The 6 digits your device shows now.'],
    ['an 8-digit token', [TOTP_TOKEN], [8], 'The 8 digits your device shows now.'],
    ['two 6-digit devices', [PHONE, PHONE_APP], [6], 'The 6 digits your device shows now.'],
    ['6- and 8-digit devices', [PHONE, TOTP_TOKEN], [6, 8], 'The 6 or 8 digits your app or token shows now.'],
    ['a device of unknown length', [TOKEN], [6, 8], 'The 6 or 8 digits your app or token shows now.'],
  ] as const)('with %s, the pattern and the hint say the digit count', (_name, devices, digits, hint) => {
    const out = render({ devices: [...devices] });
    expect(inputTag(out, 'code')).toContain(`pattern="${otpCodePattern(digits).replace(/=/g, '&#61;')}"`);
    expect(out).toContain(`<p id="code-hint" class="hint">${hint} Spaces are fine.</p>`);
  });

  it('with one device names it and sends it hidden, without a radio group', () => {
    const out = render({ devices: [TOKEN] });
    expect(out).toContain('<p>Using Token 0042 (Hardware token (HOTP)).</p>');
    expect(out).not.toContain('<fieldset');
    expect(out).not.toContain('type="radio"');
  });

  it('with several devices asks "Choose your device" in a fieldset, one radio each, labelled', () => {
    const out = render({ devices: [PHONE, TABLET, TOKEN], selectedDeviceId: 'dev-phone' });
    expect(out).toContain('<fieldset class="options">\n<legend>Choose your device</legend>');
    expect(out.match(/type="radio" name="device"/g)).toHaveLength(3);
    expect(out).toContain('<label for="device-2"><span class="option-name">Token 0042</span> <span class="meta">Hardware token (HOTP) · not used yet</span></label>');
    expect(out).toContain(
      '<span class="option-name">iPad</span> <span class="meta">Authenticator app · last used <time datetime="2026-01-02T09:05:00.000Z">Jan 2, 2026, 9:05 AM UTC</time></span>',
    );
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
    const devices = [
      { ...TOKEN, id: 'a' },
      { ...TOKEN, id: 'b' },
    ];
    expect(checked(render({ devices }))).toEqual(['a']);
  });

  it('offers a recovery code only when the rule allows it, among the other ways, as its own form with device=recovery', () => {
    expect(render({ recoveryCodesAllowed: false })).not.toContain('recovery');
    const out = render({ recoveryCodesAllowed: true, redirectTarget: 'https://wiki.example.com/' });
    expect(out).toContain('<details class="alternative other-methods">\n<summary>Other ways to sign in</summary>');
    expect(otherPart(out)).toContain('<label for="recovery-code">Recovery code</label>');
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
    expect(out).toContain('<details class="alternative other-methods" open>');
    expect(autofocused(out)).toEqual(['recovery-code']);
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

  it.each([undefined, '', 'javascript:alert(1)', '//evil.example/enroll', '/\\evil.example', 'data:text/html,x'])(
    'without a device and set-up URL %j tells them to contact the IT desk',
    (setUpUrl) => {
      const out = render({ devices: [], setUpUrl });
      expect(out).toContain('Contact your IT desk to set one up.');
      expect(out).not.toContain('Set up a second factor');
      expect(out).not.toMatch(/evil|javascript|data:/);
    },
  );

  it('without a device but with recovery codes allowed, leads with the recovery form; setting up is a plain link', () => {
    const out = render({ devices: [], recoveryCodesAllowed: true, setUpUrl: '/auth/methods' });
    expect(leadPart(out)).toContain('<label for="recovery-code">Recovery code</label>');
    expect(leadPart(out)).toContain('<button type="submit" class="button button-primary button-block">Use recovery code</button>');
    expect(out).not.toContain('<details');
    expect(out).toContain('<p><a href="/auth/methods">Set up a second factor</a></p>');
    expect(out.match(/button-primary/g)).toHaveLength(1);
    expect(autofocused(out)).toEqual(['recovery-code']);
    expect(forms(out)).toHaveLength(1);
  });

  it('is translated, with the Taiwan terms', () => {
    const out = render({ devices: [PHONE, TOKEN], recoveryCodesAllowed: true, reason: 'step_up', siteName: '薪資' }, 'zh-TW');
    expect(out).toContain('<h1 id="page-heading">確認是您本人</h1>');
    expect(out).toContain('「薪資」需要再次確認是您本人');
    expect(out).toContain('<legend>選擇您的裝置</legend>');
    expect(out).toContain('<label for="code">驗證碼</label>');
    expect(out).toContain('驗證器應用程式，上次使用：<time datetime="2026-01-01T');
    expect(out).toContain('硬體權杖（HOTP），尚未使用');
    expect(out).toContain('<summary>其他確認方式</summary>');
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
      ['en', 'Use your security key or passkey', 'Other ways to sign in'],
      ['zh-TW', '使用安全金鑰或通行密鑰', '其他登入方式'],
    ] as const)('in %s leads with it, hidden until the script shows it, and puts the code form among the other ways', (locale, label, others) => {
      const out = render({ webauthnAvailable: true, redirectTarget: 'https://wiki.example.com/a?b=1' }, locale);
      const html = block(out);
      expect(html).toMatch(
        /^<div class="webauthn" data-webauthn="second-factor" data-base-path="\/auth\/" data-csrf="tok" data-rd="https:\/\/wiki.example.com\/a\?b&#61;1" data-messages="\{[^"]*\}" hidden>/,
      );
      expect(html).toContain(`<button id="webauthn-start" type="button" class="button button-primary button-block" autofocus>${label}</button>`);
      expect(leadPart(out)).toContain('data-webauthn="second-factor"');
      expect(out).toContain(`<summary>${others}</summary>`);
      expect(otherPart(out)).toContain('<input type="hidden" name="device" value="dev-phone">');
      expect(forms(out)[0]?.body).toContain('<input type="hidden" name="device" value="dev-phone">');
      // The one "or enter a code" divider of old is gone, with the full-width buttons of every method.
      expect(out).not.toContain('divider');
      expect(out.match(/button-primary/g)).toHaveLength(1);
    });

    it('leading, says what is missing where the script cannot run, pointing to the other ways', () => {
      expect(render({ webauthnAvailable: true })).toContain(
        '<p id="webauthn-fallback">Your security key or passkey needs JavaScript and a browser that supports passkeys. Turn JavaScript on, or choose another way below.</p>',
      );
      expect(render({ webauthnAvailable: true, devices: [] })).toContain(
        '<p id="webauthn-fallback">Your security key or passkey needs JavaScript and a browser that supports passkeys. Turn JavaScript on, or use another browser.</p>',
      );
    });

    it('loads the script as a module from static/ and nothing inline', () => {
      const out = render({ webauthnAvailable: true });
      expect(out.match(/<script[^>]*>[^<]*<\/script>/g)).toEqual([testScriptTag('/auth/', 'webauthn')]);
    });

    it("keeps an empty alert slot after the server's alert", () => {
      const out = render({ webauthnAvailable: true, error: 'invalid_code', submittedWith: 'device' });
      expect(out).toContain('<div id="webauthn-alert" class="alert-slot"></div>');
      expect(out.indexOf('role="alert"')).toBeLessThan(out.indexOf('id="webauthn-alert"'));
      expect(out.match(/role="alert"/g)).toHaveLength(1);
    });

    it('as the only method: no "no devices" message, no code form, and a note for browsers without it', () => {
      const out = render({ webauthnAvailable: true, devices: [] });
      expect(out).not.toContain('No second factor is set up');
      expect(out).not.toContain('Set up a second factor');
      expect(forms(out)).toHaveLength(0);
      expect(out).not.toContain('<details');
      expect(out).toContain('<p id="webauthn-fallback">Your security key or passkey needs JavaScript');
    });

    it('as the only device keeps the recovery form closed among the other ways: it is not the only way in', () => {
      const out = render({ webauthnAvailable: true, devices: [], recoveryCodesAllowed: true });
      expect(out).toContain('<details class="alternative other-methods">');
      expect(otherPart(out)).toContain('value="recovery"');
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

  describe('the chooser: the method the user will use leads, the others wait under "Other ways"', () => {
    const ALL: Partial<SecondFactorPageModel> = { webauthnAvailable: true, pushDevices: [PIXEL], devices: [PHONE_APP, PHONE], recoveryCodesAllowed: true };
    /** Which method the lead part holds, by its form or button. */
    const leading = (out: string) => {
      const part = leadPart(out);
      return part.includes('data-webauthn')
        ? 'webauthn'
        : part.includes('push-option')
          ? 'push'
          : part.includes('code-option')
            ? 'code'
            : part.includes('recovery-option')
              ? 'recovery'
              : 'none';
    };
    const othersOf = (out: string) => [...otherPart(out).matchAll(/<li class="method-(\w+)"/g)].map((m) => m[1]);

    it.each([
      ['nothing known: a passkey first', {}, 'webauthn', ['push', 'code', 'recovery'], 'webauthn-start'],
      ['a passkey used last', { lastFactorKind: 'webauthn' }, 'webauthn', ['push', 'code', 'recovery'], 'webauthn-start'],
      ['the phone approved last', { lastFactorKind: 'push', selectedDeviceId: 'push-pixel' }, 'push', ['webauthn', 'code', 'recovery'], 'push-start'],
      ['an app code last', { lastFactorKind: 'totp', selectedDeviceId: 'dev-phone' }, 'code', ['webauthn', 'push', 'recovery'], 'code'],
      ['a token code last', { lastFactorKind: 'hotp' }, 'code', ['webauthn', 'push', 'recovery'], 'code'],
      ['a recovery code last: it does not lead', { lastFactorKind: 'recovery_code' }, 'webauthn', ['push', 'code', 'recovery'], 'webauthn-start'],
      ['an unknown or hostile kind', { lastFactorKind: '__proto__' }, 'webauthn', ['push', 'code', 'recovery'], 'webauthn-start'],
      ['a code that failed, whatever was used last', { lastFactorKind: 'push', error: 'invalid_code', submittedWith: 'device' }, 'code', ['webauthn', 'push', 'recovery'], 'code'],
      [
        'a recovery code that failed: the lead stays, the recovery field has the focus',
        { lastFactorKind: 'push', error: 'invalid_code', submittedWith: 'recovery' },
        'push',
        ['webauthn', 'code', 'recovery'],
        'recovery-code',
      ],
    ] as const)('%s', (_name, overrides, lead, others, focus) => {
      const out = render({ ...ALL, ...overrides } as Partial<SecondFactorPageModel>);
      expect(leading(out)).toBe(lead);
      expect(othersOf(out)).toEqual(others);
      // One primary action, and the focus on what the user will use.
      expect(out.match(/button-primary/g)).toHaveLength(1);
      expect(leadPart(out)).toContain('button-primary');
      expect(autofocused(out)).toEqual([focus]);
    });

    it('a method the step does not offer never leads, even if used last', () => {
      expect(leading(render({ devices: [PHONE], lastFactorKind: 'webauthn' }))).toBe('code');
      expect(leading(render({ devices: [PHONE], pushDevices: [PIXEL], lastFactorKind: 'webauthn' }))).toBe('push');
      expect(leading(render({ devices: [], pushDevices: [PIXEL], lastFactorKind: 'totp' }))).toBe('push');
    });

    // "This wasn't me" suspends push for the account: a push would be refused, so the phone must not
    // be the page's primary action, nor be on offer at all — whatever else the model says.
    describe('push suspended for the account', () => {
      const SUSPENDED = { pushSuspended: true } as const;
      const CASES: ReadonlyArray<[string, Partial<SecondFactorPageModel>, string]> = [
        ['the phone approved last', { ...ALL, lastFactorKind: 'push', selectedDeviceId: 'push-pixel' }, 'webauthn'],
        ['the phone approved last, no passkey', { ...ALL, webauthnAvailable: false, lastFactorKind: 'push' }, 'code'],
        ['nothing known, phone and codes only', { pushDevices: [PIXEL], devices: [PHONE_APP] }, 'code'],
        [
          'several phones, one chosen',
          { pushDevices: [PIXEL, { id: 'push-iphone', name: 'iPhone 16' }], devices: [PHONE], lastFactorKind: 'push', selectedDeviceId: 'push-iphone' },
          'code',
        ],
        ['a code that failed', { ...ALL, lastFactorKind: 'push', error: 'invalid_code', submittedWith: 'device' }, 'code'],
        ['a recovery code that failed', { ...ALL, lastFactorKind: 'push', error: 'invalid_code', submittedWith: 'recovery' }, 'webauthn'],
        ['the phone is the only method', { pushDevices: [PIXEL], devices: [], lastFactorKind: 'push' }, 'none'],
        ['the phone and recovery codes only', { pushDevices: [PIXEL], devices: [], recoveryCodesAllowed: true, lastFactorKind: 'push' }, 'recovery'],
      ];
      it.each(CASES)('%s: the phone neither leads nor is offered, and a note says why', (_name, overrides, lead) => {
        for (const locale of ['en', 'zh-TW'] as const) {
          const out = render({ ...overrides, ...SUSPENDED }, locale);
          expect(leading(out)).toBe(lead);
          expect(othersOf(out)).not.toContain('push');
          expect(out).not.toContain('second-factor/push');
          expect(out).not.toContain('push-start');
          expect(out).not.toContain('push-pixel');
          expect(autofocused(out)).not.toContain('push-start');
          expect(out).toContain(`<div id="push-suspended" class="notice" role="status"><p>${escapeHtml(createTranslator(locale)('push.error_suspended'))}</p></div>`);
          // The same page without the suspension offers the phone: the test is about the suspension.
          expect(render(overrides, locale)).toContain('second-factor/push');
        }
      });

      it('without phones there is nothing to say; not suspended (absent or false), there is no note', () => {
        expect(render({ ...SUSPENDED, pushDevices: [] })).not.toContain('push-suspended');
        expect(render({ ...SUSPENDED })).not.toContain('push-suspended');
        for (const pushSuspended of [undefined, false]) {
          const out = render({ ...ALL, lastFactorKind: 'push', pushSuspended });
          expect(leading(out)).toBe('push');
          expect(out).not.toContain('push-suspended');
        }
      });

      it('with the phone gone, the title and intro no longer promise a method beyond codes', () => {
        const heading = (out: string) => /<h1 id="page-heading">[\s\S]*?<p class="lead">[^<]*<\/p>/.exec(out)?.[0];
        const suspended = heading(render({ pushDevices: [PIXEL], devices: [PHONE], ...SUSPENDED }));
        expect(suspended).toBe(heading(render({ pushDevices: [], devices: [PHONE] })));
        expect(suspended).not.toBe(heading(render({ pushDevices: [PIXEL], devices: [PHONE] })));
      });
    });

    it('the code field has the focus only when a code method leads', () => {
      expect(inputTag(render({ ...ALL, lastFactorKind: 'totp' }), 'code')).toContain(' autofocus');
      for (const lastFactorKind of ['webauthn', 'push', undefined]) expect(inputTag(render({ ...ALL, lastFactorKind }), 'code')).not.toContain('autofocus');
    });

    it('the phone approval leads with its button; with several phones the last one used is chosen', () => {
      const out = render({ pushDevices: [PIXEL, { id: 'push-iphone', name: 'iPhone 16' }], devices: [PHONE_APP], lastFactorKind: 'push', selectedDeviceId: 'push-iphone' });
      expect(leadPart(out)).toContain('<option value="push-iphone" selected>iPhone 16</option>');
      expect(leadPart(out)).toContain(
        '<button id="push-start" type="submit" class="button button-primary button-block" aria-describedby="push-option-hint" autofocus>Approve on my phone</button>',
      );
      expect(otherPart(out)).toContain('<p>Using Pixel 9 (Codes from the Gatehouse app).</p>');
      expect(otherPart(out)).toContain('<button type="submit" class="button button-secondary">Verify</button>');
    });

    it('a passkey among the other ways waits hidden, list item and all, as a secondary button without the focus', () => {
      const out = render({ ...ALL, lastFactorKind: 'totp' });
      expect(otherPart(out)).toContain('<li class="method-webauthn" hidden>');
      expect(otherPart(out)).toContain('<button id="webauthn-start" type="button" class="button button-secondary">Use your security key or passkey</button>');
      expect(out).not.toContain('webauthn-fallback');
    });

    it.each([
      ['en', PHONE_APP, 'Pixel 9', 'Codes from the Gatehouse app · not used yet'],
      ['en', TOTP_TOKEN, 'Desk token', 'Hardware token (TOTP), serial TT-0042 · not used yet'],
      ['en', TOKEN, 'Token 0042', 'Hardware token (HOTP) · not used yet'],
      ['en', { ...PHONE, lastUsedAt: null }, 'iPhone', 'Authenticator app · not used yet'],
      ['zh-TW', PHONE_APP, 'Pixel 9', 'Gatehouse App 的驗證碼，尚未使用'],
      ['zh-TW', TOTP_TOKEN, 'Desk token', '硬體權杖（TOTP），序號 TT-0042，尚未使用'],
      ['zh-TW', TOKEN, 'Token 0042', '硬體權杖（HOTP），尚未使用'],
    ] as const)('in %s labels %j by what it is', (locale, device, name, meta) => {
      const out = render({ devices: [device, { ...TOKEN, id: 'other' }] }, locale);
      expect(out).toContain(`<span class="option-name">${name}</span> <span class="meta">${meta}</span>`);
    });

    it('in zh-TW leads and offers the rest under 其他登入方式', () => {
      const out = render({ ...ALL, lastFactorKind: 'push' }, 'zh-TW');
      expect(leadPart(out)).toContain('在手機上核准');
      expect(out).toContain('<summary>其他登入方式</summary>');
      expect(otherPart(out)).toContain('使用安全金鑰或通行密鑰');
      expect(otherPart(out)).toContain('<label for="recovery-code">復原碼</label>');
    });
  });
});

describe('renderSecondFactorPage: codes by email and SMS', () => {
  const sentCodes = [
    { channel: 'email' as const, masked: 'a••••@corp.example' },
    { channel: 'sms' as const, masked: '•••• 678' },
  ];

  it('offers each as a button that posts to its send route, with the masked destination only', () => {
    const out = render({ devices: [], sentCodes, redirectTarget: 'https://wiki.example.com/' });
    const actions = forms(out).map((f) => f.action);
    expect(actions).toEqual(['/auth/second-factor/code/email/send', '/auth/second-factor/code/sms/send']);
    expect(out).toContain('Email a code to a••••@corp.example');
    expect(out).toContain('Text a code to •••• 678');
    expect(forms(out)[0]!.body).toContain('name="rd" value="https://wiki.example.com/"');
    // The intro names no method when a sent code is on offer, and nobody is sent to set one up.
    expect(out).toContain('confirm it&#39;s you with one of your sign-in methods');
    expect(out).not.toContain('/methods');
  });

  it('puts an app or token code first, and the last used channel ahead of the rest', () => {
    expect(leadPart(render({ sentCodes }))).toContain('name="code"');
    expect(otherPart(render({ sentCodes }))).toContain('code/email/send');
    expect(leadPart(render({ sentCodes, lastFactorKind: 'sms_otp' }))).toContain('code/sms/send');
    expect(leadPart(render({ sentCodes, lastFactorKind: 'email_otp' }))).toContain('code/email/send');
  });

  it('says it in Traditional Chinese', () => {
    const out = render({ devices: [], sentCodes }, 'zh-TW');
    expect(out).toContain('寄送驗證碼到 a••••@corp.example');
    expect(out).toContain('傳送簡訊驗證碼到 •••• 678');
  });
});
