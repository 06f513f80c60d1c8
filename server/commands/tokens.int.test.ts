import { captureIo } from '../testing/capture-io.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfigFile } from '../config/load-config.js';
import { createFixedClock } from '../core/clock.js';
import { createSilentLogger } from '../core/logger.js';
import { generateHotp, generateTotp } from '../factors/otp/generate-otp.js';
import { createOtpFactor } from '../factors/otp/otp-factor.js';
import { createMemoryKv } from '../kv/memory-kv.js';
import { openSqliteStorage } from '../storage/sqlite-storage.js';
import { storageOptionsFromConfig } from '../storage/storage-options.js';
import type { Storage } from '../storage/storage.js';
import { testStorage } from '../testing/test-storage.js';
import { runTokensCommand } from './tokens.js';
import { LOOKUP_ONLY_HASH as HASH } from '../testing/test-password-hash.js';
import { tempDirForFile } from '../testing/temp-dir.js';

/**
 * The token commands end to end on the real SQLite storage, opened the way `gatehouse tokens`
 * opens it (storage.path beside the config file), then the imported token used to sign in.
 */
const dir = tempDirForFile('gatehouse-tokens-int-');
const fixture = (name: string) => fileURLToPath(new URL(`../tokens/fixtures/${name}`, import.meta.url));
const RFC_SECRET = Buffer.from('12345678901234567890');
const NOW = 1_700_000_000_000;

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function config(name: string, storagePath: string): string {
  return file(
    name,
    stringify({
      server: { portal_url: 'https://auth.corp.example/' },
      session: { store: 'memory', domain: 'corp.example' },
      authentication: { users_file: 'users.yml' },
      storage: testStorage(storagePath),
      sites: [{ name: 'wiki', url: 'https://wiki.corp.example/' }],
      access_control: { rules: [{ domain: 'wiki.corp.example', policy: 'one_factor' }] },
    }),
  );
}

file('users.yml', stringify({ users: { alice: { displayname: 'Alice', password: HASH }, bob: { displayname: 'Bob', password: HASH } } }));
const CONFIG = config('gatehouse.yml', 'data/../tokens.db');
const DATABASE = join(dir, 'tokens.db');

async function run(...args: string[]) {
  const captured = captureIo();
  const code = await runTokensCommand([...args, '--config', CONFIG], {}, { ...captured.io, stdin: new PassThrough().end(), isTTY: false }, { now: () => NOW });
  return { code, out: captured.out(), err: captured.err() };
}

function openDatabase(): Storage {
  const loaded = loadConfigFile(CONFIG, {});
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  return openSqliteStorage(storageOptionsFromConfig(loaded.config.storage, CONFIG), { logger: createSilentLogger() });
}

