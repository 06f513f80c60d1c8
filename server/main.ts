#!/usr/bin/env node
/**
 * Composition root of the `gatehouse` command: the only place that reads process.env and argv.
 */
import { runCommand } from './commands/run-command.js';

// argon2 hashes on libuv's thread pool, which DNS and file access share; 4 threads is thin.
process.env.UV_THREADPOOL_SIZE ??= '8';

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

runCommand(process.argv.slice(2), process.env, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, isTTY: Boolean(process.stdin.isTTY) }).then(
  finish,
  (error) => {
    process.stderr.write(`gatehouse: ${error instanceof Error ? error.stack : String(error)}\n`);
    finish(1);
  },
);
