import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { SessionUser } from '../session/session.js';
import {
  buildIdentityHeaders,
  canonicalHeaderName,
  createIdentityHeaderBuilder,
  headerValue,
  isIdentityHeader,
  upstreamRequestHeaders,
  withoutCookie,
  type UpstreamHeaderOptions,
} from './identity-headers.js';
import { UNTRUSTED_REQUEST_HEADERS } from './untrusted-request-headers.js';

const alice: SessionUser = { username: 'alice', displayName: 'Alice Liddell', email: 'alice@example.com', groups: ['admins', 'dev'] };

const base: UpstreamHeaderOptions = {
  cookieName: 'gatehouse_session',
  host: 'app.example.com',
  peer: '203.0.113.7',
  clientIp: '203.0.113.7',
  viaTrustedProxy: false,
  proto: 'https',
  forwardedHost: 'app.example.com',
  forwardedPort: '443',
  requestId: 'req-1',
};

/** Every header name an application could read as an identity header. */
function identityLike(headers: Record<string, unknown>): string[] {
  return Object.keys(headers).filter((name) => /^remote[-_](user|groups|name|email)$/i.test(name));
}

describe('isIdentityHeader', () => {
  it.each([
    'Remote-User',
    'remote-user',
    'REMOTE-USER',
    'Remote-user',
    'REMOTE_USER',
    'remote_user',
    'Remote_User',
    'rEmOtE_uSeR',
    'Remote-Groups',
    'remote_groups',
    'REMOTE-GROUPS',
    'Remote-Name',
    'remote_name',
    'Remote-Email',
    'REMOTE_EMAIL',
  ])('%s is an identity header', (name) => expect(isIdentityHeader(name)).toBe(true));

  it.each(['Remote-Users', 'X-Remote-User', 'Remote-User-Agent', 'Remote', 'RemoteUser', 'Remote.User', 'Remote User', 'remote--user', ''])('%j is not', (name) =>
    expect(isIdentityHeader(name)).toBe(false),
  );
});

describe('buildIdentityHeaders', () => {
  it('names the user, their groups (comma-separated), display name and email', () => {
    expect(buildIdentityHeaders(alice)).toEqual({
      'remote-user': 'alice',
      'remote-groups': 'admins,dev',
      'remote-name': 'Alice Liddell',
      'remote-email': 'alice@example.com',
    });
  });

  it('sends an empty group list as an empty value', () => {
    expect(buildIdentityHeaders({ ...alice, groups: [] })['remote-groups']).toBe('');
  });

  it('leaves out groups that would read as more than one, or as none', () => {
    expect(buildIdentityHeaders({ ...alice, groups: ['dev', 'users,admins', ' ', '\r\n', 'ops'] })['remote-groups']).toBe('dev,ops');
  });

  it.each([
    ['alice\r\nRemote-Groups: admins', 'aliceRemote-Groups: admins'],
    ['alice\nX-Injected: 1', 'aliceX-Injected: 1'],
    ['ali\0ce', 'alice'],
    ['ali\x7fce', 'alice'],
    ['ali\x1bce', 'alice'],
    ['ali\tce', 'alice'],
    ['ali\u0085ce', 'alice'],
    ['  alice  ', 'alice'],
  ])('strips control characters from %j', (name, expected) => {
    const headers = buildIdentityHeaders({ ...alice, username: name, displayName: name });
    expect(headers['remote-user']).toBe(expected);
    expect(headers['remote-name']).toBe(expected);
  });

  it.each([
    ['张伟', 'e5bca0e4bc9f'],
    ['Zoë', '5a6fc3ab'],
    ['Ünal 😀', 'c39c6e616c20f09f9880'],
  ])('sends %s as its UTF-8 bytes, one byte per latin1 char', (name, hex) => {
    const value = buildIdentityHeaders({ ...alice, displayName: name })['remote-name']!;
    expect(Buffer.from(value, 'latin1').toString('hex')).toBe(hex);
    expect(Buffer.from(value, 'latin1').toString('utf8')).toBe(name);
    expect(value).toMatch(/^[\x20-\x7e\x80-\xff]*$/);
  });

  it.each([
    ['alice', 'alice'],
    ['Alice Liu', 'Alice Liu'],
    ['a', 'a'],
    ['', ''],
    [' alice', 'alice'],
    ['alice ', 'alice'],
    [' ', ''],
    ['al ice', 'al ice'],
    ['alice\x7f', 'alice'],
    ['alice\x1f', 'alice'],
    ['alice\u00a0', 'alice'],
    ['\ufeffalice', 'alice'],
    ['~!#$%&*+', '~!#$%&*+'],
  ])('%j, plain or not, comes out as %j', (text, expected) => {
    expect(headerValue(text)).toBe(expected);
  });

  it('produces only values Node accepts as header values', () => {
    const nasty = ['\u2028x', 'a\u0000b\r\nc', '𝔘𝔫𝔦', '\ud800', 'é\u0301'];
    for (const text of nasty) expect(headerValue(text)).toMatch(/^[\x20-\x7e\x80-\xff]*$/);
  });
});

