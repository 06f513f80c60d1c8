import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { LDAP_USERS, ldapConfigFor, startLdapFixture } from '../directory/ldap/testing/ldap-fixture.js';
import { captureIo } from '../testing/capture-io.js';
import type { TestSlapd } from '../testing/slapd-server.js';
import { startSilentServer, type SilentServer } from '../testing/tcp-proxy.js';
import { testStorage } from '../testing/test-storage.js';
import { runCheckConfig } from './check-config.js';
import { runDirectoryCommand } from './directory.js';
import { tempDirForFile } from '../testing/temp-dir.js';

let slapd: TestSlapd;
let silent: SilentServer;
const dir = tempDirForFile('gatehouse-directory-cli-');

function writeConfig(name: string, ldap: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    stringify({ server: { portal_url: 'https://auth.corp.example/' }, session: { store: 'memory' }, storage: testStorage(), authentication: { ldap }, ...extra }),
  );
  return path;
}

beforeAll(async () => {
  slapd = await startLdapFixture({ manyGroups: false });
  silent = await startSilentServer();
}, 120_000);

afterAll(async () => {
  await silent?.close();
  await slapd?.close();
});

describe('gatehouse directory test', () => {
  it('binds, finds the user and prints their groups, nested resolved, with the time of each step', async () => {
    const config = writeConfig('nested.yml', ldapConfigFor(slapd, { groups: { nested: true } }));
    const io = captureIo();
    expect(await runDirectoryCommand(['test', 'Dave', '--config', config], {}, io.io)).toBe(0);
    const out = io.out();
    expect(out).toMatch(new RegExp(`^connect\\+bind +${slapd.url.replace(/[.:/]/g, '\\$&')} as cn=gatehouse,ou=service,dc=corp,dc=test: OK \\(\\d+ ms\\)$`, 'm'));
    expect(out).toMatch(/^search +uid=dave,ou=people,dc=corp,dc=test \(\d+ ms\)$/m);
    expect(out).toMatch(/^username +dave$/m);
    expect(out).toMatch(/^display name +Dave Wu$/m);
    expect(out).toMatch(/^mail +dave@corp\.test$/m);
    expect(out).toMatch(/^mobile +\+886 900 000 001$/m);
    expect(out).toMatch(/^state +active$/m);
    expect(out).toMatch(/^groups +4 in \d+ searches \(\d+ ms\)$/m);
    expect(
      out
        .split('\n')
        .filter((line) => /^ {14}\S/.test(line))
        .map((line) => line.trim()),
    ).toEqual(['all-staff', 'dev', 'eng', 'ops']);
    expect(out).toMatch(/^refresh +users\.filter finds "dave" again by that name: OK$/m);
    expect(out).not.toContain(LDAP_USERS.dave.password);
  });

  it('warns when the user filter cannot find a user again by their username (the refresh would sign them out)', async () => {
    const config = writeConfig('mail-only.yml', ldapConfigFor(slapd, { users: { filter: '(&(objectClass=inetOrgPerson)(mail={username}))' } }));
    const io = captureIo();
    expect(await runDirectoryCommand(['test', 'dave@corp.test', '--config', config], {}, io.io)).toBe(1);
    expect(io.out()).toMatch(/^refresh +FAILED: users\.filter does not find this user by "dave"/m);
  });

  it('binds only when no user is named, and says what is wrong with a user it cannot use', async () => {
    const config = writeConfig('plain.yml', ldapConfigFor(slapd));
    const bare = captureIo();
    expect(await runDirectoryCommand(['test', '--config', config], {}, bare.io)).toBe(0);
    expect(bare.out().trim().split('\n')).toHaveLength(1);
    const twin = captureIo();
    expect(await runDirectoryCommand(['test', 'twin', '--config', config], {}, twin.io)).toBe(1);
    expect(twin.out()).toMatch(/more than one entry matches: sign-in refuses this name/);
    const nobody = captureIo();
    expect(await runDirectoryCommand(['test', 'nobody', '--config', config], {}, nobody.io)).toBe(1);
    expect(nobody.out()).toMatch(/no entry matches/);
    const reset = captureIo();
    expect(await runDirectoryCommand(['test', 'reset', '--config', config], {}, reset.io)).toBe(0);
    expect(reset.out()).toMatch(/^state +mustChange$/m);
  });

  it('fails with the reason when the service account or the server cannot be used', async () => {
    const refused = captureIo();
    expect(await runDirectoryCommand(['test', 'dave', '--config', writeConfig('badpw.yml', ldapConfigFor(slapd, { password: 'wrong' }))], {}, refused.io)).toBe(1);
    expect(refused.out()).toMatch(/^connect\+bind +FAILED \(\d+ ms\): the service account cn=gatehouse,ou=service,dc=corp,dc=test was refused/m);
    const hung = captureIo();
    expect(
      await runDirectoryCommand(
        ['test', '--config', writeConfig('hung.yml', ldapConfigFor(slapd, { url: `ldap://127.0.0.1:${silent.port}`, connect_timeout: '300ms', timeout: '300ms' }))],
        {},
        hung.io,
      ),
    ).toBe(1);
    expect(hung.out()).toMatch(/FAILED/);
    const none = captureIo();
    expect(await runDirectoryCommand(['test'], {}, none.io)).toBe(2);
    const noLdap = captureIo();
    const fileOnly = join(dir, 'file-only.yml');
    writeFileSync(join(dir, 'users.yml'), stringify({ users: {} }));
    writeFileSync(
      fileOnly,
      stringify({ server: { portal_url: 'https://auth.corp.example/' }, session: { store: 'memory' }, storage: testStorage(), authentication: { users_file: 'users.yml' } }),
    );
    expect(await runDirectoryCommand(['test', '--config', fileOnly], {}, noLdap.io)).toBe(1);
    expect(noLdap.err()).toMatch(/authentication.ldap is not configured/);
  });
});

