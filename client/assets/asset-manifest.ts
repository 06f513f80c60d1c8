import type { BundleName } from './page-bundles.js';

/** A built file: its (hashed) name and its Subresource Integrity value. */
export interface BuiltFile {
  file: string;
  integrity: string;
}

/** What a page's markup needs to name the portal's built files (client/views/layout.ts). */
export interface PortalAssets {
  scripts: Record<BundleName, BuiltFile>;
  styles: Record<'portal' | 'console', BuiltFile>;
}

/** How long a browser may keep a served file. */
export type CacheClass = 'immutable' | 'day' | 'no-cache';

/**
 * manifest.json beside the built files: what the pages reference, and every file the server
 * serves under static/ with its cache class. The server serves only the files listed here.
 */
export interface AssetManifest {
  portal: PortalAssets;
  static: Record<string, CacheClass>;
}

export const MANIFEST_FILE = 'manifest.json';
