import { asksForHelp } from './asks-for-help.js';
import { runServe, stopSignal } from './serve.js';
import { DEFAULT_HASH_POLICY, hashPolicyOf, type HashPolicy } from '../directory/password-hash.js';
import { loadConfigFile } from '../config/load-config.js';
import { parseArgs } from 'node:util';

export interface CommandStreams {
  stdin: NodeJS.ReadableStream & { setRawMode?: (mode: boolean) => unknown };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  isTTY: boolean;
}

/**
 * `gatehouse COMMAND …`: the exit status of one command run with `argv` (without the program name).
 * Each command's modules are loaded when it runs: `serve` need not hold what only the other
 * commands use (PostgreSQL copying, LDAP lookups, token files) for the gateway's lifetime.
 */
export async function runCommand(argv: string[], env: NodeJS.ProcessEnv, streams: CommandStreams): Promise<number> {
  const [command, ...rest] = argv;
  const io = { stdout: streams.stdout, stderr: streams.stderr };
  const usage = async () => (await import('./command-help.js')).USAGE;
  if (command !== undefined && asksForHelp(rest)) {
    const help = (await import('./command-help.js')).helpFor(command);
    if (help) {
      io.stdout.write(help);
      return 0;
    }
  }
  try {
    switch (command) {
      case 'serve':
        return await runServe(configPath(rest, env), env, io);
      case 'check-config': {
        const connect = rest.includes('--connect');
        return await (await import('./check-config.js')).runCheckConfig(
          configPath(
            rest.filter((a) => a !== '--connect'),
            env,
          ),
          env,
          io,
          { connect },
        );
      }
      case 'directory':
        return await (await import('./directory.js')).runDirectoryCommand(rest, env, io);
      case 'healthcheck':
        return await (await import('./healthcheck.js')).runHealthcheck(configPath(rest, env), env, io);
      case 'hash-password': {
        const profile = hashProfile(rest, env, io);
        return profile.ok ? await (await import('../directory/hash-password-command.js')).runHashPassword(streams, profile.policy) : 1;
      }
      case 'policy':
        if (rest[0] !== 'explain') break;
        return await (await import('./policy-explain.js')).runPolicyExplain(rest.slice(1), env, io);
      case 'tokens':
        return await (await import('./tokens.js')).runTokensCommand(rest, env, streams);
      case 'storage':
        if (rest[0] === 'copy') return await (await import('./storage-copy.js')).runStorageCopy(rest.slice(1), env, io);
        if (rest[0] !== 'rotate-key') break;
        return await (await import('./storage-rotate-key.js')).runStorageRotateKey(configPath(rest.slice(1), env), env, io);
      case 'audit':
        // Ctrl-C ends `audit tail --follow` cleanly (the database is closed).
        return await (await import('./audit.js')).runAuditCommand(rest, env, io, { signal: stopSignal(['SIGINT']) });
      case 'factors':
        return await (await import('./factors.js')).runFactorsCommand(rest, env, io);
      case 'users':
        return await (await import('./users.js')).runUsersCommand(rest, env, io);
      case 'sessions':
        return await (await import('./users.js')).runSessionsCommand(rest, env, io);
      case 'enroll':
        return await (await import('./enroll.js')).runEnrollCommand(rest, env, io);
      case 'demo':
        return await (await import('./demo.js')).runDemo(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(await usage());
        return command === undefined ? 2 : 0;
    }
    io.stderr.write(`gatehouse: unknown command "${argv.join(' ')}"\n\n${await usage()}`);
    return 2;
  } catch (error) {
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`gatehouse: ${error.message}\n\n${await usage()}`);
      return 2;
    }
    throw error;
  }
}

function configPath(args: string[], env: NodeJS.ProcessEnv): string {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, strict: true });
  const path = values.config ?? env.GATEHOUSE_CONFIG;
  if (!path) throw Object.assign(new TypeError('--config FILE (or GATEHOUSE_CONFIG) is required'), { code: 'ERR_PARSE_ARGS_MISSING' });
  return path;
}

/**
 * The argon2id profile `hash-password` uses: the config's `authentication.password_hash` when a
 * config is named (--config or GATEHOUSE_CONFIG), else the default profile, which is also the
 * config's default.
 */
function hashProfile(args: string[], env: NodeJS.ProcessEnv, io: { stderr: NodeJS.WritableStream }): { ok: true; policy: HashPolicy } | { ok: false } {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, strict: true });
  const path = values.config ?? env.GATEHOUSE_CONFIG;
  if (!path) return { ok: true, policy: DEFAULT_HASH_POLICY };
  const loaded = loadConfigFile(path, env);
  if (!loaded.ok) {
    io.stderr.write(`gatehouse hash-password: ${path} is invalid:\n${loaded.errors.map((e) => `  ${e}\n`).join('')}`);
    return { ok: false };
  }
  return { ok: true, policy: hashPolicyOf(loaded.config.authentication.password_hash) };
}
