import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** What the bench runs, and the Debian package each comes from. */
const TOOLS = [
  { path: '/usr/bin/wrk', pkg: 'wrk' },
  { path: '/usr/sbin/nginx', pkg: 'nginx' },
  { path: '/usr/bin/redis-server', pkg: 'redis-server' },
  { path: '/usr/bin/taskset', pkg: 'util-linux' },
] as const;

/**
 * Installs the missing tools with apt-get when running as root; otherwise stops with the exact
 * command to run. Returns the versions, for the report.
 */
export function ensureTools(log: (line: string) => void): { node: string; nginx: string; redis: string; wrk: string } {
  const missing = TOOLS.filter((t) => !existsSync(t.path)).map((t) => t.pkg);
  if (missing.length > 0) {
    const command = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
    if (process.getuid?.() !== 0) throw new Error(`the bench needs ${missing.join(', ')}: run as root, or install them first:\n  sudo apt-get update && sudo ${command}`);
    log(`installing ${missing.join(' ')} (apt-get)`);
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('/usr/bin/env', ['DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit' });
  }
  const output = (file: string, args: string[]) => {
    const r = spawnSync(file, args, { encoding: 'utf8' });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`;
  };
  return {
    node: process.version,
    nginx: /nginx\/(\S+)/.exec(output('/usr/sbin/nginx', ['-v']))?.[1] ?? 'unknown',
    redis: /v=(\S+)/.exec(output('/usr/bin/redis-server', ['--version']))?.[1] ?? 'unknown',
    wrk: /wrk (\S+)/.exec(output('/usr/bin/wrk', ['-v']))?.[1] ?? 'unknown',
  };
}
