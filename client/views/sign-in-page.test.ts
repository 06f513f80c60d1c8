import { describe, expect, it } from 'vitest';
import { createTranslator, type Locale } from '../i18n.js';
import { renderSignInPage, type SignInPageModel } from './sign-in-page.js';

const render = (overrides: Partial<SignInPageModel> = {}, locale: Locale = 'en') =>
  renderSignInPage({ t: createTranslator(locale), locale, basePath: '/', csrfToken: 'tok', ...overrides });

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
    ['en', 'Incorrect username or password.'],
    ['zh-TW', '帳號或密碼不正確。'],
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
    expect(out).toContain('<p>Incorrect username or password.</p>');
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
});