describe('gatehouse tokens on SQLite', () => {
  beforeAll(() => expect(existsSync(DATABASE)).toBe(false));
  afterAll(() => expect(existsSync(DATABASE)).toBe(true));

  it('list refuses a database that does not exist instead of creating an empty one', async () => {
    const result = await run('list');
    expect(result.code).toBe(1);
    expect(result.err).toContain(`${DATABASE}: no database there (storage.path)`);
    expect(existsSync(DATABASE)).toBe(false);
  });

  it('imports the RFC 6030 Figure 7 file, creating the database beside the config, secrets sealed', async () => {
    const result = await run('import', fixture('rfc6030-figure7.pskc'), '--password-file', file('password', 'qwerty\n'));
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toMatch(/^Imported 1 token \(1 HOTP, 0 TOTP\)/);
    const storage = openDatabase();
    try {
      const token = await storage.otpDevices.findBySerial('987654321');
      expect(token).toMatchObject({ username: null, kind: 'hotp', digits: 8, counter: 0, confirmed: true, createdAt: NOW });
      expect(token!.secret.equals(RFC_SECRET)).toBe(true);
    } finally {
      storage.close();
    }
    // Sealed at rest: the seed appears nowhere in the file (WAL included) in any encoding.
    const bytes = Buffer.concat([readFileSync(DATABASE), ...(existsSync(`${DATABASE}-wal`) ? [readFileSync(`${DATABASE}-wal`)] : [])]);
    for (const form of [RFC_SECRET, Buffer.from(RFC_SECRET.toString('hex')), Buffer.from(RFC_SECRET.toString('base64'))]) expect(bytes.includes(form)).toBe(false);
  });

  it('imports nothing from a batch with one bad row, or with a serial already stored', async () => {
    const rows = Array.from({ length: 5 }, (_, i) => `G${i},${Buffer.alloc(20, i + 1).toString('hex')},hotp,6,,0`);
    const bad = await run('import', file('bad.csv', ['serial,secret,type,digits,period,counter', ...rows, 'B1,abc10,hotp,6,,0'].join('\n')));
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/nothing was imported \(1 error\):\n {2}line 7 \(serial B1\): the secret is not valid hex/);
    const again = await run('import', file('again.csv', ['serial,secret,type,digits,period,counter', ...rows, `987654321,${RFC_SECRET.toString('hex')},hotp,8,,0`].join('\n')));
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/serial 987654321 is already imported/);
    const list = await run('list');
    expect(list.out).toBe('SERIAL     KIND  DIGITS  PERIOD  USER\n987654321  hotp  8       -       -\n');
  });

  it('assigns the token to a user, who then signs in with its RFC 4226 codes, each once', async () => {
    expect((await run('assign', '987654321', 'Alice')).code).toBe(0);
    const taken = await run('assign', '987654321', 'bob');
    expect(taken).toMatchObject({ code: 1, err: 'gatehouse tokens assign: token 987654321 is assigned to alice; unassign it first\n' });
    expect((await run('list')).out).toContain('987654321  hotp  8       -       alice\n');

    const storage = openDatabase();
    try {
      const loaded = loadConfigFile(CONFIG, {});
      if (!loaded.ok) throw new Error('config');
      const factor = createOtpFactor({ storage, kv: createMemoryKv({ clock: createFixedClock(NOW) }) }, { kind: 'hotp', config: loaded.config.second_factors });
      // RFC 4226 Appendix D, counters 0 and 1, as 8 digits.
      expect(await factor.verify({ username: 'alice', response: '84755224', now: NOW })).toMatchObject({ ok: true });
      expect(await factor.verify({ username: 'alice', response: '84755224', now: NOW })).toMatchObject({ ok: false });
      expect(await factor.verify({ username: 'bob', response: '94287082', now: NOW })).toMatchObject({ ok: false });
      expect(await factor.verify({ username: 'alice', response: '94287082', now: NOW })).toMatchObject({ ok: true });
    } finally {
      storage.close();
    }
  });

  it('unassigns the token, which then no longer signs its former owner in', async () => {
    const result = await run('unassign', '987654321');
    expect(result).toMatchObject({ code: 0, out: 'Token 987654321 unassigned from alice.\n' });
    const storage = openDatabase();
    try {
      expect(await storage.otpDevices.listForUser('alice')).toEqual([]);
      expect(await storage.otpDevices.findBySerial('987654321')).toMatchObject({ username: null, counter: 2 });
      // Both changes are administrator actions in the audit log, each once, with the operator as actor.
      const events = (await storage.auditEvents.query({ limit: 50 })).filter((e) => e.kind.startsWith('admin.token_'));
      expect(events.map((e) => [e.kind, e.subject, e.details.serial, e.details.status])).toEqual([
        ['admin.token_unassign', 'alice', '987654321', 'unassigned'],
        ['admin.token_assign', 'alice', '987654321', 'assigned'],
        ['admin.token_import', null, undefined, undefined],
      ]);
      expect(events.every((e) => e.actor?.startsWith('cli:'))).toBe(true);
    } finally {
      storage.close();
    }
  });

  it('refuses to open a database whose secrets were sealed under a key the config no longer lists', async () => {
    const otherKey = config('other-key.yml', 'tokens.db');
    writeFileSync(otherKey, readFileSync(otherKey, 'utf8').replace(/id: test-1/, 'id: test-2'));
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (c) => (err += c));
    expect(await runTokensCommand(['list', '--config', otherKey], {}, { stdout, stderr })).toBe(1);
    expect(err).toMatch(/key id "test-1"/);
  });
});

