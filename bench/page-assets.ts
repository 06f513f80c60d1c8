import { request } from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import { PORTAL_HOST } from './fixtures.js';

export interface LoginPageJs {
  /** Script files the sign-in page loads (one bundle per page is the target). */
  scripts: number;
  /** Their gzipped bytes, summed: as served with Accept-Encoding: gzip, gzipped here if served plain. */
  gzBytes: number;
}

/**
 * What the sign-in page costs in JavaScript, as a browser that accepts gzip fetches it: the page
 * (with the passkey button, its heaviest form: the bench config turns passkey sign-in on), then
 * every script it names. A small measurement, not a load test.
 */
export async function measureLoginPageJs(port: number): Promise<LoginPageJs> {
  const page = await fetchBytes(port, '/');
  if (page.status !== 200) throw new Error(`sign-in page answered ${page.status}`);
  const sources = [...page.body.toString().matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]!);
  let gzBytes = 0;
  for (const src of sources) {
    const script = await fetchBytes(port, new URL(src, `http://${PORTAL_HOST}/`).pathname);
    if (script.status !== 200) throw new Error(`${src} answered ${script.status}`);
    gzBytes += script.encoding === 'gzip' ? script.wire.length : gzipSync(script.wire).length;
  }
  return { scripts: sources.length, gzBytes };
}

function fetchBytes(port: number, path: string): Promise<{ status: number; encoding: string | undefined; wire: Buffer; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: PORTAL_HOST, 'accept-encoding': 'gzip' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const wire = Buffer.concat(chunks);
        const encoding = res.headers['content-encoding'];
        resolve({ status: res.statusCode ?? 0, encoding, wire, body: encoding === 'gzip' ? gunzipSync(wire) : wire });
      });
    });
    req.on('error', reject);
    req.end();
  });
}
