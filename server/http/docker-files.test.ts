import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

/**
 * What can be checked of the image without a Docker engine: the build context (.dockerignore)
 * keeps out what must not go in and lets in everything the Dockerfile copies; the health check
 * follows the configured port; docker-compose.yml agrees with the config it mounts.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(root + path, 'utf8');
const dockerfile = read('Dockerfile');
const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
const isIgnored = createDockerignoreMatcher(read('.dockerignore'));

/**
 * Docker's .dockerignore rules (moby/patternmatcher): patterns are paths from the context root
 * with `*` and `?` inside one segment and `**` for any number of segments; a pattern that matches
 * a folder takes everything under it; `!` lets back in; the last pattern that matches wins.
 */
function createDockerignoreMatcher(text: string): (path: string) => boolean {
  const patterns = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const exclusion = line.startsWith('!');
      const pattern = (exclusion ? line.slice(1) : line).replace(/^\/+/, '').replace(/\/+$/, '');
      const source = pattern
        .split('/')
        .map((segment) =>
          segment === '**'
            ? '(?:[^/]+/)*'
            : segment
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]') + '/',
        )
        .join('')
        .replace(/\/$/, '')
        .replace(/\(\?:\[\^\/\]\+\/\)\*$/, '.*');
      return { exclusion, regex: new RegExp(`^${source}$`) };
    });
  return (path) => {
    const parts = path.split('/');
    const selfAndParents = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let ignored = false;
    for (const { exclusion, regex } of patterns) {
      if (selfAndParents.some((p) => regex.test(p))) ignored = !exclusion;
    }
    return ignored;
  };
}

/** Test files, test helpers (testing/ folders), test data (fixtures/) and the companion's icon script. */
function isTestOnly(file: string): boolean {
  return /\.test\.ts$/.test(file) || /(^|\/)(testing|fixtures)\//.test(file) || file === 'client/companion/make-icons.mjs';
}

/** Sources of the Dockerfile's COPY instructions from the build context (not `--from=` a stage). */
function copiedFromContext(): string[] {
  return [...dockerfile.matchAll(/^COPY\s+(?!--from)(.+)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/).slice(0, -1));
}

describe('.dockerignore', () => {
  it('reads Docker’s rules as Docker does (checked on examples)', () => {
    const m = createDockerignoreMatcher('*\n!server\n**/node_modules\n**/*.db\n!keep.db\nlogs/*.log');
    expect([m('README.md'), m('server/main.ts'), m('server/node_modules/x/index.js'), m('server/a/b/c.db'), m('keep.db'), m('other.db')]).toEqual([
      true,
      false,
      true,
      true,
      false,
      true,
    ]);
    const n = createDockerignoreMatcher('logs/*.log\n**/tmp');
    expect([n('logs/a.log'), n('logs/sub/a.log'), n('tmp/x'), n('a/b/tmp/x'), n('a/tmpx')]).toEqual([true, false, true, true, false]);
  });

  it.each([
    'node_modules/express/index.js',
    '.git/config',
    '.git/objects/ab/cdef',
    'dist/server/main.js',
    'coverage/index.html',
    'gatehouse.db',
    'data/gatehouse.db-wal',
    'server/gatehouse.db',
    'server/node_modules/x.js',
    'client/dist/app.js',
    'bench/results.quick.json',
    'e2e/browser.e2e.test.ts',
    'deploy/storage-key.txt',
    'deploy/redis-password.txt',
    '.env',
    'server/.env.local',
    'tls/server.pem',
    'server/private.key',
    'npm-debug.log',
    'server/debug.log',
    '.demo/gatehouse.yml',
  ])('keeps %s out of the build context', (path) => {
    expect(isIgnored(path)).toBe(true);
  });

  it('lets in every tracked file under each path the Dockerfile copies from the context, tests and their scaffolding aside', () => {
    const sources = copiedFromContext();
    // The build stage's and the runtime stage's copies, and the folders read at run time.
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'server', 'client', 'client/companion']));
    const needed = tracked.filter((file) => sources.some((source) => file === source || file.startsWith(`${source}/`)) && !isTestOnly(file));
    expect(needed.length).toBeGreaterThan(200);
    expect(needed.filter(isIgnored)).toEqual([]);
  });

  it('keeps every test, test helper and test fixture out of the context, so out of the image', () => {
    const testOnly = tracked.filter(isTestOnly);
    // Guards the selection itself: the unit tests beside the code, the harness, the contract tests, the PSKC fixtures.
    expect(testOnly).toEqual(
      expect.arrayContaining([
        'server/testing/gateway-harness.ts',
        'server/storage/testing/storage-contract.ts',
        'server/kv/testing/kv-contract.ts',
        'client/companion/companion-core.test.ts',
        'client/static/webauthn-ceremonies.test.ts',
        'server/tokens/fixtures/rfc6030-figure2.pskc',
      ]),
    );
    expect(testOnly.length).toBeGreaterThan(150);
    expect(testOnly.filter((file) => !isIgnored(file))).toEqual([]);
  });
});

describe('Dockerfile', () => {
  const healthcheck = /^HEALTHCHECK .*$/m.exec(runtimeStage)?.[0] ?? '';

  it('checks health with `gatehouse healthcheck`, which asks the config for the port: none written in', () => {
    expect(healthcheck).toMatch(/CMD \["node", "dist\/server\/main\.js", "healthcheck"\]$/);
    expect(healthcheck).not.toMatch(/\b9091\b|curl|wget/);
  });

  it('gives serve and healthcheck the same config file, through GATEHOUSE_CONFIG', () => {
    expect(runtimeStage).toMatch(/^ENV .*\bGATEHOUSE_CONFIG=\/config\/gatehouse\.yml\b/m);
    const cmd = /^CMD (.*)$/m.exec(runtimeStage)?.[1];
    expect(JSON.parse(cmd ?? 'null')).toEqual(['serve']);
    // A --config on the command line would be one the health check never sees.
    expect(runtimeStage.split('\n').filter((line) => !line.startsWith('#'))).not.toContainEqual(expect.stringMatching(/--config/));
  });
});

describe('docker-compose.yml', () => {
  // Compose reads YAML merge keys (`<<: *gatehouse`); the rest is checked by docker-compose.int.test.ts.
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, { volumes?: string[]; ports?: string[]; command?: unknown; healthcheck?: unknown }>;
  };
  const instances = [compose.services['gatehouse-1']!, compose.services['gatehouse-2']!];
  const config = parse(read('deploy/gatehouse.yml')) as { server: { port: number; host: string } };

  it('mounts deploy/ where the image looks for its config; the load balancer publishes the port that config listens on', () => {
    for (const gatehouse of instances) expect(gatehouse.volumes).toContain('./deploy:/config:ro');
    expect(read('deploy/gatehouse.yml')).toMatch(/\S/);
    const published = (compose.services.proxy!.ports ?? []).map((p) => Number(String(p).split(':').at(-1)));
    expect(published).toEqual([config.server.port]);
    expect(read('deploy/compose/Caddyfile')).toMatch(new RegExp(`^:${config.server.port} \\{`, 'm'));
    // Listening on every address of the container, or the load balancer reaches nothing.
    expect(config.server.host).toBe('0.0.0.0');
  });

  it('leaves the command and health check to the image (which follow the config)', () => {
    for (const gatehouse of instances) {
      expect(gatehouse.command).toBeUndefined();
      expect(gatehouse.healthcheck).toBeUndefined();
    }
  });
});
