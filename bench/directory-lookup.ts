/**
 * `npx tsx bench/directory-lookup.ts`: the directory's step of a proxied request, in process
 * and nothing else: `peekSessionUser` for a session's user, with the users file and with LDAP
 * as the directory (100 users each, every user's record copied on this instance as it is
 * between two expiries of session.cache_ttl). What `npm run bench` cannot resolve on a shared
 * machine, where two identical gateways measured alternately differ by up to 10 % (BENCHMARKS.md).
 * No LDAP server is asked: the hot path never asks one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ldapSchema } from '../server/config/ldap-schema.js';
import { createSilentLogger } from '../server/core/logger.js';
import { createCombinedDirectory } from '../server/directory/combined-directory.js';
import type { Directory } from '../server/directory/directory.js';
import { createLdapDirectory } from '../server/directory/ldap/ldap-directory.js';
import { resolveLdapSettings } from '../server/directory/ldap/ldap-settings.js';
import { createUsersFileDirectory } from '../server/directory/users-file.js';
import { createMemoryKv } from '../server/kv/memory-kv.js';
import type { SessionUser } from '../server/session/session.js';
import { hashTestPassword, TEST_HASH_POLICY } from '../server/testing/test-password-hash.js';

const USERS = 100;
const ROUNDS = 5;
const PER_ROUND = 2_000_000;

async function main(): Promise<void> {
  const logger = createSilentLogger();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-lookup-'));
  try {
    const people: SessionUser[] = Array.from({ length: USERS }, (_, i) => ({
      username: `user-${i}`,
      displayName: `User ${i}`,
      email: `user-${i}@corp.example`,
      groups: ['staff'],
    }));
    const usersFile = join(dir, 'users.yml');
    const entries: Record<string, unknown> = {};
    for (const p of people)
      entries[p.username] = { displayname: p.displayName, email: p.email, groups: p.groups, disabled: false, password: await hashTestPassword('unused-password') };
    writeFileSync(usersFile, stringify({ users: entries }));
    const file = createCombinedDirectory({ file: await createUsersFileDirectory({ logger, hashPolicy: TEST_HASH_POLICY }, { path: usersFile, watch: false }) }, { logger });

    const kv = createMemoryKv({ clock: { now: Date.now } });
    const settings = resolveLdapSettings(
      ldapSchema.parse({ implementation: 'openldap', url: 'ldap://127.0.0.1:1', bind_dn: 'cn=unused', password: 'unused', base_dn: 'dc=corp,dc=example' }),
    );
    const ldapDirectory = createLdapDirectory({ logger, kv, now: Date.now }, { settings, mirrorTtlMs: 600_000, recordTtlSeconds: 3600, refresh: false });
    const ldap = createCombinedDirectory({ ldap: ldapDirectory }, { logger });
    const ldapPeople = people.map((p) => ({ ...p, source: 'ldap' as const }));
    // Let the records' subscription go live, write each record as a sign-in would, and read it once.
    await new Promise((resolve) => setTimeout(resolve, 10));
    for (const p of ldapPeople)
      await kv.set(
        `ldap:user:${p.username}`,
        JSON.stringify({ dn: `uid=${p.username},dc=corp,dc=example`, user: p, passwordMark: null, checkedAt: Date.now(), signedInAt: Date.now() }),
        3600,
      );
    for (const p of ldapPeople) if (!(await ldap.loadSessionUser!(p))) throw new Error(`no record for ${p.username}`);

    const time = (directory: Directory, users: SessionUser[]) => {
      let found = 0;
      const started = process.hrtime.bigint();
      for (let i = 0; i < PER_ROUND; i++) if (directory.peekSessionUser!(users[i % users.length]!)) found++;
      if (found !== PER_ROUND) throw new Error('a user was not found');
      return Number(process.hrtime.bigint() - started) / PER_ROUND;
    };
    time(file, people);
    time(ldap, ldapPeople);
    const ns = { file: [] as number[], ldap: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      ns.file.push(time(file, people));
      ns.ldap.push(time(ldap, ldapPeople));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    process.stdout.write(`directory step of a proxied request (peekSessionUser, ${USERS} users, median of ${ROUNDS} × ${PER_ROUND}):\n`);
    process.stdout.write(`  users file ${median(ns.file).toFixed(0)} ns, LDAP ${median(ns.ldap).toFixed(0)} ns\n`);
    file.close();
    ldap.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`directory-lookup failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
