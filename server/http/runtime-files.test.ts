import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The server reads some folders at run time rather than bundling them: the portal's built
 * assets (dist/assets, made by npm run build) and the companion app. The image's runtime stage must copy each, or the image starts
 * and serves 404s for them.
 */
describe('the Dockerfile runtime stage', () => {
  const dockerfile = readFileSync(fileURLToPath(new URL('../../Dockerfile', import.meta.url)), 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  it.each(['client/companion'])('copies %s', (folder) => {
    expect(runtime).toMatch(new RegExp(`^COPY ${folder} \\./${folder}$`, 'm'));
  });

  it("copies the build, which holds the portal's built assets (dist/assets), and builds them in the build stage", () => {
    expect(runtime).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    const build = dockerfile.slice(0, dockerfile.lastIndexOf('\nFROM '));
    expect(build).toMatch(/^RUN npm run build\b/m);
    const scripts = (JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.build).toMatch(/&& node dist\/client\/assets\/build\.js$/);
  });
});