describe('upstreamRequestHeaders: identity headers cannot be spoofed', () => {
  const spoofs: IncomingHttpHeaders[] = [
    { 'remote-user': 'admin' },
    { 'Remote-User': 'admin' },
    { 'REMOTE-USER': 'admin' },
    { 'Remote-user': 'admin' },
    { remote_user: 'admin' },
    { REMOTE_USER: 'admin' },
    { Remote_User: 'admin' },
    { 'remote-user': ['admin', 'root'] },
    { remote_user: ['admin'] },
    { 'remote-user': 'admin, root' },
    { 'remote-groups': 'admins' },
    { REMOTE_GROUPS: ['admins', 'root'] },
    { 'remote-name': 'Admin' },
    { remote_email: 'admin@example.com' },
    { 'Remote-Email': ['a@example.com', 'b@example.com'] },
    { 'remote-user': 'admin', remote_user: 'admin', 'REMOTE-USER': 'admin', Remote_user: 'admin' },
  ];

  it.each(spoofs)('drops %j from an anonymous request', (spoof) => {
    const out = upstreamRequestHeaders({ host: 'x', ...spoof }, base);
    expect(identityLike(out)).toEqual([]);
  });

  it.each(spoofs)('drops %j and sends the real identity instead', (spoof) => {
    const out = upstreamRequestHeaders({ host: 'x', ...spoof }, { ...base, identity: buildIdentityHeaders(alice) });
    expect(identityLike(out).sort()).toEqual(['remote-email', 'remote-groups', 'remote-name', 'remote-user']);
    expect(out['remote-user']).toBe('alice');
    expect(out['remote-groups']).toBe('admins,dev');
  });

  it.each(spoofs)('drops %j from a trusted proxy too', (spoof) => {
    const out = upstreamRequestHeaders(spoof, { ...base, peer: '10.0.0.5', viaTrustedProxy: true });
    expect(identityLike(out)).toEqual([]);
  });
});

describe('upstreamRequestHeaders: hop-by-hop headers', () => {
  it.each([
    ['connection', 'keep-alive'],
    ['keep-alive', 'timeout=5'],
    ['proxy-connection', 'keep-alive'],
    ['te', 'trailers'],
    ['trailer', 'x-checksum'],
    ['transfer-encoding', 'chunked'],
    ['upgrade', 'websocket'],
    ['proxy-authorization', 'Basic YTpi'],
    ['expect', '100-continue'],
  ])('drops %s', (name, value) => {
    expect(upstreamRequestHeaders({ [name]: value, accept: '*/*' }, base)).not.toHaveProperty(name);
  });

  it('drops headers named in Connection, but never Content-Length', () => {
    const out = upstreamRequestHeaders({ connection: 'close, X-Secret, x-other ,', 'x-secret': '1', 'x-other': '2', 'content-length': '5', 'x-kept': '3' }, base);
    expect(out).not.toHaveProperty('x-secret');
    expect(out).not.toHaveProperty('x-other');
    expect(out['content-length']).toBe('5');
    expect(out['x-kept']).toBe('3');
  });

  it('keeps end-to-end headers as sent', () => {
    const out = upstreamRequestHeaders({ accept: 'text/html', authorization: 'Bearer abc', 'content-type': 'application/json', 'x-custom': ['a', 'b'] }, base);
    expect(out).toMatchObject({ accept: 'text/html', authorization: 'Bearer abc', 'content-type': 'application/json', 'x-custom': ['a', 'b'] });
  });
});