describe('gatehouse check-config with LDAP', () => {
  it('validates the section, and connects to every URL with --connect', async () => {
    const config = writeConfig('two.yml', ldapConfigFor(slapd, { url: [slapd.url, slapd.ldapsUrl] }));
    const plain = captureIo();
    expect(await runCheckConfig(config, {}, plain.io)).toBe(0);
    expect(plain.out()).toMatch(/OK \(0 sites, 0 rules, LDAP openldap at 2 URLs\)/);
    const connect = captureIo();
    expect(await runCheckConfig(config, {}, connect.io, { connect: true })).toBe(0);
    expect(connect.out()).toContain(`${slapd.url}: connected and bound as cn=gatehouse,ou=service,dc=corp,dc=test`);
    expect(connect.out()).toContain(`${slapd.ldapsUrl}: connected and bound as`);
  });

  it('fails --connect on a server that cannot be used, naming it', async () => {
    const config = writeConfig('mixed.yml', ldapConfigFor(slapd, { url: [slapd.url, `ldap://127.0.0.1:${silent.port}`], connect_timeout: '300ms', timeout: '300ms' }));
    const io = captureIo();
    expect(await runCheckConfig(config, {}, io.io, { connect: true })).toBe(1);
    expect(io.err()).toContain(`ldap://127.0.0.1:${silent.port}: FAILED`);
  });

  it('warns when certificates are not checked, and reports filter errors with their path', async () => {
    const insecure = captureIo();
    expect(await runCheckConfig(writeConfig('insecure.yml', ldapConfigFor(slapd, { tls: { insecure_skip_verify: true } })), {}, insecure.io)).toBe(0);
    expect(insecure.err()).toMatch(/^warning: authentication\.ldap\.tls\.insecure_skip_verify is true/m);
    const broken = captureIo();
    expect(await runCheckConfig(writeConfig('broken.yml', ldapConfigFor(slapd, { users: { filter: '(&(uid={username})' } })), {}, broken.io)).toBe(1);
    expect(broken.err()).toContain('authentication.ldap.users.filter: is not an LDAP filter (unbalanced parentheses)');
  });
});
