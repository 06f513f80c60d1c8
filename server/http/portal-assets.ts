import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MANIFEST_FILE, type AssetManifest, type CacheClass, type PortalAssets } from '../../client/assets/asset-manifest.js';

/** A file served under static/, held in memory with its precompressed copies. */
export interface StaticFile {
  type: string;
  cacheControl: string;
  body: Buffer;
  br?: Buffer;
  gzip?: Buffer;
}

export interface LoadedAssets {
  /** The names the pages use (hashed, with SRI values). */
  names: PortalAssets;
  /** Everything served under static/, by file name; nothing else is. */
  files: ReadonlyMap<string, StaticFile>;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const CACHE_CONTROL: Record<CacheClass, string> = {
  // A content-hashed name never changes meaning: a year, and no revalidation on reload.
  immutable: 'public, max-age=31536000, immutable',
  day: 'public, max-age=86400',
  'no-cache': 'no-cache',
};

/**
 * The portal's built static files (client/assets/build-assets.ts). From the build
 * (dist/server/http) they are in dist/assets, made by `npm run build`. From source there is no
 * build: they are built on demand once and cached (client/assets/build-cache.ts), which needs
 * esbuild, a development dependency; production always runs the build.
 */
export async function loadPortalAssets(): Promise<LoadedAssets> {
  const dir = findBuiltAssets() ?? (await buildFromSource());
  const manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as AssetManifest;
  const files = new Map<string, StaticFile>();
  for (const [name, cache] of Object.entries(manifest.static)) {
    const type = TYPES[extname(name)];
    if (!type) throw new Error(`portal asset ${name}: no content type for its extension`);
    const path = join(dir, 'static', name);
    files.set(name, {
      type,
      cacheControl: CACHE_CONTROL[cache],
      body: await readFile(path),
      ...(existsSync(`${path}.br`) ? { br: await readFile(`${path}.br`) } : {}),
      ...(existsSync(`${path}.gz`) ? { gzip: await readFile(`${path}.gz`) } : {}),
    });
  }
  return { names: manifest.portal, files };
}

/** dist/assets beside dist/server; from source the same relative path names nothing. */
function findBuiltAssets(): string | undefined {
  const dir = fileURLToPath(new URL('../../assets', import.meta.url));
  return existsSync(join(dir, MANIFEST_FILE)) ? dir : undefined;
}

async function buildFromSource(): Promise<string> {
  // From source (server/http) and from a bundle two levels down (bench/.build) client/ is two levels up; from dist, three.
  const clientDir = ['../../client', '../../../client'].map((p) => fileURLToPath(new URL(p, import.meta.url))).find((dir) => existsSync(join(dir, 'static', 'webauthn.js')));
  if (!clientDir) throw new Error('portal assets not built (no dist/assets) and client/static not found: run npm run build');
  const { buildAssetsCached } = await import('../../client/assets/build-cache.js');
  return buildAssetsCached(clientDir);
}
