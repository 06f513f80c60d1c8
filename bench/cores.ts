import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * Where things run. With two or more cores the load generators get core 0 and everything
 * under test (the proxy, the upstream, Redis, the gateway and its thread pool) core 1, so a
 * server never competes with the tool measuring it. On one core nothing is pinned.
 */
export interface CorePlan {
  pinned: boolean;
  loadCore: number;
  serverCore: number;
}

export function planCores(): CorePlan {
  return availableParallelism() >= 2 ? { pinned: true, loadCore: 0, serverCore: 1 } : { pinned: false, loadCore: 0, serverCore: 0 };
}

/** A command line run on one core (taskset), or as is when nothing is pinned. */
export function onCore(plan: CorePlan, core: number, file: string, args: string[]): [string, string[]] {
  return plan.pinned ? ['/usr/bin/taskset', ['-c', String(core), file, ...args]] : [file, args];
}

/** Moves a running process, every thread of it, to one core. */
export function pinProcess(plan: CorePlan, pid: number, core: number): void {
  if (plan.pinned) execFileSync('/usr/bin/taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
}
