import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrateSqlite, SchemaVersionError, type Migration } from './migrations.js';

const NOW = Date.UTC(2026, 0, 1);
const LATEST = MIGRATIONS.length;
const NEXT: Migration = { version: LATEST + 1, name: 'add-notes', statements: ['CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT NOT NULL)'] };
const RELEASED = MIGRATIONS.map((m) => ({ version: m.version, name: m.name, appliedAt: NOW }));

let db: Database;
beforeEach(() => {
  db = new BetterSqlite3(':memory:');
});
afterEach(() => db.close());

const versions = () => db.prepare('SELECT version, name, applied_at AS appliedAt FROM schema_migrations ORDER BY version').all();
const tables = () => db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];

describe('migrateSqlite', () => {
  it('creates every table on an empty database and records the version', () => {
    expect(migrateSqlite(db, NOW)).toEqual({ from: 0, to: MIGRATIONS.length, applied: MIGRATIONS.map((m) => m.version) });
    expect(tables()).toEqual([
      'account_states',
      'audit_events',
      'enrollment_codes',
      'otp_devices',
      'push_devices',
      'recovery_codes',
      'schema_migrations',
      'sms_numbers',
      'user_factor_state',
      'webauthn_credentials',
      'webauthn_user_handles',
    ]);
    expect(versions()).toEqual([
      { version: 1, name: 'initial', appliedAt: NOW },
      { version: 2, name: 'webauthn', appliedAt: NOW },
      { version: 3, name: 'audit-events', appliedAt: NOW },
      { version: 4, name: 'account-states', appliedAt: NOW },
      { version: 5, name: 'push-devices', appliedAt: NOW },
      { version: 6, name: 'recovery-code-position', appliedAt: NOW },
      { version: 7, name: 'push-app-lock', appliedAt: NOW },
      { version: 8, name: 'audit-filters', appliedAt: NOW },
      { version: 9, name: 'sms-numbers', appliedAt: NOW },
    ]);
  });

  it.each([
    ['address', 'client_ip = ?', 'audit_events_client_ip_at'],
    ['site', 'site = ?', 'audit_events_site_at'],
    ['result', 'result = ?', 'audit_events_result_at'],
    ['time alone', 'at >= ?', 'audit_events_at_id'],
  ])('gives the audit log filter on %s an index (the query plan uses it)', (_name, clause, index) => {
    migrateSqlite(db, NOW);
    const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT id FROM audit_events WHERE ${clause} ORDER BY at DESC, id DESC LIMIT 50`).all('x') as { detail: string }[];
    expect(plan.map((row) => row.detail).join('\n')).toContain(index);
  });

  it('does nothing the second time', () => {
    migrateSqlite(db, NOW);
    expect(migrateSqlite(db, NOW + 1)).toEqual({ from: LATEST, to: LATEST, applied: [] });
    expect(versions()).toEqual(RELEASED);
  });

  it('applies only the new migration to an existing database, keeping its rows', () => {
    migrateSqlite(db, NOW);
    db.prepare("INSERT INTO recovery_codes (id, username, code_hash, created_at) VALUES ('r1', 'alice', 'h', 1)").run();
    expect(migrateSqlite(db, NOW + 5, [...MIGRATIONS, NEXT])).toEqual({ from: LATEST, to: LATEST + 1, applied: [LATEST + 1] });
    expect(tables()).toContain('notes');
    expect(db.prepare('SELECT count(*) FROM recovery_codes').pluck().get()).toBe(1);
    expect(versions()).toEqual([...RELEASED, { version: LATEST + 1, name: 'add-notes', appliedAt: NOW + 5 }]);
  });

  it('rolls a failing migration back whole and leaves the version where it was', () => {
    migrateSqlite(db, NOW);
    const broken: Migration = { version: LATEST + 1, name: 'broken', statements: ['CREATE TABLE half (id TEXT)', 'CREATE TABLE oops ('] };
    expect(() => migrateSqlite(db, NOW, [...MIGRATIONS, broken])).toThrow();
    expect(tables()).not.toContain('half');
    expect(versions()).toHaveLength(LATEST);
    expect(migrateSqlite(db, NOW, [...MIGRATIONS, NEXT]).applied).toEqual([LATEST + 1]);
  });

  it('refuses a database newer than the code, with the versions in the message', () => {
    migrateSqlite(db, NOW, [...MIGRATIONS, NEXT]);
    let error: unknown;
    try {
      migrateSqlite(db, NOW);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SchemaVersionError);
    expect((error as Error).message).toMatch(new RegExp(`schema version ${LATEST + 1}.*versions up to ${LATEST}`));
    expect(tables()).toContain('notes');
  });

  it('refuses a database whose history names another migration', () => {
    migrateSqlite(db, NOW);
    db.prepare("UPDATE schema_migrations SET name = 'something-else' WHERE version = 1").run();
    expect(() => migrateSqlite(db, NOW)).toThrow(/migration 1 is "something-else".*"initial"/);
  });

  it.each([
    ['a gap', [...MIGRATIONS, { ...NEXT, version: LATEST + 2 }]],
    ['a duplicate', [...MIGRATIONS, { ...NEXT, version: LATEST }]],
    ['not starting at 1', [{ ...NEXT, version: 2 }]],
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
    db.prepare(
      "INSERT INTO otp_devices (id, username, kind, name, secret, secret_key_id, algorithm, digits, period, created_at) VALUES ('a', 'u', 'totp', 'n', 's', 'k', 'SHA1', 6, 30, 1)",
    ).run();
    expect(() => db.prepare(`UPDATE otp_devices SET ${assignment}`).run()).toThrow(/CHECK/);
  });

  it('upgrades a database at the first release to WebAuthn, keeping its devices', () => {
    migrateSqlite(db, NOW, MIGRATIONS.slice(0, 1));
    db.prepare(
      "INSERT INTO otp_devices (id, username, kind, name, secret, secret_key_id, algorithm, digits, period, created_at) VALUES ('a', 'u', 'totp', 'n', 's', 'k', 'SHA1', 6, 30, 1)",
    ).run();
    expect(migrateSqlite(db, NOW + 1)).toEqual({ from: 1, to: LATEST, applied: MIGRATIONS.slice(1).map((m) => m.version) });
    expect(tables()).toContain('webauthn_credentials');
    expect(db.prepare('SELECT count(*) FROM otp_devices').pluck().get()).toBe(1);
  });

  it.each([
    ['counter', 'counter = -1'],
    ['backup_eligible', 'backup_eligible = 2'],
    ['backup_state', 'backup_state = -1'],
    ['user_verified', 'user_verified = 3'],
    ['discoverable', 'discoverable = 2'],
  ])('checks webauthn %s', (_name, assignment) => {
    migrateSqlite(db, NOW);
    db.prepare(
      "INSERT INTO webauthn_credentials (id, username, user_handle, public_key, counter, transports, aaguid, backup_eligible, backup_state, user_verified, discoverable, name, created_at) VALUES ('c', 'u', 'h', 'k', 0, '[]', 'g', 0, 0, 0, NULL, 'n', 1)",
    ).run();
    expect(() => db.prepare(`UPDATE webauthn_credentials SET ${assignment}`).run()).toThrow(/CHECK/);
  });

  it('gives a user handle to one user only', () => {
    migrateSqlite(db, NOW);
    db.prepare("INSERT INTO webauthn_user_handles (username, user_handle) VALUES ('alice', 'h')").run();
    expect(() => db.prepare("INSERT INTO webauthn_user_handles (username, user_handle) VALUES ('bob', 'h')").run()).toThrow(/UNIQUE/);
  });
});
