import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrateSqlite, SchemaVersionError, type Migration } from './migrations.js';

const NOW = Date.UTC(2026, 0, 1);
const SECOND: Migration = { version: 2, name: 'add-notes', statements: ['CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT NOT NULL)'] };

let db: Database;
beforeEach(() => {
  db = new BetterSqlite3(':memory:');
});
afterEach(() => db.close());

const versions = () => db.prepare('SELECT version, name, applied_at AS appliedAt FROM schema_migrations ORDER BY version').all();
const tables = () =>
  db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];

describe('migrateSqlite', () => {
  it('creates every table on an empty database and records the version', () => {
    expect(migrateSqlite(db, NOW)).toEqual({ from: 0, to: MIGRATIONS.length, applied: MIGRATIONS.map((m) => m.version) });
    expect(tables()).toEqual(['enrollment_codes', 'otp_devices', 'recovery_codes', 'schema_migrations', 'user_factor_state']);
    expect(versions()).toEqual([{ version: 1, name: 'initial', appliedAt: NOW }]);
  });

  it('does nothing the second time', () => {
    migrateSqlite(db, NOW);
    expect(migrateSqlite(db, NOW + 1)).toEqual({ from: 1, to: 1, applied: [] });
    expect(versions()).toEqual([{ version: 1, name: 'initial', appliedAt: NOW }]);
  });

  it('applies only the new migration to an existing database, keeping its rows', () => {
    migrateSqlite(db, NOW);
    db.prepare("INSERT INTO recovery_codes (id, username, code_hash, created_at) VALUES ('r1', 'alice', 'h', 1)").run();
    expect(migrateSqlite(db, NOW + 5, [...MIGRATIONS, SECOND])).toEqual({ from: 1, to: 2, applied: [2] });
    expect(tables()).toContain('notes');
    expect(db.prepare('SELECT count(*) FROM recovery_codes').pluck().get()).toBe(1);
    expect(versions()).toEqual([
      { version: 1, name: 'initial', appliedAt: NOW },
      { version: 2, name: 'add-notes', appliedAt: NOW + 5 },
    ]);
  });

  it('rolls a failing migration back whole and leaves the version where it was', () => {
    migrateSqlite(db, NOW);
    const broken: Migration = { version: 2, name: 'broken', statements: ['CREATE TABLE half (id TEXT)', 'CREATE TABLE oops (']};
    expect(() => migrateSqlite(db, NOW, [...MIGRATIONS, broken])).toThrow();
    expect(tables()).not.toContain('half');
    expect(versions()).toHaveLength(1);
    expect(migrateSqlite(db, NOW, [...MIGRATIONS, SECOND]).applied).toEqual([2]);
  });

  it('refuses a database newer than the code, with the versions in the message', () => {
    migrateSqlite(db, NOW, [...MIGRATIONS, SECOND]);
    let error: unknown;
    try {
      migrateSqlite(db, NOW);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SchemaVersionError);
    expect((error as Error).message).toMatch(/schema version 2.*versions up to 1/);
    expect(tables()).toContain('notes');
  });

  it('refuses a database whose history names another migration', () => {
    migrateSqlite(db, NOW);
    db.prepare("UPDATE schema_migrations SET name = 'something-else' WHERE version = 1").run();
    expect(() => migrateSqlite(db, NOW)).toThrow(/migration 1 is "something-else".*"initial"/);
  });

  it.each([
    ['a gap', [MIGRATIONS[0]!, { ...SECOND, version: 3 }]],
    ['a duplicate', [MIGRATIONS[0]!, { ...SECOND, version: 1 }]],
    ['not starting at 1', [{ ...SECOND, version: 2 }]],
  ])('refuses a migration list with %s', (_name, list) => {
    expect(() => migrateSqlite(db, NOW, list)).toThrow(RangeError);
    expect(tables()).toEqual([]);
  });

  it('enforces the serial and code-hash uniqueness the stores rely on, allowing many null serials', () => {
    migrateSqlite(db, NOW);
    const insert = db.prepare(
      "INSERT INTO otp_devices (id, username, kind, name, secret, secret_key_id, algorithm, digits, period, serial, created_at) VALUES (?, 'u', 'totp', 'n', 's', 'k', 'SHA1', 6, 30, ?, 1)",
    );
    insert.run('a', null);
    insert.run('b', null);
    insert.run('c', 'S1');
    expect(() => insert.run('d', 'S1')).toThrow(/UNIQUE/);
    const code = db.prepare("INSERT INTO enrollment_codes (id, username, method, code_hash, created_at, expires_at, issued_by) VALUES (?, 'u', 'admin', 'h', 1, 2, 'root')");
    code.run('e1');
    expect(() => code.run('e2')).toThrow(/UNIQUE/);
  });

  it.each([
    ['kind', "kind = 'sms'"],
    ['algorithm', "algorithm = 'MD5'"],
    ['digits', 'digits = 7'],
    ['period', 'period = 0'],
    ['counter', 'counter = -1'],
  ])('checks %s', (_name, assignment) => {
    migrateSqlite(db, NOW);
    db.prepare("INSERT INTO otp_devices (id, username, kind, name, secret, secret_key_id, algorithm, digits, period, created_at) VALUES ('a', 'u', 'totp', 'n', 's', 'k', 'SHA1', 6, 30, 1)").run();
    expect(() => db.prepare(`UPDATE otp_devices SET ${assignment}`).run()).toThrow(/CHECK/);
  });
});
