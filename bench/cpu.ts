import { readdirSync, readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

/** utime + stime of one process (all its threads), in seconds; 0 once it is gone. */
function processCpu(pid: number): { cpu: number; ppid: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { cpu: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND, ppid: Number(fields[1]) };
  } catch {
    return { cpu: 0, ppid: 0 };
  }
}

/**
 * CPU seconds used so far by the processes under test and their children (nginx's workers):
 * the server side's cost of a run, which other tenants of the machine hardly change, unlike
 * its throughput.
 */
export function serverCpuSeconds(roots: readonly number[]): number {
  const wanted = new Set(roots);
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const { cpu, ppid } = processCpu(pid);
    if (wanted.has(pid) || wanted.has(ppid)) total += cpu;
  }
  return total;
}
