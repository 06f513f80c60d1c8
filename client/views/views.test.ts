import { describe, expect, it } from 'vitest';
import { PAGE_BUNDLES, type BundleName } from '../assets/page-bundles.js';
import { TEST_ASSETS, testScriptTag, testStylesheetTag } from './testing/test-assets.js';
import { createTranslator, LOCALES, type Locale } from '../i18n.js';
import { renderErrorPage } from './error-page.js';
import { renderHomePage } from './home-page.js';
import { renderSignInPage } from './sign-in-page.js';
import { renderSignOutPage } from './sign-out-page.js';
import { renderSignedOutPage } from './signed-out-page.js';

/** Invariants every page holds, checked on pages whose every model string is hostile. */

const EVIL = `<script>alert("x")</script>"'\`=><img src=x onerror=alert(1)>`;
const EVIL_ESCAPED = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&quot;&#39;&#96;&#61;&gt;&lt;img src&#61;x onerror&#61;alert(1)&gt;';
const BASE = '/auth/';
const CSRF = 'csrf-token-abc123';

const ALLOWED_TAGS = new Set([
  'html',
  'head',
  'meta',
  'title',
  'link',
  'body',
  'header',
  'main',
  'footer',
  'section',
  'div',
  'p',
  'a',
  'img',
  'span',
  'h1',
  'h2',
  'h3',
  'form',
  'label',
  'input',
  'button',
  'ul',
  'li',
  'dl',
  'dt',
  'dd',
  'script',
  'time',
]);
const BARE_ATTRIBUTES = new Set(['required', 'autofocus', 'hidden']);

/** The scripts a page may have: modules from static/, with no inline text. */
const scriptTag = (basePath: string, bundle: BundleName = 'webauthn') => testScriptTag(basePath, bundle);
/** Which bundle each page loads: the passkey module, or the one that shows times in the reader's zone. */
const SCRIPTS: Record<string, BundleName> = { 'sign-in with passkeys': 'webauthn', home: 'local-time' };

function pages(locale: Locale, basePath = BASE): Array<[string, string]> {
  const base = { t: createTranslator(locale), locale, basePath, assets: TEST_ASSETS };
  const at = Date.UTC(2026, 0, 2, 9, 5);
  return [
    ['sign-in', renderSignInPage({ ...base, csrfToken: CSRF, redirectTarget: EVIL, username: EVIL, siteName: EVIL, error: 'invalid_credentials', rememberMeDays: 30 })],
    [
      'sign-in with passkeys',
      renderSignInPage({ ...base, csrfToken: CSRF, redirectTarget: EVIL, username: EVIL, siteName: EVIL, error: 'invalid_credentials', passkeySignIn: true }),
    ],
    [
      'home',
      renderHomePage({
        ...base,
        csrfToken: CSRF,
        user: { username: EVIL, displayName: EVIL, email: EVIL, groups: [EVIL, 'staff'] },
        factors: [
          { kind: 'password', at },
          { kind: EVIL, at },
        ],
        sessionStartedAt: at,
        sites: [{ name: EVIL, url: 'https://wiki.example.com/?q="><script>' }],
        timeZone: 'UTC',
      }),
    ],
    ['sign-out', renderSignOutPage({ ...base, csrfToken: CSRF, redirectTarget: EVIL })],
    ['signed-out', renderSignedOutPage({ ...base, everywhere: true })],
    ['error', renderErrorPage({ ...base, status: 403, messageKey: 'error.forbidden', requestId: EVIL })],
  ];
}

const cases = LOCALES.flatMap((locale) => pages(locale).map(([name, out]) => ({ name, locale, out })));

function tags(out: string) {
  return [...out.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>/g)].map((m) => ({ closing: m[1] === '/', name: m[2]!.toLowerCase(), attributes: m[3]! }));
}

function attributeValues(out: string, attribute: string): string[] {
  return [...out.matchAll(new RegExp(`\\s${attribute}="([^"]*)"`, 'g'))].map((m) => m[1]!);
}

