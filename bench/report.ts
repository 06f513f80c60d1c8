import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import type { LdapResult } from './ldap.js';
import type { LemonldapPart, SessionMode } from './lemonldap.js';
import type { Summary } from './measure.js';
import type { LoginPageJs } from './page-assets.js';
import type { FixedRateResult, MemoryResult, StormPhase } from './phases.js';
import type { Profile } from './profiles.js';
import type { Scenario, ScenarioKey } from './scenarios.js';

export interface Results {
  proxy_vs_nginx: number;
  forward_auth_vs_bare_node: number;
  auth_request_vs_nginx: number;
  /** D over H: the gateway against a Node.js proxy that does nothing else (not an issue target). */
  proxy_vs_bare_node_proxy: number;
  /** H's CPU time per request over D's: how close the gateway's proxying comes to a Node proxy that does nothing else (issue 18 target ≥ 0.8). */
  proxy_vs_bare_node_proxy_by_cpu: number;
  /** E's CPU µs per request on the server core (gateway and Redis): forward-auth's own cost (issue 18 target ≤ 50). */
  forward_auth_cpu_us: number;
  /** W over D: `server.workers: 2` against one process, same run, same server core(s). */
  proxy_workers_2_vs_1?: number;
  proxy_workers_2_vs_1_by_cpu?: number;
  /**
   * The same ratios from CPU time per request of everything under test (B's CPU µs over D's…):
   * what the throughput ratios would be on an idle core. Not issue targets; they hardly move
   * when other work shares the machine, which the throughput ratios do.
   */
  proxy_vs_nginx_by_cpu: number;
  forward_auth_vs_bare_node_by_cpu: number;
  auth_request_vs_nginx_by_cpu: number;
  p99_over_nginx_ms: number;
  redis_cmds_per_request: number;
  redis_cmds_per_request_cold: number;
  rss_mb: number;
  rss_growth_1m_to_2m: number;
  storm_p99_ratio: number;
  max_event_loop_block_ms: number;
  /** Gzipped JavaScript the sign-in page loads, summed over its scripts (bench/page-assets.ts). */
  login_page_js_gz_bytes: number;
  /** How many script files that is (one bundle per page is the target). */
  login_page_scripts: number;
  /** D with LDAP as the directory over D with the users file, measured alternately in this run. */
  ldap_proxy_vs_users_file: number;
  /**
   * Gatehouse's CPU µs per request in F over LemonLDAP::NG's handler's in L (auth services
   * alone), the worst of the session modes; absent when LemonLDAP::NG is not installed.
   */
  auth_request_vs_lemonldap_by_cpu?: number;
  auth_request_vs_lemonldap_by_cpu_by_mode?: Record<SessionMode, number>;
  targets: Record<string, { value: number; target: string; met: boolean }>;
  /** Scenarios whose slowest and fastest runs were more than 25 % apart: the throughput ratios of this run are unreliable. */
  noisy_scenarios: string[];
  mode: Profile['name'];
  date: string;
  machine: { nproc: number; cpu: string; node: string; nginx: string; redis: string; wrk: string; load_before: number[]; load_after: number[]; pinned: boolean };
  settings: Omit<Profile, 'name'>;
  scenarios: Record<ScenarioKey, Summary & { label: string }>;
  cold_cache: { requests: number; redisPerRequest: number; byCommand: Record<string, number>; failures: number };
  fixed_rate: FixedRateResult;
  memory: MemoryResult;
  storm: StormPhase;
  ldap: LdapResult;
  lemonldap: LemonldapPart;
  duration_s: number;
}

export function cpuModel(): string {
  return /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown';
}

export function machine(versions: { node: string; nginx: string; redis: string; wrk: string }, pinned: boolean) {
  return { nproc: availableParallelism(), cpu: cpuModel(), ...versions, load_before: loadavg().map(round2), load_after: [] as number[], pinned };
}

