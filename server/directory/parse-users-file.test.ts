import { describe, expect, it } from 'vitest';
import { normalizeUsername, parseUsersFile } from './parse-users-file.js';

const SALT = 'c29tZXNhbHRzb21lc2FsdA';
/** The default profile's parameters (authentication.password_hash). */
const HASH = `$argon2id$v=19$m=19456,t=2,p=1$${SALT}$Q2xhc3NpY2FsbHkgMzIgYnl0ZXMgb2YgZGlnZXN0ISE`;
/** Authelia's default (and Gatehouse's before): still accepted, with a warning. */
const OTHER_HASH = `$argon2id$v=19$m=65536,t=3,p=4$${SALT}$Q2xhc3NpY2FsbHkgMzIgYnl0ZXMgb2YgZGlnZXN0ISE`;

function file(users: string): string {
  return `users:\n${users}`;
}

function user(name: string, extra = ''): string {
  return `  ${name}:\n    displayname: Someone\n    password: "${HASH}"\n${extra}`;
}

describe('parseUsersFile', () => {
  it('reads an Authelia-style file, lower-casing usernames and filling defaults', () => {
    const result = parseUsersFile(`
users:
  Alice:
    displayname: Alice Liu
    email: alice@corp.example
    groups: [admins, dev, admins]
    password: "${HASH}"
    disabled: false
  bob.smith_2:
    displayname: Bob
    password: '${HASH}'
    disabled: true
`);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect([...result.users.keys()]).toEqual(['alice', 'bob.smith_2']);
    expect(result.users.get('alice')).toEqual({
      username: 'alice',
      displayName: 'Alice Liu',
      email: 'alice@corp.example',
      mobile: '',
      groups: ['admins', 'dev'],
      passwordHash: HASH,
      disabled: false,
    });
    expect(result.users.get('bob.smith_2')).toMatchObject({ email: '', groups: [], disabled: true });
    expect(result.warnings).toEqual([]);
  });

  it('accepts an empty users mapping', () => {
    expect(parseUsersFile('users: {}\n')).toMatchObject({ ok: true });
  });

  it.each([
    ['an empty file', '', '(root): must be a mapping with a "users" key'],
    ['a list at the root', '- a\n- b\n', '(root): must be a mapping'],
    ['no users key', 'people: {}\n', 'people: unknown key'],
    ['users missing', 'other: 1\n', 'users: is required'],
    ['users as a list', 'users: [alice]\n', 'users: must be a mapping of username to user'],
    ['unknown user key', file(user('alice', '    role: admin\n')), 'users.alice.role: unknown key'],
    ['plaintext password', file('  bob:\n    displayname: Bob\n    password: hunter2\n'), 'users.bob.password: is not an argon2id hash'],
    ['bcrypt password', file(`  bob:\n    displayname: Bob\n    password: "$2y$10$${SALT}${SALT}"\n`), 'users.bob.password: is not an argon2id hash'],
    [
      'weak argon2id',
      file(`  bob:\n    displayname: Bob\n    password: "$argon2id$v=19$m=4096,t=3,p=1$${SALT}$${SALT}"\n`),
      "users.bob.password: is weaker than OWASP's argon2id minimum",
    ],
    ['missing password', file('  bob:\n    displayname: Bob\n'), 'users.bob.password: is required'],
    ['numeric password', file('  bob:\n    displayname: Bob\n    password: 123456\n'), 'users.bob.password: must be string'],
    ['missing displayname', file(`  bob:\n    password: "${HASH}"\n`), 'users.bob.displayname: is required'],
    ['blank displayname', file(`  bob:\n    displayname: "  "\n    password: "${HASH}"\n`), 'users.bob.displayname: must not be empty'],
    [
      'control character in displayname',
      file(`  bob:\n    displayname: "Bob\\r\\nX-Evil: 1"\n    password: "${HASH}"\n`),
      'users.bob.displayname: must not contain control characters',
    ],
    ['bad email', file(user('bob', '    email: not-an-email\n')), 'users.bob.email: is not an email address'],
    ['group with a comma', file(user('bob', '    groups: ["admins,root"]\n')), 'users.bob.groups[0]: is not a group name'],
    ['group with a newline', file(user('bob', '    groups: ["a\\nb"]\n')), 'users.bob.groups[0]: is not a group name'],
    ['groups as a string', file(user('bob', '    groups: admins\n')), 'users.bob.groups: must be array'],
    ['disabled as a string', file(user('bob', '    disabled: "yes"\n')), 'users.bob.disabled: must be boolean'],
    ['user as a string', file('  bob: secret\n'), 'users.bob: must be object'],
    ['username with a space', file(user('"bob smith"')), 'users["bob smith"]: is not a username'],
    ['username with a colon', file(user('"bob:x"')), 'users["bob:x"]: is not a username'],
    ['non-ASCII username', file(user('"bøb"')), 'users["bøb"]: is not a username'],
    ['Kelvin-sign username (folds to k in Unicode)', file(user('"\u212Aate"')), 'is not a username'],
    ['username over 128 characters', file(user('a'.repeat(129))), `users.${'a'.repeat(129)}: is not a username`],
    ['usernames equal but for case', file(user('alice') + user('ALICE')), 'users.ALICE: duplicates users.alice (usernames are case-insensitive)'],
    ['duplicate YAML keys', file(user('alice') + user('alice')), 'yaml: Map keys must be unique at line'],
    ['broken YAML', 'users:\n  bob: [\n', 'yaml: '],
    ['an alias bomb', `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [${'*a, '.repeat(9)}*a]\nc: &c [${'*b, '.repeat(9)}*b]\nusers: [${'*c, '.repeat(9)}*c]\n`, 'yaml: '],
  ])('refuses %s', (_name, text, expected) => {
    const result = parseUsersFile(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(
      result.errors.some((e) => e.includes(expected)),
      result.errors.join('\n'),
    ).toBe(true);
  });

  it('reports every error at once, each with its path', () => {
    const result = parseUsersFile(`
users:
  alice:
    displayname: Alice
    password: plain
    shoe_size: 42
  bob:
    password: "${HASH}"
    groups: ["a,b"]
  "carol smith":
    displayname: Carol
    password: "${HASH}"
extra: true
`);
    expect(result).toEqual({
      ok: false,
      errors: expect.arrayContaining([
        'extra: unknown key',
        'users.alice.shoe_size: unknown key',
        expect.stringMatching(/^users\.alice\.password: is not an argon2id hash/),
        'users.bob.displayname: is required',
        expect.stringMatching(/^users\.bob\.groups\[0\]: is not a group name/),
        expect.stringMatching(/^users\["carol smith"\]: is not a username/),
      ]),
    });
    if (!result.ok) expect(result.errors).toHaveLength(6);
  });

  it.each([
    ['a bad hash', file(`  bob:\n    displayname: Bob\n    password: "$argon2id$v=19$m=1,t=1,p=1$${SALT}$${SALT}"\n`)],
    ['a plaintext password', file('  bob:\n    displayname: Bob\n    password: "correct horse battery"\n')],
    ['a hash next to a YAML error', `users:\n  bob:\n    password: "${HASH}"\n   displayname: x\n`],
    ['a hash in a list', file(`  bob:\n    displayname: Bob\n    password: ["${HASH}"]\n`)],
    ['a hash as a group', file(user('bob', `    groups: ["${HASH}"]\n`))],
  ])('never quotes a password or hash in its errors (%s)', (_name, text) => {
    const result = parseUsersFile(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const all = result.errors.join('\n');
    expect(all).not.toContain(SALT);
    expect(all).not.toContain('correct horse');
    expect(all).not.toContain('$argon2id$v=19$m=1');
  });

  it('warns (without the hash) when a user hash costs differently from the dummy hash', () => {
    const result = parseUsersFile(file(`  bob:\n    displayname: Bob\n    password: "${OTHER_HASH}"\n` + user('alice')));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/^users\.bob\.password: argon2id parameters m=65536,t=3,p=4 differ from m=19456,t=2,p=1/);
    expect(result.warnings[0]).not.toContain(SALT);
  });
});

describe('normalizeUsername', () => {
  it.each([
    ['alice', 'alice'],
    ['Alice', 'alice'],
    ['ALICE.LIU@CORP.EXAMPLE', 'alice.liu@corp.example'],
    ['john_doe-2', 'john_doe-2'],
    ['a'.repeat(128), 'a'.repeat(128)],
    ['a'.repeat(129), undefined],
    ['', undefined],
    [' alice', undefined],
    ['alice ', undefined],
    ['al ice', undefined],
    ['alice\u0000', undefined],
    ['\u212Aate', undefined],
    ['ǅ', undefined],
    ['ａｌｉｃｅ', undefined],
    ['alice\n', undefined],
    ['x'.repeat(1 << 20), undefined],
  ])('%j → %j', (raw, expected) => expect(normalizeUsername(raw)).toBe(expected));
});
