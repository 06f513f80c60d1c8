import { describe, expect, it } from 'vitest';
import { toSafeHref } from './safe-href.js';

describe('toSafeHref', () => {
  it.each([
    ['/', '/'],
    ['/auth/methods', '/auth/methods'],
    ['/auth/second-factor?rd=https%3A%2F%2Fwiki.example.com%2F', '/auth/second-factor?rd=https%3A%2F%2Fwiki.example.com%2F'],
    ['https://wiki.example.com/a?b=1#c', 'https://wiki.example.com/a?b=1#c'],
    ['http://intranet.example.com:8080/', 'http://intranet.example.com:8080/'],
    ['HTTPS://WIKI.example.com', 'https://wiki.example.com/'],
  ])('keeps %j', (value, expected) => expect(toSafeHref(value)).toBe(expected));

  it.each([
    undefined,
    '',
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    ' javascript:alert(1)',
    'java\tscript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    'ftp://example.com/',
    '//evil.example/',
    '/\\evil.example/',
    '/\tevil',
    '/ /evil',
    '/a\nb',
    '/a\u0000b',
    '/a\\b',
    'relative/path',
    '?q=1',
    '#frag',
    'https://',
    'not a url',
  ])('refuses %j', (value) => expect(toSafeHref(value)).toBeUndefined());

  it('refuses a non-string at run time', () => {
    expect(toSafeHref(42 as unknown as string)).toBeUndefined();
    expect(toSafeHref(['/a'] as unknown as string)).toBeUndefined();
  });
});