export function buildResults(input: {
  profile: Profile;
  machine: Results['machine'];
  scenarios: readonly Scenario[];
  summaries: Map<ScenarioKey, Summary>;
  cold: Results['cold_cache'];
  fixedRate: FixedRateResult;
  memory: MemoryResult;
  storm: StormPhase;
  ldap: LdapResult;
  lemonldap: LemonldapPart;
  loginPage: LoginPageJs;
  durationS: number;
}): Results {
  const s = (key: ScenarioKey) => input.summaries.get(key)!;
  const gatewayRss = (['D', 'E', 'F', 'G'] as const).map((k) => s(k).peakRssMb ?? 0);
  const rssMb = Math.max(...gatewayRss, input.fixedRate.gateway.peakRssMb ?? 0);
  const { profile } = input;
  const values = {
    proxy_vs_nginx: s('D').rps / s('B').rps,
    forward_auth_vs_bare_node: s('E').rps / s('C').rps,
    auth_request_vs_nginx: s('F').rps / s('B').rps,
    proxy_vs_bare_node_proxy: s('D').rps / s('H').rps,
    proxy_vs_bare_node_proxy_by_cpu: s('H').serverCpuUs / s('D').serverCpuUs,
    forward_auth_cpu_us: s('E').serverCpuUs,
    ...(input.summaries.has('W') ? { proxy_workers_2_vs_1: s('W').rps / s('D').rps, proxy_workers_2_vs_1_by_cpu: s('D').serverCpuUs / s('W').serverCpuUs } : {}),
    proxy_vs_nginx_by_cpu: s('B').serverCpuUs / s('D').serverCpuUs,
    forward_auth_vs_bare_node_by_cpu: s('C').serverCpuUs / s('E').serverCpuUs,
    auth_request_vs_nginx_by_cpu: s('B').serverCpuUs / s('F').serverCpuUs,
    p99_over_nginx_ms: input.fixedRate.gateway.p99Ms - input.fixedRate.nginx.p99Ms,
    redis_cmds_per_request: s('D').redisPerRequest ?? NaN,
    redis_cmds_per_request_cold: input.cold.redisPerRequest,
    rss_mb: rssMb,
    // Retained memory (after a full GC): the RSS as found swings with the GC's timing.
    rss_growth_1m_to_2m: input.memory.growth,
    storm_p99_ratio: input.storm.p99Ratio,
    max_event_loop_block_ms: input.storm.eventLoopMaxMs,
    login_page_js_gz_bytes: input.loginPage.gzBytes,
    login_page_scripts: input.loginPage.scripts,
    ldap_proxy_vs_users_file: input.ldap.proxy.ratio,
    ...lemonldapRatio(input.lemonldap),
  };
  const targets: Results['targets'] = {
    proxy_vs_nginx: { value: values.proxy_vs_nginx, target: '>= 0.6', met: values.proxy_vs_nginx >= 0.6 },
    forward_auth_vs_bare_node: { value: values.forward_auth_vs_bare_node, target: '>= 0.8', met: values.forward_auth_vs_bare_node >= 0.8 },
    p99_over_nginx_ms: { value: values.p99_over_nginx_ms, target: '<= 1', met: values.p99_over_nginx_ms <= 1 },
    redis_cmds_per_request: { value: values.redis_cmds_per_request, target: '<= 0.05', met: values.redis_cmds_per_request <= 0.05 },
    redis_cmds_per_request_cold: { value: values.redis_cmds_per_request_cold, target: '<= 1', met: values.redis_cmds_per_request_cold <= 1 },
    forward_auth_cpu_us: { value: values.forward_auth_cpu_us, target: '<= 50', met: values.forward_auth_cpu_us <= 50 },
    proxy_vs_bare_node_proxy_by_cpu: { value: values.proxy_vs_bare_node_proxy_by_cpu, target: '>= 0.8', met: values.proxy_vs_bare_node_proxy_by_cpu >= 0.8 },
    rss_mb: { value: values.rss_mb, target: '<= 120', met: values.rss_mb <= 120 },
    rss_growth_1m_to_2m: { value: values.rss_growth_1m_to_2m, target: '< 0.10', met: values.rss_growth_1m_to_2m < 0.1 },
    storm_p99_ratio: { value: values.storm_p99_ratio, target: '<= 2', met: values.storm_p99_ratio <= 2 },
    max_event_loop_block_ms: { value: values.max_event_loop_block_ms, target: '<= 20', met: values.max_event_loop_block_ms <= 20 },
    login_page_js_gz_bytes: { value: values.login_page_js_gz_bytes, target: '<= 15360', met: values.login_page_js_gz_bytes <= 15 * 1024 },
    login_page_scripts: { value: values.login_page_scripts, target: '<= 1', met: values.login_page_scripts <= 1 },
    // "No change to the proxied path": within the run-to-run noise of a shared machine.
    ldap_proxy_vs_users_file: { value: values.ldap_proxy_vs_users_file, target: '>= 0.95', met: values.ldap_proxy_vs_users_file >= 0.95 },
    ...(values.auth_request_vs_lemonldap_by_cpu !== undefined
      ? {
          auth_request_vs_lemonldap_by_cpu: {
            value: values.auth_request_vs_lemonldap_by_cpu,
            target: '<= 0.1',
            met: values.auth_request_vs_lemonldap_by_cpu <= 0.1,
          },
        }
      : {}),
  };
  const { name: mode, ...settings } = profile;
  const scenarios = Object.fromEntries(input.scenarios.map((sc) => [sc.key, { label: sc.label, ...s(sc.key) }])) as Results['scenarios'];
  const noisy = input.scenarios.map((sc) => sc.key).filter((k) => s(k).runs > 1 && s(k).rpsMax > 1.25 * s(k).rpsMin);
  return {
    ...values,
    targets,
    noisy_scenarios: noisy,
    mode,
    date: new Date().toISOString(),
    machine: { ...input.machine, load_after: loadavg().map(round2) },
    settings,
    scenarios,
    cold_cache: input.cold,
    fixed_rate: input.fixedRate,
    memory: input.memory,
    storm: input.storm,
    ldap: input.ldap,
    lemonldap: input.lemonldap,
    duration_s: round2(input.durationS),
  };
}

