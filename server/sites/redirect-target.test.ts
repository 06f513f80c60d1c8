import { describe, expect, it } from 'vitest';
import type { SiteConfig } from '../config/schema.js';
import { createRedirectPolicy, MAX_REDIRECT_LENGTH } from './redirect-target.js';

function site(name: string, url: string): SiteConfig {
  return { name, url: new URL(url), preserve_host: true, timeout: 30, case_insensitive_paths: true };
}

const SITES = [
  site('wiki', 'https://wiki.corp.example/'),
  site('tools', 'https://corp.example/tools/'),
  site('grafana', 'https://grafana.corp.example:8443/'),
  site('local', 'http://localhost:8080/app/'),
  site('ipv4', 'http://10.0.0.5:8080/'),
  site('ipv6', 'http://[::1]:9000/'),
];
const PORTAL = new URL('https://auth.corp.example/');
const CONFIGURED_ORIGINS = new Set([PORTAL.origin, ...SITES.map((s) => s.url.origin)]);
const { safeTarget } = createRedirectPolicy(SITES, PORTAL);

describe('safeTarget accepts configured sites and the portal, returning the serialized URL', () => {
  it.each([
    ['https://wiki.corp.example/', 'https://wiki.corp.example/'],
    ['https://wiki.corp.example', 'https://wiki.corp.example/'],
    ['https://wiki.corp.example/page?x=1&y=%20#frag', 'https://wiki.corp.example/page?x=1&y=%20#frag'],
    ['HTTPS://WIKI.CORP.EXAMPLE/Page', 'https://wiki.corp.example/Page'],
    ['https://wiki.corp.example:443/x', 'https://wiki.corp.example/x'],
    ['https://wiki.corp.example:0443/x', 'https://wiki.corp.example/x'],
    ['https://wiki.corp.example/a/./b/../c', 'https://wiki.corp.example/a/c'],
    ['https://wiki.corp.example/%2e%2e/x', 'https://wiki.corp.example/x'],
    ['https://wiki.corp.example/?next=https://evil.example', 'https://wiki.corp.example/?next=https://evil.example'],
    ['https://wiki.corp.example/#@evil.example', 'https://wiki.corp.example/#@evil.example'],
    ['https://wiki.corp.example/<script>', 'https://wiki.corp.example/%3Cscript%3E'],
    ['https://wiki.corp.example/"onload="x', 'https://wiki.corp.example/%22onload=%22x'],
    ['https://corp.example/tools', 'https://corp.example/tools'],
    ['https://corp.example/tools/a/b', 'https://corp.example/tools/a/b'],
    ['https://grafana.corp.example:8443/d/abc', 'https://grafana.corp.example:8443/d/abc'],
    ['http://localhost:8080/app/', 'http://localhost:8080/app/'],
    ['https://auth.corp.example/', 'https://auth.corp.example/'],
    ['https://auth.corp.example/login?rd=x', 'https://auth.corp.example/login?rd=x'],
    // WHATWG maps these to the real host: the browser would go there, and we return that, not the input.
    ['https://wiki\u3002corp\u3002example/', 'https://wiki.corp.example/'],
    ['https://wiki\uff0ecorp\uff0eexample/', 'https://wiki.corp.example/'],
    ['https://\uff37\uff29\uff2b\uff29.corp.example/', 'https://wiki.corp.example/'],
    ['https://wiki%2ecorp.example/', 'https://wiki.corp.example/'],
    ['https://@wiki.corp.example/', 'https://wiki.corp.example/'],
    ['http://0x0a.0.0.5:8080/', 'http://10.0.0.5:8080/'],
    ['http://167772165:8080/', 'http://10.0.0.5:8080/'],
    ['http://012.0.0.5:8080/', 'http://10.0.0.5:8080/'],
    ['http://[0:0:0:0:0:0:0:1]:9000/', 'http://[::1]:9000/'],
  ])('%j → %j', (raw, expected) => {
    expect(safeTarget(raw)).toBe(expected);
  });
});