describe('upstreamRequestHeaders: our session cookie', () => {
  it.each([
    ['gatehouse_session=secret', undefined],
    ['a=1; gatehouse_session=secret; b=2', 'a=1; b=2'],
    ['gatehouse_session=secret; a=1', 'a=1'],
    ['a=1;gatehouse_session=secret;b="quoted; not"', 'a=1; b="quoted; not"'],
    ['a=1; gatehouse_session=one; gatehouse_session=two', 'a=1'],
    ['a=1;  gatehouse_session =secret ; b=x=y==', 'a=1; b=x=y=='],
    ['gatehouse_session_other=keep; other_gatehouse_session=keep; Gatehouse_Session=keep', 'gatehouse_session_other=keep; other_gatehouse_session=keep; Gatehouse_Session=keep'],
    ['a=%20sp%3Bace; b=', 'a=%20sp%3Bace; b='],
  ])('%j → %j', (cookie, expected) => {
    const out = upstreamRequestHeaders({ cookie }, base);
    expect(out.cookie).toBe(expected);
  });

  it('keeps other cookies byte for byte when ours is absent', () => {
    expect(upstreamRequestHeaders({ cookie: 'a=1;b=2; c="x y"' }, base).cookie).toBe('a=1;b=2; c="x y"');
  });

  it('removes it from every Cookie header and sends the rest as one', () => {
    // Node joins repeated Cookie headers into one string; other callers may pass a list.
    const headers = { cookie: ['a=1; gatehouse_session=s1', 'gatehouse_session=s2', 'b=2'] } as unknown as IncomingHttpHeaders;
    const out = upstreamRequestHeaders(headers, base);
    expect(out.cookie).toBe('a=1; b=2');
  });

  it('merges Cookie headers given under different spellings', () => {
    const out = upstreamRequestHeaders({ Cookie: 'gatehouse_session=s1; a=1', cookie: 'b=2; gatehouse_session=s2' } as IncomingHttpHeaders, base);
    expect(out.cookie).toBe('a=1; b=2');
  });

  it('withoutCookie leaves nothing when only ours was there', () => {
    expect(withoutCookie(['gatehouse_session=x', ' ; gatehouse_session=y;'], 'gatehouse_session')).toBeUndefined();
    expect(withoutCookie([], 'gatehouse_session')).toBeUndefined();
  });
});

describe('upstreamRequestHeaders: forwarding headers', () => {
  const forged: IncomingHttpHeaders = {
    'x-forwarded-for': '6.6.6.6',
    'x-forwarded-proto': 'http',
    'x-forwarded-host': 'evil.example',
    'x-forwarded-port': '1',
    'x-forwarded-prefix': '/admin',
    'x-forwarded-user': 'admin',
    'x-forwarded-ssl': 'on',
    x_forwarded_for: '6.6.6.6',
    'X_Forwarded-Host': 'evil.example',
    'x-real-ip': '6.6.6.6',
    x_real_ip: '6.6.6.6',
    'x-request-id': 'forged',
    forwarded: 'for=6.6.6.6;proto=http',
  };

  it('replaces everything an untrusted peer sent with ours', () => {
    const out = upstreamRequestHeaders({ ...forged, host: 'evil.example' }, base);
    const forwarding = Object.fromEntries(Object.entries(out).filter(([name]) => /forward|real|request-id|^host$/i.test(name)));
    expect(forwarding).toEqual({
      host: 'app.example.com',
      'x-forwarded-for': '203.0.113.7',
      'x-real-ip': '203.0.113.7',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'app.example.com',
      'x-forwarded-port': '443',
      'x-request-id': 'req-1',
    });
  });

  it('from a trusted proxy: the resolved client and the proxy, and its other X-Forwarded-* in their usual spelling', () => {
    const out = upstreamRequestHeaders(forged, { ...base, peer: '10.0.0.5', clientIp: '1.2.3.4', viaTrustedProxy: true });
    expect(out['x-forwarded-for']).toBe('1.2.3.4, 10.0.0.5');
    expect(out['x-real-ip']).toBe('1.2.3.4');
    expect(out['x-forwarded-ssl']).toBe('on');
    // Identity and URL-rewrite names are never passed, not even from a trusted proxy.
    expect(out).not.toHaveProperty('x-forwarded-prefix');
    expect(out).not.toHaveProperty('x-forwarded-user');
    expect(out['x-forwarded-host']).toBe('app.example.com');
    expect(out['x-request-id']).toBe('req-1');
    expect(out).not.toHaveProperty('x_forwarded_for');
    expect(out).not.toHaveProperty('x_forwarded-host');
    expect(out).not.toHaveProperty('x_real_ip');
    expect(out).not.toHaveProperty('forwarded');
  });

  it('a trusted proxy that forwarded no client gives just the peer', () => {
    const out = upstreamRequestHeaders({}, { ...base, peer: '10.0.0.5', clientIp: '10.0.0.5', viaTrustedProxy: true });
    expect(out['x-forwarded-for']).toBe('10.0.0.5');
  });

  it('never lets a client-side clientIp through an untrusted peer', () => {
    const out = upstreamRequestHeaders({}, { ...base, clientIp: '1.2.3.4', viaTrustedProxy: false });
    expect(out['x-forwarded-for']).toBe('203.0.113.7');
  });
});

