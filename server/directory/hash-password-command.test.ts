import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../commands/run-command.js';
import { runHashPassword } from './hash-password-command.js';
import { DEFAULT_HASH_POLICY, MAX_PASSWORD_BYTES, parseArgon2idHash, verifyPasswordHash } from './password-hash.js';

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString('utf8');
}

/** Runs the command with `input` written in the given chunks (strings or bytes), then ended unless `end` is false. */
async function run(chunks: (string | Buffer)[], options: { isTTY?: boolean; end?: boolean } = {}) {
  const stdin = new PassThrough() as PassThrough & { setRawMode?: (mode: boolean) => unknown };
  const rawModes: boolean[] = [];
  if (options.isTTY) stdin.setRawMode = (mode: boolean) => rawModes.push(mode);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  const exit = runHashPassword({ stdin, stdout, stderr, isTTY: options.isTTY ?? false });
  for (const chunk of chunks) {
    stdin.write(chunk);
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (options.end !== false) stdin.end();
  const code = await exit;
  return { code, stdout: out(), stderr: err(), rawModes };
}

async function expectHashOf(stdout: string, password: string) {
  expect(stdout).toMatch(/^\$argon2id\$v=19\$[^\n]+\n$/);
  expect(await verifyPasswordHash(stdout.trimEnd(), password)).toBe(true);
}

/**
 * The command prints hashes of the product's own cost, and each test hashes and verifies one:
 * seconds on a busy machine. A ceiling load cannot reach; not an assertion.
 */
const REAL_HASH_TIMEOUT = 120_000;

describe('runHashPassword from a pipe', { timeout: REAL_HASH_TIMEOUT }, () => {
  it.each([
    ['a line', ['s3cret\n'], 's3cret'],
    ['a CRLF line', ['s3cret\r\n'], 's3cret'],
    ['no final newline', ['s3cret'], 's3cret'],
    ['spaces kept', ['  pass word  \n'], '  pass word  '],
    ['only the first line', ['first\nsecond\n'], 'first'],
    ['a line in pieces', ['pa', 'ss', 'word\n'], 'password'],
    ['a UTF-8 character split across chunks', [Buffer.from([0x70, 0xe2, 0x82]), Buffer.from([0xac, 0x0a])], 'p€'],
    ['exactly the byte limit', ['a'.repeat(MAX_PASSWORD_BYTES) + '\n'], 'a'.repeat(MAX_PASSWORD_BYTES)],
  ])('prints the argon2id hash of %s and exits 0', async (_name, chunks, password) => {
    const result = await run(chunks);
    expect(result.code).toBe(0);
    await expectHashOf(result.stdout, password);
    expect(result.stderr).toBe('');
  });

  it.each([
    ['nothing at all', [], /No password given/],
    ['an empty line', ['\n'], /empty password/],
    ['one byte over the limit', ['a'.repeat(MAX_PASSWORD_BYTES + 1) + '\n'], /longer than 1024 bytes/],
    ['over the limit in UTF-8 bytes only', ['€'.repeat(342) + '\n'], /longer than 1024 bytes/],
  ])('refuses %s with exit 1 and prints no hash', async (_name, chunks, message) => {
    const result = await run(chunks);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  it('stops reading a stream that never ends once it is over the limit', async () => {
    const result = await run(['x'.repeat(64 * 1024), 'x'.repeat(64 * 1024)], { end: false });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/longer than 1024 bytes/);
  });
});

describe('runHashPassword on a terminal', { timeout: REAL_HASH_TIMEOUT }, () => {
  it('asks twice without echo, in raw mode, and restores the terminal', async () => {
    const result = await run(['correct horse\r', 'correct horse\r'], { isTTY: true, end: false });
    expect(result.code).toBe(0);
    await expectHashOf(result.stdout, 'correct horse');
    expect(result.stderr).toBe('Password: \nAgain: \n');
    expect(result.rawModes).toEqual([true, false]);
  });

  it('handles both answers arriving in one chunk', async () => {
    const result = await run(['abc\rabc\r'], { isTTY: true, end: false });
    expect(result.code).toBe(0);
    await expectHashOf(result.stdout, 'abc');
  });

  it('applies Backspace itself, as raw mode has no line editing', async () => {
    const result = await run(['abx\u007fc\r', 'ab😀\u007fc\r'], { isTTY: true, end: false });
    expect(result.code).toBe(0);
    await expectHashOf(result.stdout, 'abc');
  });

  it.each([
    ['answers that differ', ['abc\r', 'abd\r'], 1, /do not match/],
    ['an empty answer', ['\r'], 1, /empty password/],
    ['Ctrl-C', ['ab\u0003'], 130, /^Password: \n$/],
    ['Ctrl-C at the second prompt', ['abc\r', '\u0003'], 130, /Again: \n$/],
    ['Ctrl-D at the start', ['\u0004'], 1, /No password given/],
  ])('refuses %s', async (_name, chunks, code, message) => {
    const result = await run(chunks, { isTTY: true, end: false });
    expect(result.code).toBe(code);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.rawModes).toEqual([true, false]);
  });
});

describe('gatehouse hash-password follows authentication.password_hash', { timeout: REAL_HASH_TIMEOUT }, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-hash-password-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function config(name: string, passwordHash?: string): string {
    const path = join(dir, name);
    writeFileSync(join(dir, 'users.yml'), 'users: {}\n');
    writeFileSync(
      path,
      `server:\n  portal_url: https://auth.example.com/\nsession:\n  store: memory\n` +
        `storage:\n  path: ${join(dir, 'g.db')}\n  encryption_keys:\n    - id: k1\n      key: ${randomBytes(32).toString('base64')}\n` +
        `authentication:\n  users_file: ${join(dir, 'users.yml')}\n${passwordHash ?? ''}`,
    );
    return path;
  }

  async function command(argv: string[], env: Record<string, string> = {}) {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out = collect(stdout);
    const err = collect(stderr);
    stdin.end('s3cret\n');
    const code = await runCommand(['hash-password', ...argv], env, { stdin, stdout, stderr, isTTY: false });
    return { code, stdout: out(), stderr: err() };
  }

  it("without a config: OWASP's profile", async () => {
    const { code, stdout } = await command([]);
    expect(code).toBe(0);
    expect(parseArgon2idHash(stdout.trimEnd())).toEqual({ ok: true, parameters: { memoryCost: 19456, timeCost: 2, parallelism: 1 } });
    await expectHashOf(stdout, 's3cret');
  });

  it.each([
    ['--config', (path: string) => ({ argv: ['--config', path], env: {} })],
    ['-c', (path: string) => ({ argv: ['-c', path], env: {} })],
    ['GATEHOUSE_CONFIG', (path: string) => ({ argv: [], env: { GATEHOUSE_CONFIG: path } })],
  ])("with a config named by %s: the config's profile", async (_how, how) => {
    const path = config('other.yml', '  password_hash:\n    memory_kib: 47104\n    iterations: 1\n    parallelism: 2\n');
    const { argv, env } = how(path);
    const { code, stdout } = await command(argv, env);
    expect(code).toBe(0);
    expect(parseArgon2idHash(stdout.trimEnd())).toEqual({ ok: true, parameters: { memoryCost: 47104, timeCost: 1, parallelism: 2 } });
    await expectHashOf(stdout, 's3cret');
  });

  it.each([
    ['a profile below OWASP', '  password_hash:\n    memory_kib: 4096\n    iterations: 1\n', /password_hash.*weaker than OWASP/],
    ['an unknown key', '  password_hash:\n    memory: 65536\n', /password_hash/],
    ['a huge memory cost', '  password_hash:\n    memory_kib: 6553600\n', /password_hash.*out of range/],
  ])('a config with %s is refused, and nothing is printed on stdout', async (_what, section, message) => {
    const { code, stdout, stderr } = await command(['--config', config('bad.yml', section)]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  });

  it('runHashPassword hashes with the policy it is given', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const out = collect(stdout);
    stdin.end('pw\n');
    const policy = { parameters: { memoryCost: 12288, timeCost: 3, parallelism: 1 }, minimums: DEFAULT_HASH_POLICY.minimums };
    expect(await runHashPassword({ stdin, stdout, stderr: new PassThrough(), isTTY: false }, policy)).toBe(0);
    expect(parseArgon2idHash(out().trimEnd())).toEqual({ ok: true, parameters: policy.parameters });
  });
});
