import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { GatewayContext } from './context.js';
import { sendPage } from './pages.js';
import { createPageHeaders } from './security-headers.js';

const PAGE_HEADERS = createPageHeaders({ https: true, formTargets: [] });
const ctx = { portal: { pageHeaders: PAGE_HEADERS } } as unknown as GatewayContext;
const PAGE = `<!doctype html>\n<html><body>${'<p>Sign in to continue.</p>\n'.repeat(60)}<input name="csrf" value="SECRET-TOKEN"></body></html>`;

/** A response that records what sendPage wrote, for a request with these headers. */
function capture(acceptEncoding?: string) {
  const sent: { status?: number; headers?: OutgoingHttpHeaders; body?: Buffer } = {};
  const res = {
    headersSent: false,
    req: { headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } },
    writeHead(status: number, headers: OutgoingHttpHeaders) {
      sent.status = status;
      sent.headers = headers;
    },
    end(body: Buffer) {
      sent.body = body;
    },
  } as unknown as ServerResponse;
  return { res, sent };
}

describe('sendPage', () => {
  it.each([
    ['br', 'br', brotliDecompressSync],
    ['gzip', 'gzip', gunzipSync],
    ['gzip, br', 'br', brotliDecompressSync],
  ] as const)('compresses a page for Accept-Encoding %j (%s), with the page headers untouched', (accept, coding, decode) => {
    const { res, sent } = capture(accept);
    sendPage(ctx, res, 200, PAGE);
    expect(sent.headers!['content-encoding']).toBe(coding);
    expect(sent.headers!.vary).toBe('Accept-Encoding');
    expect(sent.headers!['content-length']).toBe(sent.body!.length);
    expect(decode(sent.body!).toString()).toBe(PAGE);
    for (const [name, value] of Object.entries(PAGE_HEADERS)) expect(sent.headers![name], name).toEqual(value);
  });

  it.each([undefined, '', 'identity', 'deflate', 'br;q=0, gzip;q=0'])('sends it as it is for Accept-Encoding %j', (accept) => {
    const { res, sent } = capture(accept);
    sendPage(ctx, res, 200, PAGE);
    expect(sent.headers!['content-encoding']).toBeUndefined();
    expect(sent.headers!.vary).toBe('Accept-Encoding');
    expect(sent.body!.toString()).toBe(PAGE);
  });

  it('never compresses a page that shows a one-time secret, whatever the browser accepts (BREACH)', () => {
    for (const accept of ['br', 'gzip', 'br, gzip', '*']) {
      const { res, sent } = capture(accept);
      sendPage(ctx, res, 200, PAGE, { oneTimeSecret: true });
      expect(sent.headers!['content-encoding'], accept).toBeUndefined();
      expect(sent.body!.toString(), accept).toBe(PAGE);
    }
  });

  it('leaves a page too small to gain from it uncompressed', () => {
    const { res, sent } = capture('br');
    sendPage(ctx, res, 200, '<!doctype html><p>Busy</p>');
    expect(sent.headers!['content-encoding']).toBeUndefined();
  });
});
