import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DuplicateSerialError } from '../storage/storage.js';
import { testStorage } from '../testing/test-storage.js';
import { buildPskc, testSecret } from '../tokens/testing/build-pskc.js';
import { createMemoryTokenStorage } from '../tokens/testing/memory-token-storage.js';
import { runTokensCommand, type TokensCommandDeps } from './tokens.js';
import { LOOKUP_ONLY_HASH as HASH } from '../testing/test-password-hash.js';
import { tempDirForFile } from '../testing/temp-dir.js';

const dir = tempDirForFile('gatehouse-tokens-');
const fixture = (name: string) => fileURLToPath(new URL(`../tokens/fixtures/${name}`, import.meta.url));
const RFC_SECRET = Buffer.from('12345678901234567890');
const HEX = RFC_SECRET.toString('hex');

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

writeFileSync(
  join(dir, 'users.yml'),
  stringify({
    users: { alice: { displayname: 'Alice', password: HASH }, bob: { displayname: 'Bob', password: HASH }, carol: { displayname: 'Carol', password: HASH, disabled: true } },
  }),
);
const CONFIG = file(
  'gatehouse.yml',
  stringify({
    server: { portal_url: 'https://auth.corp.example/' },
    session: { store: 'memory', domain: 'corp.example' },
    authentication: { users_file: 'users.yml' },
    storage: testStorage(),
    sites: [{ name: 'wiki', url: 'https://wiki.corp.example/' }],
    access_control: { rules: [{ domain: 'wiki.corp.example', policy: 'one_factor' }] },
  }),
);
const FIGURE3 = fixture('rfc6030-figure3.pskc');
const FIGURE6 = fixture('rfc6030-figure6.pskc');
const FIGURE7 = fixture('rfc6030-figure7.pskc');
const FIGURE5 = fixture('rfc6030-figure5.pskc');
const FIGURE9 = fixture('rfc6030-figure9.pskc');
const FIGURE10 = fixture('rfc6030-figure10.pskc');
const MULTIOTP = fixture('multiotp-export.pskc');
const PASSWORD_FILE = file('password.txt', 'qwerty\n');
const KEY_FILE = file('psk.hex', '12345678901234567890123456789012\n');

/** Every byte any command printed, to check no secret ever appears in it. */
const printed: string[] = [];

function harness(options: { stdin?: string; storage?: ReturnType<typeof createMemoryTokenStorage> } = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const stdin = new PassThrough();
  if (options.stdin !== undefined) stdin.end(options.stdin);
  const storage = options.storage ?? createMemoryTokenStorage();
  const deps: TokensCommandDeps = { openStorage: async () => storage, now: () => 1_700_000_000_000 };
  return {
    storage,
    out: () => out,
    err: () => err,
    run: async (...args: string[]) => {
      const code = await runTokensCommand([...args, '--config', CONFIG], {}, { stdout, stderr, stdin, isTTY: false }, deps);
      printed.push(out, err);
      return code;
    },
  };
}

