import { spawn } from 'node:child_process';

/**
 * Only a safety net, never a budget: a process still running this long is stuck, and is
 * killed so the test reports it (`signal: 'SIGKILL'`) instead of hanging the suite.
 */
const STUCK_AFTER_MS = 60_000;

export interface GatehouseExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface GatehouseProcess {
  /** Settles when the process has exited, by itself or killed. */
  exited: Promise<GatehouseExit>;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout or stderr matches; rejects if the process exits first. */
  waitForOutput(pattern: RegExp): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
  pid: number;
}

/**
 * The `gatehouse` command in its own Node process: `main`, a built main.js (gatehouse-tree.ts),
 * with plain node, as the image runs it. (Through tsx a start cost about twice the CPU: the
 * loader hooks see every module.)
 */
export function spawnGatehouse(args: string[], options: { main: string; env?: Record<string, string>; cwd?: string; stuckAfterMs?: number }): GatehouseProcess {
  const child = spawn(process.execPath, [options.main, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: options.cwd,
    // Only what the test gives: no GATEHOUSE_CONFIG or proxy settings from the developer's shell.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const onOutput = () => waiters.forEach((check) => check());
  child.stdout.on('data', (chunk: Buffer) => ((out += chunk), onOutput()));
  child.stderr.on('data', (chunk: Buffer) => ((err += chunk), onOutput()));
  const stuck = setTimeout(() => child.kill('SIGKILL'), options.stuckAfterMs ?? STUCK_AFTER_MS);
  const exited = new Promise<GatehouseExit>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(stuck);
      onOutput();
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
  return {
    exited,
    stdout: () => out,
    stderr: () => err,
    waitForOutput(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(out) || pattern.test(err)) {
            waiters.delete(check);
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            waiters.delete(check);
            reject(new Error(`gatehouse exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}\nstdout:\n${out}\nstderr:\n${err}`));
          }
        };
        waiters.add(check);
        void exited.then(check, check);
        check();
      });
    },
    kill: (signal = 'SIGTERM') => void child.kill(signal),
    pid: child.pid ?? 0,
  };
}
