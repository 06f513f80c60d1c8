import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

/**
 * What this process has resident, by kind, in MB: read inside the gateway under test
 * (bench/gateway-process.ts answers `breakdown` with it), so that BENCHMARKS.md can say where
 * the memory goes and not only how much there is.
 *
 * - `v8Spaces`: each V8 heap space's physical size (the main thread's isolate only; worker
 *   threads have isolates of their own, counted in `anonymousMb` but not here).
 * - `mappings`: Rss of /proc/self/smaps grouped by what is mapped: `[heap]` (glibc's main
 *   arena, brk), `anonymous` (V8's heaps, other malloc arenas, thread stacks), `node` (the
 *   binary's code and data), each shared library by name, `other files`.
 * - `nativeEstimateMb`: anonymous memory and `[heap]` that V8's spaces of the main isolate do not
 *   account for: malloc (OpenSSL, SQLite, libuv, V8's own C++ side), thread stacks, worker isolates.
 */
export interface MemoryBreakdown {
  rssMb: number;
  threads: number;
  memoryUsage: { heapTotalMb: number; heapUsedMb: number; externalMb: number; arrayBuffersMb: number };
  v8Spaces: Record<string, { physicalMb: number; usedMb: number }>;
  rollup: Record<string, number>;
  mappings: Record<string, number>;
  nativeEstimateMb: number;
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

export function memoryBreakdown(): MemoryBreakdown {
  const usage = process.memoryUsage();
  const v8Spaces: MemoryBreakdown['v8Spaces'] = {};
  let v8Physical = 0;
  for (const space of getHeapSpaceStatistics()) {
    v8Spaces[space.space_name] = { physicalMb: mb(space.physical_space_size), usedMb: mb(space.space_used_size) };
    v8Physical += space.physical_space_size;
  }
  const rollup: Record<string, number> = {};
  for (const [, key, kb] of readFileSync('/proc/self/smaps_rollup', 'utf8').matchAll(/^(\w+):\s+(\d+) kB/gm)) rollup[key!] = mb(Number(kb) * 1024);
  const mappings: Record<string, number> = {};
  let name = '';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      name = mappingName(header[1]!.trim());
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) mappings[name] = (mappings[name] ?? 0) + Number(rss[1]) * 1024;
  }
  const anonymous = (mappings.anonymous ?? 0) + (mappings['[heap]'] ?? 0);
  const threads = Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
  return {
    rssMb: mb(usage.rss),
    threads,
    memoryUsage: { heapTotalMb: mb(usage.heapTotal), heapUsedMb: mb(usage.heapUsed), externalMb: mb(usage.external), arrayBuffersMb: mb(usage.arrayBuffers) },
    v8Spaces,
    rollup,
    mappings: Object.fromEntries(
      Object.entries(mappings)
        .filter(([, bytes]) => bytes >= 256 * 1024)
        .sort((a, b) => b[1] - a[1])
        .map(([key, bytes]) => [key, mb(bytes)]),
    ),
    nativeEstimateMb: mb(anonymous - v8Physical),
  };
}

function mappingName(path: string): string {
  if (path === '' || path.startsWith('[anon') || path === '[stack]') return path === '[stack]' ? '[stack]' : 'anonymous';
  if (path.startsWith('[')) return path;
  const base = path.split('/').at(-1)!;
  if (base === 'node' || /^node\d*$/.test(base)) return 'node';
  if (base.endsWith('.node') || base.includes('.so')) return base;
  return 'other files';
}
