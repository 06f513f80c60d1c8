import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The layering of the architecture (its table of parts: which folder may import which), checked
 * on every import of every production module under server/. A policy module that reaches for
 * Redis or the file system, a factor that imports the HTTP layer, a use-case that imports a
 * page, or anything that imports a test helper fails here, with the file and the import named.
 */

const repo = fileURLToPath(new URL('../', import.meta.url));
const serverDir = join(repo, 'server');

/** A part is a folder of server/ (or a root file of it, or a shared file of client/). */
type Part = string;

interface Rule {
  /** Parts whose values (functions, constants) it may import. */
  imports: readonly Part[];
  /** Parts it may import types from only: the contracts it is handed (an AuditLog, a Regulator), never their code. */
  types?: readonly Part[];
  /** Packages it must not import: the parts that are pure, or that must not do I/O themselves. */
  noPackages?: readonly string[];
}

/** I/O: files, sockets, processes, databases, HTTP, mail. */
const IO_PACKAGES = [
  'node:fs',
  'node:fs/promises',
  'node:http',
  'node:https',
  'node:http2',
  'node:child_process',
  'node:dgram',
  'node:dns',
  'node:tls',
  'node:worker_threads',
  'redis',
  'pg',
  'better-sqlite3',
  'undici',
  'express',
  'nodemailer',
  'web-push',
  'ldapts',
  'argon2',
];
const EVERYTHING_BELOW_HTTP = [
  'core',
  'config',
  'mail',
  'kv',
  'storage',
  'session',
  'policy',
  'directory',
  'factors',
  'regulation',
  'audit',
  'sign-in',
  'enrollment',
  'proxy',
  'identity',
  'gate',
  'sites',
  'tokens',
  'admin',
  'notifications',
];
/** The shared file of the push wire format, which the companion loads as is. */
const WIRE = 'client/companion/push-wire-format';

const RULES: Record<Part, Rule> = {
  core: { imports: [], noPackages: IO_PACKAGES.filter((p) => p !== 'node:fs') },
  // Reads the config file: the one I/O it does.
  config: { imports: ['core'] },
  // The Redis settings it is handed are config types.
  kv: { imports: ['core'], types: ['config'] },
  storage: { imports: ['core', 'config'] },
  session: { imports: ['core', 'config', 'kv'] },
  // Pure: rules compiled once, decisions from (request, session). Session only as types.
  policy: { imports: ['core', 'config'], types: ['session', 'sites'], noPackages: IO_PACKAGES },
  sites: { imports: ['core', 'config'], noPackages: IO_PACKAGES },
  directory: { imports: ['core', 'config', 'kv'], types: ['session'] },
  regulation: { imports: ['core', 'config', 'kv', 'storage'], types: ['audit'] },
  audit: { imports: ['core', 'config', 'storage'] },
  // Sends mail through the configured SMTP server; knows nothing of who or why.
  mail: { imports: ['core', 'config'] },
  // A factor verifies: never a session, a sign-in step or a page. The audit log and the regulator
  // it is handed are types (webauthn's clone warning, push's answers on the phone).
  factors: { imports: ['core', 'config', 'kv', 'storage', WIRE], types: ['audit', 'regulation'] },
  'sign-in': { imports: ['core', 'config', 'mail', 'factors', 'session', 'regulation', 'audit', 'directory', 'storage'], types: ['notifications', 'client/i18n'] },
  enrollment: { imports: ['core', 'config', 'mail', 'kv', 'storage', 'factors', 'session', 'regulation', 'audit', 'sign-in'], types: ['client/i18n'] },
  identity: { imports: ['core', 'config'], types: ['session'] },
  proxy: { imports: ['core', 'config', 'policy', 'session'] },
  gate: { imports: ['core', 'config', 'policy', 'session', 'directory'] },
  // Assigning a token asks the directory who the user is (LDAP: a search).
  tokens: { imports: ['core', 'config', 'storage', 'directory'] },
  // Factors: what the user page shows of a device (a TOTP device's clock drift).
  admin: { imports: ['core', 'config', 'sign-in', 'session', 'storage', 'audit', 'policy', 'directory', 'regulation', 'enrollment', 'tokens', 'factors'] },
  // client/assets: the built assets' manifest, and from source the on-demand build.
  http: { imports: [...EVERYTHING_BELOW_HTTP, 'client/views', 'client/i18n', 'client/assets', WIRE] },
  // Mails about audit events: it reads the directory (the address) and kv (known browsers).
  notifications: { imports: ['core', 'config', 'kv', 'mail', 'factors', 'client/i18n'], types: ['audit', 'directory'] },
  demo: { imports: ['core', 'config'] },
  gateway: { imports: [...EVERYTHING_BELOW_HTTP, 'http'] },
  commands: { imports: [...EVERYTHING_BELOW_HTTP, 'http', 'gateway', 'demo'] },
  main: { imports: ['commands', 'core', 'config'] },
};

