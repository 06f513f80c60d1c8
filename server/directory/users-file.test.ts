import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createSilentLogger } from '../core/logger.js';
import type { DirectoryChange } from './directory.js';
import { hashTestPassword, TEST_HASH_POLICY } from '../testing/test-password-hash.js';
import { DEFAULT_HASH_POLICY, hashPassword, MAX_PASSWORD_BYTES, MAX_USERNAME_LENGTH, type HashPolicy } from './password-hash.js';
import { createHashQueue } from './hash-queue.js';
import { createHashWorkerPool } from './hash-workers.js';
import { createUsersFileDirectory, UsersFileError, type UsersFileDirectory } from './users-file.js';

const INVALID = { ok: false, reason: 'invalid-credentials' };

let dir: string;
let hashes: Record<'alice' | 'bob' | 'carol' | 'dave', string>;
const open: UsersFileDirectory[] = [];

type Entry = { name: string; hash: string; groups?: string[]; disabled?: boolean; displayname?: string };

function usersYaml(entries: Entry[]): string {
  return `users:\n${entries
    .map(
      (e) =>
        `  ${e.name}:\n    displayname: ${e.displayname ?? e.name}\n    email: ${e.name.toLowerCase()}@corp.example\n    groups: [${(e.groups ?? []).join(', ')}]\n    password: "${e.hash}"\n    disabled: ${e.disabled ?? false}\n`,
    )
    .join('')}`;
}

function baseEntries(): Entry[] {
  return [
    { name: 'Alice', hash: hashes.alice, groups: ['admins', 'dev'] },
    { name: 'bob', hash: hashes.bob, disabled: true },
    { name: 'carol', hash: hashes.carol },
  ];
}

/**
 * The tests that measure or race argon2 need the product's own cost (the others use cheap test
 * hashes): one real hash, made on first use, serves every user.
 */
let realHash: Promise<string> | undefined;
async function realEntries(): Promise<Entry[]> {
  const hash = await (realHash ??= hashPassword('alice-pw'));
  return [
    { name: 'Alice', hash, groups: ['admins', 'dev'] },
    { name: 'bob', hash, disabled: true },
    { name: 'carol', hash },
  ];
}
const real = { hashPolicy: DEFAULT_HASH_POLICY };
/** A ceiling for tests that run real argon2 hashes: seconds each on a busy machine. Not an assertion. */
const REAL_HASH_TIMEOUT = 300_000;

function captureLogger() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } }) };
}

async function openDirectory(
  name: string,
  entries: Entry[],
  extra: { watch?: boolean; logger?: ReturnType<typeof createSilentLogger>; pollIntervalMs?: number; hashPolicy?: HashPolicy } = {},
) {
  const path = join(dir, name);
  writeFileSync(path, usersYaml(entries));
  const directory = await createUsersFileDirectory(
    { logger: extra.logger ?? createSilentLogger(), hashPolicy: extra.hashPolicy ?? TEST_HASH_POLICY },
    { path, watch: extra.watch ?? true, debounceMs: 30, pollIntervalMs: extra.pollIntervalMs ?? 100 },
  );
  open.push(directory);
  return { path, directory };
}

async function waitFor(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the users file to reload');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = performance.now();
  const result = await run();
  return { result, ms: performance.now() - start };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-users-'));
  const [alice, bob, carol, dave] = await Promise.all(['alice-pw', 'bob-pw', 'carol-pw', 'dave-pw'].map(hashTestPassword));
  hashes = { alice: alice!, bob: bob!, carol: carol!, dave: dave! };
});

