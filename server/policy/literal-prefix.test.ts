import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { literalPrefix } from './literal-prefix.js';

/** Resource patterns as people write them, and ones written to trip a prefix reader. */
const PATTERNS = [
  '/admin(/.*)?',
  '^/admin(/.*)?$',
  '/public/.*',
  '^/api/v1/users/[0-9]+$',
  '/admin',
  '/admin?',
  '/admin*',
  '/admin+',
  '/admin{0,1}',
  '/ad{2}min',
  '/a|/b',
  '/admin|/public/.*',
  '(/admin|/public)/.*',
  '/x/(a|b)/y',
  '.*',
  '/.*\\.html',
  '\\/admin',
  '/admin\\b.*',
  '[/]admin',
  '(?i)/admin',
  '/Admin/(?i)x',
  '^^/admin',
  '$',
  '',
  '/api/v1/',
  '/a%2Fb/.*',
  "/~user/it's/.*",
  '/a=b;c,d:e@f!g&h-i_j/.*',
  '/reports/20[0-9][0-9]/.*',
  '/reports/2024/q3\\.html',
];
const PATHS = [
  '',
  '/',
  '/admin',
  '/admin/',
  '/admin/x',
  '/admi',
  '/adminx',
  '/Admin',
  '/ADMIN/x',
  '/public/',
  '/public/a.html',
  '/publi',
  '/a',
  '/b',
  '/x/a/y',
  '/api/v1/users/42',
  '/api/v1/users/',
  '/reports/2024/q3.html',
  '/ddmin',
  '/addmin',
  "/~user/it's/x",
  '/a%2Fb/c',
  '/a%2fb/c',
  '/a=b;c,d:e@f!g&h-i_j/k',
  '/.html',
  '//admin',
];

describe('literalPrefix', () => {
  it.each(PATTERNS)('%s: every path the pattern matches starts with it', (pattern) => {
    const prefix = literalPrefix(pattern);
    const regex = RE2JS.compile(`^(?:${pattern})$`);
    for (const path of PATHS) if (regex.testExact(path)) expect(path.startsWith(prefix), `${path} matches but lacks "${prefix}"`).toBe(true);
    // And from the pattern's own text: the prefix is a start of it, after an optional ^.
    expect(pattern.replace(/^\^/, '').startsWith(prefix)).toBe(true);
  });

  it.each([
    ['/admin(/.*)?', '/admin'],
    ['^/admin(/.*)?$', '/admin'],
    ['/public/.*', '/public/'],
    ['/admin?', '/admi'],
    ['/admin*', '/admi'],
    ['/admin+', '/admi'],
    ['/ad{2}min', '/a'],
    ['/a|/b', ''],
    ['(/admin|/public)/.*', ''],
    ['/x/(a|b)/y', ''],
    ['.*', ''],
    ['\\/admin', ''],
    ['[/]admin', ''],
    ['(?i)/admin', ''],
    ['/Admin/(?i)x', '/Admin/'],
    ['/reports/2024/q3\\.html', '/reports/2024/q3'],
  ])('%s → "%s"', (pattern, prefix) => {
    expect(literalPrefix(pattern)).toBe(prefix);
  });
});
