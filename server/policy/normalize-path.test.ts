import { describe, expect, it } from 'vitest';
import { MAX_TARGET_LENGTH, normalizePath } from './normalize-path.js';

const ok = (path: string, query = '', matchPath = path) => ({ ok: true, path, matchPath, query });
const refused = (reason: string) => ({ ok: false, reason });

describe('normalizePath', () => {
  it.each([
    ['/', ok('/')],
    ['/a', ok('/a')],
    ['/a/', ok('/a/')],
    ['/a/b/c.html', ok('/a/b/c.html')],
    ['/Admin/MiXeD', ok('/Admin/MiXeD')],
    ["/a-b_c.d~e/!$&'()*+,=:@", ok("/a-b_c.d~e/!$&'()*+,=:@")],
  ])('keeps the plain path %s', (input, expected) => expect(normalizePath(input)).toEqual(expected));

  it.each([
    ['/a/../b', '/b'],
    ['/a/./b', '/a/b'],
    ['/a/b/..', '/a/'],
    ['/a/b/.', '/a/b/'],
    ['/a/b/../', '/a/'],
    ['/.', '/'],
    ['/./', '/'],
    ['/a/..', '/'],
    ['/a/b/../../c', '/c'],
    ['/public/../admin', '/admin'],
    ['/public/./../admin/', '/admin/'],
    ['/a/.../b', '/a/.../b'],
    ['/a/..b/c', '/a/..b/c'],
    ['/a/b../c', '/a/b../c'],
    ['/.a/.b', '/.a/.b'],
  ])('resolves dot segments in %s → %s', (input, path) => expect(normalizePath(input)).toEqual(ok(path)));

  it.each([['/%2e%2e/admin'], ['/..'], ['/../'], ['/a/../..'], ['/a/../../b'], ['/%2e%2e'], ['/%2E%2E/etc/passwd'], ['/.%2e/x'], ['/%2e./x'], ['/a/%2e%2e/%2e%2e/b'], ['//..//x']])(
    'refuses %s, which climbs above the root',
    (input) => expect(normalizePath(input)).toEqual(refused('above-root')),
  );

  it.each([
    ['/public/%2e%2e/admin', '/admin'],
    ['/public/%2E%2E/admin', '/admin'],
    ['/public/%2e%2E/admin', '/admin'],
    ['/public/.%2e/admin', '/admin'],
    ['/public/%2e./admin', '/admin'],
    ['/public/.%2E/admin', '/admin'],
    ['/public/%2e/admin', '/public/admin'],
    ['/public/%2E/admin', '/public/admin'],
    ['/public/%2e%2e', '/'],
    ['/a%2eb', '/a.b'],
    ['/%2e%2e%2e', '/...'],
    ['/public/%2e%2e%2fadmin', 'refused'],
  ])('treats encoded dots like dots: %s → %s', (input, path) => {
    const result = normalizePath(input);
    if (path === 'refused') expect(result.ok).toBe(false);
    else expect(result).toEqual(ok(path));
  });

  it.each([['/a%2fb'], ['/a%2Fb'], ['/public%2f..%2fadmin'], ['/a%5cb'], ['/a%5Cb'], ['/..%5cadmin'], ['/%2F']])('refuses the encoded separator in %s', (input) =>
    expect(normalizePath(input)).toEqual(refused('encoded-separator')),
  );

  it.each([
    ['/a\\b'],
    ['/..\\admin'],
    ['/\\'],
    ['/a b'],
    ['/a\tb'],
    ['/a\nb'],
    ['/a\rb'],
    ['/a\u0000b'],
    ['/a\u007fb'],
    ['/a\u001fb'],
    ['/caf\u00e9'],
    ['/\u00ff'],
    ['/\u2025/admin'],
    ['/\uff0e\uff0e/admin'],
    ['/a?x=1 2'],
    ['/a?x=\u00e9'],
    ['/a?x=\n'],
  ])('refuses the raw character in %j', (input) => expect(normalizePath(input)).toEqual(refused('invalid-character')));

  it.each([['/a%'], ['/a%4'], ['/a%zz'], ['/a%4g'], ['/a%g4'], ['/%%41'], ['/a%-1'], ['/a% 1'], ['/a%2'], ['/%u002e%u002e/admin']])('refuses the malformed escape in %s', (input) =>
    expect(normalizePath(input)).toEqual(refused('bad-escape')),
  );

  it.each([['/a%00'], ['/a%0a'], ['/a%0D%0A'], ['/a%09b'], ['/a%1f'], ['/a%1F'], ['/a%7f'], ['/a%7F'], ['/..%00/admin']])('refuses the encoded control character in %s', (input) =>
    expect(normalizePath(input)).toEqual(refused('encoded-control')),
  );

  it.each([
    ['/%41%42%43', '/ABC'],
    ['/%61dmin', '/admin'],
    ['/%7e%2d%5f%2E', '/~-_.'],
    ['/%30%39', '/09'],
    ['/a%3fb', '/a%3Fb'],
    ['/a%3Fb', '/a%3Fb'],
    ['/a%23b', '/a%23b'],
    ['/a%5b%5d%7c', '/a%5B%5D%7C'],
    ['/a%20b', '/a%20b'],
    ['/caf%c3%a9', '/caf%C3%A9'],
    ['/%3b', '/%3B'],
    ['/%25', '/%25'],
    ['/%252e%252e/admin', '/%252e%252e/admin'],
    ['/%25%32%65', '/%252e'],
    ['/%2541', '/%2541'],
    ['/%e2%80%a5', '/%E2%80%A5'],
  ])('canonicalizes the escapes in %s → %s', (input, path) => expect(normalizePath(input)).toEqual(ok(path)));

  it.each([
    ['//a', '/a'],
    ['///a///b', '/a/b'],
    ['/a//b/', '/a/b/'],
    ['/a//', '/a/'],
    ['//', '/'],
    ['////', '/'],
    ['//admin//', '/admin/'],
    ['/a//../b', '/b'],
    ['/a/.//./b', '/a/b'],
  ])('merges doubled slashes in %s → %s', (input, path) => expect(normalizePath(input)).toEqual(ok(path)));

  it.each([
    ['/public?/../admin', '/public', '/../admin'],
    ['/public?x=/admin', '/public', 'x=/admin'],
    ['/public?', '/public', ''],
    ['/public??a', '/public', '?a'],
    ['/public?a=%2e%2e%2fadmin', '/public', 'a=%2e%2e%2fadmin'],
    ['/public?a=%zz', '/public', 'a=%zz'],
    ['/public?a=\\b', '/public', 'a=\\b'],
    ['/a/../b?c/../d', '/b', 'c/../d'],
    ['/?', '/', ''],
  ])('keeps query text out of the path: %s', (input, path, query) => expect(normalizePath(input)).toEqual(ok(path, query)));

  it.each([
    ['/public%3f/../admin', '/admin'],
    ['/public%3F/../admin', '/admin'],
    ['/public%3f/x', '/public%3F/x'],
    ['/public%23/../admin', '/admin'],
  ])('an encoded ? or # is part of the path: %s → %s', (input, path) => expect(normalizePath(input)).toEqual(ok(path)));

  it.each([['/a#b'], ['/a?b#c'], ['/#/../admin'], ['/public#/../../admin']])('refuses the fragment in %s', (input) => expect(normalizePath(input)).toEqual(refused('fragment')));

  it.each([
    ['/admin;jsessionid=1/x', '/admin;jsessionid=1/x', '/admin/x'],
    ['/admin;a=b;c=d', '/admin;a=b;c=d', '/admin'],
    ['/admin;', '/admin;', '/admin'],
    ['/a;x/b;y/', '/a;x/b;y/', '/a/b/'],
    ['/;jsessionid=1/admin', '/;jsessionid=1/admin', '/admin'],
    ['/app/;jsessionid=1', '/app/;jsessionid=1', '/app/'],
    ['/;x', '/;x', '/'],
    ['/a;x/../admin', '/admin', '/admin'],
    ['/public;x/..%2e/admin', '/public;x/.../admin', '/public/.../admin'],
    ['/a;..', '/a;..', '/a'],
    ['/a;x/b;y/..;z', 'x', 'x'],
    ['/a/...;x/b', '/a/...;x/b', '/a/.../b'],
    ['/a%3bx/b', '/a%3Bx/b', '/a%3Bx/b'],
    ['/admin;%2e%2e', '/admin;..', '/admin'],
  ])('keeps ;params in path and strips them in matchPath: %s', (input, path, matchPath) => {
    const result = normalizePath(input);
    if (path === 'x') expect(result.ok).toBe(false);
    else expect(result).toEqual(ok(path, '', matchPath));
  });

  it.each([
    ['/public/..;/admin'],
    ['/public/..;x/admin'],
    ['/public/.;/admin'],
    ['/public/.;x=1/admin'],
    ['/public/%2e%2e;/admin'],
    ['/public/.%2e;jsessionid=1/admin'],
    ['/public/%2e;/admin'],
    ['/public/..%3b/admin'],
    ['/public/..%3B/admin'],
    ['/public/.%3Bx/admin'],
    ['/..;/..;/admin'],
    ['/..;'],
  ])('refuses %s, a dot segment only once params are removed', (input) => expect(normalizePath(input)).toEqual(refused('ambiguous-segment')));

  // nginx resolves "/public/;/../private" to /public/private, Tomcat to /private.
  it.each([['/public/;/../private'], ['/public/;jsessionid=1/../private'], ['/a/;x/./b'], ['/a/;/b/../c'], ['/;x/..']])(
    'refuses %s, a dot segment after a params-only segment',
    (input) => expect(normalizePath(input)).toEqual(refused('ambiguous-segment')),
  );

  it.each([
    ['/;jsessionid=1/x', '/;jsessionid=1/x', '/x'],
    ['/a/../b/;x', '/b/;x', '/b/'],
  ])('keeps params-only segments without dots after them: %s', (input, path, matchPath) => expect(normalizePath(input)).toEqual({ ok: true, path, matchPath, query: '' }));

  it.each([['http://wiki.corp.example/admin'], ['*'], [''], ['admin'], ['?/admin'], ['\\admin'], ['%2fadmin'], [' /admin']])('refuses %j, which is not origin-form', (input) =>
    expect(normalizePath(input)).toEqual(refused('not-origin-form')),
  );

  it('refuses a target longer than a request head can be', () => {
    expect(normalizePath('/' + 'a'.repeat(MAX_TARGET_LENGTH))).toEqual(refused('too-long'));
    expect(normalizePath('/' + 'a'.repeat(MAX_TARGET_LENGTH - 1)).ok).toBe(true);
  });

  it('handles thousands of segments in linear time', () => {
    const deep = '/a'.repeat(3000) + '/..'.repeat(3000) + '/admin';
    expect(normalizePath(deep)).toEqual(ok('/admin'));
    const climbing = '/a'.repeat(2000) + '/..'.repeat(2001) + '/admin';
    expect(normalizePath(climbing)).toEqual(refused('above-root'));
    expect(normalizePath('/' + '/'.repeat(10_000) + 'x').ok).toBe(true);
    expect(normalizePath('/%41'.repeat(3000))).toEqual(ok('/A'.repeat(3000)));
  });

  describe('is a fixed point', () => {
    const inputs = [
      '/',
      '/a/../b',
      '/a/b/..',
      '/%2e%2e%2e',
      '/%41',
      '/a%3fb/%c3%a9/',
      '/%25%32%65',
      '//a//b//',
      '/admin;jsessionid=1/x',
      '/;x/y;z/',
      '/a/./b/../c/',
      '/app/;jsessionid=1',
      "/!$&'()*+,;=:@/~",
      '/.a/..b/...',
      '/%7e%7E/%5b%5D',
      '/%252e/x;%2e%2e',
    ];
    it.each(inputs)('normalizing %s twice changes nothing more', (input) => {
      const once = normalizePath(input);
      if (!once.ok) throw new Error(`${input} refused: ${once.reason}`);
      const twice = normalizePath(once.path);
      expect(twice).toEqual(once);
      expect(normalizePath(once.matchPath)).toMatchObject({ ok: true, path: once.matchPath, matchPath: once.matchPath });
    });

    it('holds for random paths built from tricky pieces', () => {
      const pieces = ['/', '//', '.', '..', '%2e', '%2E', 'a', 'B', ';', ';x=1', '%3b', '%3f', '%41', '%c3%a9', '%25', '~', '-', '_', 'admin', '%7e'];
      let seed = 42;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      let accepted = 0;
      for (let n = 0; n < 5000; n++) {
        let input = '/';
        const length = 1 + Math.floor(random() * 12);
        for (let k = 0; k < length; k++) input += pieces[Math.floor(random() * pieces.length)];
        const once = normalizePath(input);
        if (!once.ok) continue;
        accepted++;
        expect(normalizePath(once.path), input).toEqual(once);
        expect(once.path, input).not.toMatch(/\/\/|%2[eE]|%[0-9A-F]?[a-f]|\/\.\.?(\/|$)/);
        expect(once.matchPath, input).not.toMatch(/;|\/\/|\/\.\.?(\/|$)/);
      }
      expect(accepted).toBeGreaterThan(1000);
    });
  });
});
