import { join } from 'node:path';
import { dnOf, groupDn, ldapConfigFor, ldifEntry, startLdapFixture } from '../server/directory/ldap/testing/ldap-fixture.js';
import type { SessionUser } from '../server/session/session.js';
import { getFreePort } from '../server/testing/free-port.js';
import { cookieFrom, send } from '../server/testing/http-client.js';
import type { TestSlapd } from '../server/testing/slapd-server.js';
import { APP_HOST, createSessions, writeGatewayConfig } from './fixtures.js';
import { buildGateway, startGateway, type GatewayChild } from './gateway-child.js';
import { measure, median, summarize, type Bench, type Measurement, type Summary } from './measure.js';
import { prepareSignIn } from './portal-sign-in.js';
import type { Profile } from './profiles.js';
import { PAGE_PATH } from './scenarios.js';
import type { Stack } from './stack.js';

type Log = (line: string) => void;

/** Directory users the LDAP gateway's sessions belong to, each signed in once through the portal. */
const LDAP_BENCH_USERS = 100;

export interface LdapSignInCost {
  /** Sign-ins measured, each by another account and from another client address. */
  n: number;
  /** POST /login, median and range, ms. */
  ms: number;
  msMin: number;
  msMax: number;
  /** Per sign-in, from slapd's stats log (median; every sign-in of a kind costs the same here). */
  binds: number;
  searches: number;
  /** The portal's answer: 303 signed in, 401 the wrong-password page. */
  status: number;
}

export interface LdapResult {
  directory: string;
  users: number;
  sessions: number;
  signIn: { right: LdapSignInCost; wrong: LdapSignInCost; unknown: LdapSignInCost };
  /** Scenario D (reverse proxy, signed in) on the two gateways, alternating run by run. */
  proxy: { usersFile: Summary; ldap: Summary; ratio: number; ratioByCpu: number };
}

/**
 * The gateway with LDAP as its directory, beside the users-file gateway of the stack, in the
 * same run: slapd (the test suite's, StartTLS, `openldap` preset, groups from memberOf) started
 * here; the cost of one sign-in through the portal (binds and searches as slapd logged them,
 * and ms) for a right password, a wrong one and an unknown name; then D on both gateways,
 * alternating run by run, with as many sessions each (LDAP users' sessions for the LDAP
 * gateway), so that the ratio of the two is taken under one load.
 */
export async function runLdapPart(stack: Stack, profile: Profile, log: Log): Promise<LdapResult> {
  const slapd = await startLdapFixture({ manyGroups: false });
  let gateway: GatewayChild | undefined;
  try {
    const people = await addBenchUsers(slapd);
    const configFile = join(stack.dir, 'gatehouse-ldap.yml');
    writeGatewayConfig(configFile, { port: await getFreePort(), redisUrl: stack.bench.redis.url, upstreamPort: stack.files.upstreamPort, ldap: ldapConfigFor(slapd) });
    gateway = await startGateway(stack.bench.plan, { bundle: await buildGateway(), configFile, logFile: join(stack.dir, 'gateway-ldap.log') });
    log(`LDAP: slapd on ${slapd.url}; gateway pid ${gateway.pid} on port ${gateway.port}`);
    const port = gateway.port;

    // Warm-up: the first sign-in opens the pools (StartTLS and a service bind per connection).
    await signInOnce(port, people[0]!, people[0]!.password);
    const n = profile.name === 'full' ? 20 : 5;
    const kinds = { right: [] as Cost[], wrong: [] as Cost[], unknown: [] as Cost[] };
    for (let i = 0; i < n; i++) {
      kinds.right.push(await cost(slapd, port, people[1 + i]!.username, people[1 + i]!.password));
      kinds.wrong.push(await cost(slapd, port, people[1 + n + i]!.username, 'not-the-password'));
      kinds.unknown.push(await cost(slapd, port, `nobody-${i}`, 'not-the-password'));
    }
    const signIn = { right: summarizeCost(kinds.right), wrong: summarizeCost(kinds.wrong), unknown: summarizeCost(kinds.unknown) };
    for (const [kind, c] of Object.entries(signIn))
      log(
        `LDAP sign-in, ${kind}: ${c.binds} bind(s) + ${c.searches} search(es), ${c.ms.toFixed(1)} ms (median of ${c.n}; ${c.msMin.toFixed(1)}–${c.msMax.toFixed(1)}), answered ${c.status}`,
      );

    // Every bench user signs in once through the portal (their shared record is written); the
    // rest of the sessions are made in the session store for the same users.
    const cookies: string[] = [];
    for (const person of people) cookies.push(`other=1; gatehouse_session=${await signInOnce(port, person, person.password)}; theme=dark`);
    const cookieFile = join(stack.dir, 'cookies-ldap.txt');
    await createSessions({ redisUrl: stack.bench.redis.url, count: profile.sessions, cookieFile, people, cookies });
    const check = await send({ port, path: PAGE_PATH, host: APP_HOST, headers: { cookie: cookies[0]! } });
    if (check.status !== 200 || check.body.length !== 4096) throw new Error(`sanity check failed: D through the LDAP gateway answered ${check.status}`);

    const serverPids = [...stack.bench.serverPids, gateway.pid];
    const benches: Record<'usersFile' | 'ldap', Bench> = {
      usersFile: { ...stack.bench, serverPids },
      ldap: { ...stack.bench, gateway, cookieFile, serverPids },
    };
    const scenario = { ...stack.scenario('D') };
    const at = (side: 'usersFile' | 'ldap') => ({ ...scenario, port: side === 'ldap' ? port : scenario.port });
    for (const side of ['usersFile', 'ldap'] as const) await measure(benches[side], at(side), profile.warmupS);
    const runs: Record<'usersFile' | 'ldap', Measurement[]> = { usersFile: [], ldap: [] };
    for (let round = 1; round <= profile.rounds; round++) {
      for (const side of round % 2 === 1 ? (['usersFile', 'ldap'] as const) : (['ldap', 'usersFile'] as const)) {
        const m = await measure(benches[side], at(side), profile.runS);
        runs[side].push(m);
        log(
          `LDAP round ${round} D with ${side === 'ldap' ? 'LDAP' : 'the users file'}: ${Math.round(m.wrk.rps)} req/s, p99 ${m.wrk.p99Ms.toFixed(2)} ms, redis ${m.redisPerRequest?.toFixed(4)}/req`,
        );
      }
    }
    const usersFile = summarize(runs.usersFile);
    const ldap = summarize(runs.ldap);
    return {
      directory: 'slapd on loopback, StartTLS, implementation openldap (groups from memberOf), pool_size 4',
      users: people.length,
      sessions: profile.sessions,
      signIn,
      proxy: { usersFile, ldap, ratio: ldap.rps / usersFile.rps, ratioByCpu: usersFile.serverCpuUs / ldap.serverCpuUs },
    };
  } finally {
    await gateway?.stop();
    await slapd.close();
  }
}

