#!/usr/bin/env node
/**
 * Composition root of the `gatehouse` command: the only place that reads process.env and argv.
 */
import { parseArgs } from 'node:util';
import { runCheckConfig } from './commands/check-config.js';
import { runDirectoryCommand } from './commands/directory.js';
import { runDemo } from './commands/demo.js';
import { runEnrollCommand } from './commands/enroll.js';
import { runAuditCommand } from './commands/audit.js';
import { runFactorsCommand } from './commands/factors.js';
import { runStorageRotateKey } from './commands/storage-rotate-key.js';
import { runTokensCommand } from './commands/tokens.js';
import { runSessionsCommand, runUsersCommand } from './commands/users.js';
import { runPolicyExplain } from './commands/policy-explain.js';
import { runServe } from './commands/serve.js';
import { runHashPassword } from './directory/hash-password-command.js';

const USAGE = `Usage: gatehouse <command> [options]

Commands:
  serve [--config FILE]            run the gateway (config also from GATEHOUSE_CONFIG)
  check-config [--config FILE] [--connect]
                                   validate a config file, its users file and LDAP section, then exit;
                                   --connect also connects to each LDAP server as the service account
  directory test [USER]            LDAP: bind as the service account, find USER, print their groups
                                   (nested resolved) and the time of each step
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
      case 'check-config': {
        const connect = rest.includes('--connect');
        return await runCheckConfig(configPath(rest.filter((a) => a !== '--connect'), env), env, io, { connect });
      }
      case 'directory':
        return await runDirectoryCommand(rest, env, io);
      case 'hash-password':
        return await runHashPassword({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, isTTY: Boolean(process.stdin.isTTY) });
      case 'policy':
        if (rest[0] !== 'explain') break;
        return await runPolicyExplain(rest.slice(1), env, io);
      case 'tokens':
        return await runTokensCommand(rest, env, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, isTTY: Boolean(process.stdin.isTTY) });
      case 'storage':
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

main(process.argv.slice(2), process.env).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`gatehouse: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
