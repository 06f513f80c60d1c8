import { createServer, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { MAX_FORWARDED_TARGET_LENGTH, readForwardAuthHeaders, targetFromForwardedHeaders, targetFromOriginalUrl } from './forward-auth-target.js';

const traefik: IncomingHttpHeaders = {
  'x-forwarded-method': 'GET',
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'app.example.com',
  'x-forwarded-uri': '/path/to?x=1&y=2',
};

describe('targetFromForwardedHeaders (Traefik, Caddy)', () => {
  it('reads the four headers as given', () => {
    expect(targetFromForwardedHeaders(traefik)).toEqual({
      ok: true,
      method: 'GET',
      proto: 'https',
      host: 'app.example.com',
      requestTarget: '/path/to?x=1&y=2',
    });
  });

  it.each([
    [{ 'x-forwarded-method': 'patch' }, { method: 'PATCH' }],
    [{ 'x-forwarded-method': 'PROPFIND' }, { method: 'PROPFIND' }],
    [{ 'x-forwarded-proto': 'HTTP' }, { proto: 'http' }],
    [{ 'x-forwarded-proto': 'wss' }, { proto: 'https' }],
    [{ 'x-forwarded-proto': 'ws' }, { proto: 'http' }],
    [{ 'x-forwarded-host': 'App.Example.COM.' }, { host: 'App.Example.COM.' }],
    [{ 'x-forwarded-host': 'app.example.com:8443' }, { host: 'app.example.com:8443' }],
    [{ 'x-forwarded-host': '10.0.0.1:80' }, { host: '10.0.0.1:80' }],
    [{ 'x-forwarded-host': '[2001:db8::1]:443' }, { host: '[2001:db8::1]:443' }],
    [{ 'x-forwarded-host': 'intranet' }, { host: 'intranet' }],
    [{ 'x-forwarded-uri': '/' }, { requestTarget: '/' }],
    [{ 'x-forwarded-uri': '/a,b;c=d/%2e%2e/..//x?q=a,b' }, { requestTarget: '/a,b;c=d/%2e%2e/..//x?q=a,b' }],
    [{ 'x-forwarded-uri': '/a\\..\\b' }, { requestTarget: '/a\\..\\b' }],
  ])('%j → %j (left for the caller to normalize)', (override, expected) => {
    expect(targetFromForwardedHeaders({ ...traefik, ...override })).toMatchObject({ ok: true, ...expected });
  });

  it.each([
    ['x-forwarded-method', undefined, 'missing'],
    ['x-forwarded-method', '', 'missing'],
    ['x-forwarded-method', ['GET', 'POST'], 'duplicated'],
    ['x-forwarded-method', [], 'missing'],
    ['x-forwarded-method', 'GET, POST', 'duplicated'],
    ['x-forwarded-method', 'G ET', 'malformed'],
    ['x-forwarded-method', 'GET\r\nX: 1', 'malformed'],
    ['x-forwarded-method', 'GET\0', 'malformed'],
    ['x-forwarded-method', 'GÉT', 'malformed'],
    ['x-forwarded-method', 'GET/1.1', 'malformed'],
    ['x-forwarded-method', 'A'.repeat(100), 'malformed'],
    ['x-forwarded-proto', undefined, 'missing'],
    ['x-forwarded-proto', ['https', 'http'], 'duplicated'],
    ['x-forwarded-proto', 'https, http', 'duplicated'],
    ['x-forwarded-proto', 'ftp', 'unsupported-scheme'],
    ['x-forwarded-proto', 'javascript', 'unsupported-scheme'],
    ['x-forwarded-proto', 'constructor', 'unsupported-scheme'],
    ['x-forwarded-proto', '__proto__', 'malformed'],
    ['x-forwarded-proto', 'https:', 'malformed'],
    ['x-forwarded-proto', 'https://', 'malformed'],
    ['x-forwarded-host', undefined, 'missing'],
    ['x-forwarded-host', ' ', 'missing'],
    ['x-forwarded-host', ['a.example.com', 'b.example.com'], 'duplicated'],
    ['x-forwarded-host', 'a.example.com, b.example.com', 'duplicated'],
    ['x-forwarded-host', 'a.example.com,b.example.com', 'duplicated'],
    ['x-forwarded-host', 'user@app.example.com', 'userinfo'],
    ['x-forwarded-host', 'user:pw@app.example.com', 'userinfo'],
    ['x-forwarded-host', 'app.example.com/evil', 'malformed'],
    ['x-forwarded-host', 'app.example.com\\evil', 'malformed'],
    ['x-forwarded-host', 'app.example.com?x', 'malformed'],
    ['x-forwarded-host', 'app.example.com#x', 'malformed'],
    ['x-forwarded-host', 'app example.com', 'malformed'],
    ['x-forwarded-host', 'app.example.com\r\nX-Evil: 1', 'malformed'],
    ['x-forwarded-host', 'app.example.com:99999', 'malformed'],
    ['x-forwarded-host', 'app.example.com:0', 'malformed'],
    ['x-forwarded-host', 'app.example.com:', 'malformed'],
    ['x-forwarded-host', 'app.example.com:80:80', 'malformed'],
    ['x-forwarded-host', 'app.example.com:http', 'malformed'],
    ['x-forwarded-host', '[2001:db8::1', 'malformed'],
    ['x-forwarded-host', '[not-ip]', 'malformed'],
    ['x-forwarded-host', '2001:db8::1', 'malformed'],
    ['x-forwarded-host', '.example.com', 'malformed'],
    ['x-forwarded-host', 'app..example.com', 'malformed'],
    ['x-forwarded-host', 'аpp.example.com', 'malformed'],
    ['x-forwarded-host', 'app%2eexample.com', 'malformed'],
    ['x-forwarded-host', 'https://app.example.com', 'malformed'],
    ['x-forwarded-uri', undefined, 'missing'],
    ['x-forwarded-uri', ['/a', '/b'], 'duplicated'],
    ['x-forwarded-uri', '/a, /b', 'malformed'],
    ['x-forwarded-uri', 'a/b', 'malformed'],
    ['x-forwarded-uri', '*', 'malformed'],
    ['x-forwarded-uri', 'https://evil.example/x', 'malformed'],
    ['x-forwarded-uri', '/a b', 'malformed'],
    ['x-forwarded-uri', '/a\tb', 'malformed'],
    ['x-forwarded-uri', '/a#frag', 'malformed'],
    ['x-forwarded-uri', '/a\r\nX-Evil: 1', 'malformed'],
    ['x-forwarded-uri', '/a\0', 'malformed'],
    ['x-forwarded-uri', '/a\x7f', 'malformed'],
    ['x-forwarded-uri', '/caf\u00e9', 'malformed'],
  ])('%s = %j → %s', (header, value, reason) => {
    const headers = { ...traefik, [header]: value } as IncomingHttpHeaders;
    expect(targetFromForwardedHeaders(headers)).toEqual({ ok: false, reason, header });
  });
});

describe('targetFromOriginalUrl (nginx auth_request)', () => {
  it.each([
    [{ 'x-original-url': 'https://app.example.com/path?q=1' }, { method: 'GET', proto: 'https', host: 'app.example.com', requestTarget: '/path?q=1' }],
    [
      { 'x-original-url': 'http://app.localhost:8080/', 'x-original-method': 'POST' },
      { method: 'POST', proto: 'http', host: 'app.localhost:8080', requestTarget: '/' },
    ],
    [{ 'x-original-url': 'HTTPS://App.Example.com' }, { proto: 'https', host: 'App.Example.com', requestTarget: '/' }],
    [{ 'x-original-url': 'https://[::1]:8443/x' }, { host: '[::1]:8443', requestTarget: '/x' }],
    [{ 'x-original-url': 'https://app.example.com/a/../b//c;x=1/%2F?r=/d#'.slice(0, -1) }, { requestTarget: '/a/../b//c;x=1/%2F?r=/d' }],
    [{ 'x-original-url': 'https://app.example.com/x', 'x-original-method': 'delete' }, { method: 'DELETE' }],
  ])('%j → %j', (headers, expected) => {
    expect(targetFromOriginalUrl(headers)).toMatchObject({ ok: true, ...expected });
  });

  it.each([
    [{}, 'missing', 'x-original-url'],
    [{ 'x-original-url': '' }, 'missing', 'x-original-url'],
    [{ 'x-original-url': ['https://a.example.com/', 'https://b.example.com/'] }, 'duplicated', 'x-original-url'],
    [{ 'x-original-url': 'https://a.example.com/, https://b.example.com/' }, 'malformed', 'x-original-url'],
    [{ 'x-original-url': '/relative/path' }, 'malformed', 'x-original-url'],
    [{ 'x-original-url': '//app.example.com/x' }, 'malformed', 'x-original-url'],
    [{ 'x-original-url': 'https:/app.example.com/x' }, 'malformed', 'x-original-url'],
    [{ 'x-original-url': 'https:\\\\app.example.com/x' }, 'malformed', 'x-original-url'],
    [{ 'x-original-url': 'https://app.example.com\\@evil.example/x' }, 'userinfo', 'x-original-url'],
    [{ 'x-original-url': 'https://app.example.com\\.evil.example/x' }, 'malformed', 'x-original-url'],
    [{ 'x-original-url': 'https://user:pass@app.example.com/x' }, 'userinfo', 'x-original-url'],
    [{ 'x-original-url': 'https://evil.example@app.example.com/x' }, 'userinfo', 'x-original-url'],
    [{ 'x-original-url': 'https://@app.example.com/x' }, 'userinfo', 'x-original-url'],
    [{ 'x-original-url': 'javascript://app.example.com/%0aalert(1)' }, 'unsupported-scheme', 'x-original-url'],
    [{ 'x-original-url': 'ftp://app.example.com/x' }, 'unsupported-scheme', 'x-original-url'],
    [{ 'x-original-url': 'wss://app.example.com/x' }, 'unsupported-scheme', 'x-original-url'],
    [{ 'x-original-url': 'file:///etc/passwd' }, 'unsupported-scheme', 'x-original-url'],
    [{ 'x-original-url': 'https:///x' }, 'malformed', 'x-original-url'],
    [{ 'x-original-url': 'https://app.example.com?x=1' }, 'malformed', 'x-original-url'],
    [{ 'x-original-url': 'https://app.example.com/x#frag' }, 'malformed', 'x-original-url'],
    [{ 'x-original-url': 'https://app.example.com/a b' }, 'malformed', 'x-original-url'],
    [{ 'x-original-url': 'https://app.example.com/a\r\nX-Evil: 1' }, 'malformed', 'x-original-url'],
    [{ 'x-original-url': 'https://app.example.com/\u00e9' }, 'malformed', 'x-original-url'],
    [{ 'x-original-url': 'https://app.example.com:99999/' }, 'malformed', 'x-original-url'],
    [{ 'x-original-url': 'https://app example.com/' }, 'malformed', 'x-original-url'],
    [{ 'x-original-url': 'https://app.example.com%2f.evil.example/' }, 'malformed', 'x-original-url'],
    [{ 'x-original-url': 'https://app.example.com/', 'x-original-method': ['GET', 'POST'] }, 'duplicated', 'x-original-method'],
    [{ 'x-original-url': 'https://app.example.com/', 'x-original-method': 'GET, POST' }, 'duplicated', 'x-original-method'],
    [{ 'x-original-url': 'https://app.example.com/', 'x-original-method': '' }, 'missing', 'x-original-method'],
    [{ 'x-original-url': 'https://app.example.com/', 'x-original-method': 'GE T' }, 'malformed', 'x-original-method'],
  ])('%j → %s', (headers, reason, header) => {
    expect(targetFromOriginalUrl(headers as IncomingHttpHeaders)).toEqual({ ok: false, reason, header });
  });
});

describe('limits and repeated headers', () => {
  const origin = 'https://app.example.com';
  const path = (length: number) => '/' + 'a'.repeat(length - 1);

  it('reads a target of exactly MAX_FORWARDED_TARGET_LENGTH', () => {
    expect(targetFromOriginalUrl({ 'x-original-url': origin + path(MAX_FORWARDED_TARGET_LENGTH - origin.length) })).toMatchObject({ ok: true });
    expect(targetFromForwardedHeaders({ ...traefik, 'x-forwarded-uri': path(MAX_FORWARDED_TARGET_LENGTH) })).toMatchObject({ ok: true });
  });

  it.each([1, 100, 8 * 1024, 64 * 1024])('refuses a target %i characters too long', (over) => {
    expect(targetFromOriginalUrl({ 'x-original-url': origin + path(MAX_FORWARDED_TARGET_LENGTH - origin.length + over) })).toEqual({
      ok: false,
      reason: 'too-long',
      header: 'x-original-url',
    });
    expect(targetFromForwardedHeaders({ ...traefik, 'x-forwarded-uri': path(MAX_FORWARDED_TARGET_LENGTH + over) })).toEqual({
      ok: false,
      reason: 'too-long',
      header: 'x-forwarded-uri',
    });
    expect(targetFromForwardedHeaders({ ...traefik, 'x-forwarded-uri': `/?${'q'.repeat(MAX_FORWARDED_TARGET_LENGTH + over)}` })).toMatchObject({ ok: false, reason: 'too-long' });
  });

  // What IncomingMessage.headersDistinct gives: one array entry per copy of the header.
  it('reads a header given once, as headersDistinct gives it', () => {
    const distinct = Object.fromEntries(Object.entries(traefik).map(([name, value]) => [name, [value as string]]));
    expect(targetFromForwardedHeaders(distinct)).toMatchObject({ ok: true, host: 'app.example.com', requestTarget: '/path/to?x=1&y=2' });
    expect(targetFromOriginalUrl({ 'x-original-url': [`${origin}/x,`], 'x-original-method': ['POST'] })).toMatchObject({ ok: true, method: 'POST', requestTarget: '/x,' });
  });

  it.each([
    ['x-original-url', [`${origin}/x`, '']],
    ['x-original-url', ['', `${origin}/x`]],
    ['x-original-url', [`${origin}/x`, `${origin}/x`]],
    ['x-original-method', ['GET', '']],
  ])('refuses %s given twice %j, even empty or the same', (header, values) => {
    expect(targetFromOriginalUrl({ 'x-original-url': [`${origin}/x`], [header]: values })).toEqual({ ok: false, reason: 'duplicated', header });
  });

  it.each(['x-forwarded-method', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-uri'])('refuses %s given twice, even once empty', (header) => {
    const value = traefik[header] as string;
    expect(targetFromForwardedHeaders({ ...traefik, [header]: [value, ''] })).toEqual({ ok: false, reason: 'duplicated', header });
    expect(targetFromForwardedHeaders({ ...traefik, [header]: [value, value] })).toEqual({ ok: false, reason: 'duplicated', header });
  });
});

describe('readForwardAuthHeaders', () => {
  /**
   * Raw header blocks as proxies and attackers send them: every spelling, repeats (same and
   * different values, empty copies), lookalike names, values with commas and spaces, and
   * unrelated headers around them. Node parses each; what we read must be headersDistinct.
   */
  const blocks: string[][] = [
    ['X-Forwarded-Method: GET', 'X-Forwarded-Proto: https', 'X-Forwarded-Host: app.example.com', 'X-Forwarded-Uri: /a?b=c'],
    ['x-forwarded-method: GET', 'X-FORWARDED-METHOD: POST', 'x-forwarded-uri: /a', 'X-Forwarded-Uri:'],
    ['X-Forwarded-Uri: /a', 'X-Forwarded-Uri: /a', 'X-Forwarded-Host: a.example.com, b.example.com'],
    ['X-Forwarded-Proto:', 'X-Forwarded-Proto: http', 'X-Forwarded-Method:   PUT   ', 'X-Forwarded-Hosts: evil.example.com'],
    ['X-Original-URL: https://app.example.com/x', 'X-Original-Method: DELETE', 'x-original-url: http://other.example.com/'],
    ['X-Original-Url:', 'X-Original-Method: get', 'X-Original-Method: POST', 'X-Forwarded-Uri: /not-this-flavour'],
    ['X-Forwarded-For: 10.0.0.1', 'Cookie: a=b', 'X-Forwarded-Uri: /%2e%2e/admin', 'X-Forwarded-Method: GET'],
    ['X-Forwarded-Prefix: /p', 'X-Forwarded-Uri-Extra: /x', 'X-Original-URL-Extra: /y', 'X-Forwarded_Uri: /underscore'],
    [],
  ];

  async function headersAsNodeReadsThem(lines: readonly string[]): Promise<{ raw: string[]; distinct: Record<string, string[]> }> {
    const server = createServer((req, res) => {
      server.emit('seen', { raw: [...req.rawHeaders], distinct: { ...req.headersDistinct } });
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const seen = new Promise<{ raw: string[]; distinct: Record<string, string[]> }>((resolve) => server.once('seen', resolve));
      const { port } = server.address() as { port: number };
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      socket.write(`GET /api/authz/forward-auth HTTP/1.1\r\nHost: auth.example.com\r\n${lines.map((l) => `${l}\r\n`).join('')}Connection: close\r\n\r\n`);
      const result = await seen;
      socket.destroy();
      return result;
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it.each(blocks.map((lines) => [lines.join(' | ') || '(none)', lines]))('%s: the same as headersDistinct for the headers read', async (_name, lines) => {
    const { raw, distinct } = await headersAsNodeReadsThem(lines as string[]);
    for (const flavour of ['forward_auth', 'auth_request'] as const) {
      const names = flavour === 'forward_auth' ? ['x-forwarded-method', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-uri'] : ['x-original-url', 'x-original-method'];
      const expected = Object.fromEntries(names.filter((name) => distinct[name] !== undefined).map((name) => [name, distinct[name]]));
      const read = readForwardAuthHeaders(raw, flavour);
      expect(read).toEqual(expected);
      // And so the same decision on the target.
      const decide = flavour === 'forward_auth' ? targetFromForwardedHeaders : targetFromOriginalUrl;
      expect(decide(read)).toEqual(decide(distinct));
    }
  });
});
