import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The portal's static files live in client/static. From source (server/http) and from the
 * build (dist/server/http) that folder sits at a different depth: take the first that exists.
 */
export function findStaticDir(): string {
  const candidates = ['../../client/static', '../../../client/static'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  const found = candidates.find((dir) => existsSync(dir));
  if (!found) throw new Error(`client/static not found (looked in ${candidates.join(', ')})`);
  return found;
}
