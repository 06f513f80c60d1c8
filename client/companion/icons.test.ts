import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** The committed icons are real PNGs of the sizes the manifest declares. */
const manifest = JSON.parse(readFileSync(new URL('./manifest.webmanifest', import.meta.url), 'utf8')) as { icons: { src: string; sizes: string; type: string }[] };

describe('companion icons', () => {
  it.each(manifest.icons.filter((i) => i.type === 'image/png').map((i) => [i.src, i.sizes]))('%s is a %s PNG', (src, sizes) => {
    const png = readFileSync(new URL(`./${src}`, import.meta.url));
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
    expect(`${png.readUInt32BE(16)}x${png.readUInt32BE(20)}`).toBe(sizes);
  });
});
