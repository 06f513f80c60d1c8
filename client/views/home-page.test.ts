import { describe, expect, it } from 'vitest';
import { TEST_ASSETS } from './testing/test-assets.js';
import { createTranslator, type Locale } from '../i18n.js';
import { renderHomePage, type HomePageModel } from './home-page.js';

const AT = Date.UTC(2026, 0, 2, 9, 5);

const render = (overrides: Partial<HomePageModel> = {}, locale: Locale = 'en') =>
  renderHomePage({
    t: createTranslator(locale),
    locale,
    basePath: '/',
    assets: TEST_ASSETS,
    csrfToken: 'tok',
    user: { username: 'ada', displayName: 'Ada Lovelace', email: 'ada@example.com', groups: ['staff', 'dev'] },
    factors: [{ kind: 'password', at: AT }],
    sessionStartedAt: AT,
    sites: [{ name: 'wiki', url: 'https://wiki.example.com/' }],
    timeZone: 'UTC',
    ...overrides,
  });

describe('renderHomePage', () => {
  it('greets by display name, or by username when there is none', () => {
    expect(render()).toContain('Hello, Ada Lovelace');
    expect(render({}, 'zh-TW')).toContain('Ada Lovelace，您好');
    expect(render({ user: { username: 'bob', displayName: '', email: '', groups: [] } })).toContain('Hello, bob');
  });

  it('links to the sign-in methods page under the base path', () => {
    expect(render({ basePath: '/auth/' })).toContain('<a href="/auth/methods">My sign-in methods</a>');
    expect(render({}, 'zh-TW')).toContain('我的登入方式');
  });

  it('lists the sites as links', () => {
    const out = render({
      sites: [
        { name: 'wiki', url: 'https://wiki.example.com/' },
        { name: 'git', url: 'https://example.com/git/' },
      ],
    });
    expect(out).toContain('<a class="site-link" href="https://wiki.example.com/"><span class="site-name">wiki</span><span class="site-url">wiki.example.com</span></a>');
    expect(out).toContain('href="https://example.com/git/"><span class="site-name">git</span><span class="site-url">example.com/git/</span>');
  });

  it.each(['javascript:alert(1)', 'data:text/html,<script>x</script>', 'not a url', ''])('does not link the URL %j', (url) => {
    const out = render({ sites: [{ name: 'odd', url }] });
    expect(out).toContain('<span class="site-name">odd</span>');
    expect(out).not.toContain('class="site-link"');
    expect(out).not.toMatch(/javascript:|data:text/);
  });

  it('says so when no site is available', () => {
    expect(render({ sites: [] })).toContain('No sites are available to you yet.');
    expect(render({ sites: [] }, 'zh-TW')).toContain('目前還沒有可供您使用的網站。');
  });

  it.each([
    [
      'en',
      'Signed in on <time datetime="2026-01-02T09:05:00.000Z">Jan 2, 2026, 9:05 AM UTC</time>',
      'Password, <time datetime="2026-01-02T09:05:00.000Z">Jan 2, 2026, 9:05 AM UTC</time>',
    ],
    ['zh-TW', '登入時間：<time datetime="2026-01-02T09:05:00.000Z">2026年1月2日', '密碼（<time datetime="2026-01-02T09:05:00.000Z">2026年1月2日'],
  ] as const)('in %s says when and how the session began', (locale, started, factor) => {
    const out = render({}, locale);
    expect(out).toContain(started);
    expect(out).toContain(factor);
  });

  it.each([
    ['totp', 'Authenticator app code'],
    ['hotp', 'Hardware token code'],
    ['webauthn', 'Passkey or security key'],
    ['push', 'Approval on your phone'],
    ['email_otp', 'Code sent by email'],
    ['recovery_code', 'Recovery code'],
    ['carrier_pigeon', 'Other method (carrier_pigeon)'],
    ['other', 'Other method (other)'],
    ['__proto__', 'Other method (__proto__)'],
  ])('names the factor %s', (kind, label) => {
    expect(render({ factors: [{ kind, at: AT }] })).toContain(`<li>${label}, <time datetime="2026-01-02T09:05:00.000Z">Jan 2, 2026`);
  });

  it('shows times in another zone when asked, and survives a bad zone or time', () => {
    expect(render({ timeZone: 'Asia/Taipei' })).toContain('Jan 2, 2026, 5:05 PM GMT+8');
    expect(() => render({ timeZone: 'Not/AZone' })).not.toThrow();
    expect(render({ sessionStartedAt: Number.NaN })).toContain('Signed in on —');
  });

  it('shows the details, skipping an empty email', () => {
    expect(render()).toContain('<dt>Groups</dt><dd>staff, dev</dd>');
    expect(render()).toContain('<dt>Email</dt><dd>ada@example.com</dd>');
    const bare = render({ user: { username: 'bob', displayName: 'Bob', email: '', groups: [] } });
    expect(bare).not.toContain('<dt>Email</dt>');
    expect(bare).toContain('<dt>Groups</dt><dd>None</dd>');
  });

  it('offers both sign-out scopes as POST forms with the csrf token', () => {
    const out = render({ basePath: '/auth/' });
    const forms = [...out.matchAll(/<form method="post" action="\/auth\/logout">([\s\S]*?)<\/form>/g)].map((m) => m[1]!);
    expect(forms).toHaveLength(2);
    expect(forms[0]).toContain('<input type="hidden" name="scope" value="here">');
    expect(forms[1]).toContain('<input type="hidden" name="scope" value="everywhere">');
    for (const form of forms) {
      expect(form).toContain('<input type="hidden" name="csrf" value="tok">');
      expect(form).not.toContain('name="rd"');
    }
    expect(out).toContain('>Sign out</button>');
    expect(out).toContain('>Sign out everywhere</button>');
  });
});
