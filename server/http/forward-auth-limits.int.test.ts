import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRUSTED_PROXY, WIKI, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';

/**
 * What a proxy asks forward-auth to decide, when it is too long or malformed: always 4xx, never
 * 2xx, even with a valid session on a site that session may see. Sent as raw bytes, so that
 * control characters, repeated headers and sizes Node's client would refuse reach the gateway.
 */

let h: GatewayHarness;
let alice: string;
beforeAll(async () => {
  h = await startGatewayHarness();
  alice = await h.signIn('alice');
});
afterAll(() => h?.close());

/** One request from the registered proxy, as raw bytes; resolves with the status (0: no answer). */
function rawAuthz(path: string, headerLines: string[], options: { cookie?: string | null; localAddress?: string } = {}): Promise<number> {
  const cookie = options.cookie === undefined ? alice : options.cookie;
  const head = [`GET ${path} HTTP/1.1`, 'Host: gatehouse.internal', ...headerLines, ...(cookie ? [`Cookie: ${cookie}`] : []), 'Connection: close', '', ''].join('\r\n');
  return new Promise((resolve, reject) => {
    const socket = connect({ port: h.port, host: '127.0.0.1', localAddress: options.localAddress ?? TRUSTED_PROXY }, () => socket.write(head, 'latin1'));
    let data = '';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
    socket.on('error', (error) => (data ? resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)) : reject(error)));
  });
}

const authRequest = (lines: string[], options?: Parameters<typeof rawAuthz>[2]) => rawAuthz('/api/authz/auth-request', lines, options);
const forwardAuth = (lines: string[], options?: Parameters<typeof rawAuthz>[2]) => rawAuthz('/api/authz/forward-auth', lines, options);

/** Traefik's four headers, with one replaced (or several lines instead of it). */
function traefik(override: Partial<Record<'method' | 'proto' | 'host' | 'uri', string | string[]>>): string[] {
  const values = { method: 'GET', proto: 'http', host: WIKI, uri: '/page', ...override };
  const line = (name: string, value: string | string[]) => (Array.isArray(value) ? value : [value]).map((v) => `${name}: ${v}`);
  return [
    ...line('X-Forwarded-Method', values.method),
    ...line('X-Forwarded-Proto', values.proto),
    ...line('X-Forwarded-Host', values.host),
    ...line('X-Forwarded-Uri', values.uri),
  ];
}

const is4xx = (status: number) => status >= 400 && status < 500;
const LONG_PATH = (length: number) => '/' + 'a'.repeat(length - 1);

describe('the controls: well-formed questions with this session are allowed', () => {
  it('auth_request answers 200', async () => {
    expect(await authRequest([`X-Original-URL: http://${WIKI}/page?x=1`])).toBe(200);
  });
  it('forward_auth answers 200', async () => {
    expect(await forwardAuth(traefik({}))).toBe(200);
  });
  it('a target of exactly 8 KiB is still read (auth_request and forward_auth)', async () => {
    const origin = `http://${WIKI}`;
    expect(await authRequest([`X-Original-URL: ${origin}${LONG_PATH(8192 - origin.length)}`])).toBe(200);
    expect(await forwardAuth(traefik({ uri: LONG_PATH(8192) }))).toBe(200);
  });
});

