import { describe, expect, it } from 'vitest';
import { TEST_ASSETS, testScriptTag } from './testing/test-assets.js';
import { createTranslator, type Locale } from '../i18n.js';
import { renderSignInPage, type SignInPageModel } from './sign-in-page.js';

const render = (overrides: Partial<SignInPageModel> = {}, locale: Locale = 'en') =>
  renderSignInPage({ t: createTranslator(locale), locale, basePath: '/', assets: TEST_ASSETS, csrfToken: 'tok', ...overrides });

const inputTag = (out: string, id: string) => new RegExp(`<input id="${id}"[^>]*>`).exec(out)?.[0] ?? '';

describe('renderSignInPage', () => {
  it('posts username and password to the login route with the csrf token', () => {
    const out = render({ basePath: '/portal/' });
    expect(out).toContain('<form class="form" method="post" action="/portal/login">');
    expect(out).toContain('<input type="hidden" name="csrf" value="tok">');
    expect(out).toContain('<label for="username">Username</label>');
    expect(out).toContain('<label for="password">Password</label>');
  });

  it('lets password managers fill the fields and bounds their length', () => {
    const out = render();
    const username = inputTag(out, 'username');
    const password = inputTag(out, 'password');
    expect(username).toContain('name="username"');
    expect(username).toContain('autocomplete="username"');
    expect(username).toContain('maxlength="128"');
    expect(username).toContain('autocapitalize="none"');
    expect(password).toContain('name="password"');
    expect(password).toContain('type="password"');
    expect(password).toContain('autocomplete="current-password"');
    expect(password).toContain('maxlength="1024"');
    expect(password).not.toContain('value=');
  });

  it('sends the redirect target back as rd only when there is one', () => {
    expect(render()).not.toContain('name="rd"');
    expect(render({ redirectTarget: 'https://wiki.example.com/a?b=1&c="2"' })).toContain(
      '<input type="hidden" name="rd" value="https://wiki.example.com/a?b&#61;1&amp;c&#61;&quot;2&quot;">',
    );
  });

  it('names the site being opened', () => {
    expect(render({ siteName: 'Wiki' })).toContain('Sign in to continue to Wiki.');
    expect(render({ siteName: 'Wiki' }, 'zh-TW')).toContain('登入後即可繼續前往「Wiki」。');
    expect(render()).toContain('Sign in with your work account.');
  });

  it('without an error has no alert and marks no field invalid', () => {
    const out = render();
    expect(out).not.toContain('role="alert"');
    expect(out).not.toContain('aria-invalid');
    expect(out).toContain('<title>Sign in · Gatehouse</title>');
  });

  it.each([
    ['en', 'Incorrect username or password, or too many attempts — try again later or contact your IT desk.'],
    ['zh-TW', '帳號或密碼不正確，或嘗試次數過多 — 請稍後再試或聯絡資訊服務台。'],
  ] as const)('in %s says one generic thing for wrong credentials, tied to both fields', (locale, text) => {
    const out = render({ error: 'invalid_credentials', username: 'ada' }, locale);
    expect(out).toContain(`<div id="form-error" class="alert" role="alert"><p>${text}</p></div>`);
    for (const id of ['username', 'password']) {
      expect(inputTag(out, id)).toContain('aria-invalid="true" aria-describedby="form-error"');
    }
    expect(out).toMatch(/<title>(Error: |錯誤：)/);
  });

  it.each([
    ['too_large', 'The username or password is too long.', true],
    ['store_unavailable', 'Sign-in is temporarily unavailable. Try again in a few minutes.', false],
    ['csrf', 'This sign-in page had expired. Please enter your details again.', false],
  ] as const)('shows the %s error in the alert region', (error, text, marksFields) => {
    const out = render({ error });
    expect(out).toContain(`role="alert"><p>${text}</p>`);
    expect(inputTag(out, 'username').includes('aria-invalid="true"')).toBe(marksFields);
  });

  it('shows an unexpected error value at run time as the generic message', () => {
    const out = render({ error: 'user_disabled' as never });
    expect(out).toContain('<p>Incorrect username or password, or too many attempts — try again later or contact your IT desk.</p>');
    expect(out).not.toContain('disabled');
  });

  it('fills the username in again, escaped, and moves focus to the password', () => {
    const out = render({ username: '"><script>x</script>' });
    expect(inputTag(out, 'username')).toContain('value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    expect(inputTag(out, 'username')).not.toContain('autofocus');
    expect(inputTag(out, 'password')).toContain('autofocus');
    expect(inputTag(render(), 'username')).toContain('autofocus');
  });

  it.each([undefined, 0, -1, Number.NaN, Number.POSITIVE_INFINITY])('hides "remember me" for %s days', (days) => {
    expect(render({ rememberMeDays: days })).not.toContain('remember_me');
  });

  it.each([
    ['en', 30, 'Keep me signed in for 30 days'],
    ['en', 1, 'Keep me signed in for 1 day'],
    ['en', 1.5, 'Keep me signed in for 1.5 days'],
    ['zh-TW', 30, '保持登入 30 天'],
    ['zh-TW', 1, '保持登入 1 天'],
  ] as const)('in %s offers "remember me" for %s days', (locale, days, label) => {
    const out = render({ rememberMeDays: days }, locale);
    expect(out).toContain(`<label for="remember-me">${label}</label>`);
    expect(out).toContain('<input id="remember-me" name="remember_me" type="checkbox" value="1" aria-describedby="remember-me-hint">');
  });

  describe('with passkeys', () => {
    const block = (out: string) => /<div class="webauthn"[^>]*>[\s\S]*?<\/div>/.exec(out)?.[0] ?? '';

    it('offers nothing of WebAuthn when passkeys are off: no script, no button, plain username autofill', () => {
      for (const out of [render(), render({ passkeySignIn: false })]) {
        expect(out).not.toContain('<script');
        expect(out).not.toContain('data-webauthn');
        expect(out).not.toContain('webauthn-alert');
        expect(inputTag(out, 'username')).toContain('autocomplete="username"');
      }
    });

    it('lets the browser offer passkeys in the username field', () => {
      expect(inputTag(render({ passkeySignIn: true }), 'username')).toContain('autocomplete="username webauthn"');
    });

    it('loads the passkey script as a module from static/, once, and nothing inline', () => {
      const out = render({ passkeySignIn: true, basePath: '/portal/' });
      expect(out.match(/<script[^>]*>[^<]*<\/script>|<script/g)).toEqual([testScriptTag('/portal/', 'webauthn')]);
      expect(out).toContain(`${testScriptTag('/portal/', 'webauthn')}\n</head>`);
    });

    it.each([
      ['en', 'Sign in with a passkey', 'or'],
      ['zh-TW', '使用通行密鑰登入', '或'],
    ] as const)('in %s renders the passkey button hidden, below the password form, until the script shows it', (locale, label, or) => {
      const out = render({ passkeySignIn: true }, locale);
      const html = block(out);
      expect(html).toMatch(/^<div class="webauthn" data-webauthn="passwordless" [^>]* hidden>/);
      expect(html).toContain(`<p class="divider">${or}</p>`);
      expect(html).toContain(`<button id="webauthn-start" type="button" class="button button-secondary button-block">${label}</button>`);
      expect(out.indexOf('</form>')).toBeLessThan(out.indexOf('<div class="webauthn"'));
    });

    it('gives the script the portal path, the csrf token and rd, escaped', () => {
      const html = block(render({ passkeySignIn: true, basePath: '/portal/', csrfToken: 'tok"<', redirectTarget: 'https://wiki.example.com/a?b=1&c="2"' }));
      expect(html).toContain(' data-base-path="/portal/" data-csrf="tok&quot;&lt;" data-rd="https://wiki.example.com/a?b&#61;1&amp;c&#61;&quot;2&quot;" data-messages="{');
      expect(html).not.toContain('"2"');
    });

    it('leaves data-rd out without a redirect target', () => {
      expect(block(render({ passkeySignIn: true }))).not.toContain('data-rd');
    });

    it("keeps an empty slot for the script's alerts next to the server's, and the server's alert as before", () => {
      const out = render({ passkeySignIn: true, error: 'invalid_credentials' });
      expect(out).toContain(
        '<p>Incorrect username or password, or too many attempts — try again later or contact your IT desk.</p></div>\n<div id="webauthn-alert" class="alert-slot"></div>',
      );
      expect(out.match(/role="alert"/g)).toHaveLength(1);
      expect(render({ passkeySignIn: true })).not.toContain('role="alert"');
    });

    it('keeps the password form working without JavaScript', () => {
      const out = render({ passkeySignIn: true });
      expect(out).toContain('<form class="form" method="post" action="/login">');
      expect(inputTag(out, 'password')).toContain('required');
      expect(out).toContain('<button type="submit" class="button button-primary button-block">Sign in</button>');
    });
  });
});
