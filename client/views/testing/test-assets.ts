import type { BuiltFile, PortalAssets } from '../../assets/asset-manifest.js';
import { PAGE_BUNDLES, type BundleName } from '../../assets/page-bundles.js';

/** Built-file names for view tests: what the build would name, with a fixed hash and SRI value. */
export function testFile(name: string, extension: 'js' | 'css'): BuiltFile {
  return { file: `${name}.TESTHASH.${extension}`, integrity: `sha384-test-${name}` };
}

export const TEST_ASSETS: PortalAssets = {
  scripts: Object.fromEntries(PAGE_BUNDLES.map((bundle) => [bundle, testFile(bundle, 'js')])) as Record<BundleName, BuiltFile>,
  styles: { portal: testFile('portal', 'css'), console: testFile('console', 'css') },
};

/** The one script tag the layout writes for `bundle`. */
export function testScriptTag(basePath: string, bundle: BundleName): string {
  const { file, integrity } = TEST_ASSETS.scripts[bundle];
  return `<script type="module" src="${basePath}static/${file}" integrity="${integrity}"></script>`;
}

/** The stylesheet link the layout writes for `style`. */
export function testStylesheetTag(basePath: string, style: 'portal' | 'console'): string {
  const { file, integrity } = TEST_ASSETS.styles[style];
  return `<link rel="stylesheet" href="${basePath}static/${file}" integrity="${integrity}">`;
}

/** The bundles a page's script tags load; a tag that is not exactly a bundle's tag fails the test. */
export function scriptBundles(out: string, basePath: string, expectDefined: (name: BundleName | undefined, tag: string) => void): BundleName[] {
  return (out.match(/<script[^>]*>[^<]*<\/script>|<script/gi) ?? []).map((tag) => {
    const name = PAGE_BUNDLES.find((bundle) => tag === testScriptTag(basePath, bundle));
    expectDefined(name, tag);
    return name!;
  });
}
