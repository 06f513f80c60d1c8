import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The npm packages a module loads as soon as it is imported: the static imports of its whole
 * module graph, with what it imports with `await import(…)` (when configured, when first used)
 * left out — as `gatehouse serve` would find them resident after starting.
 */
async function packagesLoadedAtStart(entry: string): Promise<string[]> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outdir: 'out',
    write: false,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
  });
  const outputs = result.metafile.outputs;
  const start = Object.keys(outputs).find((file) => outputs[file]!.entryPoint === entry);
  if (!start) throw new Error(`no output for ${entry}`);
  const seen = new Set<string>();
  const packages = new Set<string>();
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imported of outputs[file]!.imports) {
      if (imported.kind !== 'import-statement') continue;
      if (!imported.external) walk(imported.path);
      else if (!imported.path.startsWith('node:')) packages.add(imported.path);
    }
  };
  walk(start);
  return [...packages].sort();
}

/**
 * What only some configurations or rare moments need, each ≈ 2 MB of heap and more resident
 * (BENCHMARKS.md, "Where the memory goes"): loaded when used, never at start.
 */
const LOADED_WHEN_USED = [
  '@node-rs/argon2', // the gateway hashes in worker threads, which load their own
  '@simplewebauthn/server', // the first passkey ceremony
  'fast-xml-parser', // `gatehouse tokens import`
  'jose', // identity_jwt
  'ldapts', // authentication.ldap
  'libphonenumber-js/max', // SMS codes
  'nodemailer', // the first mail
  'pg', // storage.postgres
  'qrcode', // TOTP enrollment
  'web-push', // the first push
];

describe('what `gatehouse serve` loads at start', () => {
  it.each(['server/main.ts', 'server/gateway.ts'])('%s loads none of the packages only some configurations or moments need', async (entry) => {
    const loaded = await packagesLoadedAtStart(entry);
    expect(loaded.filter((name) => LOADED_WHEN_USED.includes(name))).toEqual([]);
    // The request path is there (the check would pass vacuously on an empty graph otherwise).
    expect(loaded).toEqual(expect.arrayContaining(['express', 'redis', 'undici', 'better-sqlite3']));
  });
});