/** Payloads written for this suite; each must be refused (→ undefined, caller goes to the portal home). */
const REFUSED: [string, unknown][] = [
  // not a string, empty, too long
  ['undefined', undefined],
  ['null', null],
  ['a number', 42],
  ['an array', ['https://wiki.corp.example/']],
  ['an object with toString', { toString: () => 'https://wiki.corp.example/' }],
  ['empty', ''],
  ['over the length limit', `https://wiki.corp.example/${'a'.repeat(MAX_REDIRECT_LENGTH)}`],
  ['over the limit once percent-encoded', `https://wiki.corp.example/${'é'.repeat(700)}`],
  // relative and scheme-relative
  ['root-relative', '/dashboard'],
  ['relative', 'dashboard'],
  ['dot-relative', './x'],
  ['query only', '?x=1'],
  ['scheme-relative', '//evil.example'],
  ['scheme-relative to the real site', '//wiki.corp.example/'],
  ['triple slash', '///evil.example'],
  ['quadruple slash', '////evil.example/'],
  ['slash backslash', '/\\evil.example'],
  ['backslash slash', '\\/evil.example'],
  ['double backslash', '\\\\evil.example'],
  ['slash backslash slash', '/\\/evil.example'],
  ['encoded double slash', '/%2f%2fevil.example'],
  ['encoded slash backslash', '/%2f%5cevil.example'],
  ['slash tab slash', '/%09/evil.example'],
  // schemes without an authority, or odd spellings
  ['https without slashes', 'https:evil.example'],
  ['https without slashes to the real site', 'https:wiki.corp.example/'],
  ['https with one slash', 'https:/evil.example'],
  ['https backslashes', 'https:\\\\evil.example'],
  ['https slash backslash', 'https:/\\evil.example'],
  ['https three slashes', 'https:///evil.example'],
  ['encoded scheme', 'https%3A%2F%2Fevil.example'],
  ['fully encoded URL', '%68%74%74%70%73%3a%2f%2f%65%76%69%6c%2e%65%78%61%6d%70%6c%65'],
  ['javascript', 'javascript:alert(1)'],
  ['JavaScript mixed case', 'JaVaScRiPt:alert(1)'],
  ['javascript with an authority', 'javascript://wiki.corp.example/%0aalert(1)'],
  ['javascript split by a tab', 'java\tscript:alert(1)'],
  ['data', 'data:text/html,<script>alert(1)</script>'],
  ['vbscript', 'vbscript:msgbox(1)'],
  ['file', 'file:///etc/passwd'],
  ['ftp to the real host', 'ftp://wiki.corp.example/'],
  ['ws to the real host', 'ws://wiki.corp.example/'],
  ['wss to the real host', 'wss://wiki.corp.example/'],
  ['blob', 'blob:https://wiki.corp.example/1234'],
  ['view-source', 'view-source:https://wiki.corp.example/'],
  ['made-up scheme', 'httpx://wiki.corp.example/'],
  // whitespace and control characters, raw
  ['tab in the host', 'https://wiki.corp.example\t.evil.example/'],
  ['tab in the scheme', 'ht\ttps://wiki.corp.example/'],
  ['newline in the scheme', 'ht\ntps://wiki.corp.example/'],
  ['leading newline', '\nhttps://wiki.corp.example/'],
  ['trailing newline', 'https://wiki.corp.example/\n'],
  ['CRLF header injection', 'https://wiki.corp.example/\r\nSet-Cookie: x=1'],
  ['leading space', ' https://wiki.corp.example/'],
  ['trailing space', 'https://wiki.corp.example/ '],
  ['space in the path', 'https://wiki.corp.example/a b'],
  ['NUL', 'https://wiki.corp.example/\u0000'],
  ['leading NUL', '\u0000https://wiki.corp.example/'],
  ['DEL', 'https://wiki.corp.example/\u007f'],
  ['C1 control', 'https://wiki.corp.example/\u0085'],
  ['no-break space', 'https://wiki.corp.example/\u00a0'],
  ['ideographic space', 'https://wiki.corp.example\u3000/'],
  ['zero-width space in the host', 'https://wiki.corp.example\u200b/'],
  ['soft hyphen in the host', 'https://wi\u00adki.corp.example/'],
  ['byte order mark', '\ufeffhttps://wiki.corp.example/'],
  ['right-to-left override', 'https://wiki.corp.example/\u202egpj.exe'],
  ['line separator', 'https://wiki.corp.example/\u2028'],
  // backslashes anywhere
  ['backslash before @', 'https://evil.example\\@wiki.corp.example/'],
  ['backslash after the host', 'https://wiki.corp.example\\@evil.example/'],
  ['backslash path', 'https://wiki.corp.example\\evil'],
  ['backslash in the query', 'https://wiki.corp.example/?a=\\'],
  // userinfo and @
  ['site as userinfo', 'https://wiki.corp.example@evil.example/'],
  ['site and port as userinfo', 'https://wiki.corp.example:443@evil.example/'],
  ['username on the site', 'https://user@wiki.corp.example/'],
  ['username and password on the site', 'https://user:pass@wiki.corp.example/'],
  ['password only', 'https://:pass@wiki.corp.example/'],
  ['evil as userinfo', 'https://evil.example@wiki.corp.example/'],
  ['encoded slash in userinfo', 'https://wiki.corp.example%2f@evil.example/'],
  ['encoded @', 'https://wiki.corp.example%40evil.example/'],
  ['two @', 'https://a@wiki.corp.example@evil.example/'],
  ['IPv6 site as userinfo', 'http://[::1]:9000@evil.example/'],
  // encoded characters in the host
  ['encoded dot to a suffix host', 'https://wiki.corp.example%2eevil.example/'],
  ['encoded tab in the host', 'https://wiki.corp.example%09.evil.example/'],
  ['encoded slash in the host', 'https://evil.example%2f.wiki.corp.example/'],
  ['encoded NUL in the host', 'https://wiki.corp.example%00.evil.example/'],
  ['double-encoded dot', 'https://wiki%252ecorp.example/'],
  // look-alike, suffix and prefix hosts
  ['suffix host', 'https://wiki.corp.example.evil.example/'],
  ['prefix host', 'https://evilwiki.corp.example/'],
  ['subdomain of the site', 'https://sub.wiki.corp.example/'],
  ['hyphen look-alike', 'https://wiki-corp.example/'],
  ['trailing dot', 'https://wiki.corp.example./'],
  ['two trailing dots', 'https://wiki.corp.example../'],
  ['leading dot', 'https://.wiki.corp.example/'],
  ['Cyrillic e', 'https://wiki.corp.exampl\u0435/'],
  ['Cyrillic i', 'https://w\u0456ki.corp.example/'],
  ['punycode look-alike', 'https://xn--wki-fmc.corp.example/'],
  ['ideographic full stop to a suffix host', 'https://wiki.corp.example\u3002evil.example/'],
  ['fullwidth solidus', 'https://wiki.corp.example\uff0fevil.example'],
  ['one dot leader', 'https://wiki.corp.example\u2024evil/'],
  ['fraction slash', 'https://evil.example\u2044wiki.corp.example/'],
  ['host in brackets', 'https://[wiki.corp.example]/'],
  ['parent domain of a site', 'https://corp.example/'],
  ['portal suffix host', 'https://auth.corp.example.evil.example/'],
  // ports
  ['wrong port', 'https://wiki.corp.example:8443/'],
  ['port 80 on https', 'https://wiki.corp.example:80/'],
  ['port 0', 'https://wiki.corp.example:0/'],
  ['port out of range', 'https://wiki.corp.example:65536/'],
  ['missing non-default port', 'https://grafana.corp.example/'],
  ['default port for a non-default site', 'https://grafana.corp.example:443/'],
  ['missing port for localhost', 'http://localhost/app/'],
  ['neighbouring port', 'http://localhost:8081/app/'],
  // scheme downgrade and upgrade
  ['http downgrade', 'http://wiki.corp.example/'],
  ['http downgrade to the portal', 'http://auth.corp.example/'],
  ['https on an http site', 'https://localhost:8080/app/'],
  // path prefixes
  ['beside the prefix', 'https://corp.example/toolsx'],
  ['shorter than the prefix', 'https://corp.example/tool'],
  ['prefix in another case', 'https://corp.example/TOOLS/'],
  ['dot segments out of the prefix', 'https://corp.example/tools/../admin'],
  ['encoded dot segments out of the prefix', 'https://corp.example/tools/%2e%2e/admin'],
  ['encoded slash after the prefix name', 'https://corp.example/tools%2f../admin'],
  ['encoded slash inside the prefix', 'https://corp.example/tools/..%2fadmin'],
  ['encoded backslash inside the prefix', 'https://corp.example/tools/..%5Cadmin'],
  ['beside a localhost prefix', 'http://localhost:8080/application'],
  // IPv4 and IPv6 forms of hosts that are not configured
  ['decimal loopback', 'http://2130706433/'],
  ['hex loopback', 'http://0x7f000001/'],
  ['octal loopback', 'http://017700000001/'],
  ['short loopback', 'http://127.1/'],
  ['configured IP on the wrong port', 'http://10.0.0.5/'],
  ['neighbouring IP', 'http://10.0.0.6:8080/'],
  ['IPv4-mapped IPv6 of a configured IP', 'http://[::ffff:10.0.0.5]:8080/'],
  ['IPv6 loopback on the wrong port', 'http://[::1]/'],
  ['IPv6 unspecified', 'http://[::]:9000/'],
  ['metadata address', 'http://169.254.169.254/latest/meta-data/'],
];