describe('auth_request (X-Original-URL): oversized or malformed → 4xx, never 2xx', () => {
  const origin = `http://${WIKI}`;
  const urls: [string, string][] = [
    ['8 KiB + 1', `${origin}${LONG_PATH(8193 - origin.length)}`],
    ['12 KiB', `${origin}${LONG_PATH(12 * 1024)}`],
    ['12 KiB of query', `${origin}/page?${'q'.repeat(12 * 1024)}`],
    ['20 KiB (more than a request head may be)', `${origin}${LONG_PATH(20 * 1024)}`],
    ['no scheme', `${WIKI}/page`],
    ['a scheme-relative URL', `//${WIKI}/page`],
    ['an empty scheme', `://${WIKI}/page`],
    ['one slash', `http:/${WIKI}/page`],
    ['no slashes', `http:${WIKI}/page`],
    ['backslashes', `http:\\\\${WIKI}\\page`],
    ['three slashes', `http:///${WIKI}/page`],
    ['an empty host', 'http:///page'],
    ['an empty port', `http://${WIKI}:/page`],
    ['port 0', `http://${WIKI}:0/page`],
    ['port 99999', `http://${WIKI}:99999/page`],
    ['two ports', `http://${WIKI}:80:80/page`],
    ['an open IPv6 bracket', 'http://[::1/page'],
    ['userinfo', `http://alice@${WIKI}/page`],
    ['an empty userinfo', `http://@${WIKI}/page`],
    ['a backslash before @', `http://${WIKI}\\@evil.example/page`],
    ['a query straight after the host', `http://${WIKI}?page`],
    ['a fragment', `http://${WIKI}/page#top`],
    ['a space in the path', `http://${WIKI}/pa ge`],
    ['a space in the host', `http://wiki .localhost/page`],
    ['a tab in the path', `http://${WIKI}/pa\tge`],
    ['a control character', `http://${WIKI}/pa\x01ge`],
    ['an escape character', `http://${WIKI}/pa\x1bge`],
    ['DEL', `http://${WIKI}/pa\x7fge`],
    ['a Latin-1 byte', `http://${WIKI}/caf\xe9`],
    ['a UTF-8 sequence as raw bytes', `http://${WIKI}/caf\xc3\xa9`],
    ['a malformed escape', `http://${WIKI}/%zz`],
    ['an encoded slash', `http://${WIKI}/a%2fb`],
    ['an encoded NUL', `http://${WIKI}/a%00b`],
    ['dots above the root', `http://${WIKI}/../page`],
    ['a doubled dot in the host', `http://wiki..localhost/page`],
    ['a leading dot in the host', `http://.${WIKI}/page`],
    ['another scheme', `ftp://${WIKI}/page`],
    ['javascript:', `javascript://${WIKI}/%0aalert(1)`],
    ['an asterisk', '*'],
    ['a bare path', '/page'],
  ];

  it.each(urls)('%s', async (_name, url) => {
    const status = await authRequest([`X-Original-URL: ${url}`]);
    expect(is4xx(status)).toBe(true);
  });

  it.each([
    ['the same URL twice', [`X-Original-URL: ${origin}/page`, `X-Original-URL: ${origin}/page`]],
    ['two URLs', [`X-Original-URL: ${origin}/page`, `X-Original-URL: ${origin}/admin`]],
    ['a URL and an empty one', [`X-Original-URL: ${origin}/page`, 'X-Original-URL: ']],
    ['an empty URL', ['X-Original-URL: ']],
    ['no URL', []],
    ['two methods', [`X-Original-URL: ${origin}/page`, 'X-Original-Method: GET', 'X-Original-Method: POST']],
    ['a method with a space', [`X-Original-URL: ${origin}/page`, 'X-Original-Method: G ET']],
    ['a method with a control character', [`X-Original-URL: ${origin}/page`, 'X-Original-Method: GET\x01']],
    ['an empty method', [`X-Original-URL: ${origin}/page`, 'X-Original-Method: ']],
    ['a 100-letter method', [`X-Original-URL: ${origin}/page`, `X-Original-Method: ${'G'.repeat(100)}`]],
  ])('%s', async (_name, lines) => {
    expect(is4xx(await authRequest(lines))).toBe(true);
  });

  it.each([
    ['a NUL', `http://${WIKI}/pa\0ge`],
    ['a bare CR', `http://${WIKI}/pa\rge`],
  ])('a URL with %s is refused by the parser or by us, never 2xx', async (_name, url) => {
    const status = await authRequest([`X-Original-URL: ${url}`]);
    expect(status === 0 || is4xx(status)).toBe(true);
  });
});