describe.each(cases)('$name page in $locale', ({ name, locale, out }) => {
  it('is a whole document in the right language', () => {
    expect(out.startsWith('<!doctype html>\n<html')).toBe(true);
    expect(out).toContain(`<html lang="${locale}" dir="ltr">`);
    expect(out).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(out).toMatch(/<title>[^<]*Gatehouse<\/title>/);
    expect(out.trimEnd().endsWith('</html>')).toBe(true);
    if (locale === 'zh-TW') expect(out).toMatch(/<h1[^>]*>[^<]*[\u4e00-\u9fff]/);
  });

  it('has the shared landmarks and only same-origin assets under the base path', () => {
    expect(out).toContain(testStylesheetTag(BASE, 'portal'));
    expect(out).toMatch(/<header[\s>]/);
    expect(out).toContain('<main id="main"');
    expect(out).toMatch(/<footer[\s>]/);
    expect(out.match(/<h1[\s>]/g)).toHaveLength(1);
    for (const tag of tags(out).filter((t) => (t.name === 'link' || t.name === 'img' || t.name === 'script') && !t.closing)) {
      expect(tag.attributes).toMatch(new RegExp(`(href|src)="${BASE}static/`));
    }
  });

  it('has no inline script, no inline style and no event handler: it runs under the strict CSP', () => {
    const scripts = out.match(/<script/gi) ?? [];
    const expected = Object.hasOwn(SCRIPTS, name) ? [scriptTag(BASE, SCRIPTS[name])] : [];
    expect(scripts.length).toBe(expected.length);
    for (const tag of expected) expect(out).toContain(tag);
    expect(out).not.toMatch(/<style/i);
    expect(out).not.toMatch(/\sstyle\s*=/i);
    expect(out).not.toMatch(/\son[a-z]+\s*=/i);
    expect(out).not.toMatch(/javascript:/i);
  });

  it('shows hostile model values only escaped', () => {
    // The signed-out page takes no text from its model.
    if (name !== 'signed-out') expect(out).toContain(EVIL_ESCAPED);
    expect(out).not.toContain('<img src=x');
    expect(out).not.toContain('alert("x")');
  });

  it('is built only from known tags with quoted attribute values', () => {
    for (const tag of tags(out)) {
      expect(ALLOWED_TAGS, tag.name).toContain(tag.name);
      const bare = tag.attributes
        .replace(/\s[a-z-]+="[^"]*"/g, '')
        .trim()
        .split(/\s+/)
        .filter(Boolean);
      for (const attribute of bare) expect(BARE_ATTRIBUTES, `${tag.name} ${attribute}`).toContain(attribute);
    }
  });

  it('protects every form with the csrf token and posts it to the portal', () => {
    const forms = tags(out).filter((t) => t.name === 'form' && !t.closing);
    expect(out.split(`<input type="hidden" name="csrf" value="${CSRF}">`).length - 1).toBe(forms.length);
    for (const form of forms) {
      expect(form.attributes).toContain('method="post"');
      expect(form.attributes).toMatch(new RegExp(`action="${BASE}(login|logout)"`));
    }
    if (name.startsWith('sign-in') || name === 'home' || name === 'sign-out') expect(forms.length).toBeGreaterThan(0);
  });

  it('has unique ids, and every label and aria reference points at one', () => {
    const ids = attributeValues(out, 'id');
    expect(new Set(ids).size).toBe(ids.length);
    const references = [
      ...attributeValues(out, 'for'),
      ...attributeValues(out, 'aria-describedby').flatMap((v) => v.split(' ')),
      ...attributeValues(out, 'aria-labelledby').flatMap((v) => v.split(' ')),
    ];
    for (const reference of references) expect(ids).toContain(reference);
    const labelled = new Set(attributeValues(out, 'for'));
    for (const input of tags(out).filter((t) => t.name === 'input' && !t.attributes.includes('type="hidden"'))) {
      expect(labelled).toContain(/\sid="([^"]*)"/.exec(input.attributes)?.[1]);
    }
  });

  it('names every button and link', () => {
    expect(out).not.toMatch(/<button[^>]*>\s*<\/button>/);
    expect(out).not.toMatch(/<a [^>]*>\s*<\/a>/);
  });
});

describe('a hostile base path', () => {
  it.each(pages('en', EVIL))('is escaped on the %s page', (_name, out) => {
    expect(out).toContain(testStylesheetTag(EVIL_ESCAPED, 'portal'));
    const scripts = PAGE_BUNDLES.map((bundle) => out.split(scriptTag(EVIL_ESCAPED, bundle)).length - 1);
    expect((out.match(/<script/gi) ?? []).length).toBe(scripts.reduce((a, b) => a + b, 0));
    expect(out).not.toContain('<img src=x');
  });
});