describe('createIdentityHeaderBuilder: the hot path gives what buildIdentityHeaders gives', () => {
  const names = ['alice', '張偉', 'Zoë', ' padded ', 'a\r\nInjected: 1', 'Ünal 😀', '\ud800', 'é\u0301', '', 'dev,ops', '\u2028x'];

  it.each(names)('%j, the first time and every time after', (name) => {
    const build = createIdentityHeaderBuilder();
    const user = { ...alice, username: name, displayName: name, email: name, groups: [name, 'dev'] };
    for (let i = 0; i < 3; i++) expect(build(user)).toEqual(buildIdentityHeaders(user));
  });

  it('stays right past the number of values it remembers', () => {
    const build = createIdentityHeaderBuilder({ maxRemembered: 4 });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 20; i++) {
        const user = { ...alice, displayName: `名字 ${i}`, groups: [`組 ${i % 7}`] };
        expect(build(user)).toEqual(buildIdentityHeaders(user));
      }
    }
  });
});

describe("upstreamRequestHeaders: other gateways' identity headers and URL-rewrite headers", () => {
  /** Each name as a client could spell it: as listed, upper case, Title-Case, with `_`, mixed. */
  function spellings(name: string): string[] {
    const title = name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
    return [name, name.toUpperCase(), title, name.replaceAll('-', '_'), title.replaceAll('-', '_'), name.replace('-', '_')];
  }
  const names = [...UNTRUSTED_REQUEST_HEADERS];
  const peers: [string, Partial<UpstreamHeaderOptions>][] = [
    ['an untrusted peer', {}],
    ['a trusted proxy', { peer: '10.0.0.5', clientIp: '1.2.3.4', viaTrustedProxy: true }],
    ['a signed-in user behind a trusted proxy', { peer: '10.0.0.5', clientIp: '1.2.3.4', viaTrustedProxy: true, identity: buildIdentityHeaders(alice) }],
  ];
  const listed = new Set<string>(names);

  it.each(peers)('never passes any of them, in any spelling or repeated, from %s', (_peer, options) => {
    const incoming: IncomingHttpHeaders = { host: 'x', accept: 'text/html' };
    for (const name of names) for (const spelling of spellings(name)) incoming[spelling] = [`${spelling}-1`, `${spelling}-2`];
    const out = upstreamRequestHeaders(incoming, { ...base, ...options });
    expect(Object.keys(out).filter((name) => listed.has(canonicalHeaderName(name)))).toEqual([]);
    expect(out.accept).toBe('text/html');
  });

  it.each(names)('drops %s alone from a trusted proxy, as a single value', (name) => {
    const out = upstreamRequestHeaders({ [name]: '/admin' }, { ...base, peer: '10.0.0.5', viaTrustedProxy: true });
    expect(Object.keys(out).map(canonicalHeaderName)).not.toContain(name);
  });

  it('keeps names that only look like them (exact names, no prefixes)', () => {
    const near = { 'x-forwarded-users': 'a', 'x-remote-username': 'b', 'x-original-urls': 'c', 'x-rewrite': 'd', 'cf-access-client-id': 'e' };
    const out = upstreamRequestHeaders(near, { ...base, peer: '10.0.0.5', viaTrustedProxy: true });
    for (const name of Object.keys(near)) expect(out).toHaveProperty(name);
  });

  it('drops the configured names in every spelling, and keeps the rest', () => {
    const stripped = new Set(['x-internal-role', 'authorization'].map(canonicalHeaderName));
    const out = upstreamRequestHeaders(
      { 'x-internal-role': 'admin', X_Internal_Role: 'admin', 'X-INTERNAL-ROLE': ['a', 'b'], authorization: 'Basic YWRtaW46', 'x-internal-other': 'kept' },
      { ...base, stripped },
    );
    expect(
      Object.keys(out)
        .map(canonicalHeaderName)
        .filter((name) => stripped.has(name)),
    ).toEqual([]);
    expect(out['x-internal-other']).toBe('kept');
  });
});

describe('canonicalHeaderName', () => {
  it.each([
    ['Remote-User', 'remote-user'],
    ['REMOTE_USER', 'remote-user'],
    ['X_Forwarded_User', 'x-forwarded-user'],
    ['x-original-url', 'x-original-url'],
  ])('%s → %s', (name, canonical) => {
    expect(canonicalHeaderName(name)).toBe(canonical);
  });
});