export function formatTable(r: Results): string {
  const lines: string[] = [];
  const m = r.machine;
  lines.push('');
  lines.push(`Gatehouse hot-path benchmark (${r.mode}${r.mode === 'quick' ? ': short runs, a rough check only' : ''}) — ${r.date}`);
  lines.push(`${m.nproc} × ${m.cpu}; Node ${m.node}, nginx ${m.nginx}, Redis ${m.redis}, wrk ${m.wrk}; load ${m.load_before.join(' ')} → ${m.load_after.join(' ')}`);
  lines.push(m.pinned ? 'wrk on core 0; servers, upstream, Redis and the gateway on core 1' : 'one core: nothing pinned');
  lines.push(`${r.settings.connections} connections, ${r.settings.rounds} × ${r.settings.runS} s per scenario (median), ${r.settings.sessions} distinct sessions`);
  lines.push('');
  const header = ['', 'scenario', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'sock err', 'CPU µs/req', 'redis/req', 'peak RSS MB'];
  const rows = Object.entries(r.scenarios).map(([key, s]) => [
    key,
    s.label,
    fmt(s.rps, 0),
    fmt(s.p50Ms, 2),
    fmt(s.p99Ms, 2),
    `${s.non2xx}/${s.requests}`,
    String(s.socketErrors),
    fmt(s.serverCpuUs, 1),
    s.redisPerRequest === undefined ? '' : fmt(s.redisPerRequest, 4),
    s.peakRssMb === undefined ? '' : fmt(s.peakRssMb, 1),
  ]);
  lines.push(...table([header, ...rows]));
  lines.push('');
  const fr = r.fixed_rate;
  lines.push(
    `Fixed rate ${Math.round(fr.rate)} req/s (50 % of B): B p50 ${fmt(fr.nginx.p50Ms, 2)} / p99 ${fmt(fr.nginx.p99Ms, 2)} ms (${fmt(fr.nginx.rps, 0)}/s served); D p50 ${fmt(fr.gateway.p50Ms, 2)} / p99 ${fmt(fr.gateway.p99Ms, 2)} ms (${fmt(fr.gateway.rps, 0)}/s served)`,
  );
  lines.push(`D at 50 % of its own maximum (${Math.round(fr.ownHalfRate)} req/s): p50 ${fmt(fr.gatewayAtOwnHalf.p50Ms, 2)} / p99 ${fmt(fr.gatewayAtOwnHalf.p99Ms, 2)} ms`);
  lines.push(
    `Cold cache: ${fmt(r.cold_cache.redisPerRequest, 3)} Redis commands per request over ${r.cold_cache.requests} first requests (${Object.entries(r.cold_cache.byCommand)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')})`,
  );
  const st = r.storm;
  lines.push(
    `Login storm (${r.settings.stormPerSecond}/s offered, D offered ${Math.round(st.rate)} req/s): D served ${fmt(st.quiet.rps, 0)} → ${fmt(st.storm.rps, 0)} req/s, p99 ${fmt(st.quiet.p99Ms, 2)} → ${fmt(st.storm.p99Ms, 2)} ms; sign-ins ${st.signIns.signedIn} done of ${st.signIns.attempted} (${fmt(st.signIns.achievedPerSecond, 1)}/s, p50 ${fmt(st.signIns.p50Ms, 0)} ms); event loop max ${fmt(st.quietEventLoopMaxMs, 1)} → ${fmt(st.eventLoopMaxMs, 1)} ms; peak RSS ${fmt(st.peakRssMb, 0)} MB`,
  );
  const [m1, m2] = r.memory.marks;
  if (m1 && m2) {
    lines.push(
      `Memory: RSS ${fmt(m1.rssMb, 1)} MB (${fmt(m1.rssAfterGcMb, 1)} after a full GC, heap ${fmt(m1.heapAfterGcMb, 1)}) after ${m1.proxiedRequests} proxied requests; ` +
        `${fmt(m2.rssMb, 1)} MB (${fmt(m2.rssAfterGcMb, 1)}, heap ${fmt(m2.heapAfterGcMb, 1)}) after ${m2.proxiedRequests}${r.mode === 'quick' ? ' (quick: not 1 M / 2 M)' : ''}`,
    );
  }
  lines.push(...formatLdap(r.ldap));
  lines.push(...formatLemonldap(r.lemonldap));
  lines.push('');
  const noisy = Object.entries(r.scenarios).filter(([, s]) => s.runs > 1 && s.rpsMax > 1.25 * s.rpsMin);
  if (noisy.length > 0) {
    lines.push(
      `NOISY: ${noisy.map(([k, s]) => `${k} ran ${fmt(s.rpsMin, 0)}–${fmt(s.rpsMax, 0)} req/s`).join(', ')}: other work took the server core; trust the CPU ratios below over the req/s ratios.`,
    );
  }
  if (r.proxy_workers_2_vs_1 !== undefined) {
    lines.push(
      `Workers: W/D ${fmt(r.proxy_workers_2_vs_1, 3)} by throughput, ${fmt(r.proxy_workers_2_vs_1_by_cpu, 3)} by CPU time per request (${m.pinned ? 'both on the one server core: two workers share it' : 'unpinned'})`,
    );
  }
  lines.push(
    `By CPU time per request (what the ratios would be on an idle core): D/B ${fmt(r.proxy_vs_nginx_by_cpu, 3)}, E/C ${fmt(r.forward_auth_vs_bare_node_by_cpu, 3)}, F/B ${fmt(r.auth_request_vs_nginx_by_cpu, 3)}; D/H by throughput ${fmt(r.proxy_vs_bare_node_proxy, 3)}`,
  );
  lines.push('');
  lines.push(...table([['target', 'value', 'wanted', ''], ...Object.entries(r.targets).map(([k, t]) => [k, fmt(t.value, 3), t.target, t.met ? 'met' : 'MISSED'])]));
  lines.push('');
  return lines.join('\n');
}

