#!/usr/bin/env node
/**
 * Composition root of the `gatehouse` command: the only place that reads process.env and argv.
 */
import { runCommand } from './commands/run-command.js';

// argon2 hashes on libuv's thread pool, which DNS and file access share; 4 threads is thin.
process.env.UV_THREADPOOL_SIZE ??= '8';

runCommand(process.argv.slice(2), process.env, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, isTTY: Boolean(process.stdin.isTTY) }).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`gatehouse: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
