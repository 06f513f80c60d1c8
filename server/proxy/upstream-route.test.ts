import { describe, expect, it } from 'vitest';
import type { SiteConfig } from '../config/schema.js';
import { downstreamResponseHeaders } from './response-headers.js';
import { createUpstreamRoute } from './upstream-route.js';

function site(url: string, upstream: string, timeout = 30): SiteConfig {
  return { name: 'app', url: new URL(url), upstream: new URL(upstream), preserve_host: true, timeout, case_insensitive_paths: true };
}

describe('createUpstreamRoute: path mapping', () => {
  it.each([
    ['https://app.example.com/', 'http://10.0.0.1:8080/', '/', '', '/'],
    ['https://app.example.com/', 'http://10.0.0.1:8080/', '/a/b', 'x=1', '/a/b?x=1'],
    ['https://app.example.com/', 'http://10.0.0.1:8080', '/a/%2e%2e/b;p', '', '/a/%2e%2e/b;p'],
    ['https://app.example.com/', 'http://10.0.0.1:8080/base/', '/a', '', '/base/a'],
    ['https://app.example.com/', 'http://10.0.0.1:8080/base', '/a', '?x=1', '/base/a?x=1'],
    ['https://app.example.com/', 'http://10.0.0.1:8080/base/', '/', '', '/base/'],
    ['https://example.com/app/', 'http://10.0.0.1:8080/', '/app/', '', '/'],
    ['https://example.com/app/', 'http://10.0.0.1:8080/', '/app/x/y', 'q', '/x/y?q'],
    ['https://example.com/app/', 'http://10.0.0.1:8080/', '/app', '', '/'],
    ['https://example.com/app/', 'http://10.0.0.1:8080/v2/', '/app/x', '', '/v2/x'],
    ['https://example.com/app/', 'http://10.0.0.1:8080/v2', '/app/x/', '', '/v2/x/'],
    ['https://example.com/a/b/', 'http://10.0.0.1:8080/c/', '/a/b/a/b/', '', '/c/a/b/'],
  ])('%s → %s: %s?%s → %s', (url, upstream, path, query, expected) => {
    expect(createUpstreamRoute(site(url, upstream)).mapPath(path, query)).toBe(expected);
  });

  it.each(['/', '/ap', '/application', '/other/app/', '/APP/x'])('refuses %j, which lies outside the /app/ prefix', (path) => {
    expect(() => createUpstreamRoute(site('https://example.com/app/', 'http://10.0.0.1/')).mapPath(path, '')).toThrow(/outside/);
  });

  it('refuses a site without an upstream', () => {
    expect(() => createUpstreamRoute({ ...site('https://a.example.com/', 'http://b/'), upstream: undefined })).toThrow(/no upstream/);
  });
});

describe('createUpstreamRoute: hosts, ports and timeouts', () => {
  it.each([
    [
      'https://app.example.com/',
      'http://10.0.0.1:8080/',
      { origin: 'http://10.0.0.1:8080', upstreamHost: '10.0.0.1:8080', publicHost: 'app.example.com', publicPort: '443', servername: undefined },
    ],
    [
      'http://app.localhost:9091/',
      'https://backend.internal/',
      { origin: 'https://backend.internal', upstreamHost: 'backend.internal', publicHost: 'app.localhost:9091', publicPort: '9091', servername: 'backend.internal' },
    ],
    ['http://localhost/', 'https://[::1]:8443/', { upstreamHost: '[::1]:8443', publicPort: '80', servername: undefined }],
  ])('%s → %s', (url, upstream, expected) => {
    expect(createUpstreamRoute(site(url, upstream))).toMatchObject(expected);
  });

  it('turns the site timeout into milliseconds', () => {
    expect(createUpstreamRoute(site('https://a.example.com/', 'http://b/', 0.3)).headersTimeoutMs).toBe(300);
  });
});

describe('downstreamResponseHeaders', () => {
  it('drops hop-by-hop headers and those named in Connection', () => {
    const out = downstreamResponseHeaders(
      {
        connection: 'keep-alive, x-hop',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        'proxy-authenticate': 'Basic',
        trailer: 'x-sum',
        upgrade: 'h2c',
        'x-hop': '1',
        'content-type': 'text/plain',
        'content-length': '5',
      },
      'gatehouse_session',
    );
    expect(out).toEqual({ 'content-type': 'text/plain', 'content-length': '5' });
  });

  it('keeps every Set-Cookie except one for our session cookie', () => {
    const out = downstreamResponseHeaders(
      { 'set-cookie': ['a=1; Path=/', 'gatehouse_session=planted; Domain=example.com', ' gatehouse_session =x', 'b=2; HttpOnly', 'gatehouse_session_x=3'] },
      'gatehouse_session',
    );
    expect(out['set-cookie']).toEqual(['a=1; Path=/', 'b=2; HttpOnly', 'gatehouse_session_x=3']);
  });

  it('keeps Upgrade on a 101 and says Connection: Upgrade', () => {
    expect(downstreamResponseHeaders({ upgrade: 'websocket', connection: 'upgrade', 'sec-websocket-accept': 'x' }, 'g', true)).toEqual({
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-accept': 'x',
    });
  });
});