/** The LDAP part's lines: one sign-in's cost, and D with LDAP against D with the users file. */
export function formatLdap(l: LdapResult): string[] {
  const signIn = (c: LdapResult['signIn']['right']) => `${c.binds} bind + ${c.searches} search, ${fmt(c.ms, 1)} ms (${fmt(c.msMin, 1)}–${fmt(c.msMax, 1)})`;
  return [
    `LDAP (${l.directory}): one sign-in, POST /login, median of ${l.signIn.right.n}: right password ${signIn(l.signIn.right)}; wrong password ${signIn(l.signIn.wrong)}; unknown name ${signIn(l.signIn.unknown)}`,
    `D with LDAP as the directory (${l.sessions} sessions of ${l.users} directory users) vs the users file, alternating: ${fmt(l.proxy.ldap.rps, 0)} vs ${fmt(l.proxy.usersFile.rps, 0)} req/s (× ${fmt(l.proxy.ratio, 3)}; by CPU × ${fmt(l.proxy.ratioByCpu, 3)}), ` +
      `p99 ${fmt(l.proxy.ldap.p99Ms, 2)} vs ${fmt(l.proxy.usersFile.p99Ms, 2)} ms, Redis ${fmt(l.proxy.ldap.redisPerRequest, 4)} vs ${fmt(l.proxy.usersFile.redisPerRequest, 4)} commands/request`,
  ];
}

