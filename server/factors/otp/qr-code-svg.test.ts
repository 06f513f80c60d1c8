import { describe, expect, it } from 'vitest';
import QRCode from 'qrcode';
import { qrCodeSvg } from './qr-code-svg.js';

const URI = 'otpauth://totp/Gatehouse:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30';

/**
 * Reads the dark modules back out of the SVG path ("M x y.5 h n m dx 0 h n …", one row per
 * M), so the test checks that the picture is the QR symbol, not just that it is some SVG.
 */
function darkModules(svg: string, size: number, margin: number): boolean[] {
  const d = /<path stroke="#000000" d="([^"]+)"/.exec(svg)?.[1] ?? '';
  const grid = new Array<boolean>(size * size).fill(false);
  let x = 0;
  let y = 0;
  for (const [, op, a, b] of d.matchAll(/([Mmh])(-?[0-9.]+)(?: (-?[0-9.]+))?/g)) {
    if (op === 'M') [x, y] = [Number(a), Number(b) - 0.5];
    else if (op === 'm') x += Number(a);
    else {
      for (let i = 0; i < Number(a); i++) grid[(y - margin) * size + (x - margin + i)] = true;
      x += Number(a);
    }
  }
  return grid;
}

describe('qrCodeSvg', () => {
  it('is an SVG document sized to the symbol plus a 4-module quiet zone', async () => {
    const svg = await qrCodeSvg(URI);
    const size = QRCode.create(URI, { errorCorrectionLevel: 'M' }).modules.size;
    expect(svg.trim()).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" [^>]*>.*<\/svg>$/s);
    expect(svg).toContain(`viewBox="0 0 ${size + 8} ${size + 8}"`);
    expect(svg).not.toMatch(/<script|on\w+=|href=/i);
    // A 142-character URI at level M needs version 6 or 7 (41 or 45 modules).
    expect([41, 45]).toContain(size);
  });

  it('draws exactly the modules of the QR symbol for the text', async () => {
    const svg = await qrCodeSvg(URI);
    const symbol = QRCode.create(URI, { errorCorrectionLevel: 'M' }).modules;
    const drawn = darkModules(svg, symbol.size, 4);
    const expected = Array.from(symbol.data, (bit) => bit === 1);
    expect(drawn).toEqual(expected);
  });

  it('is deterministic for the same text, and differs for another', async () => {
    expect(await qrCodeSvg(URI)).toBe(await qrCodeSvg(URI));
    expect(await qrCodeSvg(URI)).not.toBe(await qrCodeSvg(URI.replace('alice', 'bob')));
  });

  it('embeds as a data: URI', async () => {
    const dataUri = `data:image/svg+xml;base64,${Buffer.from(await qrCodeSvg(URI)).toString('base64')}`;
    expect(Buffer.from(dataUri.split(',')[1]!, 'base64').toString()).toContain('<svg');
  });
});
