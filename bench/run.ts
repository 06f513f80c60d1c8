/**
 * `npm run bench [-- --quick]`: the hot path side by side with nginx and bare Node, on
 * loopback, in one run; then the same proxied path with LDAP as the directory, and what one
 * LDAP sign-in costs. Prints a table and writes bench/results.json (bench/results.quick.json
 * for --quick). `--ldap-only` runs the LDAP part alone (about two minutes) and writes
 * bench/results.ldap.json; `--lemonldap-only` runs F against LemonLDAP::NG's handler (L) alone
 * and writes bench/results.lemonldap.json. BENCHMARKS.md says what each scenario is and holds the published figures.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { pinProcess, planCores } from './cores.js';
import { runLdapPart } from './ldap.js';
import { runLemonldapPart } from './lemonldap.js';
import { measureColdCache, runFixedRate, runMemory, runScenarios, runStorm } from './phases.js';
import { measure } from './measure.js';
import { measureLoginPageJs } from './page-assets.js';
import { FULL, QUICK } from './profiles.js';
import { buildResults, formatLdap, formatLemonldap, formatTable, lemonldapRatio, machine } from './report.js';
import { startStack } from './stack.js';
import { ensureTools } from './tools.js';

const log = (line: string) => process.stderr.write(`  · ${line}\n`);

async function main(argv: readonly string[]): Promise<void> {
  const profile = argv.includes('--quick') ? QUICK : FULL;
  const started = performance.now();
  const versions = ensureTools(log);
  const plan = planCores();
  const info = machine(versions, plan.pinned);
  // The bench process (and the login storm it sends) stays off the server core too.
  pinProcess(plan, process.pid, plan.loadCore);
  log(`${profile.name} run`);
  // `--ldap-only` / `--lemonldap-only`: one part alone, against the stack, into its own file.
  const only = argv.includes('--ldap-only') ? 'ldap' : argv.includes('--lemonldap-only') ? 'lemonldap' : undefined;
  const stack = await startStack(plan, { sessions: profile.sessions, connections: profile.connections, withWorkers: only === undefined, log });
  if (only) {
    try {
      const ldap = only === 'ldap' ? await runLdapPart(stack, profile, log) : undefined;
      const lemonldap = only === 'lemonldap' ? await runLemonldapPart(stack, profile, log) : undefined;
      const out = fileURLToPath(new URL(profile.name === 'full' ? `results.${only}.json` : 'results.quick.json', import.meta.url));
      const results = {
        mode: profile.name,
        date: new Date().toISOString(),
        machine: { ...info, load_after: loadavg().map((x) => Math.round(x * 100) / 100) },
        ...(ldap ? { ldap } : {}),
        ...(lemonldap ? { lemonldap, ...lemonldapRatio(lemonldap) } : {}),
        duration_s: Math.round(performance.now() - started) / 1000,
      };
      writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
      const lines = ldap ? formatLdap(ldap) : lemonldap ? formatLemonldap(lemonldap) : [];
      process.stdout.write(`\n${lines.join('\n')}\nload ${info.load_before.join(' ')} → ${results.machine.load_after.join(' ')}\nwritten: ${out} (${results.duration_s} s)\n`);
    } finally {
      await stack.stop();
    }
    return;
  }
  try {
    const { bench, scenarios } = stack;
    const loginPage = await measureLoginPageJs(bench.gateway.port);
    log(`sign-in page: ${loginPage.scripts} script(s), ${loginPage.gzBytes} bytes gzipped`);
    const cold = await measureColdCache(bench, stack.scenario('D'));
    log(`cold cache: ${cold.redisPerRequest.toFixed(3)} Redis commands per request`);
    // W's two processes start fresh: their JIT and session caches get what D's got from the
    // checks and the cold-cache pass, before the rounds compare them.
    const warmW = Math.max(5, profile.warmupS * 3);
    log(`warm-up W (${warmW} s)`);
    await measure(bench, stack.scenario('W'), warmW);
    const summaries = await runScenarios(bench, profile, scenarios, log);
    const rates = { half: summaries.get('B')!.rps / 2, ownHalf: summaries.get('D')!.rps / 2 };
    const fixedRate = await runFixedRate(bench, profile, stack.scenario('B'), stack.scenario('D'), rates, log);
    const memory = await runMemory(bench, profile, stack.scenario('D'), log, summaries.get('D')!.rps);
    // Last: sign-ins still hashing when it ends would disturb anything measured after it.
    const storm = await runStorm(bench, profile, stack.scenario('D'), rates.ownHalf, log);
    // A second gateway with LDAP as its directory, against this one, after the storm has drained.
    const ldap = await runLdapPart(stack, profile, log);
    // nginx auth_request → LemonLDAP::NG (L) against F, alternating, in each session mode.
    // The peer failing (a package half-installed, its portal refusing sign-ins) must not throw
    // away the rest of a run of a quarter of an hour: it is reported as skipped, with why.
    const lemonldap = await runLemonldapPart(stack, profile, log).catch((error: unknown) => {
      const why = `failed: ${error instanceof Error ? error.message : String(error)}`;
      log(`LemonLDAP::NG: ${why}`);
      return { skipped: why };
    });

    const results = buildResults({
      profile,
      machine: info,
      scenarios,
      summaries,
      cold,
      fixedRate,
      memory,
      storm,
      ldap,
      lemonldap,
      loginPage,
      durationS: (performance.now() - started) / 1000,
    });
    const out = fileURLToPath(new URL(profile.name === 'full' ? 'results.json' : 'results.quick.json', import.meta.url));
    writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
    process.stdout.write(formatTable(results));
    process.stdout.write(`written: ${out} (${results.duration_s} s)\n`);
  } finally {
    await stack.stop();
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
