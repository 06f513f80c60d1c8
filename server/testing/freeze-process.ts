import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** A ceiling for a stuck machine, never a budget: the stop usually takes well under a millisecond. */
const STOP_CEILING_MS = 10_000;
/** Thread states in which nothing of the process runs: stopped, stopped by a tracer, dead. */
const STILL = new Set(['T', 't', 'Z', 'X']);
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * SIGSTOP, returning only once every thread of the process has stopped. `kill()` returns as
 * soon as the signal is queued: one thread takes it and only then stops the others, so until
 * that thread has had a CPU, the other threads run on. slapd's main thread just waits for its
 * listener and worker threads, and those answered whole sign-ins (search, bind, group search)
 * sent after `kill()` had returned: 6 of 41 runs of ldap-faults' mid-search test, with both
 * cores busy. Redis serves the network on the thread that is woken, but nothing promises that.
 *
 * It waits without giving the event loop a turn, so that nothing of the test's own is sent
 * before the server is stopped; each poll sleeps a millisecond (Atomics.wait) rather than spin
 * on a core the process being stopped may need.
 */
export function freezeProcess(child: ChildProcess): void {
  const { pid } = child;
  // Not sent (false): the process has already exited, and nothing of it runs.
  if (pid === undefined || !child.kill('SIGSTOP')) return;
  const deadline = Date.now() + STOP_CEILING_MS;
  while (!threadStates(pid).every((state) => STILL.has(state))) {
    if (Date.now() > deadline) throw new Error(`process ${pid} still ran ${STOP_CEILING_MS} ms after SIGSTOP: ${threadStates(pid).join('')}`);
    Atomics.wait(sleeper, 0, 0, 1);
  }
}

/** The state letter of each thread of `pid` (`R`, `S`, `T`, …), from /proc; none once it is gone. */
export function threadStates(pid: number): string[] {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const states: string[] = [];
  for (const thread of threads) {
    try {
      // "tid (comm) S …": comm may hold spaces and parentheses, the state follows the last ')'.
      const stat = readFileSync(`/proc/${pid}/task/${thread}/stat`, 'utf8');
      states.push(stat.charAt(stat.lastIndexOf(')') + 2));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return states;
}