describe('gatehouse tokens import: PSKC', () => {
  it('imports RFC 6030 Figure 3 (plaintext) and says how many', async () => {
    const t = harness();
    expect(await t.run('import', FIGURE3)).toBe(0);
    expect(t.out()).toBe(`Imported 1 token (1 HOTP, 0 TOTP) from ${FIGURE3}.\n`);
    const [device] = [...t.storage.devices.values()];
    expect(device).toMatchObject({ serial: '987654321', username: null, kind: 'hotp', name: '987654321', digits: 8, counter: 0, confirmed: true, createdAt: 1_700_000_000_000 });
    expect(device!.secret.equals(RFC_SECRET)).toBe(true);
    expect(t.storage.closed).toBe(1);
  });

  it('imports Figure 7 with --password-file, and Figure 6 with --key-file in hex or base64', async () => {
    const a = harness();
    expect(await a.run('import', FIGURE7, '--password-file', PASSWORD_FILE)).toBe(0);
    expect(a.storage.devices.size).toBe(1);
    const b = harness();
    expect(await b.run('import', FIGURE6, '--key-file', KEY_FILE)).toBe(0);
    const c = harness();
    const base64Key = file('psk.b64', Buffer.from('12345678901234567890123456789012', 'hex').toString('base64'));
    expect(await c.run('import', FIGURE6, '--key-file', base64Key)).toBe(0);
    expect([...c.storage.devices.values()][0]!.secret.equals(RFC_SECRET)).toBe(true);
  });

  it('reads the password from stdin when no file is given', async () => {
    const t = harness({ stdin: 'qwerty\n' });
    expect(await t.run('import', FIGURE7)).toBe(0);
    expect(t.storage.devices.size).toBe(1);
  });

  it.each([
    ['a wrong password file', ['--password-file', file('wrong.txt', 'qwertz\n')], undefined, /wrong password or key/],
    ['a wrong password on stdin', [], 'Qwerty\n', /wrong password or key/],
    ['no password at all', [], '', /no password was given/],
  ])('imports nothing with %s (exit 1)', async (_name, extra, stdin, expected) => {
    const t = harness(stdin === undefined ? {} : { stdin });
    expect(await t.run('import', FIGURE7, ...extra)).toBe(1);
    expect(t.err()).toMatch(/nothing was imported/);
    expect(t.err()).toMatch(expected);
    expect(t.out()).toBe('');
    expect(t.storage.devices.size).toBe(0);
  });

  it.each([
    ['no key file', [], /pre-shared key; none was given[\s\S]*--key-file/],
    ['a wrong key', ['--key-file', file('wrong.hex', '00000000000000000000000000000000')], /wrong password or key/],
    ['a key file that is not a key', ['--key-file', file('bad.hex', 'not a key')], /must hold a 128-, 192- or 256-bit key/],
    ['an empty password file', ['--password-file', file('empty.txt', '\n')], /is empty/],
    ['a missing key file', ['--key-file', join(dir, 'nope.hex')], /cannot be read \(ENOENT\)/],
  ])('imports nothing from Figure 6 with %s (exit 1)', async (_name, extra, expected) => {
    const t = harness();
    expect(await t.run('import', FIGURE6, ...extra)).toBe(1);
    expect(t.err()).toMatch(expected);
    expect(t.storage.devices.size).toBe(0);
  });

  it('imports nothing from 5 good entries and 1 bad one, listing the bad one', async () => {
    const path = file(
      'six.pskc',
      buildPskc([...Array.from({ length: 5 }, (_, i) => ({ serial: `G${i}`, secret: testSecret(i) })), { serial: 'BAD', algorithm: 'urn:ietf:params:xml:ns:keyprov:pskc:ocra' }]),
    );
    const t = harness();
    expect(await t.run('import', path)).toBe(1);
    expect(t.err()).toBe(
      `${path}: nothing was imported (1 error):\n  KeyPackage 6 (serial BAD): algorithm "urn:ietf:params:xml:ns:keyprov:pskc:ocra" is not supported (only HOTP and TOTP are)\n`,
    );
    expect(t.storage.devices.size).toBe(0);
  });

  it.each([
    ['broken XML', '<KeyContainer Version="1.0"><KeyPackage></KeyContainer>', /not well-formed XML/],
    ['a DOCTYPE', '<!DOCTYPE x [<!ENTITY a SYSTEM "file:///etc/passwd">]><KeyContainer Version="1.0">&a;</KeyContainer>', /DOCTYPE/],
    ['duplicate serials', buildPskc([{ serial: 'D' }, { serial: 'D', secret: testSecret(4) }]), /KeyPackage 2 \(serial D\): serial D appears again/],
  ])('exits 1 on %s', async (name, content, expected) => {
    const t = harness();
    expect(await t.run('import', file(`${name.replaceAll(' ', '-')}.xml`, content))).toBe(1);
    expect(t.err()).toMatch(expected);
    expect(t.storage.devices.size).toBe(0);
  });

  it('refuses serials already imported, listing them, and imports none of the batch', async () => {
    const t = harness();
    expect(await t.run('import', FIGURE3)).toBe(0);
    const batch = file('again.csv', `serial,secret,type,digits,period,counter\nNEW1,${Buffer.alloc(20, 1).toString('hex')},hotp,6,,0\n987654321,${HEX},hotp,8,,0\n`);
    expect(await t.run('import', batch)).toBe(1);
    expect(t.err()).toMatch(/nothing was imported \(1 error\):\n {2}serial 987654321 is already imported\n/);
    expect(t.storage.devices.size).toBe(1);
  });

  it('names a serial that a concurrent import stored between the check and the write', async () => {
    const t = harness({ storage: createMemoryTokenStorage({ failImport: new DuplicateSerialError('987654321', 'stored') }) });
    expect(await t.run('import', FIGURE3)).toBe(1);
    expect(t.err()).toMatch(/nothing was imported \(1 error\):\n {2}serial 987654321 is already imported\n/);
  });

  it('reports a storage failure as nothing imported', async () => {
    const t = harness({ storage: createMemoryTokenStorage({ failImport: new Error('database is locked') }) });
    expect(await t.run('import', FIGURE3)).toBe(1);
    expect(t.err()).toMatch(/nothing was imported \(1 error\):\n {2}storage refused the batch: database is locked/);
  });
});

