import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP, PORTAL, TRUSTED_PROXY, USERS, WIKI, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';

const PROMTOOL = '/usr/bin/promtool';

/**
 * /metrics of a real gateway after traffic of every kind it counts (proxied requests,
 * forward-auth and auth_request decisions, sign-ins that succeed and fail, an account ban), so
 * every family has samples, checked by Prometheus' own linter and by a parser of our own.
 */
let h: GatewayHarness;
let body: string;
beforeAll(async () => {
  h = await startGatewayHarness({
    configure: (c) => {
      c.regulation = { ...c.regulation, account: { max_retries: 3, find_time: '10m', ban_time: '15m' } };
    },
  });
  await makeTraffic();
  const res = await h.request({ path: '/metrics', host: PORTAL });
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  body = res.body;
});
afterAll(() => h?.close());

async function makeTraffic() {
  expect((await h.request({ path: '/', host: APP })).status).toBe(302);
  const alice = await h.signIn('alice');
  expect((await h.request({ path: '/', host: APP, headers: { cookie: alice } })).status).toBe(200);
  const forwardAuth = { 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'http', 'x-forwarded-host': WIKI, 'x-forwarded-uri': '/page' };
  expect((await h.request({ path: '/api/authz/forward-auth', host: 'gatehouse.internal', headers: { ...forwardAuth, cookie: alice }, localAddress: TRUSTED_PROXY })).status).toBe(
    200,
  );
  expect(
    (await h.request({ path: '/api/authz/auth-request', host: 'gatehouse.internal', headers: { 'x-original-url': `http://${WIKI}/` }, localAddress: TRUSTED_PROXY })).status,
  ).toBe(401);
  // Past account.max_retries: failures, then an account ban (a regulation event).
  for (let i = 0; i < 4; i++) expect((await h.postSignIn({ username: 'bob', password: `wrong-${i}` })).status).toBe(401);
  expect((await h.postSignIn({ username: 'bob', password: USERS.bob.password })).status).toBe(401);
  await untilGarbageCollected();
}

/**
 * The GC histogram fills only once V8 collects after the gateway started, which a short test
 * may not need: allocate until a collection has been observed (bounded by volume, not time).
 */
async function untilGarbageCollected() {
  const gc = h.gateway.ctx.metrics.registry.getSingleMetric('gatehouse_nodejs_gc_duration_seconds')!;
  const kept: number[][][] = [];
  for (let round = 0; round < 2000 && (await gc.get()).values.length === 0; round++) {
    kept[round % 4] = Array.from({ length: 1000 }, (_, i) => [i, round]);
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect((await gc.get()).values.length).toBeGreaterThan(0);
}

interface Family {
  help?: string;
  type?: string;
  samples: string[];
}

/**
 * A small reader of the Prometheus text format (0.0.4): families with their HELP, TYPE and
 * samples, and every line it could not place. Enough to hold the naming rules without promtool.
 */
function parseExposition(text: string): { families: Map<string, Family>; problems: string[] } {
  const families = new Map<string, Family>();
  const problems: string[] = [];
  const family = (name: string) => families.get(name) ?? families.set(name, { samples: [] }).get(name)!;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      const f = family(meta[2]!);
      const key = meta[1] === 'HELP' ? 'help' : 'type';
      if (f[key] !== undefined) problems.push(`second ${meta[1]} for ${meta[2]}`);
      f[key] = meta[3];
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)( -?[0-9]+)?$/.exec(line);
    if (!sample) {
      problems.push(`unreadable line: ${line}`);
      continue;
    }
    const name = sample[1]!;
    // A histogram's or summary's samples carry a suffix on the family's name.
    const owner = [name, name.replace(/_(bucket|sum|count)$/, '')].find((n) => families.get(n)?.type !== undefined);
    if (!owner) problems.push(`sample before its TYPE: ${name}`);
    else family(owner).samples.push(line);
  }
  return { families, problems };
}

describe('GET /metrics after traffic', () => {
  it('passes promtool check metrics', () => {
    if (!existsSync(PROMTOOL)) throw new Error(`${PROMTOOL} not found: this test needs the Debian package prometheus (apt-get install prometheus)`);
    const lint = spawnSync(PROMTOOL, ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
  });

  it('names every family by the rules promtool holds it to: _total exactly on counters, HELP and TYPE on each', () => {
    const { families, problems } = parseExposition(body);
    expect(problems).toEqual([]);
    expect(families.size).toBeGreaterThan(10);
    for (const [name, f] of families) {
      expect(name, name).toMatch(/^gatehouse_[a-z0-9_]+$/);
      expect(f.type, name).toMatch(/^(counter|gauge|histogram|summary)$/);
      expect(f.help, name).toMatch(/\S/);
      expect(name.endsWith('_total'), `${name} is a ${f.type}`).toBe(f.type === 'counter');
      // Base units only: seconds and bytes, never milliseconds or kilobytes.
      expect(name, name).not.toMatch(/_(milli|micro|nano|kilo|mega)(seconds|bytes)|_(ms|millis|kb|mb)(_|$)/);
    }
  });

  it('has samples in every family, the gateway’s own with the labels of this traffic', () => {
    const { families } = parseExposition(body);
    // Libuv requests (a file read, a DNS lookup) by type: none is in flight while the scrape is
    // answered, and a family without series is how "zero of every type" reads.
    const mayBeEmpty = new Set(['gatehouse_nodejs_active_requests']);
    const empty = [...families].filter(([name, f]) => f.samples.length === 0 && !mayBeEmpty.has(name)).map(([name]) => name);
    expect(empty).toEqual([]);
    const samples = (name: string) => families.get(name)?.samples.join('\n') ?? '';
    expect(samples('gatehouse_access_decisions_total')).toMatch(/route="proxy",decision="login"\} 1/);
    expect(samples('gatehouse_access_decisions_total')).toMatch(/route="proxy",decision="allow"\} 1/);
    expect(samples('gatehouse_access_decisions_total')).toMatch(/route="forward_auth",decision="allow"\} 1/);
    expect(samples('gatehouse_access_decisions_total')).toMatch(/route="auth_request",decision="login"\} 1/);
    expect(samples('gatehouse_request_duration_seconds')).toMatch(/_count\{route="proxy"\} 2/);
    expect(samples('gatehouse_sign_ins_total')).toMatch(/factor="password",result="success"\} 1/);
    expect(samples('gatehouse_sign_ins_total')).toMatch(/factor="password",result="failure"\} [1-9]/);
    expect(samples('gatehouse_regulation_events_total')).toMatch(/event="account_ban",factor="password"\} 1/);
    // The process metrics operators watch are still there.
    for (const name of [
      'gatehouse_process_cpu_seconds_total',
      'gatehouse_process_resident_memory_bytes',
      'gatehouse_nodejs_eventloop_lag_p99_seconds',
      'gatehouse_nodejs_heap_size_used_bytes',
      'gatehouse_nodejs_active_handles',
    ]) {
      expect(families.get(name)?.samples.length, name).toBeGreaterThan(0);
    }
  });
});