describe('forward_auth (X-Forwarded-*): oversized or malformed → 4xx, never 2xx', () => {
  const cases: [string, Parameters<typeof traefik>[0]][] = [
    ['a URI of 8 KiB + 1', { uri: LONG_PATH(8193) }],
    ['a URI of 12 KiB', { uri: LONG_PATH(12 * 1024) }],
    ['a URI with 12 KiB of query', { uri: `/page?${'q'.repeat(12 * 1024)}` }],
    ['a relative URI', { uri: 'page' }],
    ['an absolute URI', { uri: `http://${WIKI}/page` }],
    ['an asterisk', { uri: '*' }],
    ['a space in the URI', { uri: '/pa ge' }],
    ['a tab in the URI', { uri: '/pa\tge' }],
    ['a control character in the URI', { uri: '/pa\x01ge' }],
    ['DEL in the URI', { uri: '/pa\x7fge' }],
    ['a Latin-1 byte in the URI', { uri: '/caf\xe9' }],
    ['a fragment', { uri: '/page#top' }],
    ['a malformed escape', { uri: '/%zz' }],
    ['an encoded slash', { uri: '/a%2fb' }],
    ['dots above the root', { uri: '/../page' }],
    ['two URIs', { uri: ['/page', '/admin'] }],
    ['the same URI twice', { uri: ['/page', '/page'] }],
    ['an empty URI', { uri: '' }],
    ['a host of 300 characters', { host: `${'a'.repeat(290)}.localhost` }],
    ['a host of 8 KiB', { host: `${'a.'.repeat(4096)}localhost` }],
    ['an empty port', { host: `${WIKI}:` }],
    ['port 0', { host: `${WIKI}:0` }],
    ['port 65536', { host: `${WIKI}:65536` }],
    ['two ports', { host: `${WIKI}:80:80` }],
    ['an open IPv6 bracket', { host: '[::1' }],
    ['a space in the host', { host: 'wiki localhost' }],
    ['a path in the host', { host: `${WIKI}/page` }],
    ['a backslash in the host', { host: `${WIKI}\\page` }],
    ['a query in the host', { host: `${WIKI}?x` }],
    ['userinfo in the host', { host: `alice@${WIKI}` }],
    ['two hosts in one line', { host: `${WIKI},evil.localhost` }],
    ['two host lines', { host: [WIKI, 'evil.localhost'] }],
    ['the same host twice', { host: [WIKI, WIKI] }],
    ['a control character in the host', { host: `wiki\x01.localhost` }],
    ['an empty host', { host: '' }],
    ['a doubled dot in the host', { host: 'wiki..localhost' }],
    ['two schemes', { proto: 'http, https' }],
    ['two scheme lines', { proto: ['http', 'https'] }],
    ['a scheme with a space', { proto: 'ht tp' }],
    ['another scheme', { proto: 'gopher' }],
    ['an empty scheme', { proto: '' }],
    ['two methods', { method: 'GET, POST' }],
    ['two method lines', { method: ['GET', 'POST'] }],
    ['a method with a space', { method: 'G ET' }],
    ['a 100-letter method', { method: 'G'.repeat(100) }],
    ['an empty method', { method: '' }],
  ];

  it.each(cases)('%s', async (_name, override) => {
    const status = await forwardAuth(traefik(override));
    expect(is4xx(status)).toBe(true);
  });

  it.each([
    ['a NUL in the URI', { uri: '/pa\0ge' }],
    ['a bare CR in the host', { host: `${WIKI}\rx` }],
  ])('%s is refused by the parser or by us, never 2xx', async (_name, override) => {
    const status = await forwardAuth(traefik(override as Parameters<typeof traefik>[0]));
    expect(status === 0 || is4xx(status)).toBe(true);
  });
});

describe('only registered proxies are believed', () => {
  // X-Original-URL and X-Forwarded-* say which request to decide: from anyone else, a client
  // could name a path it may see while asking for another.
  it.each([
    ['auth_request', '/api/authz/auth-request', [`X-Original-URL: http://${WIKI}/page`, 'X-Original-Method: GET']],
    ['forward_auth', '/api/authz/forward-auth', traefik({})],
    [
      'auth_request with a trusted proxy in X-Forwarded-For',
      '/api/authz/auth-request',
      [`X-Original-URL: http://${WIKI}/page`, `X-Forwarded-For: ${TRUSTED_PROXY}`, `X-Real-IP: ${TRUSTED_PROXY}`],
    ],
    ['forward_auth with Forwarded: for=the proxy', '/api/authz/forward-auth', [...traefik({}), `Forwarded: for=${TRUSTED_PROXY}`]],
  ])('%s from an unregistered address → 403, even with a valid session', async (_name, path, lines) => {
    for (const localAddress of ['127.0.0.1', '127.0.0.3']) expect(await rawAuthz(path, lines, { localAddress })).toBe(403);
  });
});
