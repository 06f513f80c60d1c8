import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build, type Metafile, type Plugin } from 'esbuild';
import { MANIFEST_FILE, type AssetManifest, type BuiltFile, type CacheClass, type PortalAssets } from './asset-manifest.js';
import { bundleEntries, PAGE_BUNDLES, type BundleName } from './page-bundles.js';

/** Text files worth compressing; a compressed copy is kept only where it is smaller. */
const COMPRESSIBLE = /\.(?:js|css|map|svg|html|webmanifest|json)$/;
const STYLES = ['portal', 'console'] as const;
/** Served as they are, under their own names (a page or a test may name them directly). */
const PLAIN_FILES = ['favicon.svg'];

/**
 * Builds the portal's static files from `clientDir` (client/) into `outDir`: one minified
 * bundle per page (page-bundles.ts) and the stylesheets, under content-hashed names with
 * linked source maps; each text file also as .br and .gz; and manifest.json, which names them.
 * `npm run build` writes dist/assets; from source the server builds on demand (build-cache.ts).
 */
export async function buildAssets(options: { clientDir: string; outDir: string }): Promise<AssetManifest> {
  const staticDir = join(options.clientDir, 'static');
  const outStatic = join(options.outDir, 'static');
  await mkdir(outStatic, { recursive: true });

  const result = await build({
    entryPoints: [
      ...PAGE_BUNDLES.map((bundle) => ({ in: `${BUNDLE_NAMESPACE}:${bundle}`, out: bundle })),
      ...STYLES.map((style) => ({ in: join(staticDir, `${style}.css`), out: style })),
    ],
    plugins: [pageBundleEntries(staticDir)],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    entryNames: '[name].[hash]',
    outdir: outStatic,
    write: false,
    metafile: true,
    absWorkingDir: options.clientDir,
    logLevel: 'silent',
  });

  const files: Record<string, CacheClass> = {};
  for (const output of result.outputFiles) {
    const name = basename(output.path);
    await writeWithCompressed(join(outStatic, name), output.contents);
    files[name] = 'immutable';
  }
  for (const name of PLAIN_FILES) {
    await copyFile(join(staticDir, name), join(outStatic, name));
    await writeWithCompressed(join(outStatic, name), await readFile(join(staticDir, name)), { copyOnly: true });
    files[name] = 'day';
  }

  const built = entriesOf(result.metafile, result.outputFiles, options.clientDir);
  const portal: PortalAssets = {
    scripts: Object.fromEntries(PAGE_BUNDLES.map((bundle) => [bundle, pick(built, `${BUNDLE_NAMESPACE}:${bundle}`)])) as Record<BundleName, BuiltFile>,
    styles: { portal: pick(built, join(staticDir, 'portal.css')), console: pick(built, join(staticDir, 'console.css')) },
  };
  const manifest: AssetManifest = { portal, static: files };
  await writeFile(join(options.outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

const BUNDLE_NAMESPACE = 'page-bundle';

/** `page-bundle:webauthn+local-time` → a module that imports static/webauthn.js and static/local-time.js. */
function pageBundleEntries(staticDir: string): Plugin {
  return {
    name: 'page-bundles',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: new RegExp(`^${BUNDLE_NAMESPACE}:`) }, (args) => ({ path: args.path.slice(BUNDLE_NAMESPACE.length + 1), namespace: BUNDLE_NAMESPACE }));
      pluginBuild.onLoad({ filter: /.*/, namespace: BUNDLE_NAMESPACE }, (args) => {
        const bundle = args.path as BundleName;
        if (!PAGE_BUNDLES.includes(bundle)) return { errors: [{ text: `unknown page bundle ${args.path}` }] };
        return {
          contents: bundleEntries(bundle)
            .map((file) => `import './${file}';`)
            .join('\n'),
          resolveDir: staticDir,
          loader: 'js',
        };
      });
    },
  };
}

/** Entry point (as esbuild names it in the metafile) → its built file and SRI value. */
function entriesOf(metafile: Metafile, outputs: readonly { path: string; contents: Uint8Array }[], workingDir: string): Map<string, BuiltFile> {
  const byPath = new Map(outputs.map((o) => [o.path, o.contents]));
  const entries = new Map<string, BuiltFile>();
  // The metafile's paths are relative to the working directory; virtual entries keep their namespace.
  for (const [path, output] of Object.entries(metafile.outputs)) {
    if (!output.entryPoint) continue;
    const contents = byPath.get(resolve(workingDir, path));
    if (!contents) throw new Error(`esbuild output ${path} missing from its own results`);
    const integrity = `sha384-${createHash('sha384').update(contents).digest('base64')}`;
    const entry = output.entryPoint.startsWith(`${BUNDLE_NAMESPACE}:`) ? output.entryPoint : resolve(workingDir, output.entryPoint);
    entries.set(entry, { file: basename(path), integrity });
  }
  return entries;
}

function pick(built: Map<string, BuiltFile>, entry: string): BuiltFile {
  const file = built.get(entry);
  if (!file) throw new Error(`no built file for ${entry}`);
  return file;
}

async function writeWithCompressed(path: string, contents: Uint8Array, options: { copyOnly?: boolean } = {}): Promise<void> {
  if (!options.copyOnly) await writeFile(path, contents);
  if (!COMPRESSIBLE.test(path)) return;
  const br = brotliCompressSync(contents, {
    params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: contents.length },
  });
  const gz = gzipSync(contents, { level: 9 });
  if (br.length < contents.length) await writeFile(`${path}.br`, br);
  if (gz.length < contents.length) await writeFile(`${path}.gz`, gz);
}