describe('gatehouse tokens import: files from other OTP servers', () => {
  it('imports the token of RFC 6030 Figure 5 and prints that its PIN package was skipped', async () => {
    const t = harness();
    expect(await t.run('import', FIGURE5)).toBe(0);
    expect(t.out()).toBe(
      `Imported 1 token (1 HOTP, 0 TOTP) from ${FIGURE5}.\nNote: KeyPackage 2 (serial 987654321): skipped: it holds the PIN of KeyPackage 1's key (its <PINPolicy PINKeyId>), not a token; Gatehouse does not import PINs (the token checks its own)\n`,
    );
    expect(t.err()).toBe('');
    expect([...t.storage.devices.values()].map((d) => [d.serial, d.kind, d.digits])).toEqual([['987654321', 'hotp', 8]]);
  });

  it('imports the signed file of Figure 9 and says plainly that the signature was not checked', async () => {
    const t = harness();
    expect(await t.run('import', FIGURE9)).toBe(0);
    expect(t.out()).toBe(
      `Imported 1 token (1 HOTP, 0 TOTP) from ${FIGURE9}.\nNote: the file's signature was not checked: it carries an XML signature (<Signature>, RFC 6030 §7), which Gatehouse does not verify; trust the file only as far as you trust the way it reached you\n`,
    );
  });

  it('refuses the bulk file of Figure 10, saying that a serial names one token and what to do', async () => {
    const t = harness();
    expect(await t.run('import', FIGURE10)).toBe(1);
    expect(t.err()).toBe(
      `${FIGURE10}: nothing was imported (1 error):\n  KeyPackage 4 (serial 9999999): serial 9999999 appears again (first in KeyPackage 3 (serial 9999999)), both from manufacturer "TokenVendorAcme": Gatehouse identifies a hardware token by its serial and keeps one key per token; leave only the KeyPackage of the key the token uses now\n`,
    );
    expect(t.storage.devices.size).toBe(0);
  });

  it('imports a multiOTP export whose counters and time steps are encrypted', async () => {
    const t = harness();
    expect(await t.run('import', MULTIOTP, '--key-file', KEY_FILE)).toBe(0);
    expect(t.out()).toBe(`Imported 4 tokens (2 HOTP, 2 TOTP) from ${MULTIOTP}.\n`);
    expect([...t.storage.devices.values()].map((d) => [d.serial, d.kind, d.algorithm, d.digits, d.period, d.counter])).toEqual([
      ['MOTP-H1', 'hotp', 'SHA1', 6, 30, 1234],
      ['MOTP-H2', 'hotp', 'SHA1', 8, 30, 0],
      ['MOTP-T1', 'totp', 'SHA256', 8, 30, 0],
      ['MOTP-T2', 'totp', 'SHA1', 6, 60, 0],
    ]);
  });
});

