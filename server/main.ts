#!/usr/bin/env node
/**
 * Composition root of the `gatehouse` command: the only place that reads process.env and argv.
 */
import { parseArgs } from 'node:util';
import { runCheckConfig } from './commands/check-config.js';
import { runDemo } from './commands/demo.js';
import { runEnrollCommand } from './commands/enroll.js';
import { runAuditCommand } from './commands/audit.js';
import { runFactorsCommand } from './commands/factors.js';
import { runHealthcheck } from './commands/healthcheck.js';
import { runStorageCopy } from './commands/storage-copy.js';
import { runStorageRotateKey } from './commands/storage-rotate-key.js';
import { runTokensCommand } from './commands/tokens.js';
import { runSessionsCommand, runUsersCommand } from './commands/users.js';
import { runPolicyExplain } from './commands/policy-explain.js';
import { runServe } from './commands/serve.js';
import { runHashPassword } from './directory/hash-password-command.js';

const USAGE = `Usage: gatehouse <command> [options]

Commands:
  serve [--config FILE]            run the gateway (config also from GATEHOUSE_CONFIG)
  check-config [--config FILE]     validate a config file and its users file, then exit
  healthcheck [--config FILE]      exit 0 if the gateway of that config answers /healthz (for container HEALTHCHECKs)
  hash-password                    read a password on stdin, print its argon2id hash
  policy explain [--config FILE] --url URL [--user NAME] [--groups a,b] [--ip ADDR] [--method GET] [--factors totp,...]
                                   print the access decision and the rule that made it
  tokens import FILE [--format pskc|csv] [--password-file F] [--key-file F]
  tokens assign SERIAL USERNAME | tokens unassign SERIAL | tokens list
                                   OATH hardware tokens (all-or-nothing import; --config as above)
  enroll issue USERNAME [--ttl 24h] a single-use code for a user's first second factor
  factors list USERNAME            a user's second factors: added, last used, clock drift
  users list [--search S] | users show NAME
                                   accounts with lock, disabling, factors and last sign-in
  users unlock NAME | users reset-factors NAME | users disable NAME [--reason R] | users enable NAME
                                   an administrator's actions (audited as cli:<OS user>; needs Redis)
  sessions list NAME | sessions revoke NAME (ID | --all)
                                   a user's live sessions on every instance, and ending them
  audit tail [--follow] [--lines N] [--kind K] [--user U]   recent audit events as JSON lines
  audit export [--since ISO|DURATION] [--until ...] [--kind K] [--user U]   the audit log as JSON lines
  storage rotate-key [--config FILE] re-encrypt every secret under the first encryption key
  storage copy --from FILE.db [--config FILE]   copy a SQLite database into the empty PostgreSQL of storage.postgres
  demo [--port 9091]               start a demo: gateway + sample app + two users, no Redis needed
`;

// argon2 hashes on libuv's thread pool, which DNS and file access share; 4 threads is thin.
process.env.UV_THREADPOOL_SIZE ??= '8';

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = argv;
  const io = { stdout: process.stdout, stderr: process.stderr };
  try {
    switch (command) {
      case 'serve':
        return await runServe(configPath(rest, env), env, io);
      case 'check-config':
        return await runCheckConfig(configPath(rest, env), env, io);
      case 'healthcheck':
        return await runHealthcheck(configPath(rest, env), env, io);
      case 'hash-password':
        return await runHashPassword({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, isTTY: Boolean(process.stdin.isTTY) });
      case 'policy':
        if (rest[0] !== 'explain') break;
        return await runPolicyExplain(rest.slice(1), env, io);
      case 'tokens':
        return await runTokensCommand(rest, env, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, isTTY: Boolean(process.stdin.isTTY) });
      case 'storage':
        if (rest[0] === 'copy') return await runStorageCopy(rest.slice(1), env, io);
        if (rest[0] !== 'rotate-key') break;
        return await runStorageRotateKey(configPath(rest.slice(1), env), env, io);
      case 'audit': {
        // Ctrl-C ends `audit tail --follow` cleanly (the database is closed).
        const stop = new AbortController();
        process.once('SIGINT', () => stop.abort());
        return await runAuditCommand(rest, env, io, { signal: stop.signal });
      }
      case 'factors':
        return await runFactorsCommand(rest, env, io);
      case 'users':
        return await runUsersCommand(rest, env, io);
      case 'sessions':
        return await runSessionsCommand(rest, env, io);
      case 'enroll':
        return await runEnrollCommand(rest, env, io);
      case 'demo':
        return await runDemo(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
    }
    io.stderr.write(`gatehouse: unknown command "${argv.join(' ')}"\n\n${USAGE}`);
    return 2;
  } catch (error) {
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`gatehouse: ${error.message}\n\n${USAGE}`);
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
 * Once a command has returned there is nothing left to do: the process should end as soon as
 * what the command opened is closed. Should something stay open by mistake (a connection, a
 * timer), end it anyway after a while: a supervisor restarts a gateway only once it has exited.
 */
const LINGER_LIMIT_MS = 10_000;

function finish(code: number): void {
  process.exitCode = code;
  setTimeout(() => {
    process.stderr.write(`gatehouse: still running ${LINGER_LIMIT_MS / 1000} s after the command ended; exiting\n`);
    process.exit(code);
  }, LINGER_LIMIT_MS).unref();
}

main(process.argv.slice(2), process.env).then(finish, (error) => {
  process.stderr.write(`gatehouse: ${error instanceof Error ? error.stack : String(error)}\n`);
  finish(1);
});
