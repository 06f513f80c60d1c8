import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The server reads some folders at run time rather than bundling them (the portal's static
 * files, the companion app). The image's runtime stage must copy each, or the image starts
 * and serves 404s for them.
 */
describe('the Dockerfile runtime stage', () => {
  const dockerfile = readFileSync(fileURLToPath(new URL('../../Dockerfile', import.meta.url)), 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  it.each(['client/static', 'client/companion'])('copies %s', (folder) => {
    expect(runtime).toMatch(new RegExp(`^COPY ${folder} \\./${folder}$`, 'm'));
  });
});
