import { describe, expect, it } from 'vitest';
import { escapeHtml, html, raw, type HtmlValue, type SafeHtml } from './html.js';

describe('escapeHtml', () => {
  it.each([
    ['&', '&amp;'],
    ['<', '&lt;'],
    ['>', '&gt;'],
    ['"', '&quot;'],
    ["'", '&#39;'],
    ['`', '&#96;'],
    ['=', '&#61;'],
    ['&amp;', '&amp;amp;'],
    ['&#60;', '&amp;#60;'],
    ['plain text', 'plain text'],
    ['', ''],
  ])('%j → %j', (input, expected) => expect(escapeHtml(input)).toBe(expected));
});

describe('html``', () => {
  const HOSTILE = [
    '<script>alert(1)</script>',
    '</title><script>alert(1)</script>',
    '"><script>alert(1)</script>',
    '" onmouseover="alert(1)',
    "' onfocus='alert(1)' autofocus='",
    '` onfocus=alert(1) `',
    'x onerror=alert(1)',
    '<img src=x onerror=alert(1)>',
    '<svg/onload=alert(1)>',
    '<!-- comment -->',
    ']]><script>',
    '&lt;script&gt;',
    'javascript:alert(1)',
    '<\u0000script>',
    '\u003cscript\u003e',
  ];

  it.each(HOSTILE)('keeps %j inert in text', (value) => {
    const out = html`<p>${value}</p>`.toString();
    expect(out.slice(3, -4)).not.toMatch(/[<>"'`=]/);
    expect(out.match(/</g)).toHaveLength(2);
  });

  it.each(HOSTILE)('keeps %j inside a quoted attribute value', (value) => {
    const out = html`<input value="${value}">`.toString();
    expect(out).toMatch(/^<input value="[^"<>'`=]*">$/);
  });

  it('round-trips through entity decoding to the original text', () => {
    const value = `<a href="x" title='y'>&amp; \`=\``;
    const decoded = escapeHtml(value)
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&#96;/g, '`')
      .replace(/&#61;/g, '=')
      .replace(/&amp;/g, '&');
    expect(decoded).toBe(value);
  });

  it.each([
    ['Chinese', '臺北市信義區'],
    ['emoji', 'gate 🚪 ok'],
    ['full-width angle brackets, which HTML does not treat as markup', '＜script＞'],
    ['right-to-left override', '\u202Eevil'],
    ['line separator', 'a\u2028b'],
    ['lone surrogate', 'x\ud800y'],
  ])('passes %s through unchanged', (_name, value) => {
    expect(html`${value}`.toString()).toBe(value);
  });

  it('leaves the template text itself alone', () => {
    expect(html`<a href="/x" class='y'>ok</a>`.toString()).toBe(`<a href="/x" class='y'>ok</a>`);
  });

  it('inserts raw() and nested html`` fragments as they are', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p>${inner}${raw('<br>')}</p>`.toString()).toBe('<p><b>&lt;i&gt;</b><br></p>');
  });

  it('joins arrays, nested ones too, escaping each item', () => {
    const items: HtmlValue[] = ['<a>', html`<li>ok</li>`, ['<b>', 1]];
    expect(html`${items}`.toString()).toBe('&lt;a&gt;<li>ok</li>&lt;b&gt;1');
  });

  it.each([
    [false, ''],
    [null, ''],
    [undefined, ''],
    [0, '0'],
    [-1.5, '-1.5'],
    ['', ''],
  ] as const)('renders %j as %j', (value, expected) => {
    expect(html`[${value}]`.toString()).toBe(`[${expected}]`);
  });

  it('cannot be fooled by an object that only looks like a fragment', () => {
    const forged = { toString: () => '<script>alert(1)</script>' } as unknown as SafeHtml;
    expect(html`${forged}`.toString()).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});