interface BenchPerson extends SessionUser {
  password: string;
}

/** LDAP_BENCH_USERS people in one group, as the directory then describes them to a session. */
async function addBenchUsers(slapd: TestSlapd): Promise<BenchPerson[]> {
  const people: BenchPerson[] = Array.from({ length: LDAP_BENCH_USERS }, (_, i) => {
    const uid = `bench-${String(i).padStart(3, '0')}`;
    return { username: uid, displayName: `Bench User ${i}`, email: `${uid}@corp.test`, groups: ['bench'], source: 'ldap', password: `${uid}-ldap-secret` };
  });
  const entries = people.map((p) =>
    ldifEntry(dnOf(p.username), {
      objectClass: 'inetOrgPerson',
      uid: p.username,
      cn: p.displayName,
      sn: 'User',
      displayName: p.displayName,
      mail: p.email,
      userPassword: p.password,
    }),
  );
  entries.push(ldifEntry(groupDn('bench'), { objectClass: 'groupOfNames', cn: 'bench', member: people.map((p) => dnOf(p.username)) }));
  await slapd.addLdif(`${entries.join('\n')}\n`);
  return people;
}

let addresses = 0;
/** A client address used once (198.18.0.0/15, the benchmarking range): no regulation limit carries over. */
const freshAddress = () => {
  addresses++;
  return `198.18.${128 + ((addresses >> 8) & 127)}.${addresses & 255}`;
};

/** Signs in through the portal; the session token. */
async function signInOnce(port: number, person: { username: string }, password: string): Promise<string> {
  const response = await (await prepareSignIn(port, freshAddress(), { username: person.username, password }))();
  const token = cookieFrom(response, 'gatehouse_session');
  if (response.status !== 303 || !token) throw new Error(`LDAP sign-in of ${person.username} answered ${response.status}`);
  return token;
}

interface Cost {
  ms: number;
  binds: number;
  searches: number;
  status: number;
}

/** One POST /login, timed, with the operations slapd logged for it. */
async function cost(slapd: TestSlapd, port: number, username: string, password: string): Promise<Cost> {
  const post = await prepareSignIn(port, freshAddress(), { username, password });
  await slapd.logged();
  slapd.clearLog();
  const started = performance.now();
  const response = await post();
  const ms = performance.now() - started;
  await slapd.logged();
  const ops = slapd.operations();
  return { ms, binds: ops.filter((o) => o.type === 'BIND').length, searches: ops.filter((o) => o.type === 'SRCH').length, status: response.status };
}

function summarizeCost(costs: Cost[]): LdapSignInCost {
  const statuses = new Set(costs.map((c) => c.status));
  if (statuses.size !== 1) throw new Error(`sign-ins of one kind answered differently: ${[...statuses].join(', ')}`);
  const ms = costs.map((c) => c.ms);
  return {
    n: costs.length,
    ms: median(ms),
    msMin: Math.min(...ms),
    msMax: Math.max(...ms),
    binds: median(costs.map((c) => c.binds)),
    searches: median(costs.map((c) => c.searches)),
    status: costs[0]!.status,
  };
}
