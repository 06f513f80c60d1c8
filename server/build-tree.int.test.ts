import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * What `npm run build` makes is what the image runs: no test, no test helper (testing/ folders),
 * no fixture, and nothing that needs a development dependency — the image installs production
 * dependencies only, so an import of vitest or of a test helper would be a crash at start-up,
 * and test scaffolding in a security product is attack surface nobody reviews. The build is run
 * into a temporary folder beside dist/, as the Dockerfile runs it.
 */
const root = fileURLToPath(new URL('../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
let out: string;
let files: string[];

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? walk(join(dir, name)) : [join(dir, name)]));
}

/** Every module specifier a built file imports, statically or dynamically. */
function importsOf(text: string): string[] {
  // tsc writes each static import or re-export on lines of its own, ending in the specifier.
  const found = [
    ...text.matchAll(
      /^\s*(?:import|export)\b[^'"\n]*\sfrom\s*['"]([^'"\n]+)['"];?\s*$|^\s*import\s*['"]([^'"\n]+)['"];?\s*$|\bimport\(\s*['"]([^'"]+)['"]\s*\)|\brequire\(\s*['"]([^'"]+)['"]\s*\)/gm,
    ),
  ];
  return found.map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]!);
}

/** `npm run build`: tsc, then the portal's assets (esbuild) into assets/ beside server/. */
const BUILD = 'tsc -p tsconfig.build.json && node dist/client/assets/build.js';

/**
 * The asset build's own modules: run by `npm run build` (the image's build stage has the
 * development dependencies) and, from source only, when there is no built assets folder
 * (server/http/portal-assets.ts). The image always has dist/assets, so they never load there.
 */
const BUILD_TIME_ONLY: Record<string, string[]> = {
  [join('client', 'assets', 'build-assets.js')]: ['esbuild'],
  [join('client', 'assets', 'build-cache.js')]: ['esbuild'],
};

const run = promisify(execFile);

beforeAll(async () => {
  // Beside dist/, at the checkout's top, like dist/: the asset step finds client/ and
  // node_modules from there.
  out = mkdtempSync(join(root, '.build-tree-'));
  // The two steps of BUILD, into that folder instead of dist/. tsc without its type check
  // (--noCheck): with isolatedModules and verbatimModuleSyntax it emits the same files either
  // way, and `npm run typecheck` checks every one of them (tsconfig.json includes them all);
  // checking them again here was most of this file's time.
  await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--noCheck', '--outDir', out], { cwd: root });
  await run(process.execPath, [join(out, 'client', 'assets', 'build.js')], { cwd: root });
  files = walk(out).map((f) => relative(out, f));
}, 240_000);
afterAll(() => out && rmSync(out, { recursive: true, force: true }));

describe('the built tree (npm run build)', () => {
  it('is the build the Dockerfile runs, and holds the server', () => {
    expect(pkg.scripts.build).toBe(BUILD);
    expect(files).toContain(join('server', 'main.js'));
    expect(files).toContain(join('assets', 'manifest.json'));
    expect(files).toContain(join('server', 'sign-in', 'complete-second-factor.js'));
    expect(files.filter((f) => f.endsWith('.js')).length).toBeGreaterThan(200);
  });

  it('runs with production modules only: the command starts, and every server module loads', async () => {
    const help = await run(process.execPath, [join(out, 'server', 'main.js'), '--help'], { cwd: root });
    expect(help.stdout).toMatch(/^Usage: gatehouse <command>/);
    // The whole gateway (what `serve` loads), as plain node from the built files.
    const gateway = pathToFileURL(join(out, 'server', 'gateway.js')).href;
    const load = await run(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(gateway)}); console.log(typeof m.createGateway)`], {
      cwd: root,
    });
    expect(load.stdout.trim()).toBe('function');
  });

  it('has no test, no test helper and no fixture', () => {
    expect(files.filter((f) => /\.test\.js$|(^|[\\/])(testing|fixtures)[\\/]|contract\.js$|test-(storage|keys)\.js$/.test(f))).toEqual([]);
  });

  it('imports nothing from a testing/ folder, nor vitest, nor any development dependency', () => {
    const production = new Set([...Object.keys(pkg.dependencies), ...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const offending: string[] = [];
    let checked = 0;
    for (const file of files.filter((f) => f.endsWith('.js'))) {
      for (const spec of importsOf(readFileSync(join(out, file), 'utf8'))) {
        checked++;
        if (spec.startsWith('.')) {
          if (/(^|\/)testing\//.test(spec) || /\.test\.js$/.test(spec)) offending.push(`${file} → ${spec}`);
          continue;
        }
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (BUILD_TIME_ONLY[file]?.includes(name)) continue;
        if (!production.has(name) && !production.has(spec)) offending.push(`${file} → ${spec}`);
      }
    }
    expect(checked).toBeGreaterThan(500);
    expect(offending).toEqual([]);
    expect(Object.keys(pkg.devDependencies)).toContain('vitest');
  });
});
