import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createTranslator, type Locale } from '../i18n.js';
import { renderRecoveryCodesPage, type RecoveryCodesPageModel } from './recovery-codes-page.js';

const CODES = ['abcd-efgh-ijkl', 'mnop-qrst-uvwx', '2345-6789-abcd'];

const render = (overrides: Partial<RecoveryCodesPageModel> = {}, locale: Locale = 'en') =>
  renderRecoveryCodesPage({ t: createTranslator(locale), locale, basePath: '/auth/', codes: CODES, continueUrl: '/auth/methods', ...overrides });

describe('renderRecoveryCodesPage', () => {
  it('lists every code, in order, in a monospace list', () => {
    const list = /<ol class="codes" aria-labelledby="page-heading">([\s\S]*?)<\/ol>/.exec(render())?.[1] ?? '';
    expect([...list.matchAll(/<li><code>([^<]*)<\/code><\/li>/g)].map((m) => m[1])).toEqual(CODES);
  });

  it('says to save them, that each works once, that they are shown once and that old ones stopped', () => {
    const out = render();
    expect(out).toContain('<p class="lead">Save these codes somewhere safe. Each works once.</p>');
    expect(out).toContain('This is the only time they are shown.');
    expect(out).toContain('<div class="notice" role="status"><p>Any recovery codes you had before no longer work.</p></div>');
    expect(out).not.toContain('<form');
  });

  it('names the account when given, for the printed sheet', () => {
    expect(render({ username: 'ada' })).toContain('<p class="meta">For ada</p>');
    expect(render()).not.toContain('class="meta"');
  });

  it.each([
    ['/auth/methods', '/auth/methods'],
    ['https://wiki.example.com/', 'https://wiki.example.com/'],
    ['javascript:alert(1)', '/auth/'],
    ['//evil.example/', '/auth/'],
  ])('continues to %j as %j, and the link is not printed', (continueUrl, href) => {
    expect(render({ continueUrl })).toContain(`<p class="no-print"><a class="button button-primary" href="${href}">I have saved them — continue</a></p>`);
  });

  it('prints without the header, the footer or the continue link', () => {
    const css = readFileSync(new URL('../static/portal.css', import.meta.url), 'utf8');
    const print = /@media print\s*\{([\s\S]*?\})\s*\}/.exec(css)?.[1] ?? '';
    const hidden = /([^{}]*)\{\s*display:\s*none;?\s*\}/.exec(print)?.[1]?.split(',').map((s) => s.trim());
    expect(hidden).toEqual(expect.arrayContaining(['.site-header', '.site-footer', '.no-print']));
  });

  it('is translated', () => {
    const out = render({ username: 'ada' }, 'zh-TW');
    expect(out).toContain('<h1 id="page-heading">您的復原碼</h1>');
    expect(out).toContain('請將這些復原碼存放在安全的地方。每組只能使用一次。');
    expect(out).toContain('您先前的復原碼已全部失效。');
    expect(out).toContain('>我已保存，繼續</a>');
  });
});
