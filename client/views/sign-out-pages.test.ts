import { describe, expect, it } from 'vitest';
import { TEST_ASSETS } from './testing/test-assets.js';
import { createTranslator, type Locale } from '../i18n.js';
import { renderSignOutPage } from './sign-out-page.js';
import { renderSignedOutPage } from './signed-out-page.js';

const base = (locale: Locale = 'en') => ({ t: createTranslator(locale), locale, basePath: '/auth/', assets: TEST_ASSETS });

describe('renderSignOutPage', () => {
  it('asks before signing out, with both scopes, and a way back', () => {
    const out = renderSignOutPage({ ...base(), csrfToken: 'tok' });
    expect(out).toContain('<h1 id="page-heading">Sign out?</h1>');
    expect(out.match(/<form method="post" action="\/auth\/logout">/g)).toHaveLength(2);
    expect(out.match(/<input type="hidden" name="csrf" value="tok">/g)).toHaveLength(2);
    expect(out).toContain('value="here"');
    expect(out).toContain('value="everywhere"');
    expect(out).toContain('<a href="/auth/">Stay signed in</a>');
  });

  it('carries the redirect target, escaped, in both forms', () => {
    const out = renderSignOutPage({ ...base(), csrfToken: 'tok', redirectTarget: 'https://wiki.example.com/"bye' });
    expect(out.match(/<input type="hidden" name="rd" value="https:\/\/wiki.example.com\/&quot;bye">/g)).toHaveLength(2);
  });

  it('is translated', () => {
    const out = renderSignOutPage({ ...base('zh-TW'), csrfToken: 'tok' });
    expect(out).toContain('確定要登出嗎？');
    expect(out).toContain('>登出所有裝置</button>');
  });
});

describe('renderSignedOutPage', () => {
  it.each([
    [false, 'You are signed out of this browser.'],
    [true, 'You are signed out on all your devices and browsers.'],
  ])('everywhere=%s says what ended', (everywhere, text) => {
    const out = renderSignedOutPage({ ...base(), everywhere });
    expect(out).toContain('<h1 id="page-heading">You are signed out</h1>');
    expect(out).toContain(text);
    expect(out).toContain('href="/auth/">Sign in again</a>');
    expect(out).not.toContain('<form');
  });

  it('is translated', () => {
    expect(renderSignedOutPage(base('zh-TW'))).toContain('您已登出');
  });
});
