import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, version as esbuildVersion } from 'esbuild';
import { buildAssetsCached } from '../../client/assets/build-cache.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PREFIX = '.test-build-';
/** A tree of an earlier source is removed once it is this old (a run in progress still uses its own). */
const STALE_AFTER_MS = 60 * 60_000;

let pending: Promise<string> | undefined;

/**
 * The `gatehouse` command laid out as `npm run build` lays out dist/ — the server and client
 * modules as JavaScript, the portal's assets in assets/ — for the tests that spawn it, run with
 * plain `node` as the image runs it. Through tsx each process (and each cluster worker) spent
 * 2–4 s of CPU starting, most of it in the loader hooks that see every one of its ~350 modules;
 * from this tree it starts in a fraction of that.
 *
 * The modules are transpiled file by file by esbuild: what tsc emits for this tsconfig
 * (isolatedModules, verbatimModuleSyntax), without the type check that `npm run typecheck`
 * does; build-tree.int.test.ts runs the real build. The tree sits beside dist/ at the
 * checkout's top (so that, like dist/, it finds client/companion and node_modules there), named
 * by a fingerprint of everything in it: test files running at the same time share it, and a
 * changed source makes a new one. Returns the path of its server/main.js.
 */
export function builtGatehouseMain(): Promise<string> {
  pending ??= ensureTree();
  return pending;
}

async function ensureTree(): Promise<string> {
  const sources = sourceFiles();
  const assets = await buildAssetsCached(join(ROOT, 'client'));
  const dir = join(ROOT, `${PREFIX}${fingerprint(sources, assets)}`);
  const main = join(dir, 'server', 'main.js');
  if (existsSync(main)) return main;
  removeStaleTrees(dir);
  // Built aside and renamed into place: a tree that exists is complete, and of two files
  // building it at once the first rename wins.
  const scratch = `${dir}.${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const code = sources.filter((f) => /\.[jt]s$/.test(f));
    await build({
      entryPoints: code.map((f) => join(ROOT, f)),
      outbase: ROOT,
      outdir: scratch,
      bundle: false,
      format: 'esm',
      platform: 'node',
      target: 'node20.19',
      tsconfig: join(ROOT, 'tsconfig.build.json'),
      logLevel: 'warning',
    });
    // tsc copies the JSON files the modules import (the locales); assets/ is the asset build's.
    for (const f of sources.filter((f) => f.endsWith('.json'))) cpSync(join(ROOT, f), join(scratch, f));
    cpSync(assets, join(scratch, 'assets'), { recursive: true });
    await rename(scratch, dir).catch((error: NodeJS.ErrnoException) => {
      if (!existsSync(main)) throw error;
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return main;
}

/** What tsconfig.build.json compiles (no test, no testing/ or fixtures/ folder), and the JSON the client imports. */
function sourceFiles(): string[] {
  const wanted = (path: string) =>
    !/\.test\.ts$|\.d\.ts$/.test(path) &&
    !/(^|\/)(testing|fixtures)\//.test(path) &&
    (/^(server|client)\/.*\.ts$/.test(path) || /^client\/locales\/[^/]+\.json$/.test(path) || path === 'client/companion/push-wire-format.js');
  return walk(join(ROOT, 'server'))
    .concat(walk(join(ROOT, 'client')))
    .map((f) => relative(ROOT, f))
    .filter(wanted)
    .sort();
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

function fingerprint(sources: string[], assets: string): string {
  const hash = createHash('sha256').update(esbuildVersion).update('\0').update(assets);
  for (const f of sources)
    hash
      .update('\0')
      .update(f)
      .update('\0')
      .update(readFileSync(join(ROOT, f)));
  // And how it is built: the tsconfigs and this file.
  for (const f of [join(ROOT, 'tsconfig.build.json'), join(ROOT, 'tsconfig.json'), fileURLToPath(import.meta.url)]) hash.update('\0').update(readFileSync(f));
  return hash.digest('hex').slice(0, 16);
}

function removeStaleTrees(keep: string): void {
  for (const name of readdirSync(ROOT)) {
    const path = join(ROOT, name);
    if (!name.startsWith(PREFIX) || path === keep) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > STALE_AFTER_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // another run removed it first
    }
  }
}
