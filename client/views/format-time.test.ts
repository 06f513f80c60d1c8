import { describe, expect, it } from 'vitest';
import { TEST_ASSETS } from './testing/test-assets.js';
import { createTranslator } from '../i18n.js';
import { formatLocalTime } from '../static/local-time.js';
import { formatTime, renderTime, TIME_FORMAT } from './format-time.js';
import { renderLayout } from './layout.js';
import { html } from './html.js';

const AT = Date.UTC(2026, 0, 2, 9, 5);

describe('renderTime', () => {
  it.each([
    ['en', 'UTC', '<time datetime="2026-01-02T09:05:00.000Z">Jan 2, 2026, 9:05 AM UTC</time>'],
    ['en', 'Asia/Taipei', '<time datetime="2026-01-02T09:05:00.000Z">Jan 2, 2026, 5:05 PM GMT+8</time>'],
    ['zh-TW', 'UTC', '<time datetime="2026-01-02T09:05:00.000Z">2026年1月2日 上午9:05 [UTC]</time>'],
  ] as const)("in %s, server zone %s: the instant as ISO, the server's text inside", (locale, zone, expected) => {
    expect(renderTime(locale, AT, zone).toString()).toBe(expected);
  });

  it.each([Number.NaN, Infinity, -Infinity, 8.64e15 + 1, -8.64e15 - 1])('writes a dash, never a broken <time>, for %s', (at) => {
    const out = renderTime('en', at, 'UTC').toString();
    expect(out).toBe('—');
    expect(formatTime('en', at, 'UTC')).toBe('—');
    expect(out).not.toContain('Invalid');
  });

  it('falls back to the server zone for an unknown zone instead of failing the page', () => {
    expect(renderTime('en', AT, 'Not/AZone').toString()).toMatch(/^<time datetime="2026-01-02T09:05:00.000Z">Jan 2, 2026/);
  });
});

describe('the server text and the page script agree', () => {
  it.each(['en', 'zh-TW'] as const)('in %s, apart from the zone name that the reader does not need', (locale) => {
    const iso = new Date(AT).toISOString();
    const server = new Intl.DateTimeFormat(locale, { ...TIME_FORMAT, timeZone: 'Asia/Taipei' }).format(AT);
    expect(formatLocalTime(iso, locale, 'Asia/Taipei')).toBe(server);
    expect(formatTime(locale, AT, 'Asia/Taipei')).not.toBe(server); // the server's names its zone
  });
});

describe('the layout', () => {
  const page = (body: string, script?: 'webauthn') =>
    renderLayout({
      t: createTranslator('en'),
      locale: 'en',
      basePath: '/auth/',
      assets: TEST_ASSETS,
      title: 'x',
      body: html`${[renderTime('en', AT, 'UTC')].filter(() => body === 'time')}<p>${body}</p>`,
      script,
    });
  const scripts = (out: string) => out.match(/<script[^>]*><\/script>/g);

  it('loads static/local-time.js on a page with a time, bundled with the page’s own script into its one bundle', () => {
    expect(scripts(page('time'))).toEqual(['<script type="module" src="/auth/static/local-time.TESTHASH.js" integrity="sha384-test-local-time"></script>']);
    expect(scripts(page('time', 'webauthn'))).toEqual([
      '<script type="module" src="/auth/static/webauthn+local-time.TESTHASH.js" integrity="sha384-test-webauthn+local-time"></script>',
    ]);
    expect(scripts(page('no time', 'webauthn'))).toEqual(['<script type="module" src="/auth/static/webauthn.TESTHASH.js" integrity="sha384-test-webauthn"></script>']);
  });

  it('does not load it for text that only looks like a time element (escaped)', () => {
    expect(page('<time datetime="2026-01-02T09:05:00.000Z">x</time>')).not.toContain('<script');
  });
});
