import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { buildAssets } from './build-assets.js';

/**
 * `npm run build`, after tsc: the portal's assets into dist/assets. Run as dist/client/assets/build.js,
 * the sources are in the checkout's client/ two levels further up.
 */
const clientDir = ['..', '../../../client'].map((p) => fileURLToPath(new URL(p, import.meta.url))).find((dir) => existsSync(`${dir}/static/webauthn.js`));
if (!clientDir) throw new Error('client/static not found beside the build');
const outDir = fileURLToPath(new URL('../../assets', import.meta.url));
await rm(outDir, { recursive: true, force: true });
const manifest = await buildAssets({ clientDir, outDir });
console.log(`portal assets: ${Object.keys(manifest.static).length} files in ${outDir}`);
