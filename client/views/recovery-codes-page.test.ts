import { readFileSync } from 'node:fs';
import { TEST_ASSETS, testScriptTag } from './testing/test-assets.js';
import { describe, expect, it } from 'vitest';
import { createTranslator, type Locale } from '../i18n.js';
import { renderRecoveryCodesConfirmPage } from './recovery-codes-confirm-page.js';
import { renderRecoveryCodesPage, type RecoveryCodesPageModel } from './recovery-codes-page.js';

const CODES = ['abcd-efgh-ijkl', 'mnop-qrst-uvwx', '2345-6789-abcd'];

const render = (overrides: Partial<RecoveryCodesPageModel> = {}, locale: Locale = 'en') =>
  renderRecoveryCodesPage({ t: createTranslator(locale), locale, basePath: '/auth/', assets: TEST_ASSETS, codes: CODES, continueUrl: '/auth/methods', ...overrides });

describe('renderRecoveryCodesPage', () => {
  it('lists every code, in order, in a monospace list', () => {
    const list = /<ol class="codes" aria-labelledby="page-heading">([\s\S]*?)<\/ol>/.exec(render())?.[1] ?? '';
    expect([...list.matchAll(/<li><code>([^<]*)<\/code><\/li>/g)].map((m) => m[1])).toEqual(CODES);
  });

  it('says to save them, that each works once and that they are shown once', () => {
    const out = render();
    expect(out).toContain('<p class="lead">Save these codes somewhere safe. Each works once.</p>');
    expect(out).toContain('This is the only time they are shown.');
    expect(out).not.toContain('<form');
  });

  it('says that the old codes stopped working only when unused ones were replaced', () => {
    const notice = '<div class="notice" role="status"><p>Your previous recovery codes no longer work.</p></div>';
    expect(render({ replaced: true })).toContain(notice);
    for (const out of [render(), render({ replaced: false })]) {
      expect(out).not.toContain('no longer work');
      expect(out).not.toContain('class="notice"');
    }
  });

  it('does not speak of one kind of factor only: a passkey or a phone comes with codes too', () => {
    expect(render()).not.toMatch(/authenticator app|hardware token/i);
  });

  it('names the account when given, for the printed sheet and the downloaded file', () => {
    expect(render({ username: 'ada' })).toContain('<p class="meta" id="recovery-account">For ada</p>');
    expect(render()).not.toContain('class="meta"');
  });

  it('offers copy, download and print, hidden until static/recovery-codes.js shows them, and not on paper', () => {
    const out = render();
    expect(out).toContain(testScriptTag('/auth/', 'recovery-codes'));
    const block = /<div id="recovery-actions"([^>]*)>([\s\S]*?)<\/div>/.exec(out)!;
    expect(block[1]).toContain(' hidden');
    expect(block[1]).toContain('class="actions no-print"');
    expect(block[1]).toContain('data-file-name="gatehouse-recovery-codes.txt"');
    expect(block[1]).toContain('data-copied="The codes were copied. Paste them somewhere safe."');
    expect(block[1]).toContain('data-downloaded="The codes were downloaded as gatehouse-recovery-codes.txt."');
    expect([...block[2]!.matchAll(/<button type="button"[^>]*id="([^"]+)">([^<]+)<\/button>/g)].map((m) => [m[1], m[2]])).toEqual([
      ['recovery-copy', 'Copy codes'],
      ['recovery-download', 'Download as .txt'],
      ['recovery-print', 'Print'],
    ]);
    expect(out).toContain('<p id="recovery-status" class="hint no-print" role="status"></p>');
  });

  it.each([
    ['/auth/methods?notice=codes_created', '/auth/methods?notice&#61;codes_created'],
    ['https://wiki.example.com/', 'https://wiki.example.com/'],
    ['javascript:alert(1)', '/auth/'],
    ['//evil.example/', '/auth/'],
  ])('continues to %j as %j, and the link is not printed', (continueUrl, href) => {
    expect(render({ continueUrl })).toContain(`<p class="no-print"><a class="button button-primary" href="${href}">I have saved them — continue</a></p>`);
  });

  it('prints without the header, the footer, the buttons or the continue link', () => {
    const css = readFileSync(new URL('../static/portal.css', import.meta.url), 'utf8');
    const print = /@media print\s*\{([\s\S]*?\})\s*\}/.exec(css)?.[1] ?? '';
    const hidden = /([^{}]*)\{\s*display:\s*none;?\s*\}/
      .exec(print)?.[1]
      ?.split(',')
      .map((s) => s.trim());
    expect(hidden).toEqual(expect.arrayContaining(['.site-header', '.site-footer', '.no-print']));
  });

  it('is translated', () => {
    const out = render({ username: 'ada', replaced: true }, 'zh-TW');
    expect(out).toContain('<h1 id="page-heading">您的復原碼</h1>');
    expect(out).toContain('請將這些復原碼存放在安全的地方。每組只能使用一次。');
    expect(out).toContain('您先前的復原碼已失效。');
    expect(out).toContain('>我已保存，繼續</a>');
    expect(out).toContain('>複製復原碼</button>');
    expect(out).toContain('>下載為 .txt 檔</button>');
    expect(out).toContain('>列印</button>');
  });
});

describe('renderRecoveryCodesConfirmPage', () => {
  const confirm = (unused: number, locale: Locale = 'en') =>
    renderRecoveryCodesConfirmPage({ t: createTranslator(locale), locale, basePath: '/auth/', assets: TEST_ASSETS, csrfToken: 'tok', unused });

  it.each([
    [1, 'You have 1 unused recovery code. It stops working as soon as new codes are created.'],
    [7, 'You have 7 unused recovery codes. They all stop working as soon as new codes are created.'],
    [1234, 'You have 1,234 unused recovery codes.'],
  ])('with %i unused codes says they stop working', (unused, text) => {
    expect(confirm(unused)).toContain(text);
  });

  it('posts the confirmation with the session token, and cancelling is a link back that changes nothing', () => {
    const out = confirm(3);
    expect(out).toContain('<h1 id="page-heading">Create new recovery codes?</h1>');
    const form = /<form method="post" action="\/auth\/methods\/recovery-codes">([\s\S]*?)<\/form>/.exec(out)?.[1] ?? '';
    expect(form).toContain('<input type="hidden" name="csrf" value="tok">');
    expect(form).toContain('<input type="hidden" name="confirm" value="1">');
    expect(form).toContain('<button type="submit" class="button button-primary" aria-describedby="recovery-confirm-warning">Create new codes</button>');
    expect(out).toContain('<a class="button button-secondary" href="/auth/methods">Keep my current codes</a>');
    expect(out.match(/<form/g)).toHaveLength(1);
  });

  it('is translated', () => {
    const out = confirm(5, 'zh-TW');
    expect(out).toContain('<h1 id="page-heading">要產生新的復原碼嗎？</h1>');
    expect(out).toContain('您還有 5 組未使用的復原碼。');
    expect(out).toContain('>保留目前的復原碼</a>');
  });
});
