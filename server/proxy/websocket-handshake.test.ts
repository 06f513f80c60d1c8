import { describe, expect, it } from 'vitest';
import { acceptFor, checkWebSocketRequest, isWebSocketAccept } from './websocket-handshake.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ=='; // RFC 6455 §1.3

function request(headers: Record<string, string | undefined>, more: { method?: string; httpVersion?: string } = {}) {
  const base: Record<string, string | undefined> = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': KEY, 'sec-websocket-version': '13', ...headers };
  const clean = Object.fromEntries(Object.entries(base).filter(([, v]) => v !== undefined)) as Record<string, string>;
  return { method: more.method ?? 'GET', httpVersion: more.httpVersion ?? '1.1', headers: clean };
}

describe('checkWebSocketRequest', () => {
  it.each([
    ['the RFC example', {}],
    ['upgrade in another letter case', { upgrade: 'WebSocket' }],
    ['Connection with several tokens', { connection: 'keep-alive, Upgrade' }],
    ['Connection in lower case', { connection: 'upgrade' }],
  ])('accepts %s', (_name, headers) => {
    expect(checkWebSocketRequest(request(headers))).toEqual({ ok: true, key: KEY });
  });

  it.each([
    ['h2c', { upgrade: 'h2c' }, 'not-websocket'],
    ['h2c first', { upgrade: 'h2c, websocket' }, 'not-websocket'],
    ['h2c second (or a repeated Upgrade header)', { upgrade: 'websocket, h2c' }, 'not-websocket'],
    ['a versioned token', { upgrade: 'websocket/13' }, 'not-websocket'],
    ['TLS', { upgrade: 'TLS/1.2' }, 'not-websocket'],
    ['an empty Upgrade', { upgrade: '' }, 'not-websocket'],
    ['no Upgrade', { upgrade: undefined }, 'not-websocket'],
    ['a look-alike', { upgrade: 'websockets' }, 'not-websocket'],
    ['no upgrade in Connection', { connection: 'keep-alive' }, 'connection'],
    ['Connection: upgraded', { connection: 'upgraded' }, 'connection'],
    ['no key', { 'sec-websocket-key': undefined }, 'key'],
    ['a short key', { 'sec-websocket-key': 'AAAAAAAAAAAAAAAAAAAA' }, 'key'],
    ['a key of 17 bytes', { 'sec-websocket-key': Buffer.alloc(17).toString('base64') }, 'key'],
    ['a key with bits after its 16 bytes', { 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZR==' }, 'key'],
    ['two keys joined', { 'sec-websocket-key': `${KEY}, ${KEY}` }, 'key'],
    ['a key with a space', { 'sec-websocket-key': ' dGhlIHNhbXBsZSBub25jZQ=' }, 'key'],
    ['no version', { 'sec-websocket-version': undefined }, 'version'],
  ])('refuses %s with 400', (_name, headers, reason) => {
    expect(checkWebSocketRequest(request(headers))).toEqual({ ok: false, status: 400, reason });
  });

  it.each(['8', '12', '14', '13, 8', '013'])('refuses version %j with 426', (version) => {
    expect(checkWebSocketRequest(request({ 'sec-websocket-version': version }))).toEqual({ ok: false, status: 426, reason: 'version' });
  });

  it.each(['POST', 'PUT', 'CONNECT', 'get'])('refuses method %s', (method) => {
    expect(checkWebSocketRequest(request({}, { method }))).toEqual({ ok: false, status: 400, reason: 'method' });
  });

  it.each(['1.0', '0.9', '2.0'])('refuses HTTP/%s', (httpVersion) => {
    expect(checkWebSocketRequest(request({}, { httpVersion }))).toEqual({ ok: false, status: 400, reason: 'http-version' });
  });
});

describe('isWebSocketAccept', () => {
  it('computes the RFC 6455 example', () => {
    expect(acceptFor(KEY)).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('accepts the upstream answer that completes our handshake', () => {
    expect(isWebSocketAccept({ upgrade: 'websocket', 'sec-websocket-accept': 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=' }, KEY)).toBe(true);
    expect(isWebSocketAccept({ upgrade: 'WebSocket', 'sec-websocket-accept': 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=' }, KEY)).toBe(true);
  });

  it.each([
    ['no accept key', { upgrade: 'websocket' }],
    ['the accept key of another request', { upgrade: 'websocket', 'sec-websocket-accept': acceptFor('AAAAAAAAAAAAAAAAAAAAAA==') }],
    ['the client key echoed', { upgrade: 'websocket', 'sec-websocket-accept': KEY }],
    ['a switch to h2c', { upgrade: 'h2c', 'sec-websocket-accept': 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=' }],
    ['no Upgrade', { 'sec-websocket-accept': 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=' }],
  ])('refuses %s', (_name, headers) => {
    expect(isWebSocketAccept(headers, KEY)).toBe(false);
  });
});