/** The top-level keys of the LemonLDAP::NG part: F's auth CPU over L's, by mode and the worst of them. */
export function lemonldapRatio(part: LemonldapPart): Pick<Results, 'auth_request_vs_lemonldap_by_cpu' | 'auth_request_vs_lemonldap_by_cpu_by_mode'> {
  if ('skipped' in part) return {};
  const byMode = Object.fromEntries(Object.entries(part.modes).map(([mode, m]) => [mode, m.auth_request_vs_lemonldap_by_cpu])) as Record<SessionMode, number>;
  return { auth_request_vs_lemonldap_by_cpu: Math.max(...Object.values(byMode)), auth_request_vs_lemonldap_by_cpu_by_mode: byMode };
}

/** F against L in each session mode (throughput, CPU µs per request of the auth service and of everything), and both footprints. */
export function formatLemonldap(part: LemonldapPart): string[] {
  if ('skipped' in part) return [`L (nginx auth_request → LemonLDAP::NG): SKIPPED: ${part.skipped}`];
  const lines = [
    `L (nginx auth_request → LemonLDAP::NG ${part.version}, FastCGI manager + ${part.workers} workers) against F, alternating; L's rotating mode goes over ${part.sessions} sessions:`,
  ];
  for (const [mode, m] of Object.entries(part.modes)) {
    lines.push(
      `  ${mode} session: F ${fmt(m.F.rps, 0)} vs L ${fmt(m.L.rps, 0)} req/s (L/F × ${fmt(m.lemonldap_vs_auth_request, 3)}); ` +
        `auth CPU µs/req F ${fmt(m.F.authCpuUs, 1)} vs L ${fmt(m.L.authCpuUs, 1)} (F/L ${fmt(m.auth_request_vs_lemonldap_by_cpu, 3)}); ` +
        `all under test F ${fmt(m.F.serverCpuUs, 1)} vs L ${fmt(m.L.serverCpuUs, 1)}; p99 F ${fmt(m.F.p99Ms, 2)} vs L ${fmt(m.L.p99Ms, 2)} ms`,
    );
  }
  const mem = part.memory;
  lines.push(
    `  memory: Gatehouse RSS ${fmt(mem.gatehouse.rssMb, 1)} MB (PSS ${fmt(mem.gatehouse.pssMb, 1)}); LemonLDAP::NG ${mem.lemonldap.processes} processes RSS ${fmt(mem.lemonldap.rssMb, 1)} MB (PSS ${fmt(mem.lemonldap.pssMb, 1)})`,
  );
  return lines;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (i <= 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

function fmt(value: number | undefined, digits: number): string {
  return value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
