import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryUnavailableError } from '../../core/errors.js';
import { createSilentLogger } from '../../core/logger.js';
import { createMemoryKv } from '../../kv/memory-kv.js';
import { SERVICE_PASSWORD, type TestSlapd } from '../../testing/slapd-server.js';
import { startSilentServer, startTcpProxy, type SilentServer } from '../../testing/tcp-proxy.js';
import { createLdapDirectory, type LdapDirectory } from './ldap-directory.js';
import { LDAP_USERS, ldapSettingsFor, startLdapFixture } from './testing/ldap-fixture.js';

let slapd: TestSlapd;
let silent: SilentServer;
const open: LdapDirectory[] = [];

function directory(overrides: Record<string, unknown> = {}): LdapDirectory {
  const created = createLdapDirectory(
    { logger: createSilentLogger(), kv: createMemoryKv({ clock: { now: Date.now } }), now: Date.now },
    { settings: ldapSettingsFor(slapd, { connect_timeout: '500ms', timeout: '700ms', ...overrides }), mirrorTtlMs: 10_000, recordTtlSeconds: 3600, refresh: false },
  );
  open.push(created);
  return created;
}

const aliceSignsIn = async (d: LdapDirectory) => (await d.verifyPassword('alice', LDAP_USERS.alice.password)).ok;

beforeAll(async () => {
  slapd = await startLdapFixture({ manyGroups: false });
  silent = await startSilentServer();
}, 120_000);

// A test that failed halfway must not leave the server stopped or frozen for the next ones.
afterEach(async () => {
  slapd?.thaw();
  await slapd?.start();
});
afterAll(async () => {
  for (const d of open) d.close();
  await silent?.close();
  await slapd?.close();
});

describe('servers that fail', () => {
  it('moves on from a server that accepts TCP and never answers to the next URL', async () => {
    const before = silent.connections;
    expect(await aliceSignsIn(directory({ url: [`ldap://127.0.0.1:${silent.port}`, slapd.url] }))).toBe(true);
    expect(silent.connections).toBeGreaterThan(before);
    expect(await aliceSignsIn(directory({ url: [`ldaps://127.0.0.1:${silent.port}`, slapd.url] }))).toBe(true);
  });

  it('is unavailable, within its timeouts, when the only server never answers (StartTLS or LDAPS)', async () => {
    for (const url of [`ldap://127.0.0.1:${silent.port}`, `ldaps://127.0.0.1:${silent.port}`]) {
      const started = Date.now();
      await expect(directory({ url }).verifyPassword('alice', LDAP_USERS.alice.password)).rejects.toBeInstanceOf(DirectoryUnavailableError);
      expect(Date.now() - started).toBeLessThan(10_000);
    }
  });

  it('fails one sign-in when the server dies mid-search, and recovers when it is back', async () => {
    const d = directory();
    expect(await aliceSignsIn(d)).toBe(true);
    slapd.freeze();
    const attempt = d.verifyPassword('alice', LDAP_USERS.alice.password).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await slapd.kill();
    expect(await attempt).toBeInstanceOf(DirectoryUnavailableError);
    await expect(d.verifyPassword('alice', LDAP_USERS.alice.password)).rejects.toBeInstanceOf(DirectoryUnavailableError);
    await slapd.start();
    expect(await aliceSignsIn(d)).toBe(true);
  });

  it('replaces pooled connections the server dropped, without an error', async () => {
    const d = directory();
    expect(await aliceSignsIn(d)).toBe(true);
    await slapd.kill();
    await slapd.start();
    expect(await aliceSignsIn(d)).toBe(true);
    expect(await aliceSignsIn(d)).toBe(true);
  });

  it('never sends a password in the clear over ldap://, across reconnects', async () => {
    const proxy = await startTcpProxy(slapd.port);
    try {
      const d = directory({ url: `ldap://127.0.0.1:${proxy.port}` });
      expect(await aliceSignsIn(d)).toBe(true);
      expect((await d.verifyPassword('alice', 'a-wrong-password-of-alice')).ok).toBe(false);
      // Connections drop; the pool must reconnect with StartTLS, never as plain LDAP.
      await slapd.kill();
      await slapd.start();
      expect(await aliceSignsIn(d)).toBe(true);
      const wire = proxy.sent();
      expect(wire.includes(Buffer.from('1.3.6.1.4.1.1466.20037'))).toBe(true);
      for (const secret of [LDAP_USERS.alice.password, 'a-wrong-password-of-alice', SERVICE_PASSWORD]) {
        expect(wire.includes(Buffer.from(secret, 'utf8'))).toBe(false);
      }
      expect(proxy.connections).toBeGreaterThanOrEqual(2);
    } finally {
      await proxy.close();
    }
  });
});