describe('safeTarget refuses', () => {
  it('has a long adversarial list', () => expect(REFUSED.length).toBeGreaterThanOrEqual(80));

  it.each(REFUSED)('%s', (_name, raw) => {
    expect(safeTarget(raw)).toBeUndefined();
  });
});

describe('safeTarget results', () => {
  it('are always their own serialization and on a configured origin', () => {
    const inputs = [...REFUSED.map(([, raw]) => raw), 'https://wiki.corp.example/a', 'http://0x0a.0.0.5:8080/x', 'https://wiki\u3002corp\u3002example/'];
    for (const raw of inputs) {
      const result = safeTarget(raw);
      if (result === undefined) continue;
      expect(new URL(result).href).toBe(result);
      expect(CONFIGURED_ORIGINS.has(new URL(result).origin)).toBe(true);
    }
  });

  it('allow nothing when no site is configured but the portal', () => {
    const portalOnly = createRedirectPolicy([], PORTAL);
    expect(portalOnly.safeTarget('https://wiki.corp.example/')).toBeUndefined();
    expect(portalOnly.safeTarget('https://auth.corp.example/x')).toBe('https://auth.corp.example/x');
  });

  it('respect a portal under a path prefix', () => {
    const prefixed = createRedirectPolicy([], new URL('https://corp.example/auth/'));
    expect(prefixed.safeTarget('https://corp.example/auth/login')).toBe('https://corp.example/auth/login');
    expect(prefixed.safeTarget('https://corp.example/auth')).toBe('https://corp.example/auth');
    expect(prefixed.safeTarget('https://corp.example/authx')).toBeUndefined();
    expect(prefixed.safeTarget('https://corp.example/')).toBeUndefined();
  });
});