interface Import {
  specifier: string;
  typeOnly: boolean;
}

/** Every import and re-export of a module's source, static or dynamic, with whether it brings types only. */
function importsOf(source: string): Import[] {
  const found: Import[] = [];
  const statement = /(?:^|[;\n])\s*(import|export)(\s+type)?\s+([^;'"]*?)\s*from\s*['"]([^'"]+)['"]/g;
  for (const m of source.matchAll(statement)) {
    const clause = m[3]!;
    // `import { type A, type B } from …` brings types only, as `import type { … }` does.
    const named = /^\{([^}]*)\}$/.exec(clause.trim());
    const allTypes = named !== null && named[1]!.split(',').every((s) => s.trim() === '' || /^type\s/.test(s.trim()));
    found.push({ specifier: m[4]!, typeOnly: Boolean(m[2]) || allTypes });
  }
  for (const m of source.matchAll(/(?:^|[;\n])\s*import\s*['"]([^'"]+)['"]/g)) found.push({ specifier: m[1]!, typeOnly: false });
  for (const m of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push({ specifier: m[1]!, typeOnly: false });
  return found;
}

/** The part a path under the repository belongs to: server's folder (or root file), or a shared part of client/. */
function partOf(path: string): Part {
  const rel = relative(repo, path).split(/[\\/]/);
  const bare = (name: string) => name.replace(/(\.d)?\.(ts|js)$/, '');
  if (rel[0] === 'client') {
    if (rel[1] === 'companion') return `client/companion/${bare(rel[2] ?? '')}`;
    return `client/${bare(rel[1] ?? '')}`;
  }
  if (rel[0] !== 'server') return rel[0]!;
  return rel.length === 2 ? bare(rel[1]!) : rel[1]!;
}

const isTestScaffolding = (path: string) => /(^|[\\/])testing[\\/]|\.test\.[jt]s$|[\\/]fixtures[\\/]/.test(path);

/** What is wrong with one module's imports, one line each. */
function violationsOf(file: string, source: string, devPackages: readonly string[]): string[] {
  const from = partOf(file);
  const rule = RULES[from];
  const where = relative(repo, file);
  if (!rule) return [`${where}: part "${from}" has no rule: add it to RULES (and to the architecture’s table of parts)`];
  const out: string[] = [];
  for (const { specifier, typeOnly } of importsOf(source)) {
    if (specifier.startsWith('.')) {
      const target = resolve(dirname(file), specifier);
      if (isTestScaffolding(target)) {
        out.push(`${where}: imports test scaffolding ${specifier}`);
        continue;
      }
      const to = partOf(target);
      if (to === from) continue;
      if (rule.imports.includes(to) || (typeOnly && rule.types?.includes(to))) continue;
      out.push(`${where}: ${from} may not import ${typeOnly ? 'types from ' : ''}${to} (${specifier})`);
      continue;
    }
    const pkg = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
    if (pkg === 'vitest' || devPackages.includes(pkg)) out.push(`${where}: imports the development package ${pkg}`);
    else if (!typeOnly && rule.noPackages?.includes(specifier.startsWith('node:') ? specifier : pkg)) out.push(`${where}: ${from} must not do I/O (${specifier})`);
  }
  return out;
}

function productionModules(dir = serverDir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'testing' || name === 'fixtures' ? [] : productionModules(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

const devPackages = Object.keys((JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies);

describe('the architecture’s import rules', () => {
  const modules = productionModules();

  it('hold for every production module under server/', () => {
    expect(modules.length).toBeGreaterThan(200);
    expect(modules.flatMap((file) => violationsOf(file, readFileSync(file, 'utf8'), devPackages))).toEqual([]);
  });

  it('see every import (guards the reader itself: multi-line, type-only, re-exports, dynamic)', () => {
    const source = [
      "import type { A } from './a.js';",
      "import {\n  b,\n  type C,\n} from '../b/b.js';",
      "import { type D, type E } from '../d/d.js';",
      "export { f } from './f.js';",
      "export type { G } from './g.js';",
      "import './side-effect.js';",
      "const h = await import('../h/h.js');",
      'const text = \'not an import from "./nothing.js"\';',
    ].join('\n');
    expect(importsOf(source)).toEqual([
      { specifier: './a.js', typeOnly: true },
      { specifier: '../b/b.js', typeOnly: false },
      { specifier: '../d/d.js', typeOnly: true },
      { specifier: './f.js', typeOnly: false },
      { specifier: './g.js', typeOnly: true },
      { specifier: './side-effect.js', typeOnly: false },
      { specifier: '../h/h.js', typeOnly: false },
    ]);
  });

  // What the check must catch, on made-up modules at real places.
  const at = (path: string) => join(serverDir, path);
  it.each([
    ['policy importing Redis', 'policy/x.ts', "import { createClient } from 'redis';", /policy must not do I\/O \(redis\)/],
    ['policy reading a file', 'policy/x.ts', "import { readFileSync } from 'node:fs';", /policy must not do I\/O \(node:fs\)/],
    ['policy importing the kv store', 'policy/x.ts', "import { createMemoryKv } from '../kv/memory-kv.js';", /policy may not import kv/],
    ['policy importing session code, not types', 'policy/x.ts', "import { createSessionStore } from '../session/session-store.js';", /policy may not import session/],
    ['a factor importing the HTTP layer', 'factors/otp/x.ts', "import type { GatewayContext } from '../../http/context.js';", /factors may not import types from http/],
    ['a factor rotating sessions', 'factors/push/x.ts', "import { createSessionStore } from '../../session/session-store.js';", /factors may not import session/],
    ['a factor writing audit with code of its own', 'factors/otp/x.ts', "import { createAuditLog } from '../../audit/create-audit-log.js';", /factors may not import audit/],
    [
      'a factor calling the sign-in use-case',
      'factors/webauthn/x.ts',
      "import { completeSecondFactor } from '../../sign-in/complete-second-factor.js';",
      /factors may not import sign-in/,
    ],
    ['the sign-in use-case importing the HTTP layer', 'sign-in/x.ts', "import { sendApiError } from '../http/api-errors.js';", /sign-in may not import http/],
    ['the sign-in use-case importing a page', 'sign-in/x.ts', "import { renderSignInPage } from '../../client/views/sign-in-page.js';", /sign-in may not import client\/views/],
    ['core importing anything of ours', 'core/x.ts', "import type { Config } from '../config/schema.js';", /core may not import types from config/],
    ['storage importing the HTTP layer', 'storage/x.ts', "import { createPortalApp } from '../http/create-portal-app.js';", /storage may not import http/],
    ['the HTTP layer importing a command', 'http/x.ts', "import { runCheckConfig } from '../commands/check-config.js';", /http may not import commands/],
    ['a module importing a test helper', 'http/x.ts', "import { startGatewayHarness } from '../testing/gateway-harness.js';", /imports test scaffolding/],
    [
      'a module importing a factor’s test helper',
      'factors/webauthn/x.ts',
      "import { createSoftAuthenticator } from './testing/soft-authenticator.js';",
      /imports test scaffolding/,
    ],
    ['a module importing vitest', 'core/x.ts', "import { expect } from 'vitest';", /development package vitest/],
    ['a module importing a browser driver', 'http/x.ts', "import { chromium } from 'playwright-core';", /development package playwright-core/],
  ])('refuses %s', (_name, path, source, message) => {
    const found = violationsOf(at(path), source, devPackages);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it.each([
    ['policy using session types', 'policy/x.ts', "import type { FactorUse } from '../session/session.js';"],
    ['a factor handed a regulator', 'factors/push/x.ts', "import type { Regulator } from '../../regulation/regulator.js';"],
    ['the push factor using the shared wire format', 'factors/push/x.ts', "import { answerText } from '../../../client/companion/push-wire-format.js';"],
    ['the sign-in use-case verifying with a factor', 'sign-in/x.ts', "import type { Factor } from '../factors/factor.js';"],
    ['the HTTP layer rendering a page', 'http/x.ts', "import { renderSignInPage } from '../../client/views/sign-in-page.js';"],
  ])('allows %s', (_name, path, source) => {
    expect(violationsOf(at(path), source, devPackages)).toEqual([]);
  });
});