describe('gatehouse tokens import: CSV', () => {
  it('imports a CSV file, detected from its extension', async () => {
    const path = file('tokens.csv', `serial,secret,type,digits,period,counter\r\nH1,${HEX},hotp,6,,0\r\nT1,base32:GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,totp,6,60,\r\n`);
    const t = harness();
    expect(await t.run('import', path)).toBe(0);
    expect(t.out()).toBe(`Imported 2 tokens (1 HOTP, 1 TOTP) from ${path}.\n`);
  });

  it('takes --format when the extension says nothing', async () => {
    const path = file('tokens.txt', `serial,secret,type,digits,period,counter\nH1,${HEX},hotp,6,,0\n`);
    const t = harness();
    expect(await t.run('import', path)).toBe(2);
    expect(t.err()).toMatch(/cannot tell the format .* give --format pskc or csv/);
    expect(await t.run('import', path, '--format', 'csv')).toBe(0);
    const xml = file('vendor.dat', buildPskc([{ serial: 'P1' }]));
    expect(await t.run('import', xml, '--format', 'pskc')).toBe(0);
    expect(t.storage.devices.size).toBe(2);
  });

  it('imports nothing from a CSV with bad hex among good rows, listing every bad row', async () => {
    const rows = Array.from({ length: 5 }, (_, i) => `G${i},${Buffer.alloc(20, i + 1).toString('hex')},hotp,6,,0`);
    const path = file('bad.csv', ['serial,secret,type,digits,period,counter', ...rows, `B1,${HEX}0,hotp,6,,0`, `B2,${HEX},totp,6,45,`].join('\n'));
    const t = harness();
    expect(await t.run('import', path)).toBe(1);
    expect(t.err()).toBe(
      `${path}: nothing was imported (2 errors):\n  line 7 (serial B1): the secret is not valid hex (an even number of digits is needed)\n  line 8 (serial B2): period must be 30 or 60 for TOTP, not "45"\n`,
    );
    expect(t.storage.devices.size).toBe(0);
  });
});

describe('gatehouse tokens assign, unassign, list', () => {
  let t: ReturnType<typeof harness>;
  beforeEach(async () => {
    t = harness();
    const csv = file('two.csv', `serial,secret,type,digits,period,counter\nA1,${HEX},hotp,6,,0\nB2,${Buffer.alloc(32, 3).toString('hex')},totp,8,60,\n`);
    expect(await t.run('import', csv)).toBe(0);
  });

  it('assigns a token to a user of the users file (name matched case-insensitively), once', async () => {
    expect(await t.run('assign', 'A1', 'Alice')).toBe(0);
    expect(t.out()).toContain('Token A1 assigned to alice.\n');
    expect(await t.run('assign', 'A1', 'alice')).toBe(0);
    expect(t.out()).toContain('Token A1 is already assigned to alice.\n');
    expect([...t.storage.devices.values()].find((d) => d.serial === 'A1')!.username).toBe('alice');
  });

  it.each([
    ['an unknown user', ['A1', 'mallory'], /no active user "mallory" in the users file/],
    ['a disabled user', ['A1', 'carol'], /no active user "carol"/],
    ['an unknown serial', ['Z9', 'alice'], /no imported token has serial "Z9"/],
  ])('refuses %s (exit 1)', async (_name, args, expected) => {
    expect(await t.run('assign', ...args)).toBe(1);
    expect(t.err()).toMatch(expected);
    expect([...t.storage.devices.values()].every((d) => d.username === null)).toBe(true);
  });

  it("refuses another user's token until it is unassigned", async () => {
    expect(await t.run('assign', 'A1', 'alice')).toBe(0);
    expect(await t.run('assign', 'A1', 'bob')).toBe(1);
    expect(t.err()).toMatch(/token A1 is assigned to alice; unassign it first/);
    expect(await t.run('unassign', 'A1')).toBe(0);
    expect(t.out()).toContain('Token A1 unassigned from alice.\n');
    expect(await t.run('unassign', 'A1')).toBe(0);
    expect(t.out()).toContain('Token A1 was not assigned.\n');
    expect(await t.run('assign', 'A1', 'bob')).toBe(0);
  });

  it('unassign of an unknown serial exits 1', async () => {
    expect(await t.run('unassign', 'nope')).toBe(1);
    expect(t.err()).toMatch(/no imported token has serial "nope"/);
  });

  it('lists serial, kind, digits, period and user, and never a secret', async () => {
    await t.run('assign', 'B2', 'bob');
    const before = t.out().length;
    expect(await t.run('list')).toBe(0);
    expect(t.out().slice(before)).toBe('SERIAL  KIND  DIGITS  PERIOD  USER\nA1      hotp  6       -       -\nB2      totp  8       60s     bob\n');
  });

  it('says so when there are no tokens', async () => {
    const empty = harness();
    expect(await empty.run('list')).toBe(0);
    expect(empty.out()).toBe('No hardware tokens imported.\n');
  });
});