describe('gatehouse tokens resync', () => {
  const hotp = (counter: number) => generateHotp(RFC_SECRET, counter, { digits: 6, algorithm: 'SHA1' });
  const TOTP_SECRET = Buffer.alloc(20, 0x42);
  const totpAt = (ms: number) => generateTotp(TOTP_SECRET, ms, { period: 30, digits: 6, algorithm: 'SHA1' });

  async function factorFor(kind: 'hotp' | 'totp', now: number) {
    const loaded = loadConfigFile(CONFIG, {});
    if (!loaded.ok) throw new Error('config');
    const storage = openDatabase();
    return { storage, factor: createOtpFactor({ storage, kv: createMemoryKv({ clock: createFixedClock(now) }) }, { kind, config: loaded.config.second_factors }) };
  }

  it('puts an HOTP token whose counter ran past the look-ahead back in step, from two consecutive codes', async () => {
    const csv = ['serial,secret,type,digits,period,counter', `RS-1,hex:${RFC_SECRET.toString('hex')},hotp,6,,0`].join('\n');
    expect((await run('import', file('resync.csv', csv))).code).toBe(0);
    expect((await run('assign', 'RS-1', 'bob')).code).toBe(0);
    // The button was pressed 40 times away from any sign-in.
    let { storage, factor } = await factorFor('hotp', NOW);
    expect(await factor.verify({ username: 'bob', response: hotp(40), now: NOW })).toEqual({ ok: false, reason: 'invalid-code' });
    storage.close();

    expect((await run('resync', 'RS-1', hotp(40), hotp(42))).code).toBe(1); // not consecutive
    const ok = await run('resync', 'RS-1', hotp(40), hotp(41));
    expect(ok).toMatchObject({ code: 0, out: 'RS-1 resynchronised: next counter 42.\n' });
    expect((await run('resync', 'RS-1', hotp(40), hotp(41))).code).toBe(1); // those codes are behind it now

    ({ storage, factor } = await factorFor('hotp', NOW));
    try {
      // One audit event for the one resync that changed the token, as the console writes it.
      const events = (await storage.auditEvents.query({ limit: 50 })).filter((e) => e.kind === 'admin.token_resync');
      expect(events.map((e) => [e.subject, e.details.serial, e.details.kind])).toEqual([['bob', 'RS-1', 'hotp']]);
      expect(await factor.verify({ username: 'bob', response: hotp(41), now: NOW })).toMatchObject({ ok: false });
      expect(await factor.verify({ username: 'bob', response: hotp(42), now: NOW })).toMatchObject({ ok: true });
    } finally {
      storage.close();
    }
  });

  it('learns the offset of a TOTP token whose clock runs 5 minutes fast', async () => {
    const csv = ['serial,secret,type,digits,period,counter', `RS-2,hex:${TOTP_SECRET.toString('hex')},totp,6,30,0`].join('\n');
    expect((await run('import', file('resync-totp.csv', csv))).code).toBe(0);
    expect((await run('assign', 'RS-2', 'bob')).code).toBe(0);
    const FAST = 5 * 60_000;
    let { storage, factor } = await factorFor('totp', NOW);
    expect(await factor.verify({ username: 'bob', response: totpAt(NOW + FAST), now: NOW })).toEqual({ ok: false, reason: 'invalid-code' });
    storage.close();

    const ok = await run('resync', 'RS-2', totpAt(NOW + FAST), totpAt(NOW + FAST + 30_000));
    expect(ok).toMatchObject({ code: 0, out: 'RS-2 resynchronised: clock offset 11 steps.\n' });

    const later = NOW + 60_000;
    ({ storage, factor } = await factorFor('totp', later));
    try {
      expect(await factor.verify({ username: 'bob', response: totpAt(later + FAST), now: later })).toMatchObject({ ok: true });
    } finally {
      storage.close();
    }
  });
});

describe('a multiOTP export on SQLite: the encrypted counter and time step are kept', () => {
  const HOTP_SECRET = Buffer.from('multiOTP-hotp-key-01');
  const TOTP_SECRET = Buffer.from('multiOTP-totp-key-01');

  it('imports it with the pre-shared key; the HOTP token goes on from counter 1234 and the TOTP token steps by 60 s', async () => {
    const result = await run('import', fixture('multiotp-export.pskc'), '--key-file', file('multiotp.key', '12345678901234567890123456789012\n'));
    expect(result).toMatchObject({ code: 0, out: `Imported 4 tokens (2 HOTP, 2 TOTP) from ${fixture('multiotp-export.pskc')}.\n`, err: '' });
    expect((await run('assign', 'MOTP-H1', 'alice')).code).toBe(0);
    expect((await run('assign', 'MOTP-T2', 'bob')).code).toBe(0);

    const loaded = loadConfigFile(CONFIG, {});
    if (!loaded.ok) throw new Error('config');
    const storage = openDatabase();
    try {
      const kv = createMemoryKv({ clock: createFixedClock(NOW) });
      const hotpFactor = createOtpFactor({ storage, kv }, { kind: 'hotp', config: loaded.config.second_factors });
      const hotp = (counter: number) => generateHotp(HOTP_SECRET, counter, { digits: 6, algorithm: 'SHA1' });
      // A code of a counter the old server had used already is refused; the next one is accepted.
      expect(await hotpFactor.verify({ username: 'alice', response: hotp(5), now: NOW })).toMatchObject({ ok: false });
      expect(await hotpFactor.verify({ username: 'alice', response: hotp(1233), now: NOW })).toMatchObject({ ok: false });
      expect(await hotpFactor.verify({ username: 'alice', response: hotp(1234), now: NOW })).toMatchObject({ ok: true });

      const totpFactor = createOtpFactor({ storage, kv }, { kind: 'totp', config: loaded.config.second_factors });
      const at = NOW + 45_000;
      expect(await totpFactor.verify({ username: 'bob', response: generateTotp(TOTP_SECRET, at, { period: 60, digits: 6, algorithm: 'SHA1' }), now: at })).toMatchObject({
        ok: true,
      });
    } finally {
      storage.close();
    }
  });
});
