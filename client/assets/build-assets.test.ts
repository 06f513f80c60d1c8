import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST_FILE, type AssetManifest } from './asset-manifest.js';
import { buildAssetsCached } from './build-cache.js';
import { bundleEntries, bundleFor, PAGE_BUNDLES, PAGE_SCRIPTS } from './page-bundles.js';

const CLIENT = fileURLToPath(new URL('..', import.meta.url));

describe('page bundles', () => {
  it('are every page script alone and with local-time, and local-time alone: one per combination a page can have', () => {
    for (const script of [undefined, ...PAGE_SCRIPTS]) {
      for (const showsTime of [false, true]) {
        const bundle = bundleFor(script, showsTime);
        if (script === undefined && !showsTime) expect(bundle).toBeUndefined();
        else expect(PAGE_BUNDLES).toContain(bundle);
      }
    }
    expect(new Set(PAGE_BUNDLES).size).toBe(PAGE_SCRIPTS.length * 2 + 1);
    expect(bundleEntries('webauthn+local-time')).toEqual(['webauthn.js', 'local-time.js']);
    for (const bundle of PAGE_BUNDLES) for (const file of bundleEntries(bundle)) expect(existsSync(join(CLIENT, 'static', file)), file).toBe(true);
  });
});

describe('the built assets', () => {
  let dir: string;
  let manifest: AssetManifest;
  beforeAll(async () => {
    dir = await buildAssetsCached(CLIENT);
    manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as AssetManifest;
  }, 120_000);

  it('name every bundle and stylesheet by content hash, with the SRI value of its bytes', () => {
    const built = [...Object.values(manifest.portal.scripts), ...Object.values(manifest.portal.styles)];
    expect(Object.keys(manifest.portal.scripts).sort()).toEqual([...PAGE_BUNDLES].sort());
    for (const { file, integrity } of built) {
      expect(file).toMatch(/^[a-z+-]+\.[A-Z0-9]{8}\.(?:js|css)$/);
      expect(manifest.static[file]).toBe('immutable');
      const bytes = readFileSync(join(dir, 'static', file));
      expect(`sha384-${createHash('sha384').update(bytes).digest('base64')}`).toBe(integrity);
      expect(manifest.static[`${file}.map`], `${file}.map`).toBe('immutable');
    }
  });

  it('are self-contained scripts: no import left for the browser to fetch, the library bundled in', () => {
    for (const { file } of Object.values(manifest.portal.scripts)) {
      const js = readFileSync(join(dir, 'static', file), 'utf8');
      expect(js, file).not.toMatch(/\bimport\s*[("'{*]|\bfrom\s*["']|\bexport\s*[{*]/);
    }
    const webauthn = readFileSync(join(dir, 'static', manifest.portal.scripts.webauthn.file), 'utf8');
    expect(webauthn).toContain('navigator.credentials');
  });

  it('carry a .br and a .gz of every text file that decode to its exact bytes', () => {
    for (const name of Object.keys(manifest.static)) {
      const path = join(dir, 'static', name);
      const bytes = readFileSync(path);
      expect(brotliDecompressSync(readFileSync(`${path}.br`)).equals(bytes), name).toBe(true);
      expect(gunzipSync(readFileSync(`${path}.gz`)).equals(bytes), name).toBe(true);
    }
  });

  it('keep the sign-in page under 15 KB of gzipped JavaScript', () => {
    expect(readFileSync(join(dir, 'static', `${manifest.portal.scripts.webauthn.file}.gz`)).length).toBeLessThanOrEqual(15 * 1024);
  });
});