describe('gatehouse tokens: usage', () => {
  it.each([
    [[]],
    [['frobnicate']],
    [['constructor']],
    [['toString', 'x']],
    [['import']],
    [['import', 'a.csv', 'b.csv']],
    [['assign', 'A1']],
    [['list', 'extra']],
    [['import', FIGURE7, '--password', 'qwerty']],
    [['import', FIGURE7, '--format', 'json']],
    [['list', '--key-file', KEY_FILE]],
    [['import', join(dir, 'x.csv'), '--password-file', PASSWORD_FILE]],
  ])('%j exits 2 with the usage', async (args) => {
    const t = harness();
    expect(await t.run(...args)).toBe(2);
    expect(t.err()).toContain('Usage:');
    expect(t.storage.devices.size).toBe(0);
  });

  it('exits 1 on an invalid config, before touching storage', async () => {
    const bad = file('bad.yml', 'server: {}\n');
    const t = harness();
    const code = await runTokensCommand(['list', '--config', bad], {}, { stdout: new PassThrough(), stderr: new PassThrough() }, { openStorage: async () => t.storage });
    expect(code).toBe(1);
    expect(t.storage.closed).toBe(0);
  });

  it('refuses to import without an encryption key (second factors off, so the config allows none)', async () => {
    const noKeys = file(
      'no-keys.yml',
      stringify({
        server: { portal_url: 'https://auth.corp.example/' },
        session: { store: 'memory', domain: 'corp.example' },
        authentication: { users_file: 'users.yml' },
        storage: { path: 'x.db', encryption_keys: [] },
        second_factors: { totp: { enabled: false } },
        sites: [{ name: 'wiki', url: 'https://wiki.corp.example/' }],
        access_control: { rules: [{ domain: 'wiki.corp.example', policy: 'one_factor' }] },
      }),
    );
    const storage = createMemoryTokenStorage();
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (c) => (err += c));
    expect(await runTokensCommand(['import', FIGURE3, '--config', noKeys], {}, { stdout: new PassThrough(), stderr }, { openStorage: async () => storage })).toBe(1);
    expect(err).toMatch(/storage.encryption_keys is empty/);
    expect(storage.devices.size).toBe(0);
  });

  it('exits 1 with the reason when storage cannot be opened', async () => {
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (c) => (err += c));
    const openStorage = async () => {
      throw new Error('storage: secrets are sealed under key id "old"');
    };
    expect(await runTokensCommand(['list', '--config', CONFIG], {}, { stdout: new PassThrough(), stderr }, { openStorage })).toBe(1);
    expect(err).toBe('gatehouse tokens: storage: secrets are sealed under key id "old"\n');
  });

  it('a file that cannot be read exits 1', async () => {
    const t = harness();
    expect(await t.run('import', join(dir, 'missing.csv'))).toBe(1);
    expect(t.err()).toMatch(/nothing was imported \(1 error\):\n {2}.*missing.csv cannot be read \(ENOENT\)/);
  });
});

describe('no command output ever holds a secret', () => {
  it('checked over everything printed above', () => {
    const all = printed.join('\n');
    expect(all.length).toBeGreaterThan(1000);
    const multiOtp = ['multiOTP-hotp-key-01', 'multiOTP-hotp-key-02', 'multiOTP-totp-sha256-key-0000001', 'multiOTP-totp-key-01'].map((text) => Buffer.from(text));
    for (const secret of [RFC_SECRET, Buffer.alloc(32, 3), testSecret(1), testSecret(4), ...multiOtp]) {
      for (const form of [secret.toString('hex'), secret.toString('base64'), secret.toString('latin1')]) expect(all).not.toContain(form);
    }
    expect(all).not.toContain('GEZDGNBVGY3TQOJQ');
    expect(all).not.toContain('qwerty');
  });
});
