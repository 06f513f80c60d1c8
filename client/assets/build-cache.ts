import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { version as esbuildVersion } from 'esbuild';
import { MANIFEST_FILE } from './asset-manifest.js';
import { buildAssets } from './build-assets.js';

const building = new Map<string, Promise<string>>();

/**
 * Running from source (tests, tsx, the bench's gateway) there is no dist/assets: build the
 * portal's assets once into a folder under the temporary directory named by a fingerprint of
 * everything they are made of, and reuse it — across test files and processes — until a source
 * changes. Returns that folder. Concurrent builders race harmlessly: each builds into a folder
 * of its own and the first rename wins.
 */
export function buildAssetsCached(clientDir: string): Promise<string> {
  const dir = join(tmpdir(), `gatehouse-assets-${fingerprint(clientDir)}`);
  let pending = building.get(dir);
  if (!pending) {
    pending = existsSync(join(dir, MANIFEST_FILE)) ? Promise.resolve(dir) : buildInto(clientDir, dir);
    building.set(dir, pending);
  }
  return pending;
}

async function buildInto(clientDir: string, dir: string): Promise<string> {
  const scratch = `${dir}.${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await buildAssets({ clientDir, outDir: scratch });
    await rename(scratch, dir).catch((error: NodeJS.ErrnoException) => {
      if (!existsSync(join(dir, MANIFEST_FILE))) throw error;
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return dir;
}

/** Every input of the build: the page scripts and styles, the build's own code, the library and esbuild versions. */
function fingerprint(clientDir: string): string {
  const hash = createHash('sha256').update(esbuildVersion);
  const files = [...listFiles(join(clientDir, 'static')), ...listFiles(join(clientDir, 'assets')), simpleWebAuthnPackage()];
  for (const file of files.sort()) hash.update(file).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

function listFiles(dir: string): string[] {
  return readdirSync(dir)
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

/** @simplewebauthn/browser's package.json (its version), found above the module it resolves to. */
function simpleWebAuthnPackage(): string {
  let dir = dirname(fileURLToPath(import.meta.resolve('@simplewebauthn/browser')));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'package.json');
}