afterEach(() => {
  for (const directory of open.splice(0)) directory.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('createUsersFileDirectory: sign-in', () => {
  it('verifies the right password, matching usernames case-insensitively', async () => {
    const { directory } = await openDirectory('ok.yml', baseEntries());
    const expected = { ok: true, user: { username: 'alice', displayName: 'Alice', email: 'alice@corp.example', groups: ['admins', 'dev'] } };
    expect(await directory.verifyPassword('alice', 'alice-pw')).toEqual(expected);
    expect(await directory.verifyPassword('ALICE', 'alice-pw')).toEqual(expected);
    expect(await directory.verifyPassword('carol', 'carol-pw')).toMatchObject({ ok: true });
  });

  it('gives unknown user, disabled user (even with the right password) and wrong password one identical result', async () => {
    const { directory } = await openDirectory('enum.yml', baseEntries());
    const results = [
      await directory.verifyPassword('mallory', 'alice-pw'),
      await directory.verifyPassword('bob', 'bob-pw'),
      await directory.verifyPassword('alice', 'wrong'),
      await directory.verifyPassword('alice', 'alice-pw '),
      await directory.verifyPassword('alice ', 'alice-pw'),
      await directory.verifyPassword('', ''),
    ];
    for (const result of results) expect(JSON.stringify(result)).toBe(JSON.stringify(INVALID));
  });

  it(
    'takes about as long for an unknown or disabled user as for a wrong password',
    async () => {
      const { directory } = await openDirectory('timing.yml', await realEntries(), real);
      // Load from other processes only blurs the comparison, so the best of three rounds counts;
      // skipping argon2 for unknown users would put the ratio near 0 in every round.
      const distance = (ratio: number) => Math.abs(Math.log2(ratio));
      let best = { unknown: 0, disabled: 0 };
      for (let round = 0; round < 3 && Math.max(distance(best.unknown), distance(best.disabled)) >= 1; round += 1) {
        const unknown: number[] = [];
        const disabled: number[] = [];
        const wrong: number[] = [];
        for (let i = 0; i < 5; i += 1) {
          unknown.push((await timed(() => directory.verifyPassword(`nobody${i}`, 'guess'))).ms);
          disabled.push((await timed(() => directory.verifyPassword('bob', 'guess'))).ms);
          wrong.push((await timed(() => directory.verifyPassword('alice', 'guess'))).ms);
        }
        expect(median(wrong)).toBeGreaterThan(5); // argon2 ran at all (about 15 ms idle; a skipped check takes microseconds)
        const ratios = { unknown: median(unknown) / median(wrong), disabled: median(disabled) / median(wrong) };
        if (Math.max(distance(ratios.unknown), distance(ratios.disabled)) < Math.max(distance(best.unknown), distance(best.disabled))) best = ratios;
      }
      for (const ratio of [best.unknown, best.disabled]) {
        expect(ratio).toBeGreaterThan(0.5);
        expect(ratio).toBeLessThan(2);
      }
    },
    REAL_HASH_TIMEOUT,
  );

  it.each([
    ['username over the limit', 'a'.repeat(MAX_USERNAME_LENGTH + 1), 'alice-pw'],
    ['a megabyte username', 'a'.repeat(1 << 20), 'alice-pw'],
    ['password over the limit', 'alice', 'p'.repeat(MAX_PASSWORD_BYTES + 1)],
    ['password over the limit in UTF-8 bytes only', 'alice', '€'.repeat(342)],
    ['a megabyte password', 'alice', 'p'.repeat(1 << 20)],
    ['a 16 MB password for an unknown user', 'mallory', 'p'.repeat(1 << 24)],
  ])(
    'refuses a %s at once, without hashing',
    async (_name, username, password) => {
      const { directory } = await openDirectory('long.yml', await realEntries(), real);
      // The refusal is paired with a wrong password, which runs argon2 at the product's cost under
      // the same load: hashing the refused input would make the two take about as long in every
      // pair. A busy machine can stall either side of one pair, so up to three pairs are tried.
      const ratios: number[] = [];
      while (ratios.length < 3 && !ratios.some((r) => r < 0.2)) {
        const refused = await timed(() => directory.verifyPassword(username, password));
        expect(refused.result).toEqual(INVALID);
        const hashed = await timed(() => directory.verifyPassword('alice', 'wrong'));
        expect(hashed.result).toEqual(INVALID);
        ratios.push(refused.ms / hashed.ms);
      }
      expect(Math.min(...ratios), JSON.stringify(ratios)).toBeLessThan(0.2);
    },
    REAL_HASH_TIMEOUT,
  );

  it('refuses non-string input without throwing', async () => {
    const { directory } = await openDirectory('types.yml', baseEntries());
    expect(await directory.verifyPassword(undefined as unknown as string, 'x')).toEqual(INVALID);
    expect(await directory.verifyPassword('alice', { length: 1 } as unknown as string)).toEqual(INVALID);
    expect(directory.findUser(42 as unknown as string)).toBeUndefined();
  });

  it('finds active users only', async () => {
    const { directory } = await openDirectory('find.yml', baseEntries());
    expect(directory.findUser('alice')).toEqual({ username: 'alice', displayName: 'Alice', email: 'alice@corp.example', groups: ['admins', 'dev'] });
    expect(directory.findUser('Alice')?.username).toBe('alice');
    expect(directory.findUser('bob')).toBeUndefined();
    expect(directory.findUser('mallory')).toBeUndefined();
    expect(directory.findUser('a'.repeat(MAX_USERNAME_LENGTH + 1))).toBeUndefined();
  });

  it('lists every user for administrators, disabled ones too, sorted, with no password hash', async () => {
    const { directory } = await openDirectory('list.yml', baseEntries());
    const users = directory.listUsers();
    expect(users.map((u) => [u.username, u.disabled])).toEqual([
      ['alice', false],
      ['bob', true],
      ['carol', false],
    ]);
    expect(JSON.stringify(users)).not.toContain('$argon2');
    users[0]!.groups.push('root');
    expect(directory.listUsers()[0]!.groups).toEqual(['admins', 'dev']);
  });

  it('hands out users no caller can change: the directory’s groups stay as the file says', async () => {
    const { directory } = await openDirectory('copy.yml', baseEntries());
    const alice = directory.findUser('alice')!;
    expect(() => alice.groups.push('root')).toThrow(TypeError);
    expect(() => {
      alice.groups[0] = 'root';
    }).toThrow(TypeError);
    expect(() => {
      (alice as { username: string }).username = 'root';
    }).toThrow(TypeError);
    expect(directory.findUser('alice')!.groups).toEqual(['admins', 'dev']);
    expect(directory.findUser('Alice')).toEqual(directory.findUser('alice'));
  });

  it('answers with the reloaded record after a reload, never the copy made before it', async () => {
    const { path, directory } = await openDirectory('copy-reload.yml', baseEntries(), { watch: false });
    const before = directory.findUser('alice')!;
    writeFileSync(
      path,
      usersYaml([
        { name: 'Alice', displayname: 'Alice B', hash: hashes.alice, groups: ['dev'] },
        { name: 'carol', hash: hashes.carol, disabled: true },
      ]),
    );
    await directory.reload();
    expect(directory.findUser('alice')).toEqual({ username: 'alice', displayName: 'Alice B', email: 'alice@corp.example', groups: ['dev'] });
    expect(directory.findUser('ALICE')!.groups).toEqual(['dev']);
    expect(before.groups).toEqual(['admins', 'dev']);
    expect(directory.findUser('carol')).toBeUndefined();
  });
});

describe('createUsersFileDirectory: boot', () => {
  it('throws with every error of an invalid file', async () => {
    const path = join(dir, 'invalid.yml');
    writeFileSync(path, `users:\n  bob:\n    password: plain\n  "x y":\n    displayname: X\n    password: "${hashes.alice}"\n`);
    const error = await createUsersFileDirectory({ logger: createSilentLogger(), hashPolicy: TEST_HASH_POLICY }, { path, watch: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsersFileError);
    expect((error as UsersFileError).errors).toEqual([
      'users.bob.displayname: is required',
      expect.stringMatching(/^users\.bob\.password: is not an argon2id hash/),
      expect.stringMatching(/^users\["x y"\]: is not a username/),
    ]);
    expect((error as Error).message).not.toContain(hashes.alice);
  });

  it('refuses the cheap test hashes unless given their policy: the product never accepts them', async () => {
    const path = join(dir, 'test-hashes.yml');
    writeFileSync(path, usersYaml(baseEntries()));
    const error = await createUsersFileDirectory({ logger: createSilentLogger() }, { path, watch: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsersFileError);
    expect((error as UsersFileError).errors).toEqual(
      ['Alice', 'bob', 'carol'].map((name) => expect.stringMatching(new RegExp(`^users\\.${name}\\.password: is weaker than OWASP's argon2id minimum`))),
    );
  });

  it('throws when the file cannot be read', async () => {
    await expect(createUsersFileDirectory({ logger: createSilentLogger() }, { path: join(dir, 'missing.yml'), watch: false })).rejects.toThrow(/cannot be read \(ENOENT\)/);
  });
});

describe('createUsersFileDirectory: reload', () => {
  it('reloads when the file is rewritten in place', async () => {
    const { path, directory } = await openDirectory('rewrite.yml', baseEntries());
    writeFileSync(path, usersYaml([...baseEntries(), { name: 'dave', hash: hashes.dave }]));
    await waitFor(() => directory.findUser('dave') !== undefined);
    expect(await directory.verifyPassword('dave', 'dave-pw')).toMatchObject({ ok: true });
  });

  it('reloads when an editor renames a new file over it (the directory watch alone, no poll in time)', async () => {
    const { path, directory } = await openDirectory('atomic.yml', baseEntries(), { pollIntervalMs: 60_000 });
    for (const [round, name] of ['dave', 'erin'].entries()) {
      const temp = join(dir, `.atomic.yml.${round}.tmp`);
      writeFileSync(temp, usersYaml([...baseEntries(), { name, hash: hashes.dave }]));
      renameSync(temp, path);
      // The second round proves the watch survived the first inode swap.
      await waitFor(() => directory.findUser(name) !== undefined);
    }
  });

  it('reloads a Kubernetes-style mount, where a symlink two levels up is swapped (the stat poll)', async () => {
    // users.yml -> ..data/users.yml, ..data -> v1; an update renames a new ..data over the old.
    // The directory watch only sees "..data" change, which is not our name: the poll must catch it.
    const mount = mkdtempSync(join(dir, 'mount-'));
    const versions: [string, Entry[]][] = [
      ['v1', baseEntries()],
      ['v2', [...baseEntries(), { name: 'dave', hash: hashes.dave }]],
    ];
    for (const [version, entries] of versions) {
      mkdirSync(join(mount, version));
      writeFileSync(join(mount, version, 'users.yml'), usersYaml(entries));
    }
    symlinkSync('v1', join(mount, '..data'));
    symlinkSync('..data/users.yml', join(mount, 'users.yml'));
    const directory = await createUsersFileDirectory(
      { logger: createSilentLogger(), hashPolicy: TEST_HASH_POLICY },
      { path: join(mount, 'users.yml'), watch: true, debounceMs: 30, pollIntervalMs: 100 },
    );
    open.push(directory);
    expect(directory.findUser('dave')).toBeUndefined();
    symlinkSync('v2', join(mount, '..data_tmp'));
    renameSync(join(mount, '..data_tmp'), join(mount, '..data'));
    await waitFor(() => directory.findUser('dave') !== undefined);
  });

  it('keeps the last good users when a reload is invalid, logs why without hashes, and recovers', async () => {
    const { lines, logger } = captureLogger();
    const { path, directory } = await openDirectory('keep.yml', baseEntries(), { logger });
    // Below even the test policy's minimum: refused.
    writeFileSync(path, `users:\n  alice:\n    displayname: Alice\n    password: "${hashes.alice.replace('m=1024', 'm=512')}"\n`);
    await waitFor(() => lines.some((line) => line.includes('users file invalid')));
    expect(directory.findUser('carol')).toBeDefined();
    expect(await directory.verifyPassword('alice', 'alice-pw')).toMatchObject({ ok: true });
    const errorLine = lines.find((line) => line.includes('users file invalid'))!;
    expect(errorLine).toContain('users.alice.password');
    expect(errorLine).not.toContain(hashes.alice.split('$')[4]);

    writeFileSync(path, usersYaml([{ name: 'alice', hash: hashes.alice }]));
    await waitFor(() => directory.findUser('carol') === undefined);
    expect(lines.some((line) => line.includes('users file reloaded') && line.includes('"users":1'))).toBe(true);
    expect(lines.join('\n')).not.toContain(hashes.alice.split('$')[4]);
  });

  it('tells listeners who was disabled, removed or given a new password, and who merely changed', async () => {
    const { path, directory } = await openDirectory('changes.yml', [
      { name: 'alice', hash: hashes.alice },
      { name: 'bob', hash: hashes.bob, disabled: true },
      { name: 'carol', hash: hashes.carol },
      { name: 'dave', hash: hashes.dave, groups: ['dev'] },
      { name: 'erin', hash: hashes.alice },
      { name: 'frank', hash: hashes.alice },
    ]);
    const changes: DirectoryChange[] = [];
    directory.onChange((change) => changes.push(change));
    writeFileSync(
      path,
      usersYaml([
        { name: 'alice', hash: hashes.alice, disabled: true },
        { name: 'bob', hash: hashes.bob, disabled: true },
        { name: 'dave', hash: hashes.dave, groups: ['dev', 'admins'] },
        { name: 'erin', hash: hashes.bob },
        { name: 'frank', hash: hashes.alice },
      ]),
    );
    await waitFor(() => changes.length > 0);
    expect(changes).toEqual([{ revoked: ['alice', 'carol', 'erin'], updated: ['dave'], source: 'users-file' }]);
    expect(directory.findUser('dave')?.groups).toEqual(['dev', 'admins']);
  });

  it(
    'refuses a sign-in whose user was disabled while argon2 was running',
    async () => {
      // The product's cost: a cheap hash could finish before the reload does.
      const entries = await realEntries();
      const { path, directory } = await openDirectory('race.yml', entries, { watch: false, ...real });
      const pending = directory.verifyPassword('alice', 'alice-pw');
      writeFileSync(path, usersYaml([{ ...entries[0]!, disabled: true }]));
      await directory.reload();
      expect(await pending).toEqual(INVALID);
    },
    REAL_HASH_TIMEOUT,
  );

  it('does not watch when told not to, and stops watching on close', async () => {
    const unwatched = await openDirectory('unwatched.yml', baseEntries(), { watch: false });
    const closed = await openDirectory('closed.yml', baseEntries());
    closed.directory.close();
    writeFileSync(unwatched.path, usersYaml([{ name: 'alice', hash: hashes.alice }]));
    writeFileSync(closed.path, usersYaml([{ name: 'alice', hash: hashes.alice }]));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(unwatched.directory.findUser('carol')).toBeDefined();
    expect(closed.directory.findUser('carol')).toBeDefined();
    await unwatched.directory.reload();
    expect(unwatched.directory.findUser('carol')).toBeUndefined();
  });
});

describe('createUsersFileDirectory: reload status (for the admin console)', () => {
  it('records when the file was read and how each re-read ended: reloaded, unchanged, invalid (no hash quoted), unreadable', async () => {
    const { path, directory } = await openDirectory('status.yml', baseEntries(), { watch: false });
    const status = directory.reloadStatus();
    expect(status).toMatchObject({ path, watch: false, lastReload: null });
    expect(status.loadedAt).toBeGreaterThan(0);

    await directory.reload();
    expect(directory.reloadStatus().lastReload).toMatchObject({ result: 'unchanged' });

    writeFileSync(path, usersYaml([{ name: 'alice', hash: hashes.alice }]));
    await directory.reload();
    expect(directory.reloadStatus().lastReload).toMatchObject({ result: 'reloaded', users: 1 });

    writeFileSync(path, `users:\n  alice:\n    displayname: Alice\n    password: "${hashes.alice.replace('m=1024', 'm=512')}"\n`);
    await directory.reload();
    const invalid = directory.reloadStatus().lastReload;
    expect(invalid).toMatchObject({ result: 'invalid' });
    expect(JSON.stringify(invalid)).toContain('users.alice.password');
    expect(JSON.stringify(invalid)).not.toContain(hashes.alice.split('$')[4]);
    // The same broken text again: still invalid, not "unchanged".
    await directory.reload();
    expect(directory.reloadStatus().lastReload).toMatchObject({ result: 'invalid' });

    rmSync(path);
    await directory.reload();
    expect(directory.reloadStatus().lastReload).toMatchObject({ result: 'unreadable', code: 'ENOENT' });
    expect(directory.findUser('alice')).toBeDefined();
  });

  it('keeps at most five parser messages of a badly broken file', async () => {
    const { path, directory } = await openDirectory('many-errors.yml', baseEntries(), { watch: false });
    writeFileSync(path, `users:\n${Array.from({ length: 20 }, (_, i) => `  user${i}:\n    displayname: ""\n`).join('')}`);
    await directory.reload();
    const last = directory.reloadStatus().lastReload;
    expect(last?.result).toBe('invalid');
    expect(last?.result === 'invalid' && last.errors.length).toBe(5);
  });
});

describe('createUsersFileDirectory: hashes with other parameters than the profile', () => {
  const profile: HashPolicy = { parameters: TEST_HASH_POLICY.parameters, minimums: TEST_HASH_POLICY.minimums };
  const otherParameters: HashPolicy = { parameters: { memoryCost: 2048, timeCost: 1, parallelism: 2 }, minimums: TEST_HASH_POLICY.minimums };

  it('still verify, and a successful sign-in logs a notice once per hash: user and parameters, never the hash', async () => {
    const oldHash = await hashPassword('alice-pw', otherParameters);
    const { lines, logger } = captureLogger();
    const hasher = createHashWorkerPool({ size: 1 });
    try {
      const path = join(dir, 'rehash.yml');
      writeFileSync(
        path,
        usersYaml([
          { name: 'alice', hash: oldHash },
          { name: 'carol', hash: hashes.carol },
        ]),
      );
      const directory = await createUsersFileDirectory({ logger, hashPolicy: profile, hasher }, { path, watch: false });
      open.push(directory);
      const notices = () => lines.filter((line) => line.includes('gatehouse hash-password') && line.includes('"level":"warn"') && !line.includes('differ from'));
      // A wrong password says nothing about the stored hash.
      expect(await directory.verifyPassword('alice', 'wrong')).toEqual(INVALID);
      expect(notices()).toEqual([]);
      for (let i = 0; i < 3; i++) expect(await directory.verifyPassword('alice', 'alice-pw')).toMatchObject({ ok: true });
      expect(notices()).toHaveLength(1);
      const notice = JSON.parse(notices()[0]!);
      expect(notice).toMatchObject({ username: 'alice', stored: 'm=2048,t=1,p=2', profile: 'm=1024,t=1,p=1' });
      const salt = oldHash.split('$')[4]!;
      expect(notices()[0]).not.toContain(salt);
      expect(notices()[0]).not.toContain(oldHash.split('$')[5]!);
      // A hash with the profile's parameters gets no notice.
      expect(await directory.verifyPassword('carol', 'carol-pw')).toMatchObject({ ok: true });
      expect(notices()).toHaveLength(1);
    } finally {
      await hasher.close();
    }
  });

  it('the file is never rewritten', async () => {
    const oldHash = await hashPassword('alice-pw', otherParameters);
    const path = join(dir, 'untouched.yml');
    const text = usersYaml([{ name: 'alice', hash: oldHash }]);
    writeFileSync(path, text);
    const directory = await createUsersFileDirectory({ logger: createSilentLogger(), hashPolicy: profile }, { path, watch: false });
    open.push(directory);
    expect(await directory.verifyPassword('alice', 'alice-pw')).toMatchObject({ ok: true });
    expect(readFileSync(path, 'utf8')).toBe(text);
  });
});

describe('createUsersFileDirectory: a check that waits too long', () => {
  it('answers "busy" for everyone (503), whether the user exists or not, and the check never runs', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let verifies = 0;
    // The first check holds the only slot until released; the others wait past maxWaitMs.
    const hasher = {
      hash: (password: string, parameters: HashPolicy['parameters']) => hashPassword(password, { parameters, minimums: TEST_HASH_POLICY.minimums }),
      verify: async () => {
        verifies++;
        if (verifies === 1) await held;
        return false;
      },
    };
    const path = join(dir, 'waits.yml');
    writeFileSync(path, usersYaml(baseEntries()));
    const hashQueue = createHashQueue({ concurrency: 1, perLane: 10, maxWaitMs: 30 });
    const directory = await createUsersFileDirectory({ logger: createSilentLogger(), hashPolicy: TEST_HASH_POLICY, hashQueue, hasher }, { path, watch: false });
    open.push(directory);
    const first = directory.verifyPassword('alice', 'alice-pw', { clientIp: '192.0.2.1' });
    const answers = await Promise.all([
      directory.verifyPassword('alice', 'alice-pw', { clientIp: '192.0.2.2' }),
      directory.verifyPassword('nobody', 'guess', { clientIp: '192.0.2.3' }),
    ]);
    expect(answers).toEqual([
      { ok: false, reason: 'busy', scope: 'all' },
      { ok: false, reason: 'busy', scope: 'all' },
    ]);
    expect(verifies).toBe(1);
    release();
    expect(await first).toEqual(INVALID);
  });
});
