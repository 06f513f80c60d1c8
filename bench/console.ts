/**
 * The admin console at scale: 10,000 users in the users file and 1,000,000 audit events in
 * SQLite, then the users list and a filtered audit page through the real HTTP routes, timed over
 * repeated requests (median and p95). Target: each under 200 ms. Not a test: run it by hand,
 * `npm run bench:console` (or `npx tsx bench/console.ts [--events N] [--rounds N]`), and note
 * the machine's load with the figures in BENCHMARKS.md.
 */
import { loadavg, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { CONSOLE_USERS, consoleRequest, sessionFor } from '../server/http/console/testing/console-harness.js';
import { startGatewayHarness, writeUsersFile } from '../server/testing/gateway-harness.js';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '1000000' }, users: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '50' } },
});
const EVENTS = Number(values.events);
const USER_COUNT = Number(values.users);
const ROUNDS = Number(values.rounds);
const KINDS = ['sign_in.success', 'sign_in.failure', 'second_factor.success', 'second_factor.failure', 'sign_out', 'push.requested', 'push.approved'];
const SITES = ['wiki', 'git', 'mail', 'hr', 'ci'];

const h = await startGatewayHarness({ configure: (c) => Object.assign(c, { admin: { auditor_group: 'auditors' } }) });
try {
  let started = Date.now();
  const users: Record<string, { password: string; displayname: string; email: string; groups: readonly string[]; disabled: boolean }> = { ...CONSOLE_USERS };
  for (let i = 0; i < USER_COUNT; i++)
    users[`user${String(i).padStart(5, '0')}`] = {
      password: 'bench-user-pass-1',
      displayname: `Bench User ${i}`,
      email: `user${i}@corp.example`,
      groups: ['staff'],
      disabled: false,
    };
  await writeUsersFile(h.usersFile, users);
  for (let i = 0; i < 800 && !h.gateway.ctx.directory.findUser('user00000'); i++) await new Promise((r) => setTimeout(r, 25));
  console.log(`users file: ${USER_COUNT} users in ${Date.now() - started} ms`);

  // A second connection to the gateway's database file: one transaction, prepared insert.
  started = Date.now();
  const db = new Database(join(dirname(h.usersFile), 'gatehouse.db'));
  const insert = db.prepare('INSERT INTO audit_events (at, kind, actor, subject, client_ip, user_agent, site, result, reason, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)');
  const now = Date.now();
  const span = 90 * 86_400_000;
  db.transaction(() => {
    for (let i = 0; i < EVENTS; i++) {
      const kind = KINDS[i % KINDS.length]!;
      const user = `user${String((i * 7919) % USER_COUNT).padStart(5, '0')}`;
      insert.run(
        now - span + Math.floor((i / EVENTS) * span),
        kind,
        user,
        user,
        `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        'Mozilla/5.0',
        SITES[i % SITES.length],
        kind.endsWith('failure') ? 'failure' : kind.endsWith('success') ? 'success' : 'info',
        '{}',
      );
    }
  })();
  db.exec('ANALYZE');
  db.close();
  console.log(`audit log: ${EVENTS} events in ${Date.now() - started} ms`);

  const cases: Array<[string, string]> = [
    ['users list, first page', '/users'],
    ['users list, search "user09"', '/users?q=user09'],
    ['users list, page 200', '/users?page=200'],
    ['audit log, first page', '/audit'],
    ['audit log, one user', '/audit?user=user00042'],
    [
      'audit log, failures on one site, one day',
      `/audit?result=failure&site=git&from=${new Date(now - 10 * 86_400_000).toISOString().slice(0, 10)}&to=${new Date(now - 10 * 86_400_000).toISOString().slice(0, 10)}`,
    ],
    ['audit log, one address', '/audit?ip=10.1.2.3'],
  ];
  const results: Array<{ name: string; median: number; p95: number }> = [];
  for (const [name, path] of cases) {
    const times: number[] = [];
    // A fresh session per case: the console asks for a second factor at most 10 minutes old.
    const alice = await sessionFor(h, 'alice', { kind: 'totp', ageMs: 0 });
    for (let i = 0; i < ROUNDS + 3; i++) {
      const t0 = performance.now();
      const res = await consoleRequest(h, 'GET', path, alice);
      const ms = performance.now() - t0;
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      if (i >= 3) times.push(ms); // the first requests warm caches and prepared statements
    }
    times.sort((a, b) => a - b);
    const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
    results.push({ name, median: at(0.5), p95: at(0.95) });
  }
  console.log(
    `\n${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; ${ROUNDS} requests each\n`,
  );
  console.log('| request | median | p95 | under 200 ms |\n| --- | --- | --- | --- |');
  for (const r of results) console.log(`| ${r.name} | ${r.median.toFixed(1)} ms | ${r.p95.toFixed(1)} ms | ${r.p95 < 200 ? 'yes' : 'no'} |`);
} finally {
  await h.close();
}
